#include "tools/commands/json_output.h"

#include <cstdio>

#include <fmt/format.h>

namespace poisonsim::cli {

JsonOutput::JsonOutput(const std::string& path) {
  to_stdout_ = path == "-";
  if (!path.empty() && !to_stdout_) output_.emplace(path, AtomicOutput::Existing::replace);
}

void JsonOutput::write(const std::string& text) {
  if (to_stdout_) {
    fmt::print("{}", text);
    std::fflush(stdout);
    return;
  }
  if (!output_) return;
  output_->commit_text(text);
  fmt::print("figures written to {}\n", output_->path());
}

}  // namespace poisonsim::cli
