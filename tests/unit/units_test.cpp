// Unit parsing and printing: good input, bad input, round trips.
#include <strata/units.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

using namespace strata;

TEST_CASE("units: time parses to whole picoseconds, rounding to nearest") {
  CHECK(parse_duration("3ns").ps == 3000);
  CHECK(parse_duration("1.5ns").ps == 1500);
  CHECK(parse_duration("1.5 ns").ps == 1500);
  CHECK(parse_duration("100ns").ps == 100000);
  CHECK(parse_duration("2us").ps == 2000000);
  CHECK(parse_duration("1ms").ps == 1000000000ull);
  CHECK(parse_duration("1s").ps == 1000000000000ull);
  CHECK(parse_duration("0.6ps").ps == 1);
}

TEST_CASE("units: frequency, size, bandwidth, energy, power") {
  CHECK(parse_frequency("1.5 GHz").hz == Approx(1.5e9));
  CHECK(parse_frequency("800MHz").period() == 1250);
  CHECK(parse_frequency("1.2GHz").period() == 833);  // 833.33 ps rounds to 833
  CHECK(parse_bytes("64KiB").count == 65536);
  CHECK(parse_bytes("1Mb").count == 125000);
  CHECK(parse_bytes("1Mib").count == 131072);
  CHECK(parse_bytes("2kB").count == 2000);
  CHECK(parse_bandwidth("256GB/s").bytes_per_s == Approx(256e9));
  CHECK(parse_bandwidth("8Gb/s").bytes_per_s == Approx(1e9));
  CHECK(parse_energy("2.2pJ").joules == Approx(2.2e-12));
  CHECK(parse_power("0.345W").watts == Approx(0.345));
  CHECK(parse_power("345mW").watts == Approx(0.345));
}

