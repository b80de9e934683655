#pragma once
// What every window sanitizer does first: split the window, and the trusted samples it is
// calibrated on, by class, and take the deployed model's features of one class as a matrix.
// Included only by guards/window/*.cpp (it brings in LibTorch).
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include <torch/torch.h>

#include "guards/per_sample/feature_bank.h"
#include "pipeline/plugins/window_sanitizer.h"

namespace poisonsim::window {

// Row indices of each label, in order.
std::map<int64_t, std::vector<size_t>> rows_by_class(const int64_t* labels, size_t n);

// A class a stage judges: its rows in the window and in the trusted bank.
struct JudgedClass {
  int64_t label = 0;
  std::vector<size_t> rows;
  std::vector<size_t> trusted_rows;
};

// How every stage chooses what to judge: nothing in an empty window (the chain records it);
// else, with `bank` prepared for the deployed model, each class that has at least
// `min_class_samples` rows in the window and in the bank (and, when `num_classes` > 0, a label
// below it: a stage that computes logits judges only the classes the model has), in label
// order; the rows of the other classes are added to `outcome.unjudged` (recorded as a no-op).
std::vector<JudgedClass> judged_classes(const SanitizeWindow& window, FeatureBank& bank,
                                        int64_t min_class_samples, SanitizeOutcome& outcome,
                                        int64_t num_classes = 0);

// judged_classes(), then `judge(window_rows, trusted_rows)` for each.
void for_each_judged_class(
    const SanitizeWindow& window, FeatureBank& bank, int64_t min_class_samples,
    SanitizeOutcome& outcome,
    const std::function<void(const std::vector<size_t>&, const std::vector<size_t>&)>& judge);

// The rows `rows` of an n x dim float matrix, as an |rows| x dim double tensor: the stages'
// linear algebra runs in double so that its verdicts do not hinge on float rounding.
torch::Tensor gather_rows(const float* features, int64_t dim, const std::vector<size_t>& rows);

}  // namespace poisonsim::window
