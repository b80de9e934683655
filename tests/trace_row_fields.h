#pragma once
// Every field of a trace row as a tuple, so tests compare rows with == and gtest prints them.
#include <cstdint>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/trace/trace_reader.h"

namespace poisonsim::test {

// A double by its bits, so a NaN read back equals the NaN written (as `==` would not).
inline uint64_t bits_of(double value) {
  uint64_t out = 0;
  std::memcpy(&out, &value, sizeof out);
  return out;
}

inline auto row_fields(const EventRow& r) {
  return std::make_tuple(r.time, trace_name(r.kind), trace_name(r.source), r.batch_id, r.size,
                         r.accepted, r.rejected);
}
inline auto row_fields(const SampleRow& r) {
  return std::make_tuple(r.time, r.batch_id, trace_name(r.source), r.is_poison, r.label,
                         r.true_label, r.loss, r.prediction, r.rejected, r.rejected_by,
                         r.model_version);
}
inline auto row_fields(const RetrainRow& r) {
  return std::make_tuple(r.time, r.index, r.buffer_size, r.poison_in_buffer, r.poison_fraction,
                         r.validation_loss_before, r.validation_loss_after,
                         r.validation_accuracy_before, r.validation_accuracy_after,
                         r.test_accuracy_before, r.test_accuracy_after, trace_name(r.gate),
                         r.deployed, r.model_version, trace_name(r.gate_reason),
                         bits_of(r.gate_margin));
}
inline auto row_fields(const EvaluationRow& r) {
  return std::make_tuple(r.time, r.model_version, r.accuracy, r.loss, r.samples);
}

inline auto row_fields(const DefenseRow& r) {
  return std::make_tuple(r.time, r.window, r.stage, trace_name(r.kind), trace_name(r.type),
                         r.poison_seen, r.clean_seen, r.poison_removed, r.clean_removed);
}

inline auto row_fields(const ScoreRow& r) {
  return std::make_tuple(r.time, r.sample, r.stage, r.is_poison, r.rejected, r.score);
}

template <class Row>
void expect_same_rows(const std::vector<Row>& a, const std::vector<Row>& b, const char* table) {
  ASSERT_EQ(a.size(), b.size()) << table;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(row_fields(a[i]), row_fields(b[i])) << table << " row " << i;
  }
}

// Same resolved scenario and the same rows in every table (groups: "/" or a sweep's /runs/<id>).
inline void expect_same_trace(const std::string& path_a, const std::string& path_b,
                              const std::string& group_a = "/", const std::string& group_b = "/") {
  const auto a = read_trace(path_a, group_a), b = read_trace(path_b, group_b);
  EXPECT_EQ(a.metadata.scenario_yaml, b.metadata.scenario_yaml);
  expect_same_rows(a.events, b.events, "events");
  expect_same_rows(a.samples, b.samples, "samples");
  expect_same_rows(a.retrains, b.retrains, "retrains");
  expect_same_rows(a.evaluations, b.evaluations, "evaluations");
  expect_same_rows(a.defense, b.defense, "defense");
  expect_same_rows(a.scores, b.scores, "scores");
}

}  // namespace poisonsim::test
