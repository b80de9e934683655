#include "guards/per_sample/centroid_guards.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include <spdlog/spdlog.h>

#include "guards/per_sample/conformal_threshold.h"
#include "pipeline/scenario/config_node.h"
#include "sim/kernel/state_archive.h"

namespace poisonsim {

const EnumNames<CentroidGuardOptions::Rule>& centroid_rule_names() {
  using Rule = CentroidGuardOptions::Rule;
  static const EnumNames<Rule> names("rule", {{Rule::sphere, "sphere"}, {Rule::slab, "slab"}});
  return names;
}

CentroidGuardOptions read_centroid_guard_options(ConfigNode& node,
                                                 CentroidGuardOptions::Rule rule) {
  CentroidGuardOptions o;
  o.rule = rule;
  o.quantile = node.get<double>("quantile", o.quantile, in_range(0.5, 1));
  o.bank_size = node.get<int64_t>("bank_size", o.bank_size, int_in_range(2, 10000000));
  return o;
}

CentroidGuard::CentroidGuard(CentroidGuardOptions options)
    : options_(options), bank_(options.bank_size) {}

double CentroidGuard::score(const float* features, int64_t label) const {
  if (label < 0 || static_cast<size_t>(label) >= centroid_.size() || centroid_[label].empty())
    return std::numeric_limits<double>::quiet_NaN();
  const auto& mu = centroid_[label];
  if (options_.rule == CentroidGuardOptions::Rule::sphere) {
    double sq = 0;
    for (size_t j = 0; j < mu.size(); ++j) {
      const double d = static_cast<double>(features[j]) - mu[j];
      sq += d * d;
    }
    return std::sqrt(sq);
  }
  const auto& u = direction_[label];
  double dot = 0;
  for (size_t j = 0; j < mu.size(); ++j) dot += (static_cast<double>(features[j]) - mu[j]) * u[j];
  return std::abs(dot);
}

void CentroidGuard::prepare() {
  if (!bank_.prepare() && !radius_.empty()) return;
  const auto dim = static_cast<size_t>(bank_.dim());
  const auto& labels = bank_.labels();
  int64_t classes = 0;
  for (auto l : labels) classes = std::max(classes, l + 1);
  std::vector<std::vector<double>> sum(static_cast<size_t>(classes), std::vector<double>(dim));
  std::vector<size_t> count(static_cast<size_t>(classes));
  for (size_t i = 0; i < labels.size(); ++i) {
    const float* f = bank_.features() + i * dim;
    for (size_t j = 0; j < dim; ++j) sum[labels[i]][j] += f[j];
    ++count[labels[i]];
  }
  centroid_.assign(static_cast<size_t>(classes), {});
  for (size_t c = 0; c < centroid_.size(); ++c) {
    if (count[c] == 0) continue;
    centroid_[c].resize(dim);
    for (size_t j = 0; j < dim; ++j)
      centroid_[c][j] = static_cast<float>(sum[c][j] / static_cast<double>(count[c]));
  }
  // Slab directions: from the mean of the other present classes' centroids to this one's.
  direction_.assign(centroid_.size(), {});
  for (size_t c = 0; c < centroid_.size(); ++c) {
    if (centroid_[c].empty()) continue;
    std::vector<double> others(dim);
    size_t present = 0;
    for (size_t o = 0; o < centroid_.size(); ++o) {
      if (o == c || centroid_[o].empty()) continue;
      for (size_t j = 0; j < dim; ++j) others[j] += centroid_[o][j];
      ++present;
    }
    std::vector<float> u(dim);
    double norm = 0;
    for (size_t j = 0; j < dim; ++j) {
      const double d = present ? centroid_[c][j] - others[j] / static_cast<double>(present) : 0;
      u[j] = static_cast<float>(d);
      norm += d * d;
    }
    // A single class has no direction: its slab score is 0 for every sample (all accepted).
    if (norm > 0)
      for (auto& v : u) v = static_cast<float>(v / std::sqrt(norm));
    direction_[c] = std::move(u);
  }
  // Radii: each class's conformal `quantile` of its trusted samples' scores.
  std::vector<std::vector<double>> scores(centroid_.size());
  for (size_t i = 0; i < labels.size(); ++i)
    scores[labels[i]].push_back(score(bank_.features() + i * dim, labels[i]));
  radius_.assign(centroid_.size(), std::numeric_limits<double>::quiet_NaN());
  for (size_t c = 0; c < scores.size(); ++c) {
    if (scores[c].empty()) continue;
    const size_t trusted = scores[c].size();
    radius_[c] = conformal_threshold(std::move(scores[c]), options_.quantile);
    // Once per run: a class with too few trusted samples for the quantile has no radius.
    if (std::isinf(radius_[c]) && !warned_small_class_) {
      warned_small_class_ = true;
      spdlog::warn("{}: class {} has {} trusted samples, too few for the conformal quantile {} "
                   "(it needs {}): every sample of such a class is accepted",
                   centroid_rule_names().name(options_.rule), c, trusted, options_.quantile,
                   conformal_scores_needed(options_.quantile));
    }
  }
}

void CentroidGuard::judge_batch(const ScoredSample* samples, size_t n, Verdict* verdicts) {
  prepare();
  last_scores_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const double s = score(samples[i].features, samples[i].label);
    last_scores_[i] = static_cast<float>(s);
    // A class the trusted data lacks has no centroid: accepted (docs/scenario.md).
    verdicts[i] = !std::isnan(s) && s > radius_[samples[i].label] ? Verdict::reject
                                                                  : Verdict::accept;
  }
}

// The bank is the first bank_size trusted samples and the centroids derive from it with the
// deployed model (restored before this), so a checkpoint needs only the section mark.
void CentroidGuard::save_state(StateOut& out) const {
  out.section(options_.rule == CentroidGuardOptions::Rule::sphere ? "guard/sphere" : "guard/slab");
}

void CentroidGuard::load_state(StateIn& in) {
  in.section(options_.rule == CentroidGuardOptions::Rule::sphere ? "guard/sphere" : "guard/slab");
  bank_.mark_stale();
  radius_.clear();
}

}  // namespace poisonsim
