#pragma once
// Reads a trace back (docs/trace-format.md): `poisonsim inspect`, tests, anything in C++ that
// wants the rows. Anything that is not a trace of this format is a UserError naming the file.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/trace/trace_metadata.h"
#include "pipeline/trace/trace_rows.h"

namespace poisonsim {

// A NUL-padded name field as a string.
template <size_t N>
std::string trace_name(const char (&field)[N]) {
  return std::string(field, strnlen(field, N));
}

class TraceReader {
 public:
  // Opens the trace at the root of `path`, or in `group` (e.g. "/runs/3") of a sweep file.
  // The file may still be open in a writer: what was flushed is visible (HDF5's SWMR reading
  // for a run's trace, hdf5::open_read_only).
  explicit TraceReader(const std::string& path, const std::string& group = "/");
  ~TraceReader();
  TraceReader(TraceReader&&) noexcept;
  TraceReader& operator=(TraceReader&&) noexcept;

  const TraceMetadata& metadata() const;
  int trace_format() const;
  // 1 once the writer closed the trace; 0 while running or after a crash.
  bool complete() const;
  // Whether the file is still marked as being written (a run in progress, or one that was
  // killed or failed to write): it was opened for SWMR reading.
  bool in_progress() const;
  // Makes rows flushed since opening (or the last refresh) visible to rows() and the reads.
  void refresh();
  bool has_samples() const;
  // Rows in `table` (0 for an absent samples table).
  int64_t rows(const std::string& table) const;

  std::vector<EventRow> events() const;
  // Rows [first, first + count) of the samples table; count -1: to the end. Empty when absent.
  std::vector<SampleRow> samples(int64_t first = 0, int64_t count = -1) const;
  // Calls `visit` on every sample row in order, reading the table in blocks so memory stays
  // bounded however long the run was. Nothing happens when the table is absent.
  void for_each_sample(const std::function<void(const SampleRow&)>& visit) const;
  std::vector<RetrainRow> retrains() const;
  std::vector<EvaluationRow> evaluations() const;
  // Each defense stage's ground truth per window; empty in traces older than trace_format 4.
  std::vector<DefenseRow> defense() const;
  // Scoring stages' scores per sample; empty without a samples table or before trace_format 5.
  std::vector<ScoreRow> scores() const;
  // The same a block at a time, as for_each_sample (the table grows with the samples).
  void for_each_score(const std::function<void(const ScoreRow&)>& visit) const;
  // The file path, plus ":<group>" for a run in a group: how errors name this trace.
  const std::string& where() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct TraceContents {
  TraceMetadata metadata;
  int trace_format = 0;
  bool complete = false;
  bool has_samples = false;
  std::vector<EventRow> events;
  std::vector<SampleRow> samples;
  std::vector<RetrainRow> retrains;
  std::vector<EvaluationRow> evaluations;
  std::vector<DefenseRow> defense;
  std::vector<ScoreRow> scores;
};

// Everything in one go (the samples table can be large: TraceReader::samples reads it in parts).
TraceContents read_trace(const std::string& path, const std::string& group = "/");

}  // namespace poisonsim
