#pragma once
// A checkpoint on disk (`poisonsim run --checkpoint-every`, `poisonsim resume`): the simulation's
// whole state as one binary archive (sim/kernel/state_archive.h), the trace as flushed at that moment,
// and what resume needs to rebuild the run around them. HDF5, so `h5dump -A` shows what it is:
//   format, poisonsim_version, build_commit, scenario_path, scenario (resolved YAML),
//   data_files, trace_output, time, every, machine, digest_state, digest_scenario, digest_trace,
//   digest_settings, digest_data (checked on reading: pipeline/trace/checkpoint_digest.h);
//   datasets `state` and `trace` (bytes).
// A run that finishes replaces its checkpoint with a record of that: the same attributes, `time`
// the scenario's duration, `state` and `trace` empty (the trace is final at `trace_output`).
// resume then says the run finished instead of restoring it; the file stays small.
#include <cstdint>
#include <string>

namespace poisonsim {

struct CheckpointFile {
  std::string poisonsim_version;
  std::string build_commit;   // the writer's git commit (pipeline/runtime/provenance.h)
  std::string scenario_path;  // the file the run was started from: relative data paths in it
  std::string scenario_yaml;  // every key with its value in force (--set applied)
  std::string data_files;     // what the run's data files were (pipeline/data/data_fingerprint.h)
  std::string trace_output;   // the trace the run was writing (its final path)
  double time = 0;            // simulated seconds when the checkpoint was taken
  double every = 0;           // the run's checkpoint interval (0: only when stopped)
  std::string machine;        // CPU and BLAS: model values may differ when resumed elsewhere
  std::string state;          // the simulation state
  std::string trace;          // the bytes of the trace file as flushed at `time`

  // The record a finished run leaves (above); every real checkpoint has a state.
  bool finished() const { return state.empty(); }
};

// Writes (truncating) `path`; UserError naming it when that fails (e.g. a full disk).
void write_checkpoint_file(const std::string& path, const CheckpointFile& checkpoint);
// UserError naming the file when it is not a checkpoint of this format, when a part does not
// match its digest (changed or damaged since it was written), or when it is corrupt: it gets the
// trace reader's guards (global heap check, a forked child reading it first), so damage ends in
// an error, not a crash of HDF5.
CheckpointFile read_checkpoint_file(const std::string& path);

}  // namespace poisonsim
