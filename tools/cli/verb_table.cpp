#include "tools/cli/verb_table.h"

#include <stdexcept>

namespace poisonsim::cli {
namespace {

const std::vector<Verb> kVerbs = {
    {"run", false, "Run a scenario and write its HDF5 trace"},
    {"resume", false,
     "Continue a run from its checkpoint (run --checkpoint-every): the trace equals an "
     "uninterrupted run's"},
    {"validate", false, "Check a scenario file without running it"},
    {"list", false,
     "List every attacker, guard, sanitizer and gate type with its summary and keys"},
    {"inspect", true,
     "Summarise a trace (sources, guard detection rates, retrains, accuracy) or a sweep file (one "
     "row per run)"},
    {"attack", false,
     "Generate a poison set against a pretrained target, time it, and measure its effect on one "
     "retraining"},
    {"train", false, "Pretrain a target model, print its test accuracy, save it"},
    {"bench", false, "Measure the speed of parts of the system"},
    {"report", true,
     "Write figures (PNG, SVG, PDF) and one self-contained HTML page (DIR/index.html) from traces, "
     "sweep files, poison sets and attack JSON"},
    {"export", true,
     "Write a trace's (or sweep file's) tables as CSV or Parquet files, one per table, with names "
     "as text, the samples' window column and metadata.json"},
    {"sweep", false,
     "Run a scenario for every combination of parameter values (in parallel; over MPI ranks under "
     "mpirun; or one shard of them) into one HDF5 file: a summary table plus each run's trace"},
    {"merge", false,
     "Write the sweep file of a sweep run in shards (`sweep --shard i/N`) from their parts: the "
     "same file one process would have written"},
    {"roc", true,
     "Detection rates (ROC) of a loss threshold over many thresholds, recomputed offline from a "
     "recorded trace's per-sample losses (ignores the guard's feedback on retraining)"},
};

}  // namespace

const std::vector<Verb>& verbs() { return kVerbs; }

const char* verb_summary(const std::string& name) {
  for (const Verb& verb : kVerbs)
    if (name == verb.name) return verb.summary;
  throw std::logic_error("verb_summary: no verb named " + name);
}

std::string verb_word(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--threads" || arg == "--log-level") {
      ++i;  // its value
      continue;
    }
    if (!arg.empty() && arg[0] != '-') return arg;
  }
  return "";
}

}  // namespace poisonsim::cli
