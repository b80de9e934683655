#include "pipeline/trace/sweep_aggregate.h"

#include <algorithm>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "pipeline/trace/confidence_interval.h"
#include "pipeline/trace/run_metrics.h"
#include "sim/util/error.h"

namespace poisonsim {
namespace {

using Kind = SummaryColumn::Kind;

const SummaryColumn& required(const std::vector<SummaryColumn>& summary, const std::string& name,
                              const std::string& where) {
  const SummaryColumn* column = find_column(summary, name);
  if (!column) throw UserError(where, fmt::format("the summary table has no column '{}'", name));
  return *column;
}

// A cell's value of one parameter, as text that tells any two values apart.
std::string key_text(const SummaryColumn& column, size_t row) {
  switch (column.kind) {
    case Kind::real:
      return fmt::format("{}", column.reals[row]);
    case Kind::integer:
      return std::to_string(column.integers[row]);
    case Kind::text:
      return column.texts[row];
  }
  return "";
}

double value_at(const SummaryColumn& column, size_t row) {
  return column.kind == Kind::integer ? static_cast<double>(column.integers[row])
                                      : column.reals[row];
}

void append_value(SummaryColumn& to, const SummaryColumn& from, size_t row) {
  switch (from.kind) {
    case Kind::real:
      to.reals.push_back(from.reals[row]);
      break;
    case Kind::integer:
      to.integers.push_back(from.integers[row]);
      break;
    case Kind::text:
      to.texts.push_back(from.texts[row]);
      break;
  }
}

SummaryColumn column_of(const std::string& name, Kind kind) { return {name, kind, {}, {}, {}}; }

}  // namespace

const SummaryColumn* find_column(const std::vector<SummaryColumn>& table, const std::string& name) {
  for (const auto& column : table)
    if (column.name == name) return &column;
  return nullptr;
}

std::vector<SummaryColumn> aggregate_over(const std::vector<SummaryColumn>& summary,
                                          const std::vector<std::string>& parameters,
                                          const std::string& axis, const std::string& where) {
  if (std::find(parameters.begin(), parameters.end(), axis) == parameters.end())
    throw UserError(where, fmt::format("the sweep has no '{}' axis to average over (swept: {})",
                                       axis, fmt::join(parameters, ", ")));
  required(summary, axis, where);
  const SummaryColumn& status = required(summary, "status", where);
  if (status.kind != Kind::text)
    throw UserError(where, "the summary's 'status' column is not text (expected ok or failed)");
  std::vector<const SummaryColumn*> cell_columns;
  for (const auto& parameter : parameters)
    if (parameter != axis) cell_columns.push_back(&required(summary, parameter, where));
  std::vector<std::pair<const SummaryColumn*, QuantityKind>> metrics;
  for (const auto& field : run_metric_fields()) {
    const SummaryColumn* column = find_column(summary, field.name);
    if (column && column->kind != Kind::text) metrics.emplace_back(column, field.kind);
  }

  // Cells in the order of their first run; each with its rows.
  const size_t rows = status.size();
  std::map<std::vector<std::string>, size_t> index;
  std::vector<std::vector<size_t>> cells;
  for (size_t row = 0; row < rows; ++row) {
    std::vector<std::string> key;
    for (const auto* column : cell_columns) key.push_back(key_text(*column, row));
    const auto [it, added] = index.emplace(key, cells.size());
    if (added) cells.emplace_back();
    cells[it->second].push_back(row);
  }

  SummaryColumn cell = column_of("cell", Kind::integer);
  std::vector<SummaryColumn> values;
  for (const auto* column : cell_columns) values.push_back(column_of(column->name, column->kind));
  SummaryColumn metric = column_of("metric", Kind::text), kind = column_of("kind", Kind::text);
  SummaryColumn runs = column_of("runs", Kind::integer),
                failed = column_of("failed", Kind::integer), n = column_of("n", Kind::integer);
  SummaryColumn mean = column_of("mean", Kind::real), sd = column_of("sd", Kind::real),
                t = column_of("t", Kind::real), half = column_of("ci95_half_width", Kind::real),
                low = column_of("ci95_low", Kind::real), high = column_of("ci95_high", Kind::real);
  for (size_t c = 0; c < cells.size(); ++c) {
    const auto& members = cells[c];
    int64_t failures = 0;
    for (size_t row : members) failures += status.texts[row] == "ok" ? 0 : 1;
    for (const auto& [column, quantity] : metrics) {
      std::vector<double> sample;
      for (size_t row : members)
        if (status.texts[row] == "ok") sample.push_back(value_at(*column, row));
      const MeanInterval interval = mean_interval(sample, quantity, kAggregateConfidence);
      cell.integers.push_back(static_cast<int64_t>(c));
      for (size_t p = 0; p < cell_columns.size(); ++p)
        append_value(values[p], *cell_columns[p], members.front());
      metric.texts.push_back(column->name);
      kind.texts.push_back(quantity_kind_name(quantity));
      runs.integers.push_back(static_cast<int64_t>(members.size()));
      failed.integers.push_back(failures);
      n.integers.push_back(interval.n);
      mean.reals.push_back(interval.mean);
      sd.reals.push_back(interval.sd);
      t.reals.push_back(interval.t);
      half.reals.push_back(interval.half_width);
      low.reals.push_back(interval.low);
      high.reals.push_back(interval.high);
    }
  }
  std::vector<SummaryColumn> table{std::move(cell)};
  for (auto& column : values) table.push_back(std::move(column));
  for (auto* column : {&metric, &kind, &runs, &failed, &n, &mean, &sd, &t, &half, &low, &high})
    table.push_back(std::move(*column));
  return table;
}

}  // namespace poisonsim
