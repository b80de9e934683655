#pragma once
// Wall time of a run by stage (data loading, pretraining, generator training, ...), for the run
// summary, the trace and the end-to-end benchmark. Stages nest: time is charged to the innermost
// stage only, so the stages add up to the wall time since the StageTimes was made.
// Single-threaded: scopes open and close on the thread that drives the simulation.
#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace poisonsim {

class StageTimes {
 public:
  StageTimes();

  // Charges the time until it ends to `stage` (nothing when `times` is null, so code that runs
  // both inside and outside a simulation can time itself unconditionally).
  class Scope {
   public:
    Scope(StageTimes* times, std::string stage);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    StageTimes* times_;
    std::string previous_;
  };

  // Seconds per stage in the order the stages first ran, up to now; "other" is the time spent
  // outside any named stage (event handling, set-up).
  std::vector<std::pair<std::string, double>> seconds() const;
  double total() const;
  // Wall seconds since the StageTimes was made, read off the clock directly: what seconds()
  // must add up to (a run prints both; tests hold them together).
  double elapsed() const;

 private:
  using Clock = std::chrono::steady_clock;
  // Charges the time since the last switch to the current stage, then makes `stage` current.
  void switch_to(std::string stage);

  std::string current_ = "other";
  Clock::time_point created_;
  Clock::time_point since_;
  std::vector<std::pair<std::string, double>> seconds_;
};

// "data loading 0.8, pretraining 3.1, ...": one line for the run summary and inspect.
std::string format_stage_seconds(const std::vector<std::pair<std::string, double>>& seconds);

}  // namespace poisonsim
