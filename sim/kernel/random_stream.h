#pragma once
// Named random streams. Every component draws from its own stream, derived from the scenario
// seed and the component's name, so adding a component never shifts another's numbers.
// The generator is xoshiro256** (small state that serialises as four integers).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace poisonsim {

// Mixes a root seed and a stream name into the seed of that stream.
uint64_t derive_seed(uint64_t root_seed, std::string_view stream_name);

class RandomStream {
 public:
  explicit RandomStream(uint64_t seed);
  RandomStream(uint64_t root_seed, std::string_view stream_name)
      : RandomStream(derive_seed(root_seed, stream_name)) {}

  uint64_t next_u64();
  double uniform();                         // in [0, 1)
  double uniform(double low, double high);  // in [low, high)
  uint64_t below(uint64_t bound);           // uniform integer in [0, bound), unbiased
  double exponential(double rate);          // inter-arrival time of a Poisson process
  double normal();                          // standard normal (Box-Muller, no cached value)

  // Fisher-Yates shuffle driven by this stream (std::shuffle's algorithm is unspecified).
  template <class RandomIt>
  void shuffle(RandomIt first, RandomIt last) {
    const auto n = static_cast<uint64_t>(last - first);
    for (uint64_t i = n; i > 1; --i) std::swap(first[i - 1], first[below(i)]);
  }

  // The whole state, for checkpoints: restoring it continues the same sequence.
  std::array<uint64_t, 4> state() const { return state_; }
  void set_state(const std::array<uint64_t, 4>& state) { state_ = state; }

 private:
  std::array<uint64_t, 4> state_;
};

}  // namespace poisonsim
