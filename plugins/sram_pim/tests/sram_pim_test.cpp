// sram.pim through the harness, driven by workload.ops. Expected times from the parameters:
//   tiles = ceil(k / rows) x ceil(n / (columns / wb)), rounds = ceil(tiles / macros),
//   t = rounds x (rows [weights written] + m x ib) cycles.
#include "compute_driver.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

namespace {

using u64 = std::uint64_t;
using strata::testing::Harness;

// Defaults: 64 macros of 256 rows x 256 columns at 500 MHz (2 ns), 1.4 fJ per bit op, 5 fJ per bit written.
constexpr u64 kMacros = 64, kRows = 256, kCols = 256, kPeriod = 2000;
constexpr double kBitOp = 1.4e-15, kWrite = 5e-15;

u64 cdiv(u64 a, u64 b) { return (a + b - 1) / b; }

std::string chip(const std::string& driver, const std::string& params = "") {
  return R"(
[[component]]
name = "sram"
type = "sram.pim"
params = { )" + params + R"( }
)" + strata::testing::ops_driver(driver, "sram.ctrl");
}
const auto& stats(const strata::testing::Run& r, const std::string& c) { return strata::testing::component_stats(r, c); }

}  // namespace

TEST_CASE("sram.pim: a streamed GEMM takes ceil(tiles / macros) x (rows + m x input_bits) cycles", "[sram_pim][plugin]") {
  Harness h;
  // A BERT-base V projection of one sequence: 128 x 768 x 768 at 8 bits.
  auto r = h.run(chip(R"(op = "gemm", m = [128], k = [768], n = [768])"));
  const u64 tiles = cdiv(768, kRows) * cdiv(768, kCols / 8);
  const u64 rounds = cdiv(tiles, kMacros);
  CHECK(tiles == 72);
  CHECK(rounds == 2);
  const u64 t = rounds * (kRows + 128 * 8) * kPeriod;
  const auto& s = stats(r, "sram");
  CHECK(s["busy"] == t);
  CHECK(s["write_time"] == rounds * kRows * kPeriod);
  CHECK(s["macs"] == 128u * 768 * 768);
  const auto& e = r.stats["components"]["sram"]["energy"]["dynamic"];
  CHECK(e["compute"]["joules"].get<double>() == Approx(128.0 * 768 * 768 * 8 * 8 * kBitOp));
  CHECK(e["write"]["joules"].get<double>() == Approx(768.0 * 768 * 8 * kWrite));
}

TEST_CASE("sram.pim: resident weights filling every macro run at macros x rows x columns/wb / ib MACs per cycle",
          "[sram_pim][plugin]") {
  Harness h;
  // k = 8 x rows, n = 8 x (columns / 8): exactly 64 tiles, one round, stored by load_weights.
  const u64 k = 8 * kRows, n = 8 * (kCols / 8), m = 100;
  auto r = h.run(chip(R"(op = "gemm", m = [100], k = [2048], n = [256], preload = true, mode = "serial")"));
  const auto& s = stats(r, "sram");
  CHECK(s["loads"] == 1);
  const u64 load = kRows * kPeriod, gemm = m * 8 * kPeriod;
  CHECK(s["busy"] == load + gemm);
  const double macs_per_s = double(m * k * n) / (double(gemm) * 1e-12);
  CHECK(macs_per_s == Approx(double(kMacros * kRows * (kCols / 8)) / 8.0 * 500e6));
  CHECK(s["macro_use"]["mean"] == Approx(double(kMacros)));
}

TEST_CASE("sram.pim: a matrix larger than the macros cannot be resident; vector ops are unsupported",
          "[sram_pim][plugin]") {
  Harness h;
  auto r = h.run(chip(R"(op = "gemm", m = [1], k = [768], n = [768], preload = true, mode = "serial")"));
  CHECK(stats(r, "drv")["capacity_error"] == 1);
  auto v = h.run(chip(R"(op = "softmax", m = [4], n = [128])"));
  CHECK(stats(v, "drv")["unsupported"] == 1);
}

TEST_CASE("sram.pim: bad parameters are located errors", "[sram_pim][plugin]") {
  Harness h;
  const std::string e = h.errors(chip(R"(m = [1], k = [1], n = [1])", "macros = 0"));
  CHECK_THAT(e, Catch::Contains("macros") && Catch::Contains("test.toml:"));
}
