#include "guards/per_sample/knn_guard.h"

#include <algorithm>
#include <map>
#include <vector>

#include <faiss/utils/distances.h>
#include <fmt/format.h>

#include "pipeline/scenario/config_node.h"
#include "sim/kernel/state_archive.h"

namespace poisonsim {

KnnGuardOptions read_knn_guard_options(ConfigNode& node) {
  KnnGuardOptions o;
  o.bank_size = node.get<int64_t>("bank_size", o.bank_size, int_in_range(1, 10000000));
  o.k = node.get<int64_t>("k", o.k, int_in_range(1, 10000));
  if (o.k > o.bank_size)
    node.fail("k", fmt::format("k ({}) exceeds bank_size ({}): fewer samples than neighbours", o.k,
                               o.bank_size));
  o.add_accepted = node.get<bool>("add_accepted", o.add_accepted);
  return o;
}

KnnGuard::KnnGuard(KnnGuardOptions options) : options_(options), bank_(options.bank_size) {}

Verdict plurality_verdict(int64_t label, const int64_t* neighbour_labels, size_t k) {
  std::map<int64_t, size_t> votes;
  for (size_t i = 0; i < k; ++i)
    if (neighbour_labels[i] >= 0) ++votes[neighbour_labels[i]];
  size_t most = 0;
  for (const auto& [l, count] : votes) most = std::max(most, count);
  const auto own = votes.find(label);
  return own != votes.end() && own->second == most ? Verdict::accept : Verdict::reject;
}

void KnnGuard::judge_batch(const ScoredSample* samples, size_t n, Verdict* verdicts) {
  if (n == 0) return;
  bank_.prepare();
  const auto k = static_cast<size_t>(options_.k);
  const auto dim = static_cast<size_t>(bank_.dim());
  if (bank_.size() < k) {
    // Fewer trusted samples than neighbours (a tiny pretraining split): nothing can vote, so
    // every sample is accepted, as docs/scenario.md says.
    std::fill(verdicts, verdicts + n, Verdict::accept);
  } else {
    std::vector<float> queries(n * dim);
    for (size_t i = 0; i < n; ++i)
      std::copy(samples[i].features, samples[i].features + dim, queries.begin() + i * dim);
    std::vector<float> distances(n * k);
    std::vector<int64_t> neighbours(n * k);
    faiss::knn_L2sqr(queries.data(), bank_.features(), dim, n, bank_.size(), k, distances.data(),
                     neighbours.data(), bank_.squared_norms());
    std::vector<int64_t> labels(k);
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < k; ++j) {
        const int64_t at = neighbours[i * k + j];
        labels[j] = at < 0 ? -1 : bank_.labels()[static_cast<size_t>(at)];
      }
      verdicts[i] = plurality_verdict(samples[i].label, labels.data(), k);
    }
  }
  if (!options_.add_accepted) return;
  for (size_t i = 0; i < n; ++i)
    if (verdicts[i] == Verdict::accept) bank_.add(samples[i]);
}

void KnnGuard::save_state(StateOut& out) const {
  out.section("guard/knn");
  bank_.save_state(out);
}

void KnnGuard::load_state(StateIn& in) {
  in.section("guard/knn");
  bank_.load_state(in);
}

}  // namespace poisonsim
