#pragma once
// A sweep file (docs/trace-format.md, "Sweep files"): root attributes naming the sweep, a
// `summary` table with one row per run (its parameter values and headline metrics) and a group
// runs/<id> per run holding that run's trace, copied from the file the run wrote.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace poisonsim {

// One column of the summary table; exactly one of the vectors is used, by `kind`.
struct SummaryColumn {
  enum class Kind { real, integer, text };
  std::string name;
  Kind kind = Kind::real;
  std::vector<double> reals;
  std::vector<int64_t> integers;
  std::vector<std::string> texts;

  size_t size() const;
};

struct SweepHeader {
  std::string scenario_file;            // the base scenario's path as given
  std::string scenario;                 // its text as written (each run has its resolved one)
  std::vector<std::string> parameters;  // swept key paths, in grid order
  std::string version;                  // poisonsim version that wrote the file
  // The --set overrides every run got before its axis values ("path=value"), so a reader can
  // rebuild each run's scenario from the base; empty in files written before it existed.
  std::vector<std::string> common_sets;
};

class SweepFileWriter {
 public:
  // Creates `path`, truncating an existing file. UserError naming the path when it cannot.
  SweepFileWriter(const std::string& path, const SweepHeader& header);
  ~SweepFileWriter();  // closes; `complete` stays 0 unless close() ran
  SweepFileWriter(const SweepFileWriter&) = delete;
  SweepFileWriter& operator=(const SweepFileWriter&) = delete;

  // Copies the trace at the root of `trace_path` (attributes and tables) into runs/<id>.
  void add_run(int64_t id, const std::string& trace_path);
  // Writes the summary table; every column must have the same number of rows.
  void write_summary(const std::vector<SummaryColumn>& columns);
  // Writes another table at the root (the same layout as the summary), e.g. `provenance`.
  void write_table(const std::string& name, const std::vector<SummaryColumn>& columns);
  // Sets complete = 1 and closes the file.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct SweepContents {
  SweepHeader header;
  bool complete = false;
  std::vector<SummaryColumn> summary;
  std::vector<SummaryColumn> provenance;  // empty in sweep files written before it existed
  // Means over seeds per cell (sweep_aggregate.h); empty without a seed axis, and in sweep files
  // written before it existed.
  std::vector<SummaryColumn> aggregate;
};

// True when `path` is an HDF5 file whose root says kind = "sweep". UserError when it cannot be
// opened as HDF5.
bool is_sweep_file(const std::string& path);
// UserError naming the file when it is not a sweep file of this format.
SweepContents read_sweep_file(const std::string& path);

}  // namespace poisonsim
