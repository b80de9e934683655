#include "sim/util/address_space_cap.h"

#include <unistd.h>

#include <fstream>

namespace poisonsim {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

// The address space in use now (/proc/self/statm, in pages); 0 when unknown.
uint64_t address_space_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages = 0;
  if (!(statm >> pages)) return 0;
  return pages * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace

AddressSpaceCap::AddressSpaceCap(uint64_t extra_bytes) {
  if (kSanitized || ::getrlimit(RLIMIT_AS, &previous_) != 0) return;
  const uint64_t used = address_space_bytes();
  if (used == 0) return;
  const uint64_t cap = used + extra_bytes;
  if (previous_.rlim_cur != RLIM_INFINITY && previous_.rlim_cur <= cap) return;
  struct rlimit capped = previous_;
  capped.rlim_cur = cap;
  set_ = ::setrlimit(RLIMIT_AS, &capped) == 0;
}

AddressSpaceCap::~AddressSpaceCap() {
  if (set_) ::setrlimit(RLIMIT_AS, &previous_);
}

}  // namespace poisonsim
