#pragma once
// What the window sanitizers' suites share (tests/window_sanitizers_test.cpp,
// tests/last_layer_sanitizers_test.cpp): synthetic windows whose features are the samples
// themselves (through test::IdentityContext), a planted sub-population, running one stage, and
// the comparison with the independent scikit-learn implementation
// (tests/defenses/sklearn_reference.py).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pipeline/plugins/window_sanitizer.h"
#include "sim/kernel/random_stream.h"
#include "tests/identity_guard_context.h"
#include "tests/synthetic_classes.h"
#include "tests/test_support.h"

namespace poisonsim::test {

inline constexpr int64_t kDim = 8;
inline constexpr int64_t kClasses = 4;

// n samples of kDim features, class c centred at 3 e_c with unit noise.
inline Dataset clusters(size_t n, uint64_t seed) {
  return gaussian_classes(n, kDim, kClasses, 3.0, [](int64_t) { return 1.0; }, seed);
}

// Moves every `every`-th sample of the classes in `classes` by +6 along the last coordinate (a
// direction no class takes): a planted sub-population, like a backdoor's trigger feature.
inline std::vector<bool> plant(Dataset& d, const std::vector<int64_t>& classes, size_t every) {
  std::vector<bool> planted(d.size());
  size_t seen = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    if (std::find(classes.begin(), classes.end(), d.labels[i]) == classes.end()) continue;
    if (seen++ % every != 0) continue;
    d.pixels[i * kDim + kDim - 1] += 6.0f;
    planted[i] = true;
  }
  return planted;
}

// Relabels every `every`-th sample of each class c as c + 1 (mod kClasses): label flipping.
inline std::vector<bool> flip_labels(Dataset& d, size_t every) {
  std::vector<bool> flipped(d.size());
  std::vector<size_t> seen(kClasses);
  for (size_t i = 0; i < d.size(); ++i) {
    const int64_t c = d.labels[i];
    if (seen[static_cast<size_t>(c)]++ % every != 0) continue;
    d.labels[i] = (c + 1) % kClasses;
    flipped[i] = true;
  }
  return flipped;
}

inline SanitizeOutcome sanitize(WindowSanitizer& stage, const GuardContext& context,
                                const Dataset& window) {
  stage.attach(context);
  SanitizeOutcome outcome;
  outcome.remove.assign(window.size(), 0);
  stage.sanitize({window.size(), window.labels.data(), window.pixels.data(), kDim}, outcome);
  return outcome;
}

inline size_t removed_count(const SanitizeOutcome& outcome) {
  size_t removed = 0;
  for (auto r : outcome.remove) removed += r;
  return removed;
}

struct Tally {
  size_t planted_removed = 0, planted = 0, clean_removed = 0, clean = 0;
};

inline Tally tally(const SanitizeOutcome& outcome, const std::vector<bool>& planted) {
  Tally t;
  for (size_t i = 0; i < planted.size(); ++i) {
    (planted[i] ? t.planted : t.clean) += 1;
    if (outcome.remove[i]) (planted[i] ? t.planted_removed : t.clean_removed) += 1;
  }
  return t;
}

// Writes the trusted data, the window and poisonsim's verdicts (and, for a stage that works on
// the last layer, the context's layer), and has tests/defenses/sklearn_reference.py decide the
// same window with scikit-learn.
inline void expect_sklearn_agrees(WindowSanitizer& stage, const IdentityContext& context,
                                  const Dataset& window, const std::string& rule_options,
                                  bool with_layer = false) {
  ScratchDir dir;
  const Dataset& trusted = context.trusted();
  const auto outcome = sanitize(stage, context, window);
  std::ofstream file(dir.file("window.bin"), std::ios::binary);
  const auto put = [&](const void* p, size_t bytes) {
    file.write(static_cast<const char*>(p), static_cast<std::streamsize>(bytes));
  };
  put(trusted.pixels.data(), trusted.pixels.size() * sizeof(float));
  put(trusted.labels.data(), trusted.labels.size() * sizeof(int64_t));
  put(window.pixels.data(), window.pixels.size() * sizeof(float));
  put(window.labels.data(), window.labels.size() * sizeof(int64_t));
  put(outcome.remove.data(), outcome.remove.size());
  if (with_layer) {
    put(context.layer.weight.data(), context.layer.weight.size() * sizeof(float));
    put(context.layer.bias.data(), context.layer.bias.size() * sizeof(float));
  }
  file.close();
  const size_t removed = removed_count(outcome);
  // The window must hold verdicts of both kinds to test anything.
  EXPECT_GT(removed, 20u);
  EXPECT_LT(removed, window.size() - 20);
  EXPECT_GT(outcome.unjudged, 0);  // the small class: the reference must skip it too
  const std::string layer =
      with_layer ? fmt::format(" --classes {}", context.layer.num_classes) : std::string();
  const auto result = run_command(
      fmt::format("/usr/bin/python3 {}/tests/defenses/sklearn_reference.py {} --bank {} "
                  "--queries {} --dim {}{} {} 2>&1",
                  POISONSIM_SOURCE_DIR, dir.file("window.bin"), trusted.size(), window.size(), kDim,
                  layer, rule_options));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  std::printf("%s", result.output.c_str());
}

// Two classes with a planted sub-population, two clean, and ten samples of a fifth class (too
// few to judge).
inline Dataset reference_window(const Dataset& trusted) {
  Dataset window = clusters(1600, 31);
  plant(window, {0, 2}, 7);
  for (size_t i = 0; i < 10; ++i) {
    window.pixels.insert(window.pixels.end(), trusted.image(i), trusted.image(i) + kDim);
    window.labels.push_back(4);
  }
  return window;
}

inline Dataset reference_trusted() {
  Dataset trusted = clusters(1000, 30);
  for (size_t i = 0; i < 40; ++i) trusted.labels[i] = 4;  // class 4 exists in the trusted data
  return trusted;
}

}  // namespace poisonsim::test
