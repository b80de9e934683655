#include "pipeline/trace/run_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <yaml-cpp/yaml.h>

#include "pipeline/trace/trace_reader.h"

namespace poisonsim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double ratio(int64_t part, int64_t whole) {
  return whole == 0 ? kNaN : static_cast<double>(part) / static_cast<double>(whole);
}

}  // namespace

std::vector<std::string> guard_stage_types(const std::string& scenario_yaml) {
  std::vector<std::string> types;
  try {
    YAML::Node scenario = YAML::Load(scenario_yaml);  // not const: a missing key is no error
    const YAML::Node guard = scenario["guard"];
    const auto type_of = [](const YAML::Node& stage) {
      return stage.IsMap() && stage["type"] ? stage["type"].as<std::string>() : std::string("?");
    };
    if (guard.IsSequence())
      for (const auto& stage : guard) types.push_back(type_of(stage));
    else if (guard.IsMap())
      types.push_back(type_of(guard));
    const YAML::Node sanitize = scenario["sanitize"];
    if (sanitize.IsDefined() && sanitize.IsSequence()) {
      // Sanitize stages are numbered after the guard's: a missing guard block is one stage.
      if (types.empty()) types.push_back("none");
      for (const auto& stage : sanitize) types.push_back(type_of(stage));
    }
  } catch (const YAML::Exception&) {
    types.clear();  // unreadable text: stages are named by number only
  }
  return types;
}

void RunMetricsSink::add_event(const EventRow& row) {
  events_ += 1;
  last_event_time_ = std::max(last_event_time_, row.time);
  if (row.batch_id < 0) return;  // only arrival batches carry a batch id
  const bool poison = trace_name(row.kind) == "poison-batch";
  const std::string name = trace_name(row.source);
  auto it = std::find_if(sources_.begin(), sources_.end(),
                         [&](const SourceTotals& s) { return s.name == name; });
  if (it == sources_.end()) it = sources_.insert(sources_.end(), SourceTotals{name, poison});
  it->batches += 1;
  it->samples += row.size;
  it->rejected += row.rejected;
  if (m_.counted_from_samples) return;
  // Without a samples table every sample of a poison batch counts as poison.
  (poison ? m_.poison_samples : m_.clean_samples) += row.size;
  (poison ? m_.poison_rejected : m_.clean_rejected) += row.rejected;
}

void RunMetricsSink::add_samples(const SampleRow* rows, size_t count) {
  if (!m_.counted_from_samples) return;
  for (size_t i = 0; i < count; ++i) {
    const auto& row = rows[i];
    (row.is_poison ? m_.poison_samples : m_.clean_samples) += 1;
    (row.is_poison ? m_.poison_rejected : m_.clean_rejected) += row.rejected ? 1 : 0;
    if (row.rejected_by == 0) continue;
    if (stages_.size() < row.rejected_by) stages_.resize(row.rejected_by);
    auto& stage = stages_[row.rejected_by - 1];
    (row.is_poison ? stage.poison : stage.clean) += 1;
  }
}

// Only the per-stage counts change: a removed sample was accepted by the guard, which the
// guard's rates go on saying.
void RunMetricsSink::remove_samples(const SampleRemoval* removals, size_t count) {
  if (!m_.counted_from_samples) return;
  for (size_t i = 0; i < count; ++i) {
    const auto& r = removals[i];
    if (r.stage == 0) continue;
    if (stages_.size() < r.stage) stages_.resize(r.stage);
    (r.is_poison ? stages_[r.stage - 1].poison : stages_[r.stage - 1].clean) += 1;
  }
}

void RunMetricsSink::add_retrain(const RetrainRow& row) {
  m_.retrains += 1;
  m_.deployed += row.deployed ? 1 : 0;
  const std::string gate = trace_name(row.gate);
  if (gate == "refuse") {
    m_.refused += 1;
    m_.refused_without_poison += row.poison_in_buffer == 0 ? 1 : 0;
    refusals_.push_back(row);
  }
  empty_retrains_ += gate == "empty" ? 1 : 0;
  if (gate != "empty") {
    const double change = row.test_accuracy_after - row.test_accuracy_before;
    if (!lowest_retrain_change_ || change < *lowest_retrain_change_)
      lowest_retrain_change_ = change;
  }
  poison_fraction_sum_ += row.poison_fraction;
}

