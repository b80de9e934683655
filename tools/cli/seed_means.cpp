#include "tools/cli/seed_means.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>

#include "pipeline/trace/run_metrics.h"
#include "pipeline/trace/sweep_aggregate.h"
#include "sim/util/error.h"
#include "tools/common/json_number.h"

namespace poisonsim::cli {
namespace {

using Kind = SummaryColumn::Kind;

// The aggregate table by column, with its cells' extent.
struct Aggregate {
  std::vector<SummaryColumn> table;
  std::vector<const SummaryColumn*> values;  // the cell's parameters (every one but the seed)
  const SummaryColumn *cell, *metric, *kind, *runs, *failed, *n, *mean, *sd, *t, *half, *low, *high;
  size_t rows = 0;

  Aggregate(std::vector<SummaryColumn> columns, const std::vector<std::string>& parameters,
            const std::string& where)
      : table(std::move(columns)) {
    const auto get = [&](const char* name) {
      const SummaryColumn* column = find_column(table, name);
      if (!column)
        throw UserError(where, fmt::format("the aggregate table has no column '{}'", name));
      return column;
    };
    cell = get("cell"), metric = get("metric"), kind = get("kind"), runs = get("runs"),
    failed = get("failed");
    n = get("n"), mean = get("mean"), sd = get("sd"), t = get("t");
    half = get("ci95_half_width"), low = get("ci95_low"), high = get("ci95_high");
    for (const auto& parameter : parameters)
      if (parameter != kSeedAxis) values.push_back(find_column(table, parameter));
    rows = cell->size();
  }

  Aggregate(const Aggregate&) = delete;  // the pointers point into `table`
  Aggregate& operator=(const Aggregate&) = delete;

