#include "pipeline/trace/run_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "pipeline/trace/trace_reader.h"

namespace poisonsim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double ratio(int64_t part, int64_t whole) {
  return whole == 0 ? kNaN : static_cast<double>(part) / static_cast<double>(whole);
}

void count_from_samples(const TraceReader& reader, RunMetrics& m) {
  reader.for_each_sample([&m](const SampleRow& row) {
    (row.is_poison ? m.poison_samples : m.clean_samples) += 1;
    (row.is_poison ? m.poison_rejected : m.clean_rejected) += row.rejected ? 1 : 0;
  });
}

void count_from_events(const std::vector<EventRow>& events, RunMetrics& m) {
  for (const auto& row : events) {
    if (row.batch_id < 0) continue;  // only arrival batches carry a batch id
    const bool poison = trace_name(row.kind) == "poison-batch";
    (poison ? m.poison_samples : m.clean_samples) += row.size;
    (poison ? m.poison_rejected : m.clean_rejected) += row.rejected;
  }
}

}  // namespace

RunMetrics compute_run_metrics(const TraceReader& reader) {
  RunMetrics m;
  m.counted_from_samples = reader.has_samples();
  if (m.counted_from_samples) {
    count_from_samples(reader, m);
  } else {
    count_from_events(reader.events(), m);
  }
  m.true_positive_rate = ratio(m.poison_rejected, m.poison_samples);
  m.false_positive_rate = ratio(m.clean_rejected, m.clean_samples);
  const int64_t poison_accepted = m.poison_samples - m.poison_rejected;
  m.poison_accepted_fraction =
      ratio(poison_accepted, poison_accepted + m.clean_samples - m.clean_rejected);

  double fraction_sum = 0;
  for (const auto& row : reader.retrains()) {
    m.retrains += 1;
    m.deployed += row.deployed ? 1 : 0;
    m.refused += trace_name(row.gate) == "refuse" ? 1 : 0;
    fraction_sum += row.poison_fraction;
  }
  m.buffer_poison_fraction_mean =
      m.retrains ? fraction_sum / static_cast<double>(m.retrains) : kNaN;

  const auto evaluations = reader.evaluations();
  m.accuracy_first = m.accuracy_last = m.accuracy_min = m.accuracy_mean = kNaN;
  if (!evaluations.empty()) {
    double sum = 0;
    m.accuracy_first = evaluations.front().accuracy;
    m.accuracy_last = evaluations.back().accuracy;
    m.accuracy_min = evaluations.front().accuracy;
    for (const auto& row : evaluations) {
      sum += row.accuracy;
      m.accuracy_min = std::min(m.accuracy_min, row.accuracy);
    }
    m.accuracy_mean = sum / static_cast<double>(evaluations.size());
  }
  return m;
}

const std::vector<MetricField>& run_metric_fields() {
#define POISONSIM_REAL(member)                                            \
  MetricField {                                                           \
#member, false, [](const RunMetrics& m) { return m.member; }, nullptr \
  }
#define POISONSIM_COUNT(member)                                          \
  MetricField {                                                          \
#member, true, nullptr, [](const RunMetrics& m) { return m.member; } \
  }
  static const std::vector<MetricField> fields{POISONSIM_REAL(accuracy_first),
                                               POISONSIM_REAL(accuracy_last),
                                               POISONSIM_REAL(accuracy_min),
                                               POISONSIM_REAL(accuracy_mean),
                                               POISONSIM_COUNT(poison_samples),
                                               POISONSIM_COUNT(poison_rejected),
                                               POISONSIM_COUNT(clean_samples),
                                               POISONSIM_COUNT(clean_rejected),
                                               POISONSIM_REAL(true_positive_rate),
                                               POISONSIM_REAL(false_positive_rate),
                                               POISONSIM_REAL(poison_accepted_fraction),
                                               POISONSIM_REAL(buffer_poison_fraction_mean),
                                               POISONSIM_COUNT(retrains),
                                               POISONSIM_COUNT(deployed),
                                               POISONSIM_COUNT(refused)};
#undef POISONSIM_REAL
#undef POISONSIM_COUNT
  return fields;
}

}  // namespace poisonsim
