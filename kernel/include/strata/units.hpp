// strata/units.hpp - simulated time and the physical quantities of parameters.
//
// Time is an unsigned 64-bit count of picoseconds (about 213 days of simulated time).
// Every other quantity is a small strong type, so a parameter's unit is part of its C++
// type and of its TOML value ("800MHz", "1.5ns", "64KiB", "256GB/s", "2.2pJ", "0.345W"),
// never of its name. Parsing and printing are in libstrata; the rules:
//   * a number (decimal or exponent form), optional spaces, then a unit suffix, case
//     sensitive where SI needs it ("mW" vs "MW"; "m" is milli, "M" mega);
//   * time rounds to the nearest picosecond (ties away from zero); a non-zero value that
//     rounds to 0 ps, a negative value or one above 2^64-1 ps is an error;
//   * bytes: B, kB/MB/GB/TB (powers of 1000), KiB/MiB/GiB/TiB (powers of 1024), and bits
//     ("b", "Kb", "Mb", "Kib", "Mib", ...; "1Mb" is 125000 B, "1Mib" 131072 B); the result
//     must be a whole number of bytes;
//   * bandwidth: a byte or bit size per second ("256GB/s", "25.6Gb/s", "1TiB/s");
//   * frequency Hz/kHz/MHz/GHz; a clock period is rounded to whole picoseconds;
//   * energy fJ/pJ/nJ/uJ/mJ/J, power nW/uW/mW/W/kW.
// Errors throw strata::UnitError with a message that quotes the text and says what was
// expected; the builder adds file:line:column.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace strata {

/// Simulated time in picoseconds.
using Time = std::uint64_t;
inline constexpr Time kPicosecond = 1;
inline constexpr Time kNanosecond = 1000;
inline constexpr Time kMicrosecond = 1000 * kNanosecond;
inline constexpr Time kMillisecond = 1000 * kMicrosecond;
inline constexpr Time kSecond = 1000 * kMillisecond;
inline constexpr Time kTimeMax = ~Time{0};

/// Raised by the unit parsers; what() quotes the offending text.
class UnitError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A span of simulated time as a parameter type ("1.5ns"); .ps is the value.
struct Duration {
  Time ps = 0;
  constexpr double seconds() const { return static_cast<double>(ps) * 1e-12; }
  friend constexpr bool operator==(Duration, Duration) = default;
};
/// A clock or sample rate ("800MHz").
struct Frequency {
  double hz = 0;
  /// Period rounded to the nearest picosecond (at least 1 ps).
  Time period() const;
  friend constexpr bool operator==(Frequency, Frequency) = default;
};
/// A size in bytes ("64KiB", "1Mb").
struct Bytes {
  std::uint64_t count = 0;
  friend constexpr bool operator==(Bytes, Bytes) = default;
};
/// A data rate in bytes per second ("256GB/s").
struct Bandwidth {
  double bytes_per_s = 0;
  /// Picoseconds to move n bytes at this rate, rounded up (0 bytes take 0 ps).
  Time transfer_time(std::uint64_t n) const;
  friend constexpr bool operator==(Bandwidth, Bandwidth) = default;
};
/// Energy in joules ("2.2pJ").
struct Energy {
  double joules = 0;
  friend constexpr bool operator==(Energy, Energy) = default;
};
/// Power in watts ("0.345W").
struct Power {
  double watts = 0;
  friend constexpr bool operator==(Power, Power) = default;
};

// Literals for code and tests: 5_ns, 800_MHz, ...
namespace literals {
constexpr Duration operator""_ps(unsigned long long v) { return {v}; }
constexpr Duration operator""_ns(unsigned long long v) { return {v * kNanosecond}; }
constexpr Duration operator""_us(unsigned long long v) { return {v * kMicrosecond}; }
constexpr Frequency operator""_MHz(unsigned long long v) { return {static_cast<double>(v) * 1e6}; }
constexpr Frequency operator""_GHz(unsigned long long v) { return {static_cast<double>(v) * 1e9}; }
constexpr Bytes operator""_B(unsigned long long v) { return {v}; }
constexpr Bytes operator""_KiB(unsigned long long v) { return {v * 1024}; }
}  // namespace literals

// Parsers: throw UnitError on malformed, negative, non-finite or out-of-range text.
Duration parse_duration(std::string_view text);
Frequency parse_frequency(std::string_view text);
Bytes parse_bytes(std::string_view text);
Bandwidth parse_bandwidth(std::string_view text);
Energy parse_energy(std::string_view text);
Power parse_power(std::string_view text);

// Printers: shortest exact-enough form with the largest unit that keeps the mantissa
// >= 1 ("1.5ns", "800MHz", "64KiB", "256GB/s", "2.2pJ", "345mW"). Parsing the printed
// text gives the value back (time and bytes exactly; the others within 1e-12 relative).
std::string format_time(Time ps);
std::string to_string(Duration v);
std::string to_string(Frequency v);
std::string to_string(Bytes v);
std::string to_string(Bandwidth v);
std::string to_string(Energy v);
std::string to_string(Power v);

/// A number for people to read (summaries, tables, `strata info`), never for files that are
/// parsed: `digits` significant digits (1..17; correctly rounded, ties to even, as printf),
/// trailing zeros dropped, the SI prefix from f to P that puts the mantissa in [1, 1000),
/// then a space and prefix + unit (no space when both are empty):
///   format_si(3.29681599489, "J") == "3.297 J";  format_si(0.05603492191, "s") == "56.03 ms";
///   format_si(999.96, "W") == "1 kW";  format_si(1048576, "") == "1.049 M";  format_si(0, "J") == "0 J";
///   format_si(12, "") == "12".
/// Outside the prefixes (below 1e-15, at or above 1e18) the mantissa is in exponent form,
/// "1.2e+20 J"; NaN and infinities print as "nan J", "inf J", "-inf J".
std::string format_si(double value, std::string_view unit, int digits = 4);
/// The same rounding without a prefix, for ratios and other pure numbers: plain decimals
/// ("0.6731", "2.63", "12350"), exponent form only below 1e-4 or from 1e15 on ("3e-05").
std::string format_significant(double value, int digits = 4);
/// format_si of a time in picoseconds, in seconds: format_duration(56034921910) == "56.03 ms".
std::string format_duration(Time ps, int digits = 4);

}  // namespace strata
