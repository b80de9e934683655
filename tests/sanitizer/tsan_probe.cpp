// Why there is no ThreadSanitizer preset (docs/testing.md, Sanitizers): this program has no data
// race, yet ThreadSanitizer reports dozens against Debian's oneTBB. It is the ingestion's flow
// graph (pipeline/simulation/ingestion.cpp) in miniature: each sample scored in parallel into a
// slot of its own, put back in arrival order, judged one at a time. libtbb.so is not
// instrumented, so the hand-off of a task to a worker and back is invisible to TSan, and each
// access on either side looks unordered. Not built by CMake; run by hand:
//   g++ -std=c++17 -O1 -g -fsanitize=thread tests/sanitizer/tsan_probe.cpp -ltbb -o tsan_probe
//   ./tsan_probe   (prints the sum; TSan's reports go to stderr, exit code 66 when there are any)
#include <tbb/flow_graph.h>
#include <tbb/parallel_for.h>

#include <cstdio>
#include <utility>
#include <vector>

int main() {
  constexpr size_t kSamples = 4096;
  std::vector<float> loss(kSamples, 0.0f);  // written by the scoring tasks, one slot each
  std::vector<size_t> judged;               // appended by the serial judge only
  tbb::flow::graph graph;
  tbb::flow::function_node<size_t, std::pair<size_t, float>> score(
      graph, tbb::flow::unlimited, [&](size_t i) {
        loss[i] = static_cast<float>(i % 13) * 0.5f;
        return std::pair<size_t, float>(i, loss[i]);
      });
  tbb::flow::sequencer_node<std::pair<size_t, float>> in_order(
      graph, [](const std::pair<size_t, float>& s) { return s.first; });
  tbb::flow::function_node<std::pair<size_t, float>, tbb::flow::continue_msg> judge(
      graph, tbb::flow::serial, [&](const std::pair<size_t, float>& s) {
        if (s.second < 3.0f) judged.push_back(s.first);
        return tbb::flow::continue_msg();
      });
  tbb::flow::make_edge(score, in_order);
  tbb::flow::make_edge(in_order, judge);
  for (size_t i = 0; i < kSamples; ++i) score.try_put(i);
  graph.wait_for_all();
  // And the plain parallel loop the serving engine's batches use.
  tbb::parallel_for(size_t{0}, kSamples, [&](size_t i) { loss[i] += 1.0f; });
  double sum = 0;
  for (float value : loss) sum += value;
  std::printf("%zu accepted, loss sum %.1f\n", judged.size(), sum);
}
