#include "guards/window/trusted_bank_sanitizer.h"

#include <stdexcept>

#include "sim/kernel/state_archive.h"

namespace poisonsim {

void TrustedBankSanitizer::save_state(StateOut& out) const { out.section(section_); }

void TrustedBankSanitizer::load_state(StateIn& in) {
  in.section(section_);
  bank_.mark_stale();
}

const GuardContext& TrustedBankSanitizer::context() const {
  if (!context_) throw std::logic_error(section_ + " used before attach()");
  return *context_;
}

}  // namespace poisonsim
