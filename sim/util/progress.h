#pragma once
// Progress of long work (training epochs, simulated time, sweep runs). On a terminal it draws
// one self-updating bar with rate and ETA; otherwise (CI, files) it writes a plain line every
// few seconds, so logs stay readable.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace poisonsim {

class Progress {
 public:
  enum class Style { automatic, bar, lines, silent };

  Progress(std::string label, double total, std::string unit = "", Style style = Style::automatic,
           std::FILE* out = stderr);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Sets the amount done so far (for example simulated seconds or samples).
  void update(double done, const std::string& status = "");
  void advance(double amount, const std::string& status = "") { update(done_ + amount, status); }
  // Draws the final state and ends the line.
  void finish(const std::string& status = "");

  // Process-wide: every Progress made afterwards with Style::automatic is silent (`-q`).
  static void silence_all(bool silent);

 private:
  void draw(bool final);

  std::string label_;
  double total_;
  std::string unit_;
  Style style_;
  std::FILE* out_;
  double done_ = 0;
  std::string status_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace poisonsim
