#include "tools/cli/gate_refusals.h"

#include <cmath>

#include <fmt/format.h>

#include "tools/cli/console_format.h"

namespace poisonsim::cli {
namespace {

nlohmann::ordered_json number_or_null(double value) {
  return std::isnan(value) ? nlohmann::ordered_json() : nlohmann::ordered_json(value);
}

std::string why(const RetrainRow& row) {
  const std::string reason = trace_name(row.gate_reason);
  const double margin = row.gate_margin;
  if (reason == "validation_loss") {
    const double rise = row.validation_loss_after - row.validation_loss_before;
    return fmt::format("validation loss rose {:.4f} nats, {:.4f} past the {:.4f}-nat limit", rise,
                       margin, rise - margin);
  }
  if (reason == "validation_accuracy") {
    const double drop = row.validation_accuracy_before - row.validation_accuracy_after;
    return fmt::format("validation accuracy fell {:.4f}, {:.4f} past the {:.4f} limit", drop,
                       margin, drop - margin);
  }
  if (reason == "loss_not_finite")
    return fmt::format("the candidate's validation loss is {}", row.validation_loss_after);
  if (reason.empty()) return "reason not recorded (a trace before trace_format 4)";
  return fmt::format("{} (by {})", reason, margin);
}

}  // namespace

std::string refusal_text(const RetrainRow& row) {
  return fmt::format("at {} s (retrain {}): {}; {} poison among the {} samples trained on",
                     simulated_seconds(row.time), row.index, why(row), row.poison_in_buffer, row.buffer_size);
}

void print_refusals(const std::vector<RetrainRow>& refusals, size_t shown) {
  if (refusals.empty()) return;
  size_t without_poison = 0;
  for (const auto& row : refusals) without_poison += row.poison_in_buffer == 0 ? 1 : 0;
  for (size_t i = 0; i < refusals.size() && i < shown; ++i)
    fmt::print("{:<11}{}\n", i == 0 ? "refusals" : "", refusal_text(refusals[i]));
  if (refusals.size() > shown)
    fmt::print("{:<11}and {} more (--json lists them all)\n", "", refusals.size() - shown);
  fmt::print("{:<11}{} refused with no poison in the buffer\n", "", without_poison);
}

nlohmann::ordered_json refusals_json(const std::vector<RetrainRow>& refusals) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& row : refusals) {
    const std::string reason = trace_name(row.gate_reason);
    out.push_back({{"time", row.time},
                   {"index", row.index},
                   {"reason", reason.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(reason)},
                   {"margin", number_or_null(row.gate_margin)},
                   {"validation_loss_before", number_or_null(row.validation_loss_before)},
                   {"validation_loss_after", number_or_null(row.validation_loss_after)},
                   {"validation_accuracy_before", number_or_null(row.validation_accuracy_before)},
                   {"validation_accuracy_after", number_or_null(row.validation_accuracy_after)},
                   {"test_accuracy_after", number_or_null(row.test_accuracy_after)},
                   {"poison_in_buffer", row.poison_in_buffer},
                   {"buffer_size", row.buffer_size}});
  }
  return out;
}

}  // namespace poisonsim::cli
