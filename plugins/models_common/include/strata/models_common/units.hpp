// Integer arithmetic shared by the closed-form hardware models (systolic, pim, memory):
// ceilings, bit-to-byte packing and exact conversion of event counts at a rate (cycles at a
// clock, bytes at a bandwidth) into the kernel's time base, unsigned 64-bit picoseconds.
// Header-only and pure: no simulator dependency. Rounding is always up (a partial cycle
// or byte still occupies the resource), and done once on the total, never per event.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

namespace strata::models {

// Simulated time, as in the kernel contract (DESIGN.md "Kernel contract").
using Picoseconds = std::uint64_t;

inline constexpr std::uint64_t kPicosecondsPerSecond = 1'000'000'000'000ULL;

namespace detail {
__extension__ typedef unsigned __int128 u128;  // GCC/Clang builtin; exact products of two u64
}  // namespace detail

// ceil(a / b) for b > 0 (b == 0 returns 0, so callers may treat "no resource" as free).
constexpr std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) noexcept {
  return b == 0 ? 0 : a / b + (a % b != 0 ? 1 : 0);
}

// Bytes needed to hold `count` values of `bits` each, packed: ceil(count * bits / 8).
constexpr std::uint64_t packed_bytes(std::uint64_t count, std::uint64_t bits) noexcept {
  const detail::u128 total = static_cast<detail::u128>(count) * bits;
  const detail::u128 bytes = total / 8 + (total % 8 != 0 ? 1 : 0);
  return bytes > std::numeric_limits<std::uint64_t>::max()
             ? std::numeric_limits<std::uint64_t>::max()
             : static_cast<std::uint64_t>(bytes);
}

// ceil(log2(x)) for x >= 1; 0 for x <= 1.
constexpr std::uint32_t ceil_log2(std::uint64_t x) noexcept {
  std::uint32_t bits = 0;
  std::uint64_t reach = 1;
  while (reach < x) {
    reach <<= 1U;
    ++bits;
  }
  return bits;
}

// Time for `count` events at `rate_per_second` (> 0): ceil(count * 1e12 / rate) ps.
// Exact (128-bit integer) when the rate is a whole number, which every preset uses
// (800 MHz, 1.28 GS/s, 256 GB/s); otherwise long double. Saturates at the maximum time.
inline Picoseconds duration_ps(std::uint64_t count, double rate_per_second) noexcept {
  if (count == 0 || !(rate_per_second > 0.0)) return 0;
  constexpr auto kMax = std::numeric_limits<Picoseconds>::max();
  if (rate_per_second < 0x1p63 && std::floor(rate_per_second) == rate_per_second) {
    const auto rate = static_cast<detail::u128>(rate_per_second);
    const detail::u128 num = static_cast<detail::u128>(count) * kPicosecondsPerSecond;
    const detail::u128 ps = num / rate + (num % rate != 0 ? 1 : 0);
    return ps > kMax ? kMax : static_cast<Picoseconds>(ps);
  }
  const long double ps = std::ceil(static_cast<long double>(count) *
                                   static_cast<long double>(kPicosecondsPerSecond) /
                                   static_cast<long double>(rate_per_second));
  return ps >= static_cast<long double>(kMax) ? kMax : static_cast<Picoseconds>(ps);
}

// `cycles` of a clock at `frequency` Hz, in picoseconds (rounded up once, on the total).
inline Picoseconds cycles_to_ps(std::uint64_t cycles, double frequency) noexcept {
  return duration_ps(cycles, frequency);
}

// Serialising `bytes` at `bytes_per_second`, in picoseconds.
inline Picoseconds bytes_to_ps(std::uint64_t bytes, double bytes_per_second) noexcept {
  return duration_ps(bytes, bytes_per_second);
}

// Picoseconds to seconds, for energy = power x time.
constexpr double ps_to_seconds(Picoseconds ps) noexcept {
  return static_cast<double>(ps) / static_cast<double>(kPicosecondsPerSecond);
}

}  // namespace strata::models
