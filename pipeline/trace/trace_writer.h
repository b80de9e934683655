#pragma once
// Writes one run's trace (docs/trace-format.md): the tables of trace_rows.h plus the run's
// metadata as attributes. HDF5 stays behind the pimpl so the simulation does not include it.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "pipeline/trace/row_sink.h"
#include "pipeline/trace/trace_file.h"
#include "pipeline/trace/trace_metadata.h"
#include "pipeline/trace/trace_rows.h"

namespace poisonsim {

struct TraceOptions {
  bool samples = true;        // write the per-sample table
  int compression = 4;        // deflate level 0-9; 0 = no filter
  int64_t chunk_rows = 4096;  // rows per HDF5 chunk, and per buffered write
  double flush_seconds = 30;  // wall seconds after a flush when flush_due() says so

  // UserError naming trace.compression / trace.chunk_rows / trace.flush_seconds when out of
  // range.
  void validate() const;
};

// Used by one thread at a time (as is the TraceFile it writes into).
//
// A write that fails (a full disk, a file-size limit) throws UserError and abandons the file:
// no handle is closed, so nothing more is written and the file keeps its last flush, readable
// (as a trace in progress is) with every table intact. The writer is then closed.
class TraceWriter final : public RowSink {
 public:
  // A trace at the root of a new file at `path` (an existing file is truncated), written in
  // HDF5's SWMR mode: readers in other processes (TraceReader, h5py with swmr=True) see
  // everything up to the last flush while the run goes on.
  static std::unique_ptr<TraceWriter> create_file(const std::string& path,
                                                  const TraceMetadata& metadata,
                                                  const TraceOptions& options);
  // A trace in a new group of `file` (e.g. "runs/3"; missing parents are created). The group
  // gets the same attributes and tables as a file root; it must not exist yet.
  static std::unique_ptr<TraceWriter> create_group(const TraceFile& file,
                                                   const std::string& group_path,
                                                   const TraceMetadata& metadata,
                                                   const TraceOptions& options);

  // Flushes and closes (unless a write failed), but leaves complete = 0: only close() says the
  // run finished, so a run that dies by an exception is not mistaken for a finished one. Never
  // throws.
  ~TraceWriter() override;
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  void add_event(const EventRow& row) override;
  // Ignored when options.samples is off.
  void add_samples(const SampleRow* rows, size_t count) override;
  // Rewrites the samples rows' rejected_by (ignored when options.samples is off).
  void remove_samples(const SampleRemoval* removals, size_t count) override;
  void add_retrain(const RetrainRow& row) override;
  void add_evaluation(const EvaluationRow& row) override;
  void add_defense(const DefenseRow& row) override;
  void add_scores(const ScoreRow* rows, size_t count) override;

  // Writes every buffered row and flushes HDF5 to disk: a crash after this loses only what comes
  // later. Each flush rewrites the tables' last partial chunks, so call it at coarse intervals
  // (e.g. per retrain), not per row.
  void flush();
  // Whether options.flush_seconds of wall time have passed since the last flush (false once
  // closed): the simulation asks between events, so live readers see progress.
  bool flush_due() const;
  // Overwrites one of the string attributes a trace has from the start, stage_seconds,
  // defense_seconds or stopped (written just before close()); a SWMR writer may not create new
  // ones.
  void set_attribute(const std::string& name, const std::string& value);
  // flush(), set complete = 1, close every handle. Idempotent; adding rows afterwards is a bug.
  void close();
  // The same but leaves complete = 0 (a run stopped early); throws when the flush fails.
  void close_incomplete();

  // Rows added to `table` so far (written or buffered); 0 for a samples table that is off.
  int64_t rows(const std::string& table) const;
  bool samples_enabled() const;
  // The file path, plus ":<group>" for a run in a group: how errors name this trace.
  const std::string& where() const;

 private:
  struct Impl;
  explicit TraceWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace poisonsim
