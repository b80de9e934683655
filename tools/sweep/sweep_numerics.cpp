#include "tools/sweep/sweep_numerics.h"

#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace poisonsim {
namespace {

const SummaryColumn* column(const std::vector<SummaryColumn>& table, const std::string& name) {
  for (const auto& c : table)
    if (c.name == name && c.kind == SummaryColumn::Kind::text) return &c;
  return nullptr;
}

// "2 × native: ...; 3 × portable: OpenBLAS Haswell, ..." (values in alphabetical order).
std::string counted(const std::map<std::string, int>& counts) {
  std::vector<std::string> parts;
  for (const auto& [value, count] : counts) parts.push_back(fmt::format("{} × {}", count, value));
  return fmt::format("{}", fmt::join(parts, "; "));
}

}  // namespace

std::string numerics_mix_warning(const SweepContents& sweep) {
  const SummaryColumn* numerics = column(sweep.provenance, "numerics");
  const SummaryColumn* cpus = column(sweep.provenance, "cpu");
  if (!numerics || !cpus) return "";
  std::map<std::string, int> modes, levels, native_cpus;
  for (size_t i = 0; i < numerics->texts.size(); ++i) {
    const std::string& text = numerics->texts[i];
    if (text.empty()) continue;  // a failed run, or a trace from before the attribute
    modes[text.substr(0, text.find(':'))] += 1;
    levels[text] += 1;
    if (text.rfind("native", 0) == 0 && i < cpus->texts.size()) native_cpus[cpus->texts[i]] += 1;
  }
  if (modes.size() > 1)
    return fmt::format(
        "the runs mixed numerics modes ({}): their numbers do not come from one distribution; "
        "rerun them in one mode (compute.numerics, or POISONSIM_NUMERICS for every run)",
        counted(levels));
  if (levels.size() > 1 || native_cpus.size() > 1)
    return fmt::format(
        "the runs computed on different kernels or CPUs ({}{}{}): in native numerics their last "
        "digits, and the decisions built on them, differ by machine; portable numerics would "
        "make them agree",
        counted(levels), native_cpus.size() > 1 ? "; CPUs: " : "",
        native_cpus.size() > 1 ? counted(native_cpus) : "");
  return "";
}

}  // namespace poisonsim
