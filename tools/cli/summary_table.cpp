#include "tools/cli/summary_table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "tools/sweep/sweep_numerics.h"

namespace poisonsim::cli {
namespace {

// The metric columns worth a terminal's width; the file holds them all.
const std::vector<std::string> kShownMetrics = {"accuracy_last",
                                                "accuracy_mean",
                                                "accuracy_min",
                                                "true_positive_rate",
                                                "false_positive_rate",
                                                "poison_accepted_fraction",
                                                "refused"};

std::string cell(const SummaryColumn& column, size_t row) {
  switch (column.kind) {
    case SummaryColumn::Kind::real: {
      const double value = column.reals[row];
      return std::isnan(value) ? "-" : fmt::format("{:.4g}", value);
    }
    case SummaryColumn::Kind::integer:
      return std::to_string(column.integers[row]);
    case SummaryColumn::Kind::text: {
      // Whole blocks (attackers=[{...}]) would make the table unreadable; the file has them.
      constexpr size_t kWidest = 32;
      const auto& text = column.texts[row];
      return text.size() <= kWidest ? text : text.substr(0, kWidest - 3) + "...";
    }
  }
  return "";
}

}  // namespace

void print_summary_table(const SweepContents& sweep) {
  std::vector<const SummaryColumn*> shown;
  for (const auto& column : sweep.summary) {
    const bool parameter = std::find(sweep.header.parameters.begin(), sweep.header.parameters.end(),
                                     column.name) != sweep.header.parameters.end();
    const bool metric =
        std::find(kShownMetrics.begin(), kShownMetrics.end(), column.name) != kShownMetrics.end();
    if (column.name == "run" || column.name == "status" || parameter || metric)
      shown.push_back(&column);
  }
  if (shown.empty() || shown.front()->size() == 0) {
    fmt::print("(no summary rows)\n");
    return;
  }
  std::vector<size_t> widths;
  for (const auto* column : shown) {
    size_t width = column->name.size();
    for (size_t row = 0; row < column->size(); ++row)
      width = std::max(width, cell(*column, row).size());
    widths.push_back(width);
  }
  for (size_t c = 0; c < shown.size(); ++c)
    fmt::print("{:>{}}{}", shown[c]->name, widths[c], c + 1 < shown.size() ? "  " : "\n");
  for (size_t row = 0; row < shown.front()->size(); ++row)
    for (size_t c = 0; c < shown.size(); ++c)
      fmt::print("{:>{}}{}", cell(*shown[c], row), widths[c], c + 1 < shown.size() ? "  " : "\n");
}

void warn_if_numerics_mixed(const SweepContents& sweep) {
  const std::string warning = numerics_mix_warning(sweep);
  if (warning.empty()) return;
  std::fflush(stdout);  // after the table it speaks of, when both go to a terminal
  spdlog::warn("{}", warning);
}

}  // namespace poisonsim::cli
