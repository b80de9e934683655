#include "pipeline/plugins/sanitizer_chain.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "sim/kernel/state_archive.h"

namespace poisonsim {

SanitizerChain::SanitizerChain(std::vector<Stage> stages)
    : stages_(std::move(stages)), seconds_(stages_.size()) {
  if (stages_.empty()) throw std::invalid_argument("SanitizerChain: at least one stage");
}

std::vector<SanitizerChain::Report> SanitizerChain::run(const std::vector<int64_t>& labels,
                                                        const std::vector<float>& features,
                                                        int64_t feature_dim,
                                                        std::vector<int8_t>& removed_by,
                                                        const WindowProvenance* provenance,
                                                        std::vector<StageScore>* scores) {
  const size_t n = labels.size();
  const auto dim = static_cast<size_t>(feature_dim);
  if (features.size() != n * dim)
    throw std::logic_error("SanitizerChain::run: features do not match the window");
  removed_by.assign(n, -1);
  std::vector<size_t> alive(n);
  for (size_t i = 0; i < n; ++i) alive[i] = i;
  std::vector<Report> reports;
  std::vector<int64_t> kept_labels;
  std::vector<float> kept_features;
  std::vector<int32_t> kept_sources;
  if (provenance && provenance->sources.size() != n)
    throw std::logic_error("SanitizerChain::run: sources do not match the window");
  for (size_t s = 0; s < stages_.size(); ++s) {
    // Every stage runs, on an empty window too, so the trace shows each one's no-op.
    kept_labels.clear();
    kept_features.clear();
    for (size_t i : alive) {
      kept_labels.push_back(labels[i]);
      kept_features.insert(kept_features.end(), features.begin() + static_cast<ptrdiff_t>(i * dim),
                           features.begin() + static_cast<ptrdiff_t>((i + 1) * dim));
    }
    SanitizeWindow window{alive.size(), kept_labels.data(), kept_features.data(), feature_dim};
    // A stage's trainer takes keep flags over what the stage was given: the samples earlier
    // stages removed stay out.
    WindowTrainer train;
    if (provenance) {
      kept_sources.clear();
      for (size_t i : alive) kept_sources.push_back(provenance->sources[i]);
      window.sources = kept_sources.data();
      window.source_names = &provenance->source_names;
      if (provenance->train) {
        train = [&provenance, &alive, n](const std::vector<uint8_t>& keep) {
          std::vector<uint8_t> whole(n, 0);
          for (size_t j = 0; j < alive.size() && j < keep.size(); ++j) whole[alive[j]] = keep[j];
          return provenance->train(whole);
        };
        window.train = &train;
      }
    }
    SanitizeOutcome outcome;
    outcome.remove.assign(alive.size(), 0);
    const auto start = std::chrono::steady_clock::now();
    stages_[s].sanitizer->sanitize(window, outcome);
    seconds_[s] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (outcome.remove.size() != alive.size())
      throw std::logic_error("sanitizer " + stages_[s].type + " resized its verdicts");
    if (!outcome.score.empty() && outcome.score.size() != alive.size())
      throw std::logic_error("sanitizer " + stages_[s].type + " scored another window");
    if (scores)
      for (size_t j = 0; j < outcome.score.size(); ++j)
        if (!std::isnan(outcome.score[j]))
          scores->push_back({alive[j], static_cast<uint8_t>(s), outcome.remove[j] != 0,
                             outcome.score[j]});
    Report report{stages_[s].type, static_cast<int64_t>(alive.size()), 0, outcome.unjudged};
    std::vector<size_t> next;
    for (size_t j = 0; j < alive.size(); ++j) {
      if (outcome.remove[j]) {
        removed_by[alive[j]] = static_cast<int8_t>(s);
        ++report.removed;
      } else {
        next.push_back(alive[j]);
      }
    }
    alive.swap(next);
    reports.push_back(report);
  }
  return reports;
}

void SanitizerChain::attach(const GuardContext& context) {
  for (auto& stage : stages_) stage.sanitizer->attach(context);
}

void SanitizerChain::on_deploy() {
  for (auto& stage : stages_) stage.sanitizer->on_deploy();
}

int64_t SanitizerChain::memory_bytes(int64_t image_floats, int64_t feature_dim) const {
  int64_t total = 0;
  for (const auto& stage : stages_)
    total += stage.sanitizer->memory_bytes(image_floats, feature_dim);
  return total;
}

void SanitizerChain::save_state(StateOut& out) const {
  for (const auto& stage : stages_) stage.sanitizer->save_state(out);
}

void SanitizerChain::load_state(StateIn& in) {
  for (auto& stage : stages_) stage.sanitizer->load_state(in);
}

}  // namespace poisonsim
