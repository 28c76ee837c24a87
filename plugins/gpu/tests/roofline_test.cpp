// gpu.roofline through the harness, driven by workload.ops. Every expected time and energy
// is the closed form written out here from the V100 preset's numbers:
//   t = launch + ceil(max(flops / (peak x 0.6), bytes / (900 GB/s x 0.83)) in ps)
#include "compute_driver.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

namespace {

using u64 = std::uint64_t;
using strata::testing::Harness;

constexpr double kFp32 = 15.7e12, kFp16 = 125e12, kInt8 = 62.8e12, kBw = 900e9;
constexpr double kCe = 0.6, kMe = 0.83, kPower = 300.0, kIdle = 40.0;
constexpr u64 kLaunch = 5'000'000;  // 5 us in ps
constexpr u64 kLink = 1000;          // 1 ns driver link

u64 body_ps(double flops, double peak, double bytes) {
  return static_cast<u64>(std::ceil(std::max(flops / (peak * kCe), bytes / (kBw * kMe)) * 1e12));
}

std::string chip(const std::string& driver_params, const std::string& gpu_params = "") {
  return R"(
[[component]]
name = "gpu"
type = "gpu.roofline"
preset = "v100"
params = { )" + gpu_params + R"( }
)" + strata::testing::ops_driver(driver_params, "gpu.ctrl");
}

const auto& stats(const strata::testing::Run& r, const std::string& c) { return strata::testing::component_stats(r, c); }

}  // namespace

TEST_CASE("gpu.roofline: GEMM time is launch + max(compute, memory), serial kernels", "[gpu][plugin]") {
  Harness h;
  // entry 0: 1024^3 int8 GEMM, compute bound on the FP16 tensor cores (no INT8 tensor cores).
  // entry 1: m = 1 GEMV 4096 x 4096, memory bound.
  auto r = h.run(chip(R"(op = "gemm", m = [1024, 1], k = [1024, 4096], n = [1024, 4096], mode = "serial")"));
  const double f0 = 2.0 * 1024 * 1024 * 1024, b0 = 3.0 * 1024 * 1024;
  const double f1 = 2.0 * 4096 * 4096, b1 = 4096.0 + 4096.0 * 4096 + 4096.0;
  const u64 t0 = kLaunch + body_ps(f0, kFp16, b0), t1 = kLaunch + body_ps(f1, kFp16, b1);
  CHECK(f0 / (kFp16 * kCe) > b0 / (kBw * kMe));  // compute bound
  CHECK(f1 / (kFp16 * kCe) < b1 / (kBw * kMe));  // memory bound
  const auto& g = stats(r, "gpu");
  CHECK(g["kernels"] == 2);
  CHECK(g["compute_bound"] == 1);
  CHECK(g["memory_bound"] == 1);
  CHECK(g["busy"] == t0 + t1);
  CHECK(g["launch_time"] == 2 * kLaunch);
  CHECK(g["flops"] == static_cast<u64>(f0) + static_cast<u64>(f1));
  // serial: request 2 leaves when answer 1 arrives; each answer 1 ns after it is sent back
  CHECK(stats(r, "drv")["makespan"] == 4 * kLink + t0 + t1);
  CHECK(r.stats["simulation"]["end_time_ps"] == 4 * kLink + t0 + t1);
  // energy: dynamic (P - idle) x compute time (without launch), static idle x run time
  const double dyn = (kPower - kIdle) * static_cast<double>(t0 + t1 - 2 * kLaunch) * 1e-12;
  const double end_s = static_cast<double>(4 * kLink + t0 + t1) * 1e-12;
  CHECK(r.stats["components"]["gpu"]["energy"]["dynamic_j"].get<double>() == Approx(dyn).epsilon(1e-12));
  CHECK(r.stats["components"]["gpu"]["energy"]["static_j"].get<double>() == Approx(kIdle * end_s).epsilon(1e-9));
  CHECK(stats(r, "drv")["energy"]["sum"].get<double>() == Approx(dyn).epsilon(1e-12));
}

TEST_CASE("gpu.roofline: precision picks the fastest path at least as wide", "[gpu][plugin]") {
  Harness h;
  const double f = 2.0 * 2048 * 2048 * 2048;
  SECTION("fp32 operands run on the CUDA cores") {
    auto r = h.run(chip(R"(op = "gemm", m = [2048], k = [2048], n = [2048], weight_bits = 32, input_bits = 32, output_bits = 32)"));
    const double b = 3.0 * 2048 * 2048 * 4;
    CHECK(stats(r, "gpu")["busy"] == kLaunch + body_ps(f, kFp32, b));
  }
  SECTION("int8 runs on DP4A when it is the fastest path (no FP16 path)") {
    auto r = h.run(chip(R"(op = "gemm", m = [2048], k = [2048], n = [2048])", "peak_fp16 = 0.0"));
    const double b = 3.0 * 2048 * 2048;
    CHECK(stats(r, "gpu")["busy"] == kLaunch + body_ps(f, kInt8, b));
  }
  SECTION("gemm_t costs what gemm costs") {
    auto a = h.run(chip(R"(op = "gemm_t", m = [128], k = [768], n = [3072])"));
    auto b = h.run(chip(R"(op = "gemm", m = [128], k = [768], n = [3072])"));
    CHECK(stats(a, "gpu")["busy"] == stats(b, "gpu")["busy"]);
  }
}

TEST_CASE("gpu.roofline: vector ops at FP32, load_weights are free", "[gpu][plugin]") {
  Harness h;
  auto r = h.run(chip(R"(op = "softmax", m = [128], k = [0], n = [0], elements = [1000000])"));
  CHECK(stats(r, "gpu")["busy"] == kLaunch + body_ps(8.0 * 1e6, kFp32, 2e6));
  CHECK(stats(r, "gpu")["memory_bound"] == 1);
  auto l = h.run(chip(R"(op = "gemm", m = [8], k = [768], n = [768], preload = true, mode = "serial")"));
  CHECK(stats(l, "gpu")["loads"] == 1);
  CHECK(stats(l, "gpu")["kernels"] == 1);
  CHECK(stats(l, "drv")["ok"] == 2);
  CHECK(stats(l, "gpu")["busy"] == kLaunch + body_ps(2.0 * 8 * 768 * 768, kFp16, 8.0 * 768 * 2 + 768.0 * 768));
}

TEST_CASE("gpu.roofline: idle power above busy power is a configuration error", "[gpu][plugin]") {
  Harness h;
  CHECK_THROWS_WITH(h.run(chip(R"(op = "gemm", m = [1], k = [1], n = [1])", "idle_power = \"400W\"")),
                    Catch::Contains("idle_power"));
}
