// strata/rng.hpp - per-component random streams.
//
// Every component owns one stream, seeded from (experiment seed, component full name) by
// hashing the name (FNV-1a 64) and mixing with splitmix64. So a component's draws depend
// only on the seed and its own name: adding, removing or reordering other components
// never perturbs them, and the stream is the same at any thread or rank count.
// Generator: xoshiro256** (Blackman & Vigna), 32 bytes of state, period 2^256 - 1.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

namespace strata {

inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

inline std::uint64_t fnv1a64(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

class Rng {
 public:
  Rng() : Rng(0, "") {}
  Rng(std::uint64_t seed, std::string_view stream_name) {
    std::uint64_t sm = seed ^ fnv1a64(stream_name);
    for (auto& w : s_) w = splitmix64(sm);
  }
  /// Uniform 64-bit value.
  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  /// Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias < n / 2^64).
  std::uint64_t below(std::uint64_t n) {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next_u64()) * n) >> 64);
  }
  /// Uniform double in (0, 1].
  double uniform01() { return static_cast<double>((next_u64() >> 11) + 1) * 0x1.0p-53; }
  /// Exponential with the given mean.
  double exponential(double mean) { return -mean * std::log(uniform01()); }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace strata
