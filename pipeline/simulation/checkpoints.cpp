#include "pipeline/simulation/checkpoints.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pipeline/runtime/numeric_runtime.h"
#include "pipeline/runtime/numerics_in_use.h"
#include "pipeline/runtime/provenance.h"
#include "pipeline/trace/trace_copy.h"
#include "poisonsim_version.h"
#include "sim/util/atomic_output.h"
#include "sim/util/error.h"

namespace poisonsim {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw UserError(path, "cannot read the trace for the checkpoint");
  return bytes;
}

}  // namespace

void check_checkpoint_interval(double every, double duration, const std::string& where) {
  const double least = duration / kMaxCheckpoints;
  if (!(every >= least && every < duration))  // false for NaN too
    throw UserError(where, fmt::format("{} s: expected simulated seconds from {} (the duration / "
                                       "{}: at most that many checkpoints) to less than the "
                                       "scenario's duration ({} s)",
                                       every, least, kMaxCheckpoints, duration));
}

double next_checkpoint_time(double now, double every) {
  double k = std::floor(now / every) + 1;
  while (k * every <= now) k += 1;  // now / every rounded up to a whole number
  return k * every;
}

std::string checkpoint_machine() {
  // In portable numerics the machine does not change the numbers: only the kernel levels count.
  const NumericsInUse numerics = numerics_in_use();
  if (numerics.portable_in_effect()) return numerics.describe();
  return cpu_info().model + "; " + blas_info().describe() + "; " + numerics.describe();
}

namespace {

// Every attribute of a checkpoint of this run at `time`; no state, no trace.
CheckpointFile checkpoint_of(const CheckpointPlan& plan, const std::string& scenario_yaml,
                             double time) {
  CheckpointFile c;
  c.poisonsim_version = POISONSIM_VERSION;
  c.build_commit = build_commit();
  c.scenario_path = plan.scenario_path;
  c.scenario_yaml = scenario_yaml;
  c.data_files = plan.data_files;
  c.trace_output = plan.trace_output;
  c.time = time;
  c.every = plan.every;
  c.machine = checkpoint_machine();
  return c;
}

}  // namespace

void write_checkpoint(const CheckpointPlan& plan, const std::string& scenario_yaml, double time,
                      const std::string& state, const std::string& trace_file) {
  CheckpointFile c = checkpoint_of(plan, scenario_yaml, time);
  c.state = state;
  c.trace = read_file(trace_file);
  AtomicOutput output(plan.path, AtomicOutput::Existing::replace);
  write_checkpoint_file(output.temporary_path(), c);
  output.commit();
  // The file's own size: state and trace are stored compressed, so their sum overstates it.
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(plan.path, ec);
  spdlog::info("checkpoint at simulated time {:.3f} s -> {} ({:.1f} MB)", time, plan.path,
               ec ? 0.0 : static_cast<double>(bytes) / 1e6);
}

void record_finished_run(const CheckpointPlan& plan, const std::string& scenario_yaml,
                         double duration) {
  // None written (`--checkpoint FILE` alone and no stop): nothing to resume, nothing to record.
  if (plan.path.empty() || !std::filesystem::exists(plan.path)) return;
  AtomicOutput output(plan.path, AtomicOutput::Existing::replace);
  write_checkpoint_file(output.temporary_path(), checkpoint_of(plan, scenario_yaml, duration));
  output.commit();
  spdlog::info("the run finished: {} now records that (its trace {} is final)", plan.path,
               plan.trace_output);
}

void restore_trace_rows(const CheckpointFile& checkpoint, const std::string& where,
                        const std::string& scratch_path, RowSink& recorder) {
  // A temporary of its own (created new, never through a link), removed when done.
  AtomicOutput scratch(scratch_path, AtomicOutput::Existing::replace,
                       AtomicOutput::Temporary::unique);
  scratch.write(checkpoint.trace);
  try {
    copy_trace_rows(scratch.temporary_path(), recorder);
  } catch (const UserError& e) {
    throw UserError(where, "its saved trace is unreadable: " + e.problem());
  }
}

}  // namespace poisonsim
