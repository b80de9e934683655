// `--set` overrides: each line of the input is one override, applied to a small valid scenario
// and validated. Any input must end in a Scenario or a UserError.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/scenario/scenario.h"
#include "sim/util/error.h"
#include "tools/common/builtin_plugins.h"

namespace {

// tests/scenarios/synthetic-small.yaml: lists, nested maps and every plug-in kind to reach into.
constexpr const char* kBase = R"(seed: 3
duration: 100
data:
  kind: synthetic
  synthetic: {train: 3000, test: 300, height: 12, width: 12}
  splits: {pretrain: 1000, validation: 300, attacker: 300}
model: {hidden: [32]}
pretrain: {epochs: 3}
streams:
  - name: public
    arrival: {process: fixed, rate: 2}
    batch_size: 16
attackers:
  - name: flipper
    type: label-flip
    arrival: {rate: 0.3}
    batch_size: 8
retrain: {interval: 20}
guard: {type: loss-threshold, threshold: 3}
gate: {type: validation}
evaluation: {interval: 20}
)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> overrides;
  size_t begin = 0;
  while (begin <= input.size()) {
    const size_t end = std::min(input.find('\n', begin), input.size());
    overrides.push_back(input.substr(begin, end - begin));
    begin = end + 1;
  }
  try {
    poisonsim::parse_scenario(kBase, "base.yaml", overrides, poisonsim::cli::builtin_plugins());
  } catch (const poisonsim::UserError&) {
  }
  return 0;
}
