#include "sim/util/stage_times.h"

#include <algorithm>

#include <fmt/format.h>

namespace poisonsim {
namespace {

void add(std::vector<std::pair<std::string, double>>& seconds, const std::string& stage,
         double value) {
  auto it = std::find_if(seconds.begin(), seconds.end(),
                         [&](const auto& entry) { return entry.first == stage; });
  if (it == seconds.end())
    seconds.emplace_back(stage, value);
  else
    it->second += value;
}

}  // namespace

StageTimes::StageTimes() : created_(Clock::now()), since_(created_) {}

void StageTimes::switch_to(std::string stage) {
  const auto now = Clock::now();
  add(seconds_, current_, std::chrono::duration<double>(now - since_).count());
  current_ = std::move(stage);
  since_ = now;
}

StageTimes::Scope::Scope(StageTimes* times, std::string stage) : times_(times) {
  if (!times_) return;
  previous_ = times_->current_;
  times_->switch_to(std::move(stage));
}

StageTimes::Scope::~Scope() {
  if (times_) times_->switch_to(std::move(previous_));
}

std::vector<std::pair<std::string, double>> StageTimes::seconds() const {
  auto out = seconds_;
  add(out, current_, std::chrono::duration<double>(Clock::now() - since_).count());
  return out;
}

std::string format_stage_seconds(const std::vector<std::pair<std::string, double>>& seconds) {
  std::string text;
  for (const auto& [stage, value] : seconds)
    text += fmt::format("{}{} {:.1f}", text.empty() ? "" : ", ", stage, value);
  return text;
}

double StageTimes::elapsed() const {
  return std::chrono::duration<double>(Clock::now() - created_).count();
}

double StageTimes::total() const {
  double sum = 0;
  for (const auto& entry : seconds()) sum += entry.second;
  return sum;
}

}  // namespace poisonsim