  // [first, end) of the rows of the cell that starts at `first`.
  size_t cell_end(size_t first) const {
    size_t end = first;
    while (end < rows && cell->integers[end] == cell->integers[first]) ++end;
    return end;
  }
};

std::vector<std::string> cell_parameters(const SweepContents& sweep) {
  std::vector<std::string> out;
  for (const auto& p : sweep.header.parameters)
    if (p != kSeedAxis) out.push_back(p);
  return out;
}

bool is_count(const std::string& metric) {
  for (const auto& field : run_metric_fields())
    if (metric == field.name) return field.is_integer;
  return false;
}

// The distinct seeds of the summary, in order.
std::vector<double> seeds_of(const SweepContents& sweep) {
  std::vector<double> seeds;
  const SummaryColumn* column = find_column(sweep.summary, kSeedAxis);
  if (!column || column->kind != Kind::real) return seeds;
  for (double seed : column->reals)
    if (std::find(seeds.begin(), seeds.end(), seed) == seeds.end()) seeds.push_back(seed);
  return seeds;
}

std::string value_text(const SummaryColumn& column, size_t row) {
  if (column.kind == Kind::real) return fmt::format("{:g}", column.reals[row]);
  if (column.kind == Kind::integer) return std::to_string(column.integers[row]);
  constexpr size_t kWidest = 48;  // whole blocks (attackers=[{...}]) are cut; the file has them
  const auto& text = column.texts[row];
  return text.size() <= kWidest ? text : text.substr(0, kWidest - 3) + "...";
}

nlohmann::ordered_json value_json(const SummaryColumn& column, size_t row) {
  if (column.kind == Kind::real) return number_or_null(column.reals[row]);
  if (column.kind == Kind::integer) return column.integers[row];
  return column.texts[row];
}

std::string seeds_text(const std::vector<double>& seeds) {
  std::vector<std::string> shown;
  for (size_t i = 0; i < seeds.size() && i < 10; ++i)
    shown.push_back(fmt::format("{:.0f}", seeds[i]));
  return fmt::format("{}{}", fmt::join(shown, ", "), seeds.size() > 10 ? ", ..." : "");
}

void print_metric_row(const Aggregate& a, size_t row) {
  const std::string& name = a.metric->texts[row];
  const int64_t n = a.n->integers[row];
  const bool count = is_count(name);  // counts average to fractions of a sample: one decimal
  const auto f = [&](double value) {
    return count ? fmt::format("{:.1f}", value) : fmt::format("{:.4f}", value);
  };
  if (n == 0) {
    fmt::print("  {:<28} {:>3} {:>10}   (no run has a value)\n", name, n, "-");
  } else if (n == 1) {
    fmt::print("  {:<28} {:>3} {:>10}   (n = 1: no interval)\n", name, n, f(a.mean->reals[row]));
  } else {  // no "±": a bounded interval is not symmetric about the mean
    fmt::print("  {:<28} {:>3} {:>10}  {:<22} sd {}\n", name, n, f(a.mean->reals[row]),
               fmt::format("[{}, {}]", f(a.low->reals[row]), f(a.high->reals[row])),
               f(a.sd->reals[row]));
  }
}

// The metrics a reader compares across cells, in the side-by-side table's column order.
constexpr const char* kTableMetrics[] = {"accuracy_last", "accuracy_mean", "true_positive_rate",
                                         "false_positive_rate", "refused"};

// The row of `metric` among the cell's rows [first, end), or `end` when it has none.
size_t metric_row(const Aggregate& a, size_t first, size_t end, const std::string& metric) {
  for (size_t row = first; row < end; ++row)
    if (a.metric->texts[row] == metric) return row;
  return end;
}

// "mean [low, high]", 3 decimals (one for counts); the mean alone when n = 1, "-" when n = 0.
std::string table_entry(const Aggregate& a, size_t row) {
  const bool count = is_count(a.metric->texts[row]);
  const auto f = [&](double value) {
    return count ? fmt::format("{:.1f}", value) : fmt::format("{:.3f}", value);
  };
  const int64_t n = a.n->integers[row];
  if (n == 0) return "-";
  if (n == 1) return f(a.mean->reals[row]) + " (n=1)";
  return fmt::format("{} [{}, {}]", f(a.mean->reals[row]), f(a.low->reals[row]),
                     f(a.high->reals[row]));
}

// One row per cell, one column per swept value and key metric: what a reader compares.
void print_means_table(const Aggregate& a) {
  std::vector<std::string> header{"cell"}, metrics;
  for (const auto* column : a.values)
    if (column) header.push_back(column->name);
  header.push_back("n");
  for (const char* metric : kTableMetrics)
    if (metric_row(a, 0, a.cell_end(0), metric) < a.cell_end(0)) metrics.push_back(metric);
  header.insert(header.end(), metrics.begin(), metrics.end());
  std::vector<std::vector<std::string>> rows;
  for (size_t first = 0; first < a.rows; first = a.cell_end(first)) {
    const size_t end = a.cell_end(first);
    std::vector<std::string> row{std::to_string(a.cell->integers[first])};
    for (const auto* column : a.values) {
      constexpr size_t kWidest = 24;  // a whole block as a value: the blocks below have more
      if (!column) continue;
      const std::string value = value_text(*column, first);
      row.push_back(value.size() <= kWidest ? value : value.substr(0, kWidest - 3) + "...");
    }
    const size_t accuracy = metric_row(a, first, end, "accuracy_last");
    row.push_back(accuracy < end ? std::to_string(a.n->integers[accuracy]) : "-");
    for (const auto& metric : metrics) {
      const size_t r = metric_row(a, first, end, metric);
      row.push_back(r < end ? table_entry(a, r) : "-");
    }
    rows.push_back(std::move(row));
  }
  std::vector<size_t> widths(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    widths[c] = header[c].size();
    for (const auto& row : rows) widths[c] = std::max(widths[c], row[c].size());
  }
  const auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c)
      line += fmt::format("{:<{}}", row[c], c + 1 < row.size() ? widths[c] + 2 : 0);
    fmt::print("{}\n", line);
  };
  fmt::print(
      "\ncells side by side: mean [95% CI] over seeds; n: runs with an accuracy (per metric\n"
      "in the blocks below, which hold every metric with its sd)\n");
  print_row(header);
  for (const auto& row : rows) print_row(row);
}

}  // namespace

std::vector<SummaryColumn> seed_aggregate(const std::string& path, const SweepContents& sweep) {
  const auto& parameters = sweep.header.parameters;
  if (std::find(parameters.begin(), parameters.end(), kSeedAxis) == parameters.end())
    throw UserError(path, fmt::format("--mean-over seed: the sweep has no seed axis (swept: {}); "
                                      "run it with --seeds N or a seed axis",
                                      fmt::join(parameters, ", ")));
  // A table without `kind` predates bounded intervals (its rates could pass 1): recomputed.
  if (!sweep.aggregate.empty() && find_column(sweep.aggregate, "kind")) return sweep.aggregate;
  if (sweep.summary.empty())
    throw UserError(path, "has no summary table (the sweep did not finish): nothing to average");
  return aggregate_over(sweep.summary, parameters, kSeedAxis, path);
}

