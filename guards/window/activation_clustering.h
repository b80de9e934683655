#pragma once
// Activation clustering (Chen et al., "Detecting Backdoor Attacks on Deep Neural Networks by
// Activation Clustering", 2018), per class of the retraining window, on the deployed model's
// features: project the class's centred window features on their top `components` principal
// directions (SVD), split them in two with k-means (FAISS), and remove the smaller cluster only
// when the class looks split by something the trusted data does not show:
//   - the smaller cluster holds at most `max_share` of the class (Chen et al.'s relative size);
//   - the split is clean: mean silhouette at least `min_silhouette`;
//   - trusted samples of the class (projected the same way, each assigned to the nearer centre)
//     fall into the smaller cluster at most `trusted_ratio` times as often as window samples do.
// "Always flag the smaller cluster" (ART's default) removes part of every clean class; the
// third rule is what keeps a clean class whole even when its features are naturally bimodal
// (both the window and the trusted data then populate both clusters alike).
#include <cstdint>

#include "guards/window/trusted_bank_sanitizer.h"

namespace poisonsim {

class ConfigNode;

struct ActivationClusteringOptions {
  int64_t components = 10;         // principal directions kept (fewer if the class has fewer)
  double max_share = 0.35;         // the smaller cluster's largest share of the class
  double min_silhouette = 0.15;    // the split's smallest mean silhouette
  double trusted_ratio = 0.5;      // trusted share of the small cluster / window share, at most
  int64_t min_class_samples = 20;  // fewer window (or trusted) samples: the class is not judged
  int64_t bank_size = 5000;        // trusted samples compared with
};

// The `activation-clustering` stage's keys, range-checked.
ActivationClusteringOptions read_activation_clustering_options(ConfigNode& node);

// What the rule decided for one class (tests compare it with scikit-learn's).
struct ClassSplit {
  std::vector<uint8_t> in_small;  // per window sample of the class: 1 in the smaller cluster
  double share = 0;               // the smaller cluster's share of the class
  double silhouette = 0;          // the 2-clustering's mean silhouette
  double trusted_share = 0;       // trusted samples assigned to the smaller cluster, share
  bool flagged = false;
};

class ActivationClustering : public TrustedBankSanitizer {
 public:
  explicit ActivationClustering(ActivationClusteringOptions options);
  void attach(const GuardContext& context) override;
  void sanitize(const SanitizeWindow& window, SanitizeOutcome& outcome) override;

 private:
  ActivationClusteringOptions options_;
  int kmeans_seed_ = 1234;
};

// The split of one class: `window` and `trusted` are row-major (rows x dim) feature matrices.
ClassSplit split_class(const float* window, size_t window_rows, const float* trusted,
                       size_t trusted_rows, int64_t dim, const ActivationClusteringOptions& o,
                       int kmeans_seed);

}  // namespace poisonsim
