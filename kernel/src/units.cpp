// Unit parsing and printing (rules in strata/units.hpp).
#include <strata/units.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace strata {
namespace {

struct Suffix {
  std::string_view text;
  double scale;  // to the base unit
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Split "1.5 ns" into 1.5 and "ns"; throws on a missing or malformed number.
std::pair<double, std::string_view> split_number(std::string_view text, const char* what, const char* example) {
  std::string_view s = trim(text);
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  bool digits = false;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) {
    digits |= std::isdigit(static_cast<unsigned char>(s[i])) != 0;
    ++i;
  }
  if (digits && i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    if (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) {
      i = j;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    }
  }
  if (!digits)
    throw UnitError(fmt::format("\"{}\" is not a {}: expected a number followed by a unit, e.g. \"{}\"", text, what,
                                example));
  std::string num(s.substr(0, i));
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(num.c_str(), &end);
  if (end != num.c_str() + num.size() || errno == ERANGE || !std::isfinite(v))
    throw UnitError(fmt::format("\"{}\" is not a {}: malformed number \"{}\"", text, what, num));
  if (v < 0) throw UnitError(fmt::format("\"{}\" is not a {}: it must not be negative", text, what));
  return {v, trim(s.substr(i))};
}

template <std::size_t N>
double parse_with(std::string_view text, const std::array<Suffix, N>& units, const char* what, const char* example) {
  auto [v, unit] = split_number(text, what, example);
  if (unit.empty())
    throw UnitError(fmt::format("\"{}\" has no unit: a {} needs one, e.g. \"{}\"", text, what, example));
  for (const auto& u : units)
    if (u.text == unit) {
      if (!std::isfinite(v * u.scale))  // e.g. "1e308GB/s": the number is finite, the product not
        throw UnitError(fmt::format("\"{}\" is out of range: not a finite {}", text, what));
      // e.g. "11e-308pW": a subnormal product loses digits and prints as a number that
      // does not read back; nothing physical is that small
      if (v != 0 && std::fabs(v * u.scale) < std::numeric_limits<double>::min())
        throw UnitError(fmt::format("\"{}\" is out of range: too small to be a {}", text, what));
      return v * u.scale;
    }
  std::string known;
  for (const auto& u : units) known += (known.empty() ? "" : ", ") + std::string(u.text);
  throw UnitError(fmt::format("\"{}\": unknown {} unit \"{}\" (expected one of {})", text, what, unit, known));
}

constexpr std::array<Suffix, 7> kTimeUnits{{{"ps", 1}, {"ns", 1e3}, {"us", 1e6}, {"ms", 1e9}, {"s", 1e12},
                                            {"fs", 1e-3}, {"min", 60e12}}};
constexpr std::array<Suffix, 5> kFreqUnits{{{"Hz", 1}, {"kHz", 1e3}, {"MHz", 1e6}, {"GHz", 1e9}, {"THz", 1e12}}};
constexpr std::array<Suffix, 19> kByteUnits{{{"B", 1},
                                             {"kB", 1e3},
                                             {"KB", 1e3},
                                             {"MB", 1e6},
                                             {"GB", 1e9},
                                             {"TB", 1e12},
                                             {"KiB", 1024.0},
                                             {"MiB", 1048576.0},
                                             {"GiB", 1073741824.0},
                                             {"TiB", 1099511627776.0},
                                             {"b", 0.125},
                                             {"kb", 125},
                                             {"Kb", 125},
                                             {"Mb", 125e3},
                                             {"Gb", 125e6},
                                             {"Tb", 125e9},
                                             {"Kib", 128.0},
                                             {"Mib", 131072.0},
                                             {"Gib", 134217728.0}}};
constexpr std::array<Suffix, 6> kEnergyUnits{{{"fJ", 1e-15}, {"pJ", 1e-12}, {"nJ", 1e-9}, {"uJ", 1e-6}, {"mJ", 1e-3},
                                              {"J", 1}}};
constexpr std::array<Suffix, 6> kPowerUnits{{{"pW", 1e-12}, {"nW", 1e-9}, {"uW", 1e-6}, {"mW", 1e-3}, {"W", 1},
                                             {"kW", 1e3}}};

// Shortest decimal that round-trips closely, without trailing zeros: "1.5", "800", "2.2".
std::string number(double v) {
  for (int prec = 1; prec <= 17; ++prec) {
    std::string s = fmt::format("{:.{}g}", v, prec);
    if (std::strtod(s.c_str(), nullptr) == v || prec == 17) {
      if (s.find('e') == std::string::npos) return s;
      // prefer plain notation for readability when it is short
      std::string f = fmt::format("{:.6f}", v);
      while (!f.empty() && f.back() == '0') f.pop_back();
      if (!f.empty() && f.back() == '.') f.pop_back();
      if (std::strtod(f.c_str(), nullptr) == v) return f;
      return s;
    }
  }
  return fmt::format("{}", v);
}

template <std::size_t N>
std::string with_unit(double base, const std::array<Suffix, N>& units) {
  // largest unit (by scale) whose mantissa is >= 1, among the "canonical" ones given
  const Suffix* best = &units[0];
  for (const auto& u : units)
    if (base >= u.scale && u.scale >= best->scale) best = &u;
  // shortest mantissa that gives the value back within 1e-12 relative (0.345 W prints as
  // "345mW", not "344.99999999999994mW")
  double m = base / best->scale;
  for (int prec = 1; prec <= 17; ++prec) {
    std::string s = fmt::format("{:.{}g}", m, prec);
    if (s.find('e') != std::string::npos) continue;
    if (std::fabs(std::strtod(s.c_str(), nullptr) * best->scale - base) <= 1e-12 * std::fabs(base))
      return s + std::string(best->text);
  }
  return number(m) + std::string(best->text);
}

}  // namespace

