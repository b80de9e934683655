#pragma once
// A --json FILE of a verb: reserved (created and locked, sim/util/atomic_output.h) before the verb's
// work, so a bad path or a second writer fails in seconds, not after a long measurement; written
// and renamed into place at the end. An empty path means no file; "-" means stdout.
#include <optional>
#include <string>

#include "sim/util/atomic_output.h"

namespace poisonsim::cli {

// `--json [FILE]` (an optional value, as inspect and roc take it) before the verb's file
// argument: in `poisonsim roc --json run.h5` the option's value took the file. Gives it back to
// `positional` when that is empty, and returns the JSON destination: "" (no --json), "-"
// (stdout) or a file.
std::string json_destination(bool given, std::string value, std::string& positional);

class JsonOutput {
 public:
  // An existing regular file at `path` is replaced only with `force` (the verb's --force); a
  // FIFO or character device there (/dev/null) is written straight, a symbolic link refused.
  JsonOutput(const std::string& path, bool force);
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
