#include "guards/window/activation_clustering.h"

#include <algorithm>
#include <limits>

#include <faiss/Clustering.h>
#include <faiss/IndexFlat.h>

#include "guards/per_sample/top_eigen.h"
#include "guards/window/class_rows.h"
#include "pipeline/scenario/config_node.h"
#include "sim/kernel/state_archive.h"

namespace poisonsim {
namespace {

// Rows copied out of an n x dim matrix, contiguous.
std::vector<float> copy_rows(const float* features, int64_t dim, const std::vector<size_t>& rows) {
  const auto d = static_cast<size_t>(dim);
  std::vector<float> out(rows.size() * d);
  for (size_t r = 0; r < rows.size(); ++r)
    std::copy(features + rows[r] * d, features + (rows[r] + 1) * d, out.begin() + r * d);
  return out;
}

// Index of the nearer of two centres (rows of `centres`, 2 x k) for each row of x; ties go to 0.
std::vector<uint8_t> nearer_centre(const torch::Tensor& x, const torch::Tensor& centres) {
  const auto d = torch::cdist(x, centres);  // rows x 2
  const auto a = d.select(1, 0).contiguous(), b = d.select(1, 1).contiguous();
  std::vector<uint8_t> out(static_cast<size_t>(x.size(0)));
  const double* pa = a.data_ptr<double>();
  const double* pb = b.data_ptr<double>();
  for (size_t i = 0; i < out.size(); ++i) out[i] = pb[i] < pa[i] ? 1 : 0;
  return out;
}

// The mean silhouette of a 2-clustering (Rousseeuw 1987; a sample alone in its cluster scores 0,
// as scikit-learn's silhouette_score does), by blocks of rows so that memory stays
// O(block x n).
double mean_silhouette(const torch::Tensor& x, const std::vector<uint8_t>& cluster) {
  const auto n = x.size(0);
  std::vector<double> member(static_cast<size_t>(n));
  int64_t size[2] = {0, 0};
  for (size_t i = 0; i < member.size(); ++i) {
    member[i] = cluster[i];
    ++size[cluster[i]];
  }
  const auto in_one = torch::from_blob(member.data(), {n}, torch::kDouble);
  double total = 0;
  constexpr int64_t kBlock = 512;
  for (int64_t start = 0; start < n; start += kBlock) {
    const int64_t end = std::min(n, start + kBlock);
    const auto d = torch::cdist(x.slice(0, start, end), x);
    const auto to_one = d.matmul(in_one).contiguous();
    const auto to_all = d.sum(1).contiguous();
    const double* p1 = to_one.data_ptr<double>();
    const double* pall = to_all.data_ptr<double>();
    for (int64_t i = start; i < end; ++i) {
      const int own = cluster[static_cast<size_t>(i)];
      if (size[own] < 2) continue;
      const double sum_one = p1[i - start], sum_zero = pall[i - start] - sum_one;
      const double a = (own ? sum_one : sum_zero) / static_cast<double>(size[own] - 1);
      const double b = (own ? sum_zero : sum_one) / static_cast<double>(size[1 - own]);
      const double m = std::max(a, b);
      if (m > 0) total += (b - a) / m;
    }
  }
  return total / static_cast<double>(n);
}

}  // namespace

ActivationClusteringOptions read_activation_clustering_options(ConfigNode& node) {
  ActivationClusteringOptions o;
  o.components = node.get<int64_t>("components", o.components, int_in_range(1, 10000));
  o.max_share = node.get<double>("max_share", o.max_share, in_range(0, 0.5));
  o.min_silhouette = node.get<double>("min_silhouette", o.min_silhouette, in_range(-1, 1));
  o.trusted_ratio = node.get<double>("trusted_ratio", o.trusted_ratio, in_range(0, 1));
  o.min_class_samples =
      node.get<int64_t>("min_class_samples", o.min_class_samples, int_in_range(4, 1000000));
  o.bank_size = node.get<int64_t>("bank_size", o.bank_size, int_in_range(4, 10000000));
  return o;
}

ClassSplit split_class(const float* window, size_t window_rows, const float* trusted,
                       size_t trusted_rows, int64_t dim, const ActivationClusteringOptions& o,
                       int kmeans_seed) {
  const auto n = static_cast<int64_t>(window_rows);
  const auto x =
      torch::from_blob(const_cast<float*>(window), {n, dim}, torch::kFloat).to(torch::kDouble);
  const auto mean = x.mean(0, /*keepdim=*/true);
  const auto centred = x - mean;
  const int64_t k = std::min<int64_t>(o.components, std::min(n, dim));
  const auto basis = top_right_singular_vectors(centred, k);
  // k-means runs in float (FAISS); distances and silhouettes use the same float projection.
  const auto projected = centred.matmul(basis).to(torch::kFloat).contiguous();
  faiss::ClusteringParameters cp;
  cp.niter = 50;
  cp.nredo = 1;  // one seeded start: the outcome does not depend on a race between restarts
  cp.seed = kmeans_seed;
  cp.verbose = false;
  cp.min_points_per_centroid = 1;  // small classes are expected, not worth a warning
  cp.max_points_per_centroid = std::numeric_limits<int>::max() / 2;  // never subsample
  faiss::Clustering clustering(static_cast<int>(k), 2, cp);
  faiss::IndexFlatL2 index(k);
  clustering.train(n, projected.data_ptr<float>(), index);
  const auto centres =
      torch::from_blob(clustering.centroids.data(), {2, k}, torch::kFloat).to(torch::kDouble);
  const auto points = projected.to(torch::kDouble);
  const auto cluster = nearer_centre(points, centres);

  ClassSplit split;
  int64_t ones = 0;
  for (auto c : cluster) ones += c;
  const int64_t zeros = n - ones;
  const uint8_t small = ones < zeros ? 1 : 0;
  const int64_t small_size = std::min(ones, zeros);
  split.share = static_cast<double>(small_size) / static_cast<double>(n);
  split.in_small.resize(window_rows);
  for (size_t i = 0; i < window_rows; ++i) split.in_small[i] = cluster[i] == small;
  if (small_size == 0) return split;  // one cluster: nothing is split
  split.silhouette = mean_silhouette(points, cluster);
  const auto t = torch::from_blob(const_cast<float*>(trusted),
                                  {static_cast<int64_t>(trusted_rows), dim}, torch::kFloat)
                     .to(torch::kDouble);
  const auto trusted_cluster =
      nearer_centre((t - mean).matmul(basis).to(torch::kFloat).to(torch::kDouble), centres);
  int64_t trusted_small = 0;
  for (auto c : trusted_cluster) trusted_small += c == small;
  split.trusted_share = static_cast<double>(trusted_small) / static_cast<double>(trusted_rows);
  // A tie in size (share 0.5) is no split: neither cluster is the smaller.
  split.flagged = ones != zeros && split.share <= o.max_share &&
                  split.silhouette >= o.min_silhouette &&
                  split.trusted_share <= o.trusted_ratio * split.share;
  return split;
}

ActivationClustering::ActivationClustering(ActivationClusteringOptions options)
    : TrustedBankSanitizer("sanitize/activation-clustering", options.bank_size),
      options_(options) {}

void ActivationClustering::attach(const GuardContext& context) {
  TrustedBankSanitizer::attach(context);
  kmeans_seed_ = static_cast<int>(context.seed() % 2147483647u);
}

void ActivationClustering::sanitize(const SanitizeWindow& window, SanitizeOutcome& outcome) {
  window::for_each_judged_class(
      window, bank_, options_.min_class_samples, outcome,
      [&](const std::vector<size_t>& rows, const std::vector<size_t>& trusted_rows) {
        const auto x = copy_rows(window.features, window.feature_dim, rows);
        const auto tx = copy_rows(bank_.features(), bank_.dim(), trusted_rows);
        const ClassSplit split = split_class(x.data(), rows.size(), tx.data(), trusted_rows.size(),
                                             window.feature_dim, options_, kmeans_seed_);
        if (!split.flagged) return;
        for (size_t i = 0; i < rows.size(); ++i)
          if (split.in_small[i]) outcome.remove[rows[i]] = 1;
      });
}

// Like spectral signatures: nothing but the trusted features, recomputed after a resume.
}  // namespace poisonsim