Time Frequency::period() const {
  if (!(hz > 0)) return 0;
  double p = std::round(1e12 / hz);
  if (!(p < 18446744073709551615.0)) return kTimeMax;  // below ~5e-8 Hz: longer than time itself
  return p < 1 ? 1 : static_cast<Time>(p);
}

Time Bandwidth::transfer_time(std::uint64_t n) const {
  if (n == 0 || !(bytes_per_s > 0)) return 0;
  double ps = std::ceil(static_cast<double>(n) * 1e12 / bytes_per_s - 1e-9);
  if (!(ps < 18446744073709551615.0)) return kTimeMax;  // absurdly slow link (e.g. 1e-300 B/s)
  return ps < 1 ? 1 : static_cast<Time>(ps);
}

Duration parse_duration(std::string_view text) {
  double ps = parse_with(text, kTimeUnits, "time", "1.5ns");
  if (ps >= 18446744073709551615.0) throw UnitError(fmt::format("\"{}\" is too long: the limit is 2^64-1 ps", text));
  double r = std::round(ps);
  if (r == 0 && ps > 0)
    throw UnitError(fmt::format("\"{}\" rounds to 0 ps: time resolution is 1 ps", text));
  return Duration{static_cast<Time>(r)};
}

Frequency parse_frequency(std::string_view text) {
  double hz = parse_with(text, kFreqUnits, "frequency", "800MHz");
  if (hz == 0) throw UnitError(fmt::format("\"{}\": a frequency must be positive", text));
  if (hz > 1e15) throw UnitError(fmt::format("\"{}\" is out of range: above 1 PHz (period below 1 ps)", text));
  return Frequency{hz};
}

Bytes parse_bytes(std::string_view text) {
  double b = parse_with(text, kByteUnits, "size", "64KiB");
  if (b >= 18446744073709551615.0) throw UnitError(fmt::format("\"{}\" is too large (limit 2^64-1 bytes)", text));
  if (std::fabs(b - std::round(b)) > 1e-6 * std::max(1.0, b))
    throw UnitError(fmt::format("\"{}\" is not a whole number of bytes", text));
  return Bytes{static_cast<std::uint64_t>(std::round(b))};  // not llround: b may exceed 2^63
}

Bandwidth parse_bandwidth(std::string_view text) {
  auto slash = text.rfind("/s");
  if (slash == std::string_view::npos || trim(text.substr(slash + 2)).size() != 0)
    throw UnitError(fmt::format("\"{}\" is not a bandwidth: expected a size per second, e.g. \"256GB/s\"", text));
  double bps = parse_with(text.substr(0, slash), kByteUnits, "bandwidth", "256GB/s");
  if (bps == 0) throw UnitError(fmt::format("\"{}\": a bandwidth must be positive", text));
  return Bandwidth{bps};
}

Energy parse_energy(std::string_view text) { return Energy{parse_with(text, kEnergyUnits, "energy", "2.2pJ")}; }
Power parse_power(std::string_view text) { return Power{parse_with(text, kPowerUnits, "power", "0.345W")}; }

std::string format_time(Time ps) {
  constexpr std::array<Suffix, 5> canon{{{"ps", 1}, {"ns", 1e3}, {"us", 1e6}, {"ms", 1e9}, {"s", 1e12}}};
  if (ps == 0) return "0ps";
  // exact: pick the largest unit that divides evenly enough to print without rounding
  for (int i = 4; i >= 0; --i) {
    auto scale = static_cast<Time>(canon[i].scale);
    if (ps >= scale) {
      double v = static_cast<double>(ps) / static_cast<double>(scale);
      std::string s = number(v);
      if (std::llround(std::strtod(s.c_str(), nullptr) * static_cast<double>(scale)) == static_cast<long long>(ps))
        return s + std::string(canon[i].text);
    }
  }
  return fmt::format("{}ps", ps);
}

