// A small counter-based generator: the same seed gives the same numbers on every platform.
#pragma once

#include <cstdint>

namespace signsnet::core {

inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// Sequential draws from splitmix64; uniform floats use the top 24 bits.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(splitmix64(seed)) {}
  std::uint64_t next() { return splitmix64(state_++); }
  /// Uniform in [lo, hi).
  float uniform(float lo, float hi) {
    float u = static_cast<float>(next() >> 40) * (1.0f / 16777216.0f);
    return lo + (hi - lo) * u;
  }

 private:
  std::uint64_t state_;
};

}  // namespace signsnet::core
