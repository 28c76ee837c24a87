// memory.hbm_pim through the harness, driven by workload.ops / workload.mem_ops. Every
// expected time is written out here from the parameters (bank count, row size, command
// timings), never copied from a run:
//   units = channels x banks_per_channel / banks_per_unit
//   per vector: ceil(k B / burst) tCCD + rows (tRCD + tRP) + ceil(n / units) ceil(k / lanes) tCCD
//               + ceil(ceil(n B / burst) / channels) tCCD,   rows = ceil(ceil(n / units) k B / row)
//   request of m vectors: mode_switch + m x per vector            (B = 2: FP16 operands)
#include "compute_driver.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

namespace {

using u64 = std::uint64_t;
using strata::testing::Harness;

constexpr u64 kNs = 1000;
// Preset hbm2_atleus: 8 channels x 128 bit x 2 GT/s (32 GB/s each), 45 ns access, 32 B
// column/burst; 32 banks per channel, 2 banks per unit, 16 lanes, FP16, 1 KiB rows,
// tCCD 4 ns, tRCD = tRP = 14 ns, mode switch 30 ns, 1.5 pJ per MAC, 3.9 pJ per bit.
constexpr u64 kChannels = 8, kBanks = 32, kPerUnit = 2, kLanes = 16, kElem = 2, kBurst = 32, kRow = 1024;
constexpr u64 kCcd = 4 * kNs, kRcd = 14 * kNs, kRp = 14 * kNs, kSwitch = 30 * kNs, kLatency = 45 * kNs;
constexpr double kChannelBw = 32e9, kMac = 1.5e-12, kBit = 3.9e-12;

u64 cdiv(u64 a, u64 b) { return (a + b - 1) / b; }

struct Expect {
  u64 units, cols, commands, rows, vector_ps;
};
Expect gemv(u64 k, u64 n, u64 per_unit = kPerUnit) {
  Expect e{};
  e.units = kChannels * kBanks / per_unit;
  e.cols = cdiv(n, e.units);
  e.commands = e.cols * cdiv(k, kLanes);
  e.rows = cdiv(e.cols * k * kElem, kRow);
  e.vector_ps = cdiv(k * kElem, kBurst) * kCcd + e.rows * (kRcd + kRp) + e.commands * kCcd +
                cdiv(cdiv(n * kElem, kBurst), kChannels) * kCcd;
  return e;
}
// A k x n FP16 matrix written striped over all channels (memory.hbm's closed form).
u64 write_ps(u64 k, u64 n) {
  const u64 bursts = cdiv(k * n * kElem, kBurst);
  return kLatency + static_cast<u64>(double(cdiv(bursts, kChannels) * kBurst) / kChannelBw * 1e12 + 0.5);
}

std::string stack(const std::string& preset = "hbm2_atleus", const std::string& params = "") {
  return strata::testing::preset_component("hbm", "memory.hbm_pim", preset, params);
}
std::string ops(const std::string& params) { return strata::testing::ops_driver(params, "hbm.ctrl"); }
const auto& stats(const strata::testing::Run& r, const std::string& c) { return strata::testing::component_stats(r, c); }

}  // namespace

TEST_CASE("memory.hbm_pim: GEMV time = switch + input + rows x (tRCD + tRP) + ceil(n/units) ceil(k/lanes) tCCD + output",
          "[hbm_pim][plugin]") {
  Harness h;
  // One stored 768 x 768 matrix (a BERT-base projection), then a GEMM of m = 1 and m = 4 vectors.
  auto r = h.run(stack() + ops(R"(op = "gemm", m = [1, 4], k = [768, 768], n = [768, 768], ids = [7, 7], preload = true, mode = "serial")"));
  const Expect e = gemv(768, 768);
  CHECK(e.units == 128);
  CHECK(e.cols == 6);
  CHECK(e.commands == 288);
  CHECK(e.rows == 9);
  const u64 t1 = kSwitch + e.vector_ps, t4 = kSwitch + 4 * e.vector_ps;
  const auto& s = stats(r, "hbm");
  CHECK(s["pim_gemms"] == 2);
  CHECK(s["pim_loads"] == 2);
  CHECK(s["pim_busy"] == 2 * write_ps(768, 768) + t1 + t4);
  CHECK(s["column_commands"] == 5 * e.commands);
  CHECK(s["activations"] == 5 * e.rows);
  CHECK(s["macs"] == 5 * e.units * e.commands * kLanes);
  CHECK(s["active_units"]["mean"] == Approx(128.0));
  const auto& en = r.stats["components"]["hbm"]["energy"]["dynamic"];
  CHECK(en["mac"]["joules"].get<double>() == Approx(double(5 * e.units * e.commands * kLanes) * kMac));
  CHECK(en["pim_bank_read"]["joules"].get<double>() ==
        Approx(double(5 * e.units * e.commands * kBurst * 8) * kBit));
  CHECK(en["pim_io"]["joules"].get<double>() == Approx(double(5 * (768 + 768) * kElem * 8) * kBit));
}

