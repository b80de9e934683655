#pragma once
// Deep k-NN (Peri et al., "Deep k-NN Defense against Clean-label Data Poisoning Attacks", 2020),
// on a stream: an arriving sample is rejected when its label is not a plurality label among its
// k nearest neighbours, in the deployed model's feature space, in a bank of trusted and recently
// accepted samples (feature_bank.h). Neighbours are found exactly by default (FAISS brute-force
// L2 search, one search per arriving batch: the samples of a batch do not see each other), or
// approximately with `index: hnsw` (opt-in), because exact search is bound by the machine's FLOPs
// (bank x dim x 2 per sample): a FAISS HNSW graph over the bank's entries projected on their top
// `pca_dims` principal directions yields `refine` x k candidates, and the k nearest of them by
// exact distance vote.
#include <cstdint>
#include <memory>

#include "guards/per_sample/feature_bank.h"
#include "pipeline/plugins/sample_guard.h"
#include "sim/util/enum_names.h"

namespace poisonsim {

class ConfigNode;

struct KnnGuardOptions {
  int64_t k = 10;            // neighbours that vote
  int64_t bank_size = 5000;  // trusted and accepted samples kept to vote
  // Accepted arrivals join the bank. Off by default: poison the guard lets through then votes
  // for more of its kind (docs/results.md, the defense grid).
  bool add_accepted = false;
  enum class Index { exact, hnsw };
  Index index = Index::exact;
  // hnsw only:
  int64_t pca_dims = 16;         // principal directions the graph is built on (0: all features)
  int64_t refine = 2;            // candidates per neighbour, re-ranked by exact distance
  int64_t hnsw_m = 16;           // graph links per entry (FAISS's M)
  int64_t ef_construction = 40;  // candidates kept while building the graph
  int64_t ef_search = 20;        // candidates kept while searching it (at least k x refine)
};

// The `index` key's values.
const EnumNames<KnnGuardOptions::Index>& index_names();

// The `knn` guard's keys, range-checked (k at most bank_size; `index: hnsw` without
// add_accepted, since the graph cannot drop the bank's oldest entries).
KnnGuardOptions read_knn_guard_options(ConfigNode& node);

class KnnGuard : public BatchSampleGuard {
 public:
  explicit KnnGuard(KnnGuardOptions options);
  ~KnnGuard() override;
  GuardNeeds needs() const override { return {true, false}; }
  void attach(const GuardContext& context) override { bank_.attach(context); }
  void judge_batch(const ScoredSample* samples, size_t n, Verdict* verdicts) override;
  // Per sample of the last batch: the share of its k neighbours whose label differs from its
  // own (NaN when the bank is too small to vote).
  const float* last_scores() const override { return last_scores_.data(); }
  void on_deploy() override { bank_.mark_stale(); }
  int64_t memory_bytes(int64_t image_floats, int64_t feature_dim) const override;
  void save_state(StateOut& out) const override;
  void load_state(StateIn& in) override;

 private:
  void build_index();
  // The k nearest bank entries of each of the n queries (n x dim), n x k, -1 for none.
  void search(const float* queries, size_t n, std::vector<int64_t>& neighbours);

  KnnGuardOptions options_;
  FeatureBank bank_;
  // An approximate index over the bank's current features, rebuilt whenever they change (after
  // a deploy or a resume; it is not checkpointed: a rebuild from the same bank is the same).
  struct ApproximateIndex;
  std::unique_ptr<ApproximateIndex> approximate_;
  std::vector<float> last_scores_;
};

// The verdict rule on its own (tests compare it with scikit-learn's neighbours): accept when no
// label has more votes among `neighbour_labels` than `label`.
Verdict plurality_verdict(int64_t label, const int64_t* neighbour_labels, size_t k);

}  // namespace poisonsim
