#include "tools/cli/json_output.h"

#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "pipeline/runtime/provenance.h"

namespace poisonsim::cli {

std::string json_destination(bool given, std::string value, std::string& positional) {
  if (!given) return "";
  if (positional.empty() && !value.empty() && value != "-") {
    positional = value;
    return "-";
  }
  return value.empty() ? "-" : value;
}

JsonOutput::JsonOutput(const std::string& path, bool force) {
  to_stdout_ = path == "-";
  if (!path.empty() && !to_stdout_)
    output_.emplace(path, force ? AtomicOutput::Existing::replace : AtomicOutput::Existing::refuse,
                    AtomicOutput::Temporary::reserved, AtomicOutput::Streams::write_straight);
}

namespace {

// Every JSON object poisonsim writes says where it came from (pipeline/provenance).
std::string with_provenance(const std::string& text) {
  auto json = nlohmann::ordered_json::parse(text, nullptr, false);
  if (!json.is_object() || json.contains("provenance")) return text;
  json["provenance"] = nlohmann::ordered_json::parse(provenance_json(0));
  return json.dump(2) + "\n";
}

}  // namespace

void JsonOutput::print_table(const std::string& text) const {
  if (!to_stdout_) fmt::print("{}", text);
}

void JsonOutput::write(const std::string& raw) {
  const std::string text = with_provenance(raw);
  if (to_stdout_) {
    fmt::print("{}", text);
    std::fflush(stdout);
    return;
  }
  if (!output_) return;
  output_->commit_text(text);
  fmt::print("JSON written to {}\n", output_->path());
}

}  // namespace poisonsim::cli
