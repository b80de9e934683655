#pragma once
// What the window sanitizers calibrated on trusted data share: a bank of the trusted split's
// first `bank_size` samples, featurised by the deployed model (again after each deploy and on
// resume), counted in the run's memory estimate, and a checkpoint section that holds only the
// stage's name (its calibration derives from the trusted data and the deployed model).
#include <cstdint>
#include <string>

#include "guards/per_sample/feature_bank.h"
#include "pipeline/plugins/window_sanitizer.h"

namespace poisonsim {

class TrustedBankSanitizer : public WindowSanitizer {
 public:
  // `section`: the checkpoint section, e.g. "sanitize/spectral".
  TrustedBankSanitizer(std::string section, int64_t bank_size)
      : bank_(bank_size), section_(std::move(section)), bank_size_(bank_size) {}
  void attach(const GuardContext& context) override {
    context_ = &context;
    bank_.attach(context);
  }
  void on_deploy() override { bank_.mark_stale(); }
  int64_t memory_bytes(int64_t image_floats, int64_t feature_dim) const override {
    return FeatureBank::bytes_at_capacity(bank_size_, image_floats, feature_dim);
  }
  void save_state(StateOut& out) const override;
  void load_state(StateIn& in) override;

 protected:
  // The run's context (std::logic_error before attach()).
  const GuardContext& context() const;
  FeatureBank bank_;  // trusted samples and their features under the deployed model

 private:
  std::string section_;
  int64_t bank_size_;
  const GuardContext* context_ = nullptr;
};

}  // namespace poisonsim