std::string to_string(Duration v) { return format_time(v.ps); }
std::string to_string(Frequency v) {
  constexpr std::array<Suffix, 4> canon{{{"Hz", 1}, {"kHz", 1e3}, {"MHz", 1e6}, {"GHz", 1e9}}};
  return with_unit(v.hz, canon);
}
std::string to_string(Bytes v) {
  std::uint64_t n = v.count;
  constexpr std::array<std::pair<std::string_view, std::uint64_t>, 4> bin{
      {{"TiB", 1ull << 40}, {"GiB", 1ull << 30}, {"MiB", 1ull << 20}, {"KiB", 1ull << 10}}};
  for (auto [u, s] : bin)
    if (n >= s && n % s == 0) return fmt::format("{}{}", n / s, u);
  return fmt::format("{}B", n);
}
std::string to_string(Bandwidth v) {
  constexpr std::array<Suffix, 5> canon{{{"B", 1}, {"kB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}}};
  return with_unit(v.bytes_per_s, canon) + "/s";
}
std::string to_string(Energy v) {
  constexpr std::array<Suffix, 6> canon{{{"fJ", 1e-15}, {"pJ", 1e-12}, {"nJ", 1e-9}, {"uJ", 1e-6}, {"mJ", 1e-3},
                                         {"J", 1}}};
  if (v.joules == 0) return "0J";
  return with_unit(v.joules, canon);
}
std::string to_string(Power v) {
  constexpr std::array<Suffix, 5> canon{{{"nW", 1e-9}, {"uW", 1e-6}, {"mW", 1e-3}, {"W", 1}, {"kW", 1e3}}};
  if (v.watts == 0) return "0W";
  return with_unit(v.watts, canon);
}

namespace {
// " " + prefix + unit, or "" when both are empty.
std::string unit_suffix(std::string_view prefix, std::string_view unit) {
  if (prefix.empty() && unit.empty()) return "";
  return fmt::format(" {}{}", prefix, unit);
}
// "1.2300" -> "1.23", "5.000" -> "5", "1.50e+20" -> "1.5e+20"
std::string drop_trailing_zeros(std::string s) {
  const auto e = s.find('e');
  std::string exp = e == std::string::npos ? "" : s.substr(e);
  std::string m = s.substr(0, e);
  if (m.find('.') != std::string::npos) {
    m.erase(m.find_last_not_of('0') + 1);
    if (m.back() == '.') m.pop_back();
  }
  return m + exp;
}
}  // namespace

std::string format_si(double value, std::string_view unit, int digits) {
  digits = std::clamp(digits, 1, 17);
  if (std::isnan(value)) return "nan" + unit_suffix("", unit);
  if (std::isinf(value)) return (value > 0 ? "inf" : "-inf") + unit_suffix("", unit);
  if (value == 0) return "0" + unit_suffix("", unit);
  const char* sign = value < 0 ? "-" : "";
  // Round once, in decimal: the exponent of the rounded value picks the prefix, so 999.96
  // at 4 digits is 1.000e+03, printed "1 k".
  const std::string sci = fmt::format("{:.{}e}", std::fabs(value), digits - 1);
  const int e10 = std::atoi(sci.c_str() + sci.find('e') + 1);
  if (e10 < -15 || e10 >= 18) return sign + drop_trailing_zeros(sci) + unit_suffix("", unit);
  static constexpr std::array<std::string_view, 11> prefixes{"f", "p", "n", "u", "m", "", "k", "M", "G", "T", "P"};
  const int p3 = (e10 >= 0 ? e10 / 3 : -((-e10 + 2) / 3));  // floor(e10 / 3)
  const double scaled = std::strtod(sci.c_str(), nullptr) / std::pow(10.0, 3 * p3);
  const int decimals = std::max(0, digits - 1 - (e10 - 3 * p3));
  return sign + drop_trailing_zeros(fmt::format("{:.{}f}", scaled, decimals)) +
         unit_suffix(prefixes[static_cast<std::size_t>(p3 + 5)], unit);
}

std::string format_significant(double value, int digits) {
  digits = std::clamp(digits, 1, 17);
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0) return "0";
  const char* sign = value < 0 ? "-" : "";
  const std::string sci = fmt::format("{:.{}e}", std::fabs(value), digits - 1);
  const int e10 = std::atoi(sci.c_str() + sci.find('e') + 1);
  if (e10 < -4 || e10 >= 15) return sign + drop_trailing_zeros(sci);
  const int decimals = std::max(0, digits - 1 - e10);
  return sign + drop_trailing_zeros(fmt::format("{:.{}f}", std::strtod(sci.c_str(), nullptr), decimals));
}

std::string format_duration(Time ps, int digits) { return format_si(static_cast<double>(ps) * 1e-12, "s", digits); }

}  // namespace strata
