#include "pipeline/trace/trace_copy.h"

#include <vector>

#include "pipeline/trace/row_sink.h"
#include "pipeline/trace/trace_reader.h"

namespace poisonsim {

void copy_trace_rows(const std::string& source, RowSink& writer) {
  const TraceReader reader(source);
  for (const auto& row : reader.events()) writer.add_event(row);
  constexpr size_t kBlock = 4096;
  std::vector<SampleRow> block;
  block.reserve(kBlock);
  reader.for_each_sample([&](const SampleRow& row) {
    block.push_back(row);
    if (block.size() == kBlock) {
      writer.add_samples(block.data(), block.size());
      block.clear();
    }
  });
  if (!block.empty()) writer.add_samples(block.data(), block.size());
  for (const auto& row : reader.retrains()) writer.add_retrain(row);
  for (const auto& row : reader.evaluations()) writer.add_evaluation(row);
  for (const auto& row : reader.defense()) writer.add_defense(row);
  const auto scores = reader.scores();
  writer.add_scores(scores.data(), scores.size());
}

}  // namespace poisonsim
