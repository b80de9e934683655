#include "tools/commands/json_output.h"

#include <fstream>

#include <fmt/format.h>

#include "sim/error.h"

namespace poisonsim::cli {

JsonOutput::JsonOutput(const std::string& path) {
  if (!path.empty()) output_.emplace(path, AtomicOutput::Existing::replace);
}

void JsonOutput::write(const std::string& text) {
  if (!output_) return;
  {
    std::ofstream out(output_->temporary_path(), std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw UserError(output_->path(), "cannot write the JSON file (disk full?)");
  }
  output_->commit();
  fmt::print("figures written to {}\n", output_->path());
}

}  // namespace poisonsim::cli
