// Reading a `type: torchscript` guard's keys: everything but the module's forward (which
// torchscript_guard.cpp runs), so the scenario reading needs no LibTorch header.
#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "guards/per_sample/torchscript_guard.h"
#include "pipeline/data/file_bytes.h"
#include "pipeline/data/sha256.h"
#include "pipeline/runtime/plugin_files.h"
#include "pipeline/scenario/config_node.h"

namespace poisonsim {

const EnumNames<ScoreInput>& score_input_names() {
  static const EnumNames<ScoreInput> names(
      "score input", {{ScoreInput::losses, "losses"},
                      {ScoreInput::labels, "labels"},
                      {ScoreInput::predictions, "predictions"},
                      {ScoreInput::images, "images"},
                      {ScoreInput::features, "features"},
                      {ScoreInput::logits, "logits"}});
  return names;
}

const EnumNames<ScoreRule>& score_rule_names() {
  static const EnumNames<ScoreRule> names("score rule",
                                          {{ScoreRule::above, "above"}, {ScoreRule::below, "below"}});
  return names;
}

namespace {

// `input`: one name or a list of names (forward's arguments in that order).
std::vector<ScoreInput> read_inputs(ConfigNode& node) {
  if (!node.has("input")) node.fail("input", "required: the tensors forward() takes, e.g. losses");
  const YAML::Node value = node.take_as_is("input");
  std::vector<std::string> names;
  if (value.IsScalar()) {
    names.push_back(value.as<std::string>());
  } else if (value.IsSequence() && value.size() > 0) {
    for (const auto& item : value) {
      if (!item.IsScalar()) node.fail("input", "expected a name or a list of names");
      names.push_back(item.as<std::string>());
    }
  } else {
    node.fail("input", "expected a name or a list of names");
  }
  std::vector<ScoreInput> out;
  for (const auto& name : names) {
    const auto input = score_input_names().find(name);
    if (!input)
      node.fail("input", fmt::format("unknown score input '{}', expected {}", name,
                                     score_input_names().choices_text()));
    out.push_back(*input);
  }
  return out;
}

}  // namespace

TorchScriptGuardOptions read_torchscript_guard_options(ConfigNode& node) {
  TorchScriptGuardOptions o;
  o.file = node.required<std::string>("file");
  std::error_code error;
  // From the working directory, or else from the scenario file's folder (as python stages).
  const auto beside = std::filesystem::path(node.file()).parent_path() / o.file;
  if (std::filesystem::path(o.file).is_relative() && !std::filesystem::exists(o.file, error) &&
      std::filesystem::exists(beside, error))
    o.file = beside.lexically_normal().string();
  if (!std::filesystem::exists(o.file, error))
    node.fail("file", fmt::format("{}: no such file (the guard's TorchScript module, read from "
                                  "the working directory {})",
                                  o.file, std::filesystem::current_path(error).string()));
  std::vector<uint8_t> bytes;
  try {
    bytes = read_file_bytes(o.file, uint64_t{1} << 30);
  } catch (const UserError& e) {
    node.fail("file", fmt::format("{}: {}", o.file, e.problem()));
  }
  const std::string sha256 = sha256_hex(bytes);
  // Recorded in the resolved scenario: a rerun or resume from it refuses a changed module.
  if (node.get<std::string>("sha256", sha256) != sha256)
    node.fail("sha256", fmt::format("{} has sha256 {}: the file changed since this scenario was "
                                    "recorded",
                                    o.file, sha256));
  o.module_bytes = std::make_shared<const std::string>(bytes.begin(), bytes.end());
  o.inputs = read_inputs(node);
  o.threshold = node.required<double>("threshold");
  if (!std::isfinite(o.threshold)) node.fail("threshold", "expected a finite number");
  o.rule = node.get_enum("rule", ScoreRule::above, score_rule_names());
  check_torchscript_archive(*o.module_bytes, o.file);
  record_plugin_file({o.file, std::filesystem::absolute(o.file, error).string(), sha256});
  return o;
}

}  // namespace poisonsim
