#pragma once
// Deep k-NN (Peri et al., "Deep k-NN Defense against Clean-label Data Poisoning Attacks", 2020),
// on a stream: an arriving sample is rejected when its label is not a plurality label among its
// k nearest neighbours, in the deployed model's feature space, in a bank of trusted and recently
// accepted samples (feature_bank.h). Neighbours are found exactly (FAISS brute-force L2 search,
// one search per arriving batch: the samples of a batch do not see each other).
#include <cstdint>

#include "guards/per_sample/feature_bank.h"
#include "pipeline/plugins/sample_guard.h"

namespace poisonsim {

class ConfigNode;

struct KnnGuardOptions {
  int64_t k = 10;            // neighbours that vote
  int64_t bank_size = 5000;  // trusted and accepted samples kept to vote
  // Accepted arrivals join the bank. Off by default: poison the guard lets through then votes
  // for more of its kind (docs/results.md, the defense grid).
  bool add_accepted = false;
};

// The `knn` guard's keys, range-checked (k at most bank_size).
KnnGuardOptions read_knn_guard_options(ConfigNode& node);

class KnnGuard : public BatchSampleGuard {
 public:
  explicit KnnGuard(KnnGuardOptions options);
  GuardNeeds needs() const override { return {true, false}; }
  void attach(const GuardContext& context) override { bank_.attach(context); }
  void judge_batch(const ScoredSample* samples, size_t n, Verdict* verdicts) override;
  void on_deploy() override { bank_.mark_stale(); }
  int64_t memory_bytes(int64_t image_floats, int64_t feature_dim) const override {
    return FeatureBank::bytes_at_capacity(options_.bank_size, image_floats, feature_dim);
  }
  void save_state(StateOut& out) const override;
  void load_state(StateIn& in) override;

 private:
  KnnGuardOptions options_;
  FeatureBank bank_;
};

// The verdict rule on its own (tests compare it with scikit-learn's neighbours): accept when no
// label has more votes among `neighbour_labels` than `label`.
Verdict plurality_verdict(int64_t label, const int64_t* neighbour_labels, size_t k);

}  // namespace poisonsim
