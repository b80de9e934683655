#pragma once
// What the trace tests (trace_test.cpp, trace_errors_test.cpp) write: rows whose every field
// depends on their index, and the metadata and options of the traces that hold them.
#include <cstdint>
#include <string>

#include "pipeline/trace/trace_metadata.h"
#include "pipeline/trace/trace_rows.h"
#include "pipeline/trace/trace_writer.h"

namespace poisonsim::test {

// Rows whose every field depends on i, so a swapped or dropped column shows.
inline EventRow make_event(int64_t i) {
  EventRow row;
  row.time = 0.5 * static_cast<double>(i);
  set_trace_name(row.kind, i % 2 ? "stream-batch" : "poison-batch");
  set_trace_name(row.source, "source-" + std::to_string(i % 3));
  row.batch_id = i;
  row.size = 10 + i;
  row.accepted = 7 + i;
  row.rejected = 3;
  return row;
}

inline SampleRow make_sample(int64_t i) {
  SampleRow row;
  row.time = 0.25 * static_cast<double>(i);
  row.batch_id = i / 4;
  set_trace_name(row.source, i % 5 ? "clean" : "an-attacker-with-a-long-name-that-is-cut");
  row.is_poison = i % 5 ? 0 : 1;
  row.label = i % 10;
  row.true_label = (i + 3) % 10;
  row.loss = 0.125f * static_cast<float>(i);
  row.prediction = (i + 1) % 10;
  row.rejected = i % 3 == 0 ? 1 : 0;
  row.rejected_by = row.rejected;
  row.model_version = i / 100;
  return row;
}

inline RetrainRow make_retrain(int64_t i) {
  RetrainRow row;
  row.time = 30.0 * static_cast<double>(i + 1);
  row.index = i;
  row.buffer_size = 1000 + i;
  row.poison_in_buffer = 10 * i;
  row.poison_fraction = 0.01 * static_cast<double>(i);
  row.validation_loss_before = 0.3 + static_cast<double>(i);
  row.validation_loss_after = 0.4 + static_cast<double>(i);
  row.validation_accuracy_before = 0.9 - 0.01 * static_cast<double>(i);
  row.validation_accuracy_after = 0.8 - 0.01 * static_cast<double>(i);
  row.test_accuracy_before = 0.7 - 0.01 * static_cast<double>(i);
  row.test_accuracy_after = 0.6 - 0.01 * static_cast<double>(i);
  set_trace_name(row.gate, i % 2 ? "refuse" : "allow");
  row.deployed = i % 2 ? 0 : 1;
  row.model_version = i;
  if (i % 2) {
    set_trace_name(row.gate_reason, "validation_loss");
    row.gate_margin = 0.05;
  }
  return row;
}

inline EvaluationRow make_evaluation(int64_t i) {
  EvaluationRow row;
  row.time = 10.0 * static_cast<double>(i);
  row.model_version = i / 2;
  row.accuracy = 0.5 + 0.001 * static_cast<double>(i);
  row.loss = 1.0 / static_cast<double>(i + 1);
  row.samples = 10000 - i;
  return row;
}

inline TraceMetadata metadata() {
  TraceMetadata m;
  m.scenario_yaml = "seed: 18446744073709551615\nstreams:\n  - name: clean  # \xc3\xa9t\xc3\xa9\n";
  m.seed = 18446744073709551615ull;
  m.version = "0.1.0-test";
  return m;
}

inline TraceOptions options(int64_t chunk_rows, bool samples = true, int compression = 4) {
  TraceOptions o;
  o.chunk_rows = chunk_rows;
  o.samples = samples;
  o.compression = compression;
  return o;
}

}  // namespace poisonsim::test