TEST_CASE("units: malformed or out-of-range values are errors that quote the text") {
  auto msg = [](auto f) {
    try {
      f();
    } catch (const UnitError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(msg([] { parse_duration("3"); }), Catch::Contains("no unit"));
  CHECK_THAT(msg([] { parse_duration("3 parsecs"); }), Catch::Contains("unknown time unit \"parsecs\""));
  CHECK_THAT(msg([] { parse_duration("-1ns"); }), Catch::Contains("negative"));
  CHECK_THAT(msg([] { parse_duration("ns"); }), Catch::Contains("expected a number"));
  CHECK_THAT(msg([] { parse_duration("0.4ps"); }), Catch::Contains("rounds to 0 ps"));
  CHECK_THAT(msg([] { parse_duration("1e30s"); }), Catch::Contains("too long"));
  CHECK_THAT(msg([] { parse_frequency("0Hz"); }), Catch::Contains("positive"));
  CHECK_THAT(msg([] { parse_bytes("1.5B"); }), Catch::Contains("whole number of bytes"));
  CHECK_THAT(msg([] { parse_bandwidth("256GB"); }), Catch::Contains("per second"));
  CHECK_THAT(msg([] { parse_energy("2.2pW"); }), Catch::Contains("unknown energy unit"));
  CHECK_THAT(msg([] { parse_power("1.2.3W"); }), Catch::Contains("malformed number"));
  CHECK(parse_duration("0ns").ps == 0);
}

TEST_CASE("units: printing uses the largest unit and parses back") {
  CHECK(format_time(1500) == "1.5ns");
  CHECK(format_time(0) == "0ps");
  CHECK(format_time(1) == "1ps");
  CHECK(format_time(10000000) == "10us");
  CHECK(to_string(Frequency{800e6}) == "800MHz");
  CHECK(to_string(Bytes{65536}) == "64KiB");
  CHECK(to_string(Bytes{1000}) == "1000B");
  CHECK(to_string(Bandwidth{256e9}) == "256GB/s");
  CHECK(to_string(Energy{2.2e-12}) == "2.2pJ");
  CHECK(to_string(Power{0.345}) == "345mW");
  for (Time t : {Time{1}, Time{999}, Time{1001}, Time{123456789}, Time{1} << 50})
    CHECK(parse_duration(format_time(t)).ps == t);
  for (double hz : {1.0, 1.28e9, 800e6, 33.3e3}) CHECK(parse_frequency(to_string(Frequency{hz})).hz == Approx(hz));
}

TEST_CASE("units: bandwidth transfer time rounds up to whole picoseconds") {
  Bandwidth bw{256e9};  // 256 B per ns
  CHECK(bw.transfer_time(0) == 0);
  CHECK(bw.transfer_time(256) == 1000);
  CHECK(bw.transfer_time(257) == 1004);  // 1003.9 ps -> 1004
}

TEST_CASE("units: format_si rounds to 4 significant digits and picks the SI prefix that keeps the mantissa in [1, 1000)") {
  CHECK(format_si(3.29681599489, "J") == "3.297 J");
  CHECK(format_si(0.05603492191, "s") == "56.03 ms");
  CHECK(format_duration(56034921910) == "56.03 ms");
  CHECK(format_si(2.0, "J") == "2 J");  // trailing zeros dropped
  CHECK(format_si(1.5e-9, "s") == "1.5 ns");
  CHECK(format_si(999.94, "W") == "999.9 W");
  CHECK(format_si(999.96, "W") == "1 kW");  // rounding carries into the next prefix
  CHECK(format_si(1048576, "") == "1.049 M");
  CHECK(format_si(12, "") == "12");
  CHECK(format_si(0, "J") == "0 J");
  CHECK(format_si(-0.0012345, "V", 3) == "-1.23 mV");
  CHECK(format_si(1e-15, "J") == "1 fJ");
  CHECK(format_si(1.25e20, "J") == "1.25e+20 J");  // beyond P: exponent form
  CHECK(format_si(4e-16, "J") == "4e-16 J");
  CHECK(format_si(std::numeric_limits<double>::infinity(), "s") == "inf s");

  // The rule in closed form, over values spread across every prefix: the printed number
  // differs from the value by at most half a unit in its 4th significant digit, and the
  // mantissa is in [1, 1000) with no more than 4 significant digits.
  const std::string prefixes = "fpnum kMGTP";
  for (int e = -15; e < 18; ++e)
    for (double m : {1.0, 1.23456, 4.99995, 7.777777, 9.99949}) {
      const double v = m * std::pow(10.0, e);
      const std::string s = format_si(v, "J");
      INFO(v << " -> " << s);
      const auto space = s.find(' ');
      REQUIRE(space != std::string::npos);
      const double mantissa = std::stod(s.substr(0, space));
      const std::string unit = s.substr(space + 1);
      REQUIRE((unit == "J" || (unit.size() == 2 && unit[1] == 'J')));
      const int p = unit == "J" ? 0 : static_cast<int>(prefixes.find(unit[0])) * 3 - 15;
      CHECK(mantissa >= 1);
      CHECK(mantissa < 1000);
      const double half_ulp = 0.5 * std::pow(10.0, e - 3);  // v = m x 10^e, 1 <= m < 10
      CHECK(std::fabs(mantissa * std::pow(10.0, p) - v) <= half_ulp * (1 + 1e-9));
      std::string digits = s.substr(0, space);
      digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
      digits.erase(0, digits.find_first_not_of('0'));
      CHECK(digits.size() <= 4);
    }
}

TEST_CASE("units: format_significant rounds like format_si but prints plain decimals, no prefix") {
  CHECK(format_significant(0.67312) == "0.6731");
  CHECK(format_significant(2.63) == "2.63");
  CHECK(format_significant(12345.6) == "12350");  // 4 significant digits, the rest zeros
  CHECK(format_significant(1.0) == "1");
  CHECK(format_significant(-0.5) == "-0.5");
  CHECK(format_significant(3e-5) == "3e-05");
  CHECK(format_significant(0.000123456) == "0.0001235");
  CHECK(format_significant(2.5e15) == "2.5e+15");
  CHECK(format_significant(0) == "0");
  // the value printed is the value rounded to 4 significant digits
  for (double v : {0.00123456, 0.987654, 7.77777, 123.456, 98765.4})
    CHECK(std::stod(format_significant(v)) == Approx(v).epsilon(0.5e-3));
}
