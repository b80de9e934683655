#pragma once
// Work per second of a call repeated for a while: the benchmarks' unit of measurement for
// things that take turns (a backend scoring a batch, a peak matmul, a GEMM at a model's shape).
#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

namespace poisonsim::bench {

// One thing that takes turns. `work` is what one call does: samples, or floating-point
// operations.
struct Measured {
  std::function<void()> call;
  double work = 0;
  std::vector<double> rates;  // work per second, one per round
};

// Calls `m.call` until `seconds` have passed (at least once); returns work per second.
inline double measure_rate(const Measured& m, double seconds) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  int64_t calls = 0;
  double elapsed = 0;
  do {
    m.call();
    ++calls;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  return static_cast<double>(calls) * m.work / elapsed;
}

}  // namespace poisonsim::bench
