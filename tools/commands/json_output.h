#pragma once
// A --json FILE of a verb: reserved (created and locked, sim/atomic_output.h) before the verb's
// work, so a bad path or a second writer fails in seconds, not after a long measurement; written
// and renamed into place at the end. An empty path means no file; "-" means stdout.
#include <optional>
#include <string>

#include "sim/atomic_output.h"

namespace poisonsim::cli {

class JsonOutput {
 public:
  explicit JsonOutput(const std::string& path);
  // Writes `text`, moves the file into place and says so on stdout; nothing for an empty path.
  void write(const std::string& text);
  // "-": the verb's stdout carries only the JSON, so it prints no tables of its own.
  bool to_stdout() const { return to_stdout_; }
  // The verb's human-readable table: on stdout unless the JSON goes there.
  void print_table(const std::string& text) const;

 private:
  std::optional<AtomicOutput> output_;
  bool to_stdout_ = false;
};

}  // namespace poisonsim::cli
