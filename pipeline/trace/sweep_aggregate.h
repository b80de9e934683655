#pragma once
// The aggregate table of a sweep file (docs/trace-format.md, "Sweep files"): the summary's runs
// grouped into cells (every swept value but the seed's), and per cell and headline metric the
// mean over the cell's seeds with its 95% confidence interval, bounded by what the metric can be
// (pipeline/trace/confidence_interval.h).
#include <string>
#include <vector>

#include "pipeline/trace/sweep_file.h"

namespace poisonsim {

constexpr const char* kSeedAxis = "seed";  // a sweep's seed axis (the scenario key `seed`)
constexpr double kAggregateConfidence = 0.95;

// One row per (cell, metric), cells in the order their first run appears in the summary
// (the grid's order), metrics in the summary's order. Columns: cell, each parameter but
// `axis` (as in the summary), metric, kind (proportion, count: QuantityKind), runs, failed, n,
// mean, sd, t, ci95_half_width (t sd / sqrt(n), the unbounded Student t half-width), ci95_low,
// ci95_high (the interval for the kind: mean_bounds). Failed runs are left out and counted in `failed`; a run whose value is
// NaN (a rate with nothing to count) is left out of that metric's n. UserError naming `where`
// when the summary lacks `axis`, `status` or a parameter's column.
std::vector<SummaryColumn> aggregate_over(const std::vector<SummaryColumn>& summary,
                                          const std::vector<std::string>& parameters,
                                          const std::string& axis, const std::string& where);

// The column named `name`, or nullptr.
const SummaryColumn* find_column(const std::vector<SummaryColumn>& table, const std::string& name);

}  // namespace poisonsim
