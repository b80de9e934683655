#pragma once
// One struct per trace table; each becomes an HDF5 compound dataset with one field per member
// (docs/trace-format.md). Fixed-size char arrays hold short names (NUL-padded), so
// pandas.DataFrame(h5py.File(path)["events"][:]) gives the table directly.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

namespace poisonsim {

constexpr size_t kTraceNameSize = 32;

// Copies `text` into a fixed-size field, truncating and NUL-padding.
template <size_t N>
void set_trace_name(char (&field)[N], const std::string& text) {
  std::memset(field, 0, N);
  std::memcpy(field, text.data(), std::min(text.size(), N));
}

// Everything that happened, one row per handled simulation event.
struct EventRow {
  double time = 0;
  char kind[16] = {};  // stream-batch, poison-batch, retrain, evaluation, end (or stopped)
  char source[kTraceNameSize] = {};  // stream or attacker name; "system" for ticks
  int64_t batch_id = -1;             // arrival batches: a run-wide counter; -1 otherwise
  int64_t size = 0;                  // samples in the batch
  int64_t accepted = 0;              // of those, accepted by the guard
  int64_t rejected = 0;              // of those, rejected by the guard
};

// An events row of the run itself (source "system"): a tick, a sanitizer's work, the end.
inline EventRow system_event(double time, const char* kind) {
  EventRow row;
  row.time = time;
  set_trace_name(row.kind, kind);
  set_trace_name(row.source, "system");
  return row;
}

// One row per arriving sample (when trace.samples is on).
struct SampleRow {
  double time = 0;
  int64_t batch_id = 0;
  char source[kTraceNameSize] = {};
  uint8_t is_poison = 0;
  int64_t label = 0;       // the label it arrived with (poison: the attacker's choice)
  int64_t true_label = 0;  // the clean label of its seed image
  float loss = 0;          // cross-entropy on the deployed model
  int64_t prediction = 0;  // the deployed model's prediction
  uint8_t rejected = 0;    // the guard's verdict: 1 rejected, 0 accepted into the buffer
  uint8_t rejected_by = 0;  // the guard stage that rejected it, 1 = first; 0 when accepted
  int64_t model_version = 0;
};

struct RetrainRow {
  double time = 0;
  int64_t index = 0;        // 0, 1, 2, ... per retrain
  int64_t buffer_size = 0;  // samples trained on (buffer plus replay)
  int64_t poison_in_buffer = 0;
  double poison_fraction = 0;  // poison_in_buffer / buffer samples
  double validation_loss_before = 0;
  double validation_loss_after = 0;
  double validation_accuracy_before = 0;
  double validation_accuracy_after = 0;
  // Clean test accuracy of the deployed model and of the candidate (trace_format 2; NaN when
  // read from a trace_format 1 file, which has no such columns).
  double test_accuracy_before = std::numeric_limits<double>::quiet_NaN();
  double test_accuracy_after = std::numeric_limits<double>::quiet_NaN();
  char gate[16] = {};  // "allow" or "refuse" (type "none" always allows)
  uint8_t deployed = 0;
  int64_t model_version = 0;  // version serving after this retrain
  // Why the gate refused (trace_format 4): the limit broken (GateDecision::reason) and by how
  // much, in its units (nats or a fraction); "" and NaN when not refused or in older files.
  char gate_reason[kTraceNameSize] = {};
  double gate_margin = std::numeric_limits<double>::quiet_NaN();
};

// Ground truth of one defense stage on one window (trace_format 4): what it was given and what it
// took out, counted by whether each sample was poison. A window is the arrivals up to a retrain
// (its guard verdicts) and that retrain's sanitizing; the arrivals after the last retrain form a
// window of their own, `window` -1, written when the run ends.
struct DefenseRow {
  double time = 0;     // the retrain's time (the run's end for window -1)
  int64_t window = 0;  // the retrain's index (retrains.index), or -1
  uint8_t stage = 0;   // as samples.rejected_by numbers it: guard stages first, then sanitizers
  char kind[16] = {};  // "guard" (judges arrivals) or "sanitize" (judges the window)
  char type[kTraceNameSize] = {};  // the stage's type, as the scenario names it
  int64_t poison_seen = 0;         // poison samples the stage judged
  int64_t clean_seen = 0;          // clean samples the stage judged
  int64_t poison_removed = 0;      // of those, rejected or removed: true positives
  int64_t clean_removed = 0;       // false positives
};

// The score a defense stage gave one sample it judged (trace_format 5), for stages with a score
// other than the loss (which samples.loss holds): k-NN disagreement, distance to the class
// centroid, a spectral or gradient projection, TRIM's refitted loss. Higher is more suspect.
// Written only with the samples table (trace.samples), whose row it names.
struct ScoreRow {
  double time = 0;         // the arrival (guard stages) or the retrain (sanitizers)
  int64_t sample = 0;      // the row of the samples table
  uint8_t stage = 0;       // as samples.rejected_by numbers it: guard stages first, then sanitizers
  uint8_t is_poison = 0;   // ground truth, for offline curves (a stage never sees it)
  uint8_t rejected = 0;    // whether this stage rejected or removed the sample
  float score = 0;
};

struct EvaluationRow {
  double time = 0;
  int64_t model_version = 0;
  double accuracy = 0;  // clean test accuracy of the deployed model
  double loss = 0;      // its mean clean test loss
  int64_t samples = 0;
};

}  // namespace poisonsim