void print_seed_means(const std::string& path, const SweepContents& sweep) {
  const Aggregate a(seed_aggregate(path, sweep), sweep.header.parameters, path);
  const auto seeds = seeds_of(sweep);
  fmt::print("sweep      {} over {} ({})\n", path, sweep.header.scenario_file,
             sweep.complete ? "complete" : "INCOMPLETE (still running, or it died)");
  fmt::print("mean over  seed: {} seeds ({})\n", seeds.size(), seeds_text(seeds));
  fmt::print(
      "           mean, its 95% confidence interval [low, high] and sd; n: the runs that\n"
      "           finished with a value. Student t (n - 1 degrees of freedom) on the logit scale\n"
      "           for rates and accuracies (inside [0, 1]); for counts its lower bound is\n"
      "           raised to 0; docs/results.md\n");
  if (a.rows > 0) print_means_table(a);
  for (size_t first = 0; first < a.rows; first = a.cell_end(first)) {
    std::vector<std::string> values;
    for (const auto* column : a.values)
      if (column) values.push_back(column->name + "=" + value_text(*column, first));
    const int64_t failed = a.failed->integers[first];
    fmt::print("\ncell {}: {} ({} runs{})\n", a.cell->integers[first],
               values.empty() ? "every run" : fmt::format("{}", fmt::join(values, ", ")),
               a.runs->integers[first],
               failed ? fmt::format(", {} failed and left out", failed) : "");
    fmt::print("  {:<28} {:>3} {:>10}  {:<22} {}\n", "metric", "n", "mean", "95% CI [low, high]",
               "sd");
    for (size_t row = first; row < a.cell_end(first); ++row) print_metric_row(a, row);
  }
  if (a.rows == 0) fmt::print("\n(no summary rows)\n");
}

nlohmann::ordered_json seed_means_json(const std::string& path, const SweepContents& sweep) {
  const Aggregate a(seed_aggregate(path, sweep), sweep.header.parameters, path);
  nlohmann::ordered_json cells = nlohmann::ordered_json::array();
  for (size_t first = 0; first < a.rows; first = a.cell_end(first)) {
    nlohmann::ordered_json values = nlohmann::ordered_json::object();
    for (const auto* column : a.values)
      if (column) values[column->name] = value_json(*column, first);
    nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
    for (size_t row = first; row < a.cell_end(first); ++row)
      metrics[a.metric->texts[row]] = {{"kind", a.kind->texts[row]},
                                       {"n", a.n->integers[row]},
                                       {"mean", number_or_null(a.mean->reals[row])},
                                       {"sd", number_or_null(a.sd->reals[row])},
                                       {"t", number_or_null(a.t->reals[row])},
                                       {"ci95_half_width", number_or_null(a.half->reals[row])},
                                       {"ci95_low", number_or_null(a.low->reals[row])},
                                       {"ci95_high", number_or_null(a.high->reals[row])}};
    cells.push_back({{"cell", a.cell->integers[first]},
                     {"values", values},
                     {"runs", a.runs->integers[first]},
                     {"failed", a.failed->integers[first]},
                     {"metrics", metrics}});
  }
  nlohmann::ordered_json seeds = nlohmann::ordered_json::array();
  for (double seed : seeds_of(sweep)) seeds.push_back(static_cast<int64_t>(seed));
  return {{"sweep", path},
          {"scenario_file", sweep.header.scenario_file},
          {"complete", sweep.complete},
          {"mean_over", kSeedAxis},
          {"confidence", kAggregateConfidence},
          {"interval",
           "Student t with n - 1 degrees of freedom, on the logit scale for a proportion and "
           "raised to 0 for a count (ci95_low, ci95_high; ci95_half_width is the unbounded t "
           "half-width)"},
          {"seeds", seeds},
          {"parameters", cell_parameters(sweep)},
          {"cells", cells}};
}

}  // namespace poisonsim::cli
