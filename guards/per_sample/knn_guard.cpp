#include "guards/per_sample/knn_guard.h"

#include <algorithm>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <faiss/IndexHNSW.h>
#include <faiss/utils/distances.h>
#include <fmt/format.h>
#include <omp.h>
#include <torch/torch.h>

#include "guards/per_sample/top_eigen.h"
#include "pipeline/scenario/config_node.h"
#include "sim/kernel/state_archive.h"

namespace poisonsim {

namespace {

// |a - b|^2 in eight independent sums, which the compiler keeps in vector registers. Not
// faiss::fvec_L2sqr: Debian's FAISS is built without AVX2, so its version is the scalar loop.
float squared_distance(const float* a, const float* b, size_t dim) {
  float sums[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t j = 0;
  for (; j + 8 <= dim; j += 8)
    for (size_t l = 0; l < 8; ++l) {
      const float d = a[j + l] - b[j + l];
      sums[l] += d * d;
    }
  float total = 0;
  for (; j < dim; ++j) total += (a[j] - b[j]) * (a[j] - b[j]);
  for (float v : sums) total += v;
  return total;
}

}  // namespace

const EnumNames<KnnGuardOptions::Index>& index_names() {
  using Index = KnnGuardOptions::Index;
  static const EnumNames<Index> names("k-NN index",
                                      {{Index::exact, "exact"}, {Index::hnsw, "hnsw"}});
  return names;
}

KnnGuardOptions read_knn_guard_options(ConfigNode& node) {
  KnnGuardOptions o;
  o.bank_size = node.get<int64_t>("bank_size", o.bank_size, int_in_range(1, 10000000));
  o.k = node.get<int64_t>("k", o.k, int_in_range(1, 10000));
  if (o.k > o.bank_size)
    node.fail("k", fmt::format("k ({}) exceeds bank_size ({}): fewer samples than neighbours", o.k,
                               o.bank_size));
  o.add_accepted = node.get<bool>("add_accepted", o.add_accepted);
  o.index = node.get_enum("index", o.index, index_names());
  o.pca_dims = node.get<int64_t>("pca_dims", o.pca_dims, int_in_range(0, 100000));
  o.refine = node.get<int64_t>("refine", o.refine, int_in_range(1, 1000));
  o.hnsw_m = node.get<int64_t>("hnsw_m", o.hnsw_m, int_in_range(2, 256));
  o.ef_construction =
      node.get<int64_t>("ef_construction", o.ef_construction, int_in_range(1, 100000));
  o.ef_search = node.get<int64_t>("ef_search", o.ef_search, int_in_range(1, 100000));
  if (o.index == KnnGuardOptions::Index::hnsw && o.add_accepted)
    node.fail("index",
              "index: hnsw needs add_accepted: false (its graph cannot drop the bank's "
              "oldest entries)");
  return o;
}

KnnGuard::KnnGuard(KnnGuardOptions options) : options_(options), bank_(options.bank_size) {}

KnnGuard::~KnnGuard() = default;

int64_t KnnGuard::memory_bytes(int64_t image_floats, int64_t feature_dim) const {
  const int64_t bank =
      FeatureBank::bytes_at_capacity(options_.bank_size, image_floats, feature_dim);
  const int64_t m = options_.hnsw_m;
  if (options_.index == KnnGuardOptions::Index::exact) return bank;
  // The graph's entries (projected features) and their links, 4 bytes each: 2M on level 0 and
  // about M/(M-1) more above (FAISS's level distribution).
  const int64_t dims =
      options_.pca_dims > 0 ? std::min(options_.pca_dims, feature_dim) : feature_dim;
  const int64_t per_entry = dims + 2 * m + m / (m - 1) + 1;
  return bank + options_.bank_size * per_entry * static_cast<int64_t>(sizeof(float));
}

// The index over the bank's entries projected on their top principal directions (centred on
// their mean; no projection when all are kept).
struct KnnGuard::ApproximateIndex {
  std::unique_ptr<faiss::Index> index;
  torch::Tensor mean;   // 1 x dim, float (undefined: no projection)
  torch::Tensor basis;  // dim x pca_dims, float