void RunMetricsSink::add_evaluation(const EvaluationRow& row) {
  const EvaluationPoint point{row.time, row.accuracy, row.model_version};
  evaluations_ += 1;
  accuracy_sum_ += row.accuracy;
  if (!first_) first_ = point;
  last_ = point;
  if (!lowest_ || point.accuracy < lowest_->accuracy) lowest_ = point;
}

RunMetrics RunMetricsSink::metrics() const {
  RunMetrics m = m_;
  m.true_positive_rate = ratio(m.poison_rejected, m.poison_samples);
  m.false_positive_rate = ratio(m.clean_rejected, m.clean_samples);
  const int64_t poison_accepted = m.poison_samples - m.poison_rejected;
  m.poison_accepted_fraction =
      ratio(poison_accepted, poison_accepted + m.clean_samples - m.clean_rejected);
  m.buffer_poison_fraction_mean =
      m.retrains ? poison_fraction_sum_ / static_cast<double>(m.retrains) : kNaN;
  m.accuracy_first = first_ ? first_->accuracy : kNaN;
  m.accuracy_last = last_ ? last_->accuracy : kNaN;
  m.accuracy_min = lowest_ ? lowest_->accuracy : kNaN;
  m.accuracy_mean = evaluations_ ? accuracy_sum_ / static_cast<double>(evaluations_) : kNaN;
  m.accuracy_change = m.accuracy_last - m.accuracy_first;
  m.retrain_test_change_min = lowest_retrain_change_.value_or(kNaN);
  return m;
}

RunMetricsSink read_run_metrics(const TraceReader& reader) {
  RunMetricsSink sink(reader.has_samples());
  for (const auto& row : reader.events()) sink.add_event(row);
  if (reader.has_samples())
    reader.for_each_sample([&sink](const SampleRow& row) { sink.add_samples(&row, 1); });
  for (const auto& row : reader.retrains()) sink.add_retrain(row);
  for (const auto& row : reader.evaluations()) sink.add_evaluation(row);
  return sink;
}

RunMetrics compute_run_metrics(const TraceReader& reader) {
  return read_run_metrics(reader).metrics();
}

const std::vector<MetricField>& run_metric_fields() {
#define POISONSIM_PROPORTION(member)                                                             \
  MetricField {                                                                                  \
#member, false, QuantityKind::proportion, [](const RunMetrics& m) { return m.member; },      \
                                                                                         nullptr \
  }
#define POISONSIM_DIFFERENCE(member)                                                             \
  MetricField {                                                                                  \
#member, false, QuantityKind::unbounded, [](const RunMetrics& m) { return m.member; }, nullptr \
  }
#define POISONSIM_COUNT(member)                                                               \
  MetricField {                                                                               \
#member, true, QuantityKind::count, nullptr, [](const RunMetrics& m) { return m.member; } \
  }
  static const std::vector<MetricField> fields{POISONSIM_PROPORTION(accuracy_first),
                                               POISONSIM_PROPORTION(accuracy_last),
                                               POISONSIM_PROPORTION(accuracy_min),
                                               POISONSIM_PROPORTION(accuracy_mean),
                                               POISONSIM_DIFFERENCE(accuracy_change),
                                               POISONSIM_DIFFERENCE(retrain_test_change_min),
                                               POISONSIM_COUNT(poison_samples),
                                               POISONSIM_COUNT(poison_rejected),
                                               POISONSIM_COUNT(clean_samples),
                                               POISONSIM_COUNT(clean_rejected),
                                               POISONSIM_PROPORTION(true_positive_rate),
                                               POISONSIM_PROPORTION(false_positive_rate),
                                               POISONSIM_PROPORTION(poison_accepted_fraction),
                                               POISONSIM_PROPORTION(buffer_poison_fraction_mean),
                                               POISONSIM_COUNT(retrains),
                                               POISONSIM_COUNT(deployed),
                                               POISONSIM_COUNT(refused)};
#undef POISONSIM_PROPORTION
#undef POISONSIM_COUNT
#undef POISONSIM_DIFFERENCE
  return fields;
}

}  // namespace poisonsim