TEST_CASE("memory.hbm_pim: bank parallelism is the limit: up to `units` output columns cost the same, one more doubles the columns",
          "[hbm_pim][plugin]") {
  Harness h;
  auto r = h.run(stack() + ops(R"(op = "gemm", m = [1], k = [256], n = [64], static_weights = false)"));
  auto r128 = h.run(stack() + ops(R"(op = "gemm", m = [1], k = [256], n = [128], static_weights = false)"));
  auto r129 = h.run(stack() + ops(R"(op = "gemm", m = [1], k = [256], n = [129], static_weights = false)"));
  const Expect a = gemv(256, 64), b = gemv(256, 128), c = gemv(256, 129);
  CHECK(a.commands == b.commands);
  CHECK(c.commands == 2 * b.commands);
  CHECK(stats(r, "hbm")["active_units"]["mean"] == Approx(64.0));
  CHECK(stats(r128, "hbm")["active_units"]["mean"] == Approx(128.0));
  // A streamed matrix is written first, then multiplied.
  CHECK(stats(r, "hbm")["pim_busy"] == write_ps(256, 64) + kSwitch + a.vector_ps);
  CHECK(stats(r128, "hbm")["pim_busy"] == write_ps(256, 128) + kSwitch + b.vector_ps);
  CHECK(stats(r129, "hbm")["pim_busy"] == write_ps(256, 129) + kSwitch + c.vector_ps);
}

TEST_CASE("memory.hbm_pim: preset newton has one unit per bank: twice the units, half the columns each",
          "[hbm_pim][plugin]") {
  Harness h;
  auto r = h.run(stack("newton") + ops(R"(op = "gemm", m = [2], k = [768], n = [768], static_weights = false)"));
  const Expect e = gemv(768, 768, 1);
  CHECK(e.units == 256);
  CHECK(e.cols == 3);
  CHECK(stats(r, "hbm")["pim_busy"] == write_ps(768, 768) + kSwitch + 2 * e.vector_ps);
}

TEST_CASE("memory.hbm_pim: ordinary accesses follow memory.hbm and wait for all-bank compute", "[hbm_pim][plugin]") {
  Harness h;
  const std::string reader = R"(
[[component]]
name = "rd"
type = "workload.mem_ops"
params = { address = [0], bytes = [16384], end_run = false }

[[link]]
from = "rd.mem"
to = "hbm.port[]"
latency = ")";
  SECTION("alone: latency + B / (channels x channel bw), as memory.hbm") {
    auto r = h.run(stack() + reader + "1ns\"\n");
    const u64 t = kLatency + static_cast<u64>(16384.0 / kChannels / kChannelBw * 1e12 + 0.5);
    CHECK(stats(r, "hbm")["latency"]["max"] == Approx(double(t)));
  }
  SECTION("behind a GEMM: the read starts when the compute releases the banks") {
    // The GEMM arrives at 1 ns and holds every channel; the read arrives at 2 ns.
    auto r = h.run(stack() + ops(R"(op = "gemm", m = [1], k = [768], n = [768], static_weights = false)") + reader +
                   "2ns\"\n");
    const u64 gemm_end = 1 * kNs + write_ps(768, 768) + kSwitch + gemv(768, 768).vector_ps;
    const u64 t = (gemm_end - 2 * kNs) + kLatency + static_cast<u64>(16384.0 / kChannels / kChannelBw * 1e12 + 0.5);
    CHECK(stats(r, "hbm")["latency"]["max"] == Approx(double(t)));
    CHECK(stats(r, "hbm")["queue_delay"]["max"] == Approx(double(gemm_end - 2 * kNs)));
  }
}

TEST_CASE("memory.hbm_pim: vector ops, operands wider than mac_bits and unknown matrices are refused by status",
          "[hbm_pim][plugin]") {
  Harness h;
  auto r = h.run(stack() + ops(R"(op = "softmax", m = [4], n = [128])"));
  CHECK(stats(r, "drv")["unsupported"] == 1);
  auto w = h.run(stack() + ops(R"(op = "gemm", m = [1], k = [64], n = [64], weight_bits = 32, static_weights = false)"));
  CHECK(stats(w, "drv")["unsupported"] == 1);
  auto u = h.run(stack() + ops(R"(op = "gemm", m = [1], k = [64], n = [64], static_weights = true, weight_id = 99)"));
  CHECK(stats(u, "drv")["refused"] == 1);
}

TEST_CASE("memory.hbm_pim: bad parameters name the component and the parameter", "[hbm_pim][plugin]") {
  Harness h;
  CHECK_THROWS_WITH(h.run(stack("hbm2_atleus", "banks_per_unit = 3") + ops(R"(m = [1], k = [1], n = [1])")),
                    Catch::Contains("hbm") && Catch::Contains("banks_per_unit"));
  CHECK_THROWS_WITH(h.run(stack("hbm2_atleus", "lanes = 32") + ops(R"(m = [1], k = [1], n = [1])")),
                    Catch::Contains("lanes x mac_bits"));
  CHECK_FALSE(h.errors(stack("hbm2_atleus", "t_ccd = \"0ns\"")).empty());
}
