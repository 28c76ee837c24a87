#include "strata/models_common/units.hpp"

#include <catch2/catch.hpp>

#include <limits>

using namespace strata::models;

TEST_CASE("units: ceil_div rounds up and treats a zero divisor as free", "[models_common]") {
  CHECK(ceil_div(0, 7) == 0);
  CHECK(ceil_div(14, 7) == 2);
  CHECK(ceil_div(15, 7) == 3);
  CHECK(ceil_div(5, 0) == 0);
}

TEST_CASE("units: packed_bytes = ceil(count * bits / 8)", "[models_common]") {
  CHECK(packed_bytes(10, 8) == 10);
  CHECK(packed_bytes(10, 16) == 20);
  CHECK(packed_bytes(3, 4) == 2);   // 12 bits -> 2 bytes
  CHECK(packed_bytes(1, 1) == 1);
  CHECK(packed_bytes(0, 32) == 0);
}

TEST_CASE("units: ceil_log2", "[models_common]") {
  CHECK(ceil_log2(0) == 0);
  CHECK(ceil_log2(1) == 0);
  CHECK(ceil_log2(2) == 1);
  CHECK(ceil_log2(3) == 2);
  CHECK(ceil_log2(128) == 7);
  CHECK(ceil_log2(129) == 8);
}

TEST_CASE("units: cycles_to_ps = ceil(cycles * 1e12 / f), rounded once on the total",
          "[models_common]") {
  CHECK(cycles_to_ps(1, 800e6) == 1250);
  CHECK(cycles_to_ps(1000, 800e6) == 1'250'000);
  // 1.2 GHz: 833.33 ps per cycle; 3 cycles are exactly 2500 ps, 1 cycle rounds up to 834.
  CHECK(cycles_to_ps(1, 1.2e9) == 834);
  CHECK(cycles_to_ps(3, 1.2e9) == 2500);
  CHECK(cycles_to_ps(0, 1e9) == 0);
  CHECK(cycles_to_ps(5, 0.0) == 0);
}

TEST_CASE("units: bytes_to_ps at a bandwidth; non-integral rates and saturation",
          "[models_common]") {
  CHECK(bytes_to_ps(256, 256e9) == 1000);
  CHECK(bytes_to_ps(257, 256e9) == 1004);  // 1003.90625 rounds up
  CHECK(bytes_to_ps(1, 2.5) == 400'000'000'000ULL);  // non-integral rate: 1 B at 2.5 B/s = 0.4 s
  CHECK(bytes_to_ps(std::numeric_limits<std::uint64_t>::max(), 1.0) ==
        std::numeric_limits<std::uint64_t>::max());
}

TEST_CASE("units: ps_to_seconds", "[models_common]") {
  CHECK(ps_to_seconds(kPicosecondsPerSecond) == Approx(1.0));
  CHECK(ps_to_seconds(1250) == Approx(1.25e-9));
}
