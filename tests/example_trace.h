#pragma once
// A small, fully determined trace for tests and for the layout check (check_trace_layout.py),
// written with TraceWriter before there is a simulator to produce one.
#include <cstdint>
#include <string>

namespace poisonsim::test {

// 100 s: stream "clean" sends 10 samples every 1 s (1000 samples, every 50th rejected);
// attacker "label-flip" sends 5 poison samples every 4 s (125 samples, 4 of 5 rejected).
// Evaluations every 10 s (accuracy 0.9 - 0.02 k, but 0.60 at 70 s); retrains every 25 s
// (poison fraction 0.1, 0.2, 0.3, 0.4; the gate refuses the third). Closed: complete = 1.
void write_example_trace(const std::string& path, bool samples, int64_t chunk_rows = 64);

}  // namespace poisonsim::test
