#include "sim/util/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace poisonsim {
namespace {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const auto s = static_cast<long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{:02}:{:02}", s / 60, s % 60);
}

bool all_silent = false;  // set once by the CLI before any work

}  // namespace

void Progress::silence_all(bool silent) { all_silent = silent; }

Progress::Progress(std::string label, double total, std::string unit, Style style, std::FILE* out)
    : label_(std::move(label)), total_(total), unit_(std::move(unit)), style_(style), out_(out) {
  if (style_ == Style::automatic && all_silent) style_ = Style::silent;
  if (style_ == Style::automatic) style_ = isatty(fileno(out_)) ? Style::bar : Style::lines;
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

Progress::~Progress() {
  if (!finished_) finish();
}

void Progress::update(double done, const std::string& status) {
  done_ = std::min(done, total_);
  if (!status.empty()) status_ = status;
  const auto now = std::chrono::steady_clock::now();
  const double since_draw = std::chrono::duration<double>(now - last_draw_).count();
  const double period = style_ == Style::bar ? 0.1 : 5.0;
  if (since_draw >= period) {
    last_draw_ = now;
    draw(false);
  }
}

void Progress::finish(const std::string& status) {
  if (finished_) return;
  finished_ = true;
  if (!status.empty()) status_ = status;
  draw(true);
}

void Progress::draw(bool final) {
  if (style_ == Style::silent) return;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double fraction = total_ > 0 ? done_ / total_ : 1.0;
  const double eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : NAN;
  // Whole numbers from 100 up (simulated seconds, samples); three figures below.
  const auto amount = [&](double v) {
    return total_ >= 100 ? fmt::format("{:.0f}", v) : fmt::format("{:.3g}", v);
  };
  const std::string amounts =
      fmt::format("{}/{}{}{}", amount(done_), amount(total_), unit_.empty() ? "" : " ", unit_);
  const std::string timing =
      final ? fmt::format("in {}", format_duration(elapsed))
            : fmt::format("{} elapsed, ETA {}", format_duration(elapsed), format_duration(eta));
  const std::string status = status_.empty() ? "" : "  " + status_;
  if (style_ == Style::bar) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(std::lround(fraction * kWidth));
    fmt::print(out_, "\r\033[K{} [{}{}] {:3.0f}% {} {}{}", label_, std::string(filled, '#'),
               std::string(kWidth - filled, '.'), 100 * fraction, amounts, timing, status);
    if (final) fmt::print(out_, "\n");
  } else {
    fmt::print(out_, "{}: {:3.0f}% {} {}{}\n", label_, 100 * fraction, amounts, timing, status);
  }
  std::fflush(out_);
}

}  // namespace poisonsim
