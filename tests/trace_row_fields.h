#pragma once
// Every field of a trace row as a tuple, so tests compare rows with == and gtest prints them.
#include <tuple>

#include "pipeline/trace/trace_reader.h"

namespace poisonsim::test {

inline auto row_fields(const EventRow& r) {
  return std::make_tuple(r.time, trace_name(r.kind), trace_name(r.source), r.batch_id, r.size,
                         r.accepted, r.rejected);
}
inline auto row_fields(const SampleRow& r) {
  return std::make_tuple(r.time, r.batch_id, trace_name(r.source), r.is_poison, r.label,
                         r.true_label, r.loss, r.prediction, r.rejected, r.model_version);
}
inline auto row_fields(const RetrainRow& r) {
  return std::make_tuple(r.time, r.index, r.buffer_size, r.poison_in_buffer, r.poison_fraction,
                         r.validation_loss_before, r.validation_loss_after,
                         r.validation_accuracy_before, r.validation_accuracy_after,
                         trace_name(r.gate), r.deployed, r.model_version);
}
inline auto row_fields(const EvaluationRow& r) {
  return std::make_tuple(r.time, r.model_version, r.accuracy, r.loss, r.samples);
}

}  // namespace poisonsim::test
