#include "pipeline/trace/checkpoint_digest.h"

#include <fmt/format.h>

#include "sim/kernel/random_stream.h"

namespace poisonsim {
namespace {

std::string digest(std::string_view bytes) { return fmt::format("{:016x}", derive_seed(0, bytes)); }

// Fields joined with a separator no field holds in one place, so moving bytes between fields
// changes the digest.
std::string joined(std::initializer_list<std::string_view> fields) {
  std::string text;
  for (auto field : fields) {
    text += fmt::format("{}:", field.size());
    text += field;
  }
  return text;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> checkpoint_digests(const CheckpointFile& c) {
  const std::string time = fmt::format("{}", c.time), every = fmt::format("{}", c.every);
  return {{"digest_state", digest(c.state)},
          {"digest_scenario", digest(joined({c.scenario_path, c.scenario_yaml}))},
          {"digest_trace", digest(c.trace)},
          {"digest_settings", digest(joined({c.poisonsim_version, c.build_commit, c.trace_output,
                                             time, every, c.machine}))},
          {"digest_data", digest(c.data_files)}};
}

std::vector<std::string> parts_not_matching(
    const CheckpointFile& c, const std::vector<std::pair<std::string, std::string>>& stored) {
  std::vector<std::string> differing;
  const auto computed = checkpoint_digests(c);
  for (size_t i = 0; i < computed.size(); ++i)
    if (i >= stored.size() || stored[i] != computed[i])
      differing.push_back(computed[i].first.substr(std::string("digest_").size()));
  return differing;
}

}  // namespace poisonsim
