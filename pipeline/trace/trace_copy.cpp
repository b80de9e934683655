#include "pipeline/trace/trace_copy.h"

#include <vector>

#include "pipeline/trace/row_sink.h"
#include "pipeline/trace/trace_reader.h"

namespace poisonsim {
namespace {

// Hands the rows a reader's for_each visits to `add` a block at a time: the per-sample tables
// grow with the run, so they are never held whole.
template <class Row, class ForEach, class Add>
void copy_in_blocks(const ForEach& for_each, const Add& add) {
  constexpr size_t kBlock = 4096;
  std::vector<Row> block;
  block.reserve(kBlock);
  for_each([&](const Row& row) {
    block.push_back(row);
    if (block.size() == kBlock) {
      add(block.data(), block.size());
      block.clear();
    }
  });
  if (!block.empty()) add(block.data(), block.size());
}

}  // namespace

void copy_trace_rows(const std::string& source, RowSink& writer) {
  const TraceReader reader(source);
  for (const auto& row : reader.events()) writer.add_event(row);
  copy_in_blocks<SampleRow>(
      [&](const auto& visit) { reader.for_each_sample(visit); },
      [&](const SampleRow* rows, size_t n) { writer.add_samples(rows, n); });
  for (const auto& row : reader.retrains()) writer.add_retrain(row);
  for (const auto& row : reader.evaluations()) writer.add_evaluation(row);
  for (const auto& row : reader.defense()) writer.add_defense(row);
  copy_in_blocks<ScoreRow>(
      [&](const auto& visit) { reader.for_each_score(visit); },
      [&](const ScoreRow* rows, size_t n) { writer.add_scores(rows, n); });
}

}  // namespace poisonsim
