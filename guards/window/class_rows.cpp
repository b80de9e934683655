#include "guards/window/class_rows.h"

#include <utility>

namespace poisonsim::window {

std::map<int64_t, std::vector<size_t>> rows_by_class(const int64_t* labels, size_t n) {
  std::map<int64_t, std::vector<size_t>> out;
  for (size_t i = 0; i < n; ++i) out[labels[i]].push_back(i);
  return out;
}

std::vector<JudgedClass> judged_classes(const SanitizeWindow& window, FeatureBank& bank,
                                        int64_t min_class_samples, SanitizeOutcome& outcome,
                                        int64_t num_classes) {
  std::vector<JudgedClass> out;
  if (window.size == 0) return out;
  bank.prepare();
  const auto min_rows = static_cast<size_t>(min_class_samples);
  auto trusted = rows_by_class(bank.labels().data(), bank.labels().size());
  for (auto& [label, rows] : rows_by_class(window.labels, window.size)) {
    const auto t = trusted.find(label);
    const bool in_model = num_classes <= 0 || (label >= 0 && label < num_classes);
    if (!in_model || rows.size() < min_rows || t == trusted.end() || t->second.size() < min_rows) {
      outcome.unjudged += static_cast<int64_t>(rows.size());
      continue;
    }
    out.push_back({label, std::move(rows), std::move(t->second)});
  }
  return out;
}

void for_each_judged_class(
    const SanitizeWindow& window, FeatureBank& bank, int64_t min_class_samples,
    SanitizeOutcome& outcome,
    const std::function<void(const std::vector<size_t>&, const std::vector<size_t>&)>& judge) {
  for (const auto& c : judged_classes(window, bank, min_class_samples, outcome))
    judge(c.rows, c.trusted_rows);
}

torch::Tensor gather_rows(const float* features, int64_t dim, const std::vector<size_t>& rows) {
  auto out = torch::empty({static_cast<int64_t>(rows.size()), dim}, torch::kDouble);
  auto* dst = out.data_ptr<double>();
  const auto d = static_cast<size_t>(dim);
  for (size_t r = 0; r < rows.size(); ++r)
    for (size_t j = 0; j < d; ++j) dst[r * d + j] = features[rows[r] * d + j];
  return out;
}

}  // namespace poisonsim::window
