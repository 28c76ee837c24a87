// Fuzz target "units": the unit parsers of strata/units.hpp and their printers.
#include "fuzz_targets.hpp"

#include <strata/units.hpp>

#include <fmt/format.h>

#include <cmath>
#include <string>

namespace strata::fuzz {
namespace {

bool close(double a, double b, double rel) { return a == b || std::fabs(a - b) <= rel * std::max(std::fabs(a), std::fabs(b)); }

[[noreturn]] void broken(std::string_view what, std::string_view input, const std::string& detail) {
  throw FuzzPropertyError(fmt::format("{}: input \"{}\": {}", what, input, detail));
}

// Run one parser; on success check that the printed value parses back.
template <class Parse, class Check>
void one(std::string_view text, Parse parse, Check check) {
  decltype(parse(text)) v;
  try {
    v = parse(text);
  } catch (const UnitError&) {
    return;  // the documented rejection
  }
  check(v);
}

}  // namespace

void units(std::string_view text) {
  one(text, parse_duration, [&](Duration d) {
    std::string s = to_string(d);
    Duration back{};
    try {
      back = parse_duration(s);
    } catch (const UnitError& e) {
      broken("duration", text, fmt::format("printed as \"{}\" which does not parse: {}", s, e.what()));
    }
    if (back.ps != d.ps) broken("duration", text, fmt::format("{} ps printed as \"{}\" reads back as {} ps", d.ps, s, back.ps));
  });
  one(text, parse_frequency, [&](Frequency f) {
    if (!(f.hz > 0) || !std::isfinite(f.hz)) broken("frequency", text, fmt::format("parsed to {} Hz", f.hz));
    std::string s = to_string(f);
    Frequency back{};
    try {
      back = parse_frequency(s);
    } catch (const UnitError& e) {
      broken("frequency", text, fmt::format("printed as \"{}\" which does not parse: {}", s, e.what()));
    }
    if (!close(back.hz, f.hz, 1e-9)) broken("frequency", text, fmt::format("{} Hz printed as \"{}\" reads back as {}", f.hz, s, back.hz));
    // the clock period: 1e12/hz ps rounded to nearest, at least 1 ps
    Time p = f.period();
    double exact = 1e12 / f.hz;
    if (exact >= 18446744073709551615.0 ? p != kTimeMax
                                        : std::fabs(static_cast<double>(p) - std::max(1.0, std::round(exact))) >
                                              0.5 + 1e-12 * exact)
      broken("frequency", text, fmt::format("{} Hz has period {} ps, expected {}", f.hz, p, exact));
  });
  one(text, parse_bytes, [&](Bytes b) {
    std::string s = to_string(b);
    Bytes back{};
    try {
      back = parse_bytes(s);
    } catch (const UnitError& e) {
      broken("bytes", text, fmt::format("printed as \"{}\" which does not parse: {}", s, e.what()));
    }
    if (back.count != b.count) broken("bytes", text, fmt::format("{} B printed as \"{}\" reads back as {}", b.count, s, back.count));
    // the count is the number read, not a wrapped one (llround overflowed above 2^63): the
    // bandwidth parser reads the same number and unit without converting to an integer
    if (b.count > 0) {
      double bps = 0;
      try {
        bps = parse_bandwidth(std::string(text) + "/s").bytes_per_s;
      } catch (const UnitError&) {
        return;
      }
      if (!close(static_cast<double>(b.count), bps, 2e-6))
        broken("bytes", text, fmt::format("parsed to {} B, but the same text per second is {} B/s", b.count, bps));
    }
  });
  one(text, parse_bandwidth, [&](Bandwidth bw) {
    std::string s = to_string(bw);
    Bandwidth back{};
    try {
      back = parse_bandwidth(s);
    } catch (const UnitError& e) {
      broken("bandwidth", text, fmt::format("printed as \"{}\" which does not parse: {}", s, e.what()));
    }
    if (!close(back.bytes_per_s, bw.bytes_per_s, 1e-9))
      broken("bandwidth", text, fmt::format("{} B/s printed as \"{}\" reads back as {}", bw.bytes_per_s, s, back.bytes_per_s));
    for (std::uint64_t n : {std::uint64_t{1}, std::uint64_t{4096}, ~std::uint64_t{0}}) {
      double exact = std::ceil(static_cast<double>(n) * 1e12 / bw.bytes_per_s - 1e-9);
      Time t = bw.transfer_time(n);
      if (exact >= 18446744073709551615.0 ? t != kTimeMax : t != static_cast<Time>(std::max(1.0, exact)))
        broken("bandwidth", text, fmt::format("{} B at {} B/s take {} ps, expected {}", n, bw.bytes_per_s, t, exact));
    }
  });
  one(text, parse_energy, [&](Energy e) {
    std::string s = to_string(e);
    Energy back{};
    try {
      back = parse_energy(s);
    } catch (const UnitError& x) {
      broken("energy", text, fmt::format("printed as \"{}\" which does not parse: {}", s, x.what()));
    }
    if (!close(back.joules, e.joules, 1e-9)) broken("energy", text, fmt::format("{} J printed as \"{}\" reads back as {}", e.joules, s, back.joules));
  });
  one(text, parse_power, [&](Power p) {
    std::string s = to_string(p);
    Power back{};
    try {
      back = parse_power(s);
    } catch (const UnitError& x) {
      broken("power", text, fmt::format("printed as \"{}\" which does not parse: {}", s, x.what()));
    }
    if (!close(back.watts, p.watts, 1e-9)) broken("power", text, fmt::format("{} W printed as \"{}\" reads back as {}", p.watts, s, back.watts));
  });
}

}  // namespace strata::fuzz
