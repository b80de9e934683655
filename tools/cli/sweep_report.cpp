#include "tools/cli/sweep_report.h"

#include <cstdio>

#include <fmt/format.h>

#include "pipeline/trace/sweep_file.h"
#include "sim/util/error.h"
#include "tools/cli/commands.h"
#include "tools/cli/program_name.h"
#include "tools/cli/summary_table.h"

namespace poisonsim::cli {

void print_sweep_file(const std::string& output) {
  const SweepContents sweep = read_sweep_file(output);
  print_summary_table(sweep);
  warn_if_numerics_mixed(sweep);
  fmt::print("\n  details: {} inspect {} --group /runs/<run>\n", program_name(), output);
  if (!sweep.aggregate.empty())
    fmt::print("  means over seeds with 95% intervals: {} inspect {} --mean-over seed\n",
               program_name(), output);
}

void throw_if_runs_failed(const std::vector<SweepFailure>& failures, size_t runs,
                          const std::string& where, const std::string& parts,
                          const std::string& rerun) {
  if (failures.empty()) return;
  std::fflush(stdout);
  bool all_user_errors = true;
  for (const auto& f : failures) {
    fmt::print(stderr, "run {} failed (exit code {}), log {}: {}\n", f.run, f.exit_code, f.log_path,
               f.last_line);
    all_user_errors = all_user_errors && f.exit_code == 2;
  }
  const std::string message = fmt::format(
      "{} of {} runs failed; their rows have status \"failed\"; their logs are kept in {}/, and {}",
      failures.size(), runs, parts, rerun);
  if (all_user_errors) throw UserError(where, message);
  throw CommandFailed(message);
}

}  // namespace poisonsim::cli