  torch::Tensor project(const float* x, size_t n, int64_t dim) const {
    const auto rows =
        torch::from_blob(const_cast<float*>(x), {static_cast<int64_t>(n), dim}, torch::kFloat);
    return mean.defined() ? (rows - mean).matmul(basis).contiguous() : rows;
  }
};

void KnnGuard::build_index() {
  const int64_t dim = bank_.dim();
  const int64_t reduced = options_.pca_dims > 0 ? std::min(options_.pca_dims, dim) : dim;
  auto out = std::make_unique<ApproximateIndex>();
  auto graph = std::make_unique<faiss::IndexHNSWFlat>(static_cast<int>(reduced),
                                                      static_cast<int>(options_.hnsw_m));
  graph->hnsw.efConstruction = static_cast<int>(options_.ef_construction);
  graph->hnsw.efSearch =
      static_cast<int>(std::max(options_.ef_search, options_.k * options_.refine));
  out->index = std::move(graph);
  const size_t n = bank_.size();
  if (reduced < dim) {
    // The directions in double (as the window sanitizers find theirs), the projection in float.
    const auto x = torch::from_blob(const_cast<float*>(bank_.features()),
                                    {static_cast<int64_t>(n), dim}, torch::kFloat)
                       .to(torch::kDouble);
    const auto mean = x.mean(0, /*keepdim=*/true);
    out->basis = top_right_singular_vectors(x - mean, reduced).to(torch::kFloat);
    out->mean = mean.to(torch::kFloat);
  }
  const auto projected = out->project(bank_.features(), n, dim);
  // One thread: FAISS inserts into an HNSW graph concurrently otherwise, and the graph (so the
  // verdicts) would depend on the threads' timing. Its levels come from a fixed seed.
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  out->index->add(static_cast<faiss::Index::idx_t>(n), projected.data_ptr<float>());
  omp_set_num_threads(threads);
  approximate_ = std::move(out);
}

void KnnGuard::search(const float* queries, size_t n, std::vector<int64_t>& neighbours) {
  const auto k = static_cast<size_t>(options_.k);
  neighbours.resize(n * k);
  if (options_.index == KnnGuardOptions::Index::exact) {
    std::vector<float> distances(n * k);
    faiss::knn_L2sqr(queries, bank_.features(), static_cast<size_t>(bank_.dim()), n, bank_.size(),
                     k, distances.data(), neighbours.data(), bank_.squared_norms());
    return;
  }
  if (!approximate_) build_index();
  // Candidates from the graph, then the k nearest of them by exact distance (ties: the earlier
  // bank entry), in a loop of our own: FAISS's re-ranking (IndexRefineFlat) cost 3x the search.
  const size_t wide = std::min(k * static_cast<size_t>(options_.refine), bank_.size());
  std::vector<float> approximate_distances(n * wide);
  std::vector<int64_t> candidates(n * wide);
  const auto projected = approximate_->project(queries, n, bank_.dim());
  approximate_->index->search(static_cast<faiss::Index::idx_t>(n), projected.data_ptr<float>(),
                              static_cast<faiss::Index::idx_t>(wide), approximate_distances.data(),
                              candidates.data());
  const auto dim = static_cast<size_t>(bank_.dim());
  std::vector<std::pair<float, int64_t>> ranked;
  for (size_t i = 0; i < n; ++i) {
    ranked.clear();
    for (size_t j = 0; j < wide; ++j) {
      const int64_t at = candidates[i * wide + j];
      if (at >= 0)
        ranked.emplace_back(squared_distance(queries + i * dim,
                                             bank_.features() + static_cast<size_t>(at) * dim, dim),
                            at);
    }
    const size_t keep = std::min(k, ranked.size());
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(keep),
                      ranked.end());
    for (size_t j = 0; j < k; ++j) neighbours[i * k + j] = j < keep ? ranked[j].second : -1;
  }
}

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
  last_scores_.assign(n, std::numeric_limits<float>::quiet_NaN());
  if (n == 0) return;
  if (bank_.prepare()) approximate_.reset();
  const auto k = static_cast<size_t>(options_.k);
  const auto dim = static_cast<size_t>(bank_.dim());
  if (bank_.size() < k) {
    // Fewer trusted samples than neighbours (a tiny pretraining split): nothing can vote, so
    // every sample is accepted, as docs/scenario.md says.
    std::fill(verdicts, verdicts + n, Verdict::accept);
  } else {
    // The ingestion graph's batches hold their features in one block: search it in place.
    bool contiguous = true;
    for (size_t i = 1; i < n && contiguous; ++i)
      contiguous = samples[i].features == samples[0].features + i * dim;
    std::vector<float> queries;
    if (!contiguous) {
      queries.resize(n * dim);
      for (size_t i = 0; i < n; ++i)
        std::copy(samples[i].features, samples[i].features + dim, queries.begin() + i * dim);
    }
    std::vector<int64_t> neighbours;
    search(contiguous ? samples[0].features : queries.data(), n, neighbours);
    std::vector<int64_t> labels(k);
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < k; ++j) {
        const int64_t at = neighbours[i * k + j];
        labels[j] = at < 0 ? -1 : bank_.labels()[static_cast<size_t>(at)];
      }
      verdicts[i] = plurality_verdict(samples[i].label, labels.data(), k);
      // The score for offline curves: the share of neighbours that disagree with the label.
      const auto agree = std::count(labels.begin(), labels.end(), samples[i].label);
      last_scores_[i] = 1.0f - static_cast<float>(agree) / static_cast<float>(k);
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
  approximate_.reset();  // rebuilt from the restored bank at the next search
}

}  // namespace poisonsim
