#pragma once
// `poisonsim inspect SWEEP.h5 --mean-over seed`: per cell of the grid (every swept value but the
// seed) and headline metric, the mean over the cell's seeds with its 95% confidence interval
// (bounded by what the metric can be: confidence_interval.h), standard deviation and n; as a
// table for a terminal (the cells side by side, then a block per cell) or as JSON.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/trace/sweep_file.h"

namespace poisonsim::cli {

// The sweep's aggregate table: the one stored in the file, or (in sweep files written before it
// existed) computed from the summary the same way. UserError naming `path` when the sweep has no
// seed axis or no summary.
std::vector<SummaryColumn> seed_aggregate(const std::string& path, const SweepContents& sweep);

void print_seed_means(const std::string& path, const SweepContents& sweep);
nlohmann::ordered_json seed_means_json(const std::string& path, const SweepContents& sweep);

}  // namespace poisonsim::cli
