#include "tools/commands/json_output.h"

#include <fmt/format.h>

namespace poisonsim::cli {

JsonOutput::JsonOutput(const std::string& path) {
  if (!path.empty()) output_.emplace(path, AtomicOutput::Existing::replace);
}

void JsonOutput::write(const std::string& text) {
  if (!output_) return;
  output_->commit_text(text);
  fmt::print("figures written to {}\n", output_->path());
}

}  // namespace poisonsim::cli
