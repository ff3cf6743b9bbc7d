// Counter-based randomness: every draw is a pure function of (seed, keys...), so batches do not
// depend on thread count or scheduling, and std::shuffle's unspecified algorithm is avoided.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/rng.hpp"

namespace signsnet::data_detail {

/// The splitmix64 finalizer: a bijective 64-bit mix (one implementation, in core).
inline std::uint64_t mix64(std::uint64_t x) { return core::splitmix64(x); }

/// A key for the stream of draws that belongs to (seed, a, b).
inline std::uint64_t stream_key(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0) {
  return mix64(mix64(mix64(seed) ^ a) ^ (b * 0xD1B54A32D192ED03ull));
}

/// splitmix64 as a generator: the state is a counter, each output its mix.
class CounterRng {
 public:
  explicit CounterRng(std::uint64_t key) : state_(key) {}
  std::uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ull;
    return mix64(state_);
  }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Uniform in [lo, hi].
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Uniform integer in [0, n); n > 0. The modulo bias is below 2^-40 for the sizes used here.
  std::uint64_t below(std::uint64_t n) { return next() % n; }

 private:
  std::uint64_t state_;
};

/// Fisher-Yates with CounterRng: the same key gives the same order on every platform.
template <typename T>
void shuffle_with(std::vector<T>& items, std::uint64_t key) {
  CounterRng rng(key);
  for (std::size_t i = items.size(); i > 1; --i) {
    std::swap(items[i - 1], items[rng.below(i)]);
  }
}

}  // namespace signsnet::data_detail
