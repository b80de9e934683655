#include "sim/kernel/random_stream.h"

#include <cmath>
#include <stdexcept>

namespace poisonsim {
namespace {

__extension__ typedef unsigned __int128 uint128;  // GCC/Clang extension, fine for 64x64->128

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

uint64_t derive_seed(uint64_t root_seed, std::string_view stream_name) {
  // FNV-1a over the name, then mixed with the root seed so nearby seeds give unrelated streams.
  uint64_t h = 0xCBF29CE484222325ULL;
  for (unsigned char c : stream_name) {
    h ^= c;
    h *= 0x100000001B3ULL;
  }
  uint64_t x = root_seed ^ splitmix64(h);
  return splitmix64(x);
}

RandomStream::RandomStream(uint64_t seed) {
  uint64_t x = seed;
  for (auto& word : state_) word = splitmix64(x);
}

uint64_t RandomStream::next_u64() {
  const uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

double RandomStream::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double RandomStream::uniform(double low, double high) { return low + (high - low) * uniform(); }

uint64_t RandomStream::below(uint64_t bound) {
  if (bound == 0) throw std::invalid_argument("RandomStream::below: bound must be positive");
  // Lemire's nearly-divisionless method with rejection, so every value is equally likely.
  uint128 m = static_cast<uint128>(next_u64()) * bound;
  auto low = static_cast<uint64_t>(m);
  if (low < bound) {
    const uint64_t threshold = -bound % bound;
    while (low < threshold) {
      m = static_cast<uint128>(next_u64()) * bound;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

double RandomStream::exponential(double rate) {
  if (!(rate > 0)) throw std::invalid_argument("RandomStream::exponential: rate must be positive");
  return -std::log1p(-uniform()) / rate;
}

double RandomStream::normal() {
  const double u1 = 1.0 - uniform();  // in (0, 1], so log is finite
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

}  // namespace poisonsim
