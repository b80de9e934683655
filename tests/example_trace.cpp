#include "tests/example_trace.h"

#include <vector>

#include "pipeline/trace/trace_writer.h"

namespace poisonsim::test {
namespace {

EventRow event(double time, const char* kind, const char* source, int64_t batch_id, int64_t size,
               int64_t rejected) {
  EventRow row;
  row.time = time;
  set_trace_name(row.kind, kind);
  set_trace_name(row.source, source);
  row.batch_id = batch_id;
  row.size = size;
  row.rejected = rejected;
  row.accepted = size - rejected;
  return row;
}

}  // namespace

void write_example_trace(const std::string& path, bool samples, int64_t chunk_rows) {
  TraceMetadata metadata;
  metadata.scenario_yaml =
      "seed: 7\nduration: 100\nstreams:\n  - name: clean\nguard:\n  - {type: loss-threshold}\n"
      "  - {type: knn}\n";
  metadata.seed = 7;
  metadata.version = "example";
  TraceOptions options;
  options.samples = samples;
  options.chunk_rows = chunk_rows;
  auto writer = TraceWriter::create_file(path, metadata, options);

  int64_t batch_id = 0;
  int64_t clean_index = 0;
  int64_t poison_index = 0;
  int64_t model_version = 0;
  const auto batch = [&](double time, const char* source, bool poison, int64_t size) {
    std::vector<SampleRow> rows(static_cast<size_t>(size));
    int64_t rejected = 0;
    for (auto& row : rows) {
      const int64_t index = poison ? poison_index++ : clean_index++;
      row.time = time;
      row.batch_id = batch_id;
      set_trace_name(row.source, source);
      row.is_poison = poison ? 1 : 0;
      row.true_label = index % 10;
      row.label = poison ? (row.true_label + 1) % 10 : row.true_label;
      row.prediction = row.true_label;
      row.loss = poison ? 2.5f + 0.01f * static_cast<float>(index % 7) : 0.1f;
      row.rejected = (poison ? index % 5 != 0 : index % 50 == 0) ? 1 : 0;
      // Two guard stages: the first rejects the poison it catches, the second the clean samples.
      row.rejected_by = row.rejected ? (poison ? 1 : 2) : 0;
      row.model_version = model_version;
      rejected += row.rejected;
    }
    writer->add_samples(rows.data(), rows.size());
    writer->add_event(
        event(time, poison ? "poison-batch" : "stream-batch", source, batch_id++, size, rejected));
  };

  for (int t = 1; t <= 100; ++t) {
    const double time = t;
    batch(time, "clean", false, 10);
    if (t % 4 == 0) batch(time, "label-flip", true, 5);
    if (t % 25 == 0) {
      RetrainRow retrain;
      retrain.time = time;
      retrain.index = t / 25 - 1;
      retrain.buffer_size = 250;
      retrain.poison_fraction = 0.1 * static_cast<double>(retrain.index + 1);
      retrain.poison_in_buffer = static_cast<int64_t>(25 * (retrain.index + 1));
      retrain.validation_loss_before = 0.5;
      retrain.validation_loss_after = 0.5 + 0.1 * static_cast<double>(retrain.index);
      retrain.validation_accuracy_before = 0.85;
      retrain.validation_accuracy_after = 0.85 - 0.05 * static_cast<double>(retrain.index);
      retrain.test_accuracy_before = 0.84;
      retrain.test_accuracy_after = 0.84 - 0.05 * static_cast<double>(retrain.index);
      const bool refuse = retrain.index == 2;
      set_trace_name(retrain.gate, refuse ? "refuse" : "allow");
      retrain.deployed = refuse ? 0 : 1;
      if (refuse) {  // a loss rise of 0.2 nats against the default 0.05 limit
        set_trace_name(retrain.gate_reason, "validation_loss");
        retrain.gate_margin = 0.15;
      }
      if (!refuse) ++model_version;
      retrain.model_version = model_version;
      // The guard's account of the window: none poisoned in the first, 24 of 30 caught later.
      DefenseRow defense;
      defense.time = time;
      defense.window = retrain.index;
      defense.stage = 1;
      set_trace_name(defense.kind, "guard");
      set_trace_name(defense.type, "loss-threshold");
      defense.clean_seen = 250;
      defense.clean_removed = 5;
      defense.poison_seen = retrain.index == 0 ? 0 : 30;
      defense.poison_removed = retrain.index == 0 ? 0 : 24;
      writer->add_defense(defense);
      writer->add_retrain(retrain);
      writer->add_event(event(time, "retrain", "system", -1, 0, 0));
      writer->flush();  // as the simulator would: a crash loses at most one retrain interval
    }
    if (t % 10 == 0) {
      EvaluationRow evaluation;
      evaluation.time = time;
      evaluation.model_version = model_version;
      evaluation.accuracy = t == 70 ? 0.60 : 0.9 - 0.002 * time;
      evaluation.loss = 1 - evaluation.accuracy;
      evaluation.samples = 2000;
      writer->add_evaluation(evaluation);
      writer->add_event(event(time, "evaluation", "system", -1, 0, 0));
    }
  }
  writer->add_event(event(100, "end", "system", -1, 0, 0));
  writer->set_attribute("defense_seconds", R"({"1 loss-threshold": 0.25})");
  writer->close();
}

}  // namespace poisonsim::test
