#pragma once
// What every window sanitizer does first: split the window, and the trusted samples it is
// calibrated on, by class, and take the deployed model's features of one class as a matrix.
// Included only by guards/window/*.cpp (it brings in LibTorch).
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include <torch/torch.h>

namespace poisonsim::window {

// Row indices of each label, in order.
std::map<int64_t, std::vector<size_t>> rows_by_class(const int64_t* labels, size_t n);

// Calls `judge(window_rows, trusted_rows)` for each class of the window that has at least
// `min_rows` rows in the window and in the trusted samples; the rows of the other classes are
// added to `unjudged` (the chain records them as a no-op). Every stage judges per class this way.
void for_each_judged_class(
    const int64_t* window_labels, size_t window_size, const int64_t* trusted_labels,
    size_t trusted_size, size_t min_rows, int64_t& unjudged,
    const std::function<void(const std::vector<size_t>&, const std::vector<size_t>&)>& judge);

// The rows `rows` of an n x dim float matrix, as an |rows| x dim double tensor: the stages'
// linear algebra runs in double so that its verdicts do not hinge on float rounding.
torch::Tensor gather_rows(const float* features, int64_t dim, const std::vector<size_t>& rows);

// The nearest-rank `quantile` of `values` (non-empty): the smallest value with at least
// quantile x n values at or below it (numpy's method "inverted_cdf").
double nearest_rank_quantile(std::vector<double> values, double quantile);

}  // namespace poisonsim::window
