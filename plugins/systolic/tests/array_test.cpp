// systolic.array through the harness: real plugins, systems built from TOML text. Every
// expected number is derived here from the parameters (SCALE-Sim's closed forms and the
// memory's latency + bytes / bandwidth), never copied from a run.
#include "compute_driver.hpp"
#include "trace_writer.hpp"

#include <strata/systolic/model.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace {

using u64 = std::uint64_t;
using strata::testing::Harness;

u64 cdiv(u64 a, u64 b) { return (a + b - 1) / b; }
// SCALE-Sim v2 per-fold cycles: R + C + T - 2 for OS, 2R + C + T - 2 for WS and IS (which
// preload the stationary operand: R more cycles); see plugins/systolic/model/tests.
u64 cycles_per_fold(u64 r, u64 c, u64 t, const std::string& dataflow = "os") {
  return (dataflow == "os" ? 0 : r) + r + c + t - 2;
}

// An 8 x 4 array at 1 GHz (1 cycle = 1000 ps) with ideal DRAM, SRAM buffers that capture
// every reuse, and ports fast enough never to stall: pure SCALE-Sim compute cycles.
std::string small_array(const std::string& dataflow, const std::string& extra = "") {
  return R"(
[[component]]
name = "sa"
type = "systolic.array"
params = { rows = 8, cols = 4, clock = "1GHz", dataflow = ")" +
         dataflow + R"(", ideal_dram = true, ifmap_sram = "1GiB", filter_sram = "1GiB", ofmap_sram = "1GiB", sram_bandwidth = "1TB/s" )" +
         extra + R"( }
)";
}

std::string driver(const std::string& params) { return strata::testing::ops_driver(params, "sa.ctrl"); }

const auto& stats(const strata::testing::Run& r, const std::string& c) { return strata::testing::component_stats(r, c); }

constexpr u64 kNs = 1000;
constexpr u64 kLink = 1 * kNs;

}  // namespace

TEST_CASE("systolic.array: GEMM latency = folds x (R + C + T - 2 for OS, 2R + C + T - 2 for WS/IS) cycles at the "
          "clock, per dataflow",
          "[systolic][plugin]") {
  const u64 R = 8, C = 4, M = 20, K = 100, N = 10;
  struct Case {
    const char* df;
    u64 sr, sc, t;
  };
  const Case c = GENERATE(Case{"os", M, N, K}, Case{"ws", K, N, M}, Case{"is", K, M, N});
  CAPTURE(c.df);
  Harness h;
  auto r = h.run(small_array(c.df) + driver("m = [20], k = [100], n = [10]"));
  const u64 cycles = cdiv(c.sr, R) * cdiv(c.sc, C) * cycles_per_fold(R, C, c.t, c.df);
  const auto& sa = stats(r, "sa");
  CHECK(sa["busy"] == cycles * kNs);
  CHECK(sa["compute_cycles"].get<u64>() + sa["fill_drain_cycles"].get<u64>() == cycles);
  CHECK(sa["stall_sram"] == 0);
  CHECK(sa["macs"] == M * K * N);
  // The driver sees the core's service time plus the link both ways.
  CHECK(stats(r, "drv")["latency"]["max"] == Approx(double(cycles * kNs + 2 * kLink)));
  CHECK(r.result.end_time == cycles * kNs + 2 * kLink);
}

TEST_CASE("systolic.array: requests queue FIFO, one at a time: the second finishes at twice the service time",
          "[systolic][plugin]") {
  const u64 R = 8, C = 4;
  Harness h;
  auto r = h.run(small_array("os") + driver("m = [16], k = [64], n = [8], repeat = 2, mode = \"all\""));
  const u64 service = cdiv(16, R) * cdiv(8, C) * cycles_per_fold(R, C, 64) * kNs;
  const auto& drv = stats(r, "drv");
  CHECK(drv["answered"] == 2);
  CHECK(drv["latency"]["min"] == Approx(double(service + 2 * kLink)));
  CHECK(drv["latency"]["max"] == Approx(double(2 * service + 2 * kLink)));
  CHECK(stats(r, "sa")["queue_wait"]["max"] == Approx(double(service)));
  CHECK(r.result.end_time == 2 * service + 2 * kLink);
}

TEST_CASE("systolic.array: energy = MACs x E_mac + SRAM bytes x E_sram; static = (P - full-activity dynamic) x time",
          "[systolic][plugin][energy]") {
  const u64 R = 8, C = 4, M = 20, K = 100, N = 10;
  const double f = 1e9, e_mac = 1e-12, e_rd = 2e-12, e_wr = 3e-12, power = 1.0;
  Harness h;
  auto r = h.run(small_array("os", R"(, mac_energy = "1pJ", sram_read_energy = "2pJ", sram_write_energy = "3pJ", power = "1W")") +
                 driver("m = [20], k = [100], n = [10]"));
  // OS, every operand fits: the array reads A once per column fold and B once per row
  // fold; A, B are filled from DRAM once (SRAM writes), C is written once and read once
  // to go back to DRAM.
  const u64 col_folds = cdiv(N, C), row_folds = cdiv(M, R);
  const u64 sram_read = M * K * col_folds + K * N * row_folds + M * N;
  const u64 sram_written = M * N + M * K + K * N;
  const auto& sa = r.stats["components"]["sa"];
  CHECK(sa["stats"]["sram_read"] == sram_read);
  CHECK(sa["stats"]["sram_written"] == sram_written);
  CHECK(sa["energy"]["dynamic"]["mac"]["joules"] == Approx(double(M * K * N) * e_mac));
  CHECK(sa["energy"]["dynamic"]["sram_read"]["joules"] == Approx(double(sram_read) * e_rd));
  CHECK(sa["energy"]["dynamic"]["sram_write"]["joules"] == Approx(double(sram_written) * e_wr));
  const double dynamic = double(M * K * N) * e_mac + double(sram_read) * e_rd + double(sram_written) * e_wr;
  CHECK(sa["energy"]["dynamic_j"] == Approx(dynamic));
  CHECK(stats(r, "drv")["energy"]["sum"] == Approx(dynamic));  // reported on the request
  const double p_static = power - (double(R * C) * f * e_mac + double(R + C) * f * e_rd);
  CHECK(sa["energy"]["static_power_w"] == Approx(p_static));
  const double seconds = double(r.result.end_time) * 1e-12;
  CHECK(sa["energy"]["total_j"] == Approx(dynamic + p_static * seconds));
}

TEST_CASE("systolic.array: vector op lane ops = ops/element x elements + ops/row x rows, cycles = ceil(/lanes)",
          "[systolic][plugin][vector]") {
  // softmax: 5 lane ops per element, 1 per row (vector.cpp), one input tensor.
  const u64 rows = 4, elements = 64, lanes = 4;
  Harness h;
  auto r = h.run(small_array("os", R"(, vector_lanes = 4, vector_energy = "1pJ")") +
                 driver(R"(op = "softmax", m = [4], k = [0], n = [0], elements = [64])"));
  const u64 lane_ops = 5 * elements + 1 * rows;
  const auto& sa = r.stats["components"]["sa"];
  CHECK(sa["stats"]["vector_ops"] == 1);
  CHECK(sa["stats"]["lane_ops"] == lane_ops);
  CHECK(sa["stats"]["busy"] == cdiv(lane_ops, lanes) * kNs);
  CHECK(sa["stats"]["sram_read"] == elements);  // 8-bit elements
  CHECK(sa["stats"]["sram_written"] == elements);
  CHECK(sa["energy"]["dynamic"]["vector"]["joules"] == Approx(double(lane_ops) * 1e-12));
}

TEST_CASE("systolic.array: utilisation = MACs / (R x C x cycles), per GEMM and over the run",
          "[systolic][plugin]") {
  const u64 R = 8, C = 4, M = 20, K = 100, N = 10;
  Harness h;
  auto r = h.run(small_array("os") + driver("m = [20], k = [100], n = [10]"));
  const u64 cycles = cdiv(M, R) * cdiv(N, C) * cycles_per_fold(R, C, K);
  const double macs = double(M * K * N);
  const auto& sa = stats(r, "sa");
  CHECK(sa["request_utilisation"]["mean"] == Approx(macs / double(R * C * cycles)));
  // Over the run: the run also spans the two link crossings (1 cycle each at 1 GHz).
  CHECK(sa["utilisation"]["mean"] == Approx(macs / double(R * C * (cycles + 2))));
}

TEST_CASE("systolic.array: load_weights and unknown vector ops answer status unsupported",
          "[systolic][plugin]") {
  Harness h;
  const std::string op = GENERATE(std::string("load_weights"), std::string("rmsnorm"));
  auto r = h.run(small_array("os") + driver("op = \"" + op + "\", m = [4], k = [4], n = [4]"));
  CHECK(stats(r, "drv")["unsupported"] == 1);
  CHECK(stats(r, "sa")["unsupported"] == 1);
  CHECK(stats(r, "sa")["busy"] == 0);
}

TEST_CASE("systolic.array: presets atleus = 128x32 OS at 800 MHz, tpu_128x128 = 128x128 WS",
          "[systolic][plugin][preset]") {
  const u64 M = 128, K = 256, N = 256;
  const u64 period = 1250;  // 800 MHz
  struct Case {
    const char* preset;
    u64 R, C, sr, sc, t;
    const char* dataflow;
  };
  const Case c =
      GENERATE_COPY(Case{"atleus", 128, 32, M, N, K, "os"}, Case{"tpu_128x128", 128, 128, K, N, M, "ws"});
  CAPTURE(c.preset);
  Harness h;
  auto r = h.run(std::string(R"(
[[component]]
name = "sa"
type = "systolic.array"
preset = ")") + c.preset + R"("
params = { ideal_dram = true }
)" + driver("m = [128], k = [256], n = [256]"));
  const u64 cycles = cdiv(c.sr, c.R) * cdiv(c.sc, c.C) * cycles_per_fold(c.R, c.C, c.t, c.dataflow);
  CHECK(stats(r, "sa")["busy"] == cycles * period);
  CHECK(stats(r, "sa")["stall_sram"] == 0);
}

TEST_CASE("systolic.array: with mem unlinked the service time is the model's, DRAM share and stalls included",
          "[systolic][plugin][dram]") {
  // The wrapper adds nothing: same cycles by cause, same time as evaluate_gemm on the preset.
  Harness h;
  auto r = h.run(R"(
[[component]]
name = "sa"
type = "systolic.array"
preset = "atleus"
)" + driver("m = [128], k = [768], n = [64]"));
  const auto model = strata::systolic::evaluate_gemm(strata::systolic::atleus_sa(), {128, 768, 64});
  REQUIRE(model.cycles.stall_dram() > 0);  // 16 GB/s is not enough for this shape
  const auto& sa = stats(r, "sa");
  CHECK(sa["busy"] == model.time_ps);
  CHECK(sa["stall_dram_fill"] == model.cycles.stall_dram_fill);
  CHECK(sa["stall_dram_bandwidth"] == model.cycles.stall_dram_bandwidth);
  CHECK(sa["stall_dram_writeback"] == model.cycles.stall_dram_writeback);
  CHECK(sa["dram_read"] == model.dram_bytes_read);
  CHECK(sa["mem_requests"] == 0);
}

// ---- DRAM through a real memory ---------------------------------------------------------

namespace {

// One channel of 1 byte at 1 GT/s (1 B/ns), 10 ns access latency, 1-byte bursts: every
// transfer of B bytes holds the channel B ns.
std::string slow_memory() { return strata::testing::one_byte_per_ns_memory("sa.mem"); }

// The model's parameters of the 8 x 4 array with 1 KiB buffers the cases below declare in
// TOML (rows = 8, cols = 4, clock = "1GHz", *_sram = "1KiB", sram_bandwidth = "1TB/s":
// 1000 B per cycle).
strata::systolic::SystolicParams small_array_model(bool ideal_dram) {
  strata::systolic::SystolicParams p;
  p.rows = 8;
  p.cols = 4;
  p.frequency = strata::Frequency{1e9};
  p.ifmap_sram_size = p.filter_sram_size = p.ofmap_sram_size = strata::Bytes{1024};
  p.sram_bandwidth = strata::Bandwidth{1e12};
  p.ideal_dram = ideal_dram;
  return p;
}

}  // namespace

TEST_CASE("systolic.array: with mem linked a fold waits for its operands and the last store (fill + folds + writeback)",
          "[systolic][plugin][dram]") {
  const u64 R = 8, C = 4, M = 8, K = 32, N = 4;  // a single fold
  Harness h;
  auto r = h.run(small_array("os") + slow_memory() + driver("m = [8], k = [32], n = [4]"));
  const u64 lat = 10 * kNs, hop = 1 * kNs, per_byte = 1 * kNs;
  // A (M*K bytes) and B (K*N) leave together and share the one channel; the fold starts
  // when the later one is back. The result (M*N bytes) goes out after the fold.
  const u64 fill = hop + (M * K + K * N) * per_byte + lat + hop;
  const u64 fold = cycles_per_fold(R, C, K) * kNs;
  const u64 writeback = hop + M * N * per_byte + lat + hop;
  const auto& sa = stats(r, "sa");
  CHECK(sa["stall_dram_fill"] == fill / kNs);
  CHECK(sa["stall_dram_writeback"] == writeback / kNs);
  CHECK(sa["stall_dram_bandwidth"] == 0);
  CHECK(sa["busy"] == fill + fold + writeback);
  CHECK(sa["mem_requests"] == 3);
  CHECK(stats(r, "hbm")["bytes_read"] == M * K + K * N);
  CHECK(stats(r, "hbm")["bytes_written"] == M * N);
  CHECK(r.result.end_time == fill + fold + writeback + 2 * kLink);
}

TEST_CASE("systolic.array: SRAM overflow re-fetches operands as MemRequests; the memory's bytes = the model's DRAM bytes",
          "[systolic][plugin][dram]") {
  const u64 R = 8, C = 4, M = 64, K = 64, N = 64;
  Harness h;
  // A (4 KiB) does not fit the 1 KiB ifmap buffer: it is re-read on every column fold.
  // A filter tile (K x C = 256 B) fits half the 1 KiB filter buffer: B is read once.
  auto r = h.run(R"(
[[component]]
name = "sa"
type = "systolic.array"
params = { rows = 8, cols = 4, clock = "1GHz", ifmap_sram = "1KiB", filter_sram = "1KiB", ofmap_sram = "1KiB", sram_bandwidth = "1TB/s" }
)" + slow_memory() + driver("m = [64], k = [64], n = [64]"));
  const u64 row_folds = M / R, col_folds = N / C, folds = row_folds * col_folds;
  const u64 dram_read = M * K * col_folds + K * N;
  const u64 dram_written = M * N;
  const auto& sa = stats(r, "sa");
  const auto& hbm = stats(r, "hbm");
  CHECK(sa["dram_read"] == dram_read);
  CHECK(sa["dram_written"] == dram_written);
  CHECK(hbm["bytes_read"] == dram_read);
  CHECK(hbm["bytes_written"] == dram_written);
  // Requests: an A tile every fold, a B tile per column fold, a C tile every fold.
  CHECK(hbm["reads"] == folds + col_folds);
  CHECK(hbm["writes"] == folds);
  CHECK(sa["mem_requests"] == 2 * folds + col_folds);
  // The same counts as the closed-form model for these parameters.
  const auto p = small_array_model(/*ideal_dram=*/false);
  const auto model = strata::systolic::evaluate_gemm(p, {M, K, N});
  CHECK(hbm["bytes_read"] == model.dram_bytes_read);
  CHECK(hbm["bytes_written"] == model.dram_bytes_written);
  // Compute cycles are the model's; only the DRAM stalls come from the memory.
  CHECK(sa["compute_cycles"] == model.cycles.compute);
  CHECK(sa["fill_drain_cycles"] == model.cycles.fill_drain);
  CHECK(sa["busy"] == (sa["compute_cycles"].get<u64>() + sa["fill_drain_cycles"].get<u64>() +
                       sa["stall_sram"].get<u64>() + sa["stall_dram_fill"].get<u64>() +
                       sa["stall_dram_bandwidth"].get<u64>() + sa["stall_dram_writeback"].get<u64>()) *
                          kNs);
}

TEST_CASE("systolic.array: two cores on one memory channel stall longer than one alone (contention)",
          "[systolic][plugin][dram]") {
  auto system = [](int cores) {
    return R"(
[[component]]
name = "sa"
type = "systolic.array"
grid = [)" + std::to_string(cores) +
           R"(]
params = { rows = 8, cols = 4, clock = "1GHz", sram_bandwidth = "1TB/s" }
)" + strata::testing::one_byte_per_ns_memory() + R"(
[[component]]
name = "drv"
type = "workload.ops"
params = { m = [8], k = [32], n = [4] }

[[generate]]
kind = "fanout"
from = "drv.cores"
to = "sa.ctrl"
latency = "1ns"

[[generate]]
kind = "fanout"
from = "hbm.port"
to = "sa.mem"
latency = "1ns"
)";
  };
  Harness h;
  auto one = h.run(system(1));
  auto two = h.run(system(2));
  const u64 alone = stats(one, "sa[0]")["busy"].get<u64>();
  // Both cores send A and B at the same time on one channel: sa[1]'s operands queue
  // behind sa[0]'s, (M*K + K*N) ns later (its store then finds the channel free); sa[0]'s
  // store queues behind sa[1]'s operands.
  const u64 operands = (8 * 32 + 32 * 4) * kNs;
  CHECK(stats(two, "sa[1]")["busy"] == alone + operands);
  CHECK(stats(two, "sa[0]")["busy"].get<u64>() > alone);
  CHECK(stats(two, "hbm")["queue_delay"]["max"].get<double>() > 0);
}

TEST_CASE("systolic.array: memory_fidelity = gemm moves the fold schedule's bytes as fill + one request per stream + "
          "writeback; on an idle memory 0 <= fold - gemm <= (traffic folds - 1) round trips + pooled compute slack",
          "[systolic][plugin][dram]") {
  // 64 x 64 x 64 OS on the 8 x 4 array with 1 KiB buffers: A is re-read every fold, a B tile
  // every first row fold, C stored every fold (as in the SRAM-overflow case above). One
  // channel, 1-byte bursts, 10 ns latency, 1 ns links: a batch of requests arriving together
  // comes back 2 x 1 ns + 10 ns + bytes x per_byte later. per_byte: 1000 ps (every fold
  // waits on memory), 80 ps (folds that load a B tile wait, the others do not: the pooled
  // slack term is > 0), 10 ps (no fold waits on memory).
  const char* rate = GENERATE("1GHz", "12.5GHz", "100GHz");
  CAPTURE(rate);
  const u64 per_byte = std::string(rate) == "1GHz" ? 1000 : std::string(rate) == "12.5GHz" ? 80 : 10;
  const u64 M = 64, K = 64, N = 64, round_trip = 2 * kLink + 10 * kNs;
  auto system = [&](const std::string& fidelity) {
    return R"(
[[component]]
name = "sa"
type = "systolic.array"
params = { rows = 8, cols = 4, clock = "1GHz", ifmap_sram = "1KiB", filter_sram = "1KiB", ofmap_sram = "1KiB", sram_bandwidth = "1TB/s", memory_fidelity = ")" +
           fidelity + R"(" }

[[component]]
name = "hbm"
type = "memory.hbm"
params = { channels = 1, channel_width = "8b", data_rate = ")" +
           rate + R"(", access_latency = "10ns", burst = "1B", interleave = "1B" }

[[link]]
from = "sa.mem"
to = "hbm.port[]"
latency = "1ns"
)" + driver("m = [64], k = [64], n = [64]");
  };
  Harness h;
  auto fold_run = h.run(system("fold"));
  auto gemm_run = h.run(system("gemm"));
  // The fold schedule from the model: traffic and busy cycles per fold (1 cycle = 1 ns).
  const auto p = small_array_model(/*ideal_dram=*/true);
  const strata::systolic::GemmPlan plan(p, {M, K, N});
  const u64 F = plan.mapping().folds;
  auto ns = [](u64 ps) { return cdiv(ps, kNs); };  // the next clock edge, in cycles
  auto trip = [&](u64 bytes) { return ns(round_trip + bytes * per_byte); };
  std::vector<strata::systolic::FoldTraffic> t(F);
  for (u64 f = 0; f < F; ++f) t[f] = plan.fold(f);
  const u64 fill = trip(t[0].loads()), writeback = trip(t[F - 1].ofmap_store);
  // "fold": fold f computes while fold f+1's loads and fold f-1's store move.
  u64 folds_fold = 0, compute = 0, memory = 0, slack = 0, traffic_folds = 0, rest_bytes = 0;
  for (u64 f = 0; f < F; ++f) {
    const u64 busy = plan.busy_cycles(t[f]);
    const u64 bytes = (f + 1 < F ? t[f + 1].loads() : 0) + (f > 0 ? t[f - 1].ofmap_store : 0);
    const u64 mem = bytes > 0 ? trip(bytes) : 0;
    folds_fold += std::max(busy, mem);
    compute += busy;
    memory += mem;
    slack += std::min(busy, mem);
    traffic_folds += bytes > 0;
    rest_bytes += bytes;
  }
  // "gemm": the same bytes after the fill in one batch, overlapped with all the compute.
  const u64 folds_gemm = std::max(compute, trip(rest_bytes));
  const auto& sf = stats(fold_run, "sa");
  const auto& sg = stats(gemm_run, "sa");
  CHECK(sf["busy"] == (fill + folds_fold + writeback) * kNs);
  CHECK(sg["busy"] == (fill + folds_gemm + writeback) * kNs);
  CHECK(sg["stall_dram_fill"] == sf["stall_dram_fill"]);
  CHECK(sg["stall_dram_writeback"] == sf["stall_dram_writeback"]);
  // Bytes identical, in the core and in the memory; the model's compute cycles.
  for (const char* k : {"dram_read", "dram_written", "compute_cycles", "fill_drain_cycles", "stall_sram", "macs"})
    CHECK(sg[k] == sf[k]);
  CHECK(stats(gemm_run, "hbm")["bytes_read"] == stats(fold_run, "hbm")["bytes_read"]);
  CHECK(stats(gemm_run, "hbm")["bytes_written"] == stats(fold_run, "hbm")["bytes_written"]);
  // Requests: the fill's A and B, one per stream for the rest (A, B, C stores), the last C.
  CHECK(sg["mem_requests"] == 2 + 3 + 1);
  // The bound: sum of max(busy_f, mem_f) - max(sum busy, round trip + sum bytes) splits into
  // the round trips saved, (traffic folds - 1) x round trip, and the compute slack pooled
  // over folds, min(sum busy, sum mem) - sum min(busy_f, mem_f) (0 when every fold is on
  // the same side); one clock edge per traffic fold of rounding on top.
  const u64 diff = sf["busy"].get<u64>() - sg["busy"].get<u64>();
  CHECK(sf["busy"].get<u64>() >= sg["busy"].get<u64>());
  CHECK(diff <= ((traffic_folds - 1) * round_trip + (std::min(compute, memory) - slack) * kNs + traffic_folds * kNs));
  if (per_byte == 80) CHECK(std::min(compute, memory) > slack);                // mixed: the slack term is used
  if (per_byte == 10) CHECK(sf["busy"].get<u64>() == sg["busy"].get<u64>());  // compute-bound: equal
  // Events: the gemm level's run is shorter by the fold requests and their answers.
  CHECK(gemm_run.result.events < fold_run.result.events);
}

TEST_CASE("systolic.array: the requests of one instant reach the memory as one event, are answered as one, and a "
          "fold's compute end costs none: memory `port` and core `mem` events = instants with traffic, `@timer` = 1",
          "[systolic][plugin][dram]") {
  const std::string fidelity = GENERATE("fold", "gemm");
  CAPTURE(fidelity);
  const u64 M = 64, K = 64, N = 64;  // as above: A every fold, B every first row fold, C every fold
  Harness h;
  auto engine = h.build(R"(
[[component]]
name = "sa"
type = "systolic.array"
params = { rows = 8, cols = 4, clock = "1GHz", ifmap_sram = "1KiB", filter_sram = "1KiB", ofmap_sram = "1KiB", sram_bandwidth = "1TB/s", memory_fidelity = ")" +
                        fidelity + R"(" }
)" + slow_memory() + driver("m = [64], k = [64], n = [64]"));
  engine->enable_profile();
  engine->init();
  const auto result = engine->run(h.spec.stop);
  engine->finish();
  const auto stats = strata::detail::stats_json(*engine, result, h.spec);
  auto events = [&](const std::string& type, const std::string& port) {
    for (const auto& row : engine->profile())
      if (row.type == type && row.port == port) return row.events;
    return u64{0};
  };
  const auto p = small_array_model(/*ideal_dram=*/true);
  const strata::systolic::GemmPlan plan(p, {M, K, N});
  const u64 F = plan.mapping().folds;
  auto streams = [](const strata::systolic::FoldTraffic& t, u64 store) {
    return u64{t.ifmap_load > 0} + u64{t.filter_load > 0} + u64{t.ofmap_load > 0} + u64{store > 0};
  };
  // The fill (fold 0's loads) and the writeback (fold F-1's store) at both levels.
  u64 instants = 2, requests = streams(plan.fold(0), 0) + streams({}, plan.fold(F - 1).ofmap_store);
  if (fidelity == "fold") {  // fold f: fold f+1's loads and fold f-1's store, at its start
    for (u64 f = 0; f < F; ++f) {
      const u64 n = streams(f + 1 < F ? plan.fold(f + 1) : strata::systolic::FoldTraffic{},
                            f > 0 ? plan.fold(f - 1).ofmap_store : 0);
      instants += n > 0;
      requests += n;
    }
  } else {  // the rest of A, the rest of B (first row folds after the first) and C but the last
    instants += 1;
    requests += 3;
  }
  CHECK(events("memory.hbm", "port") == instants);
  CHECK(events("systolic.array", "mem") == instants);
  CHECK(events("systolic.array", "@timer") == 1);
  CHECK(stats["components"]["sa"]["stats"]["mem_requests"] == requests);
  CHECK(stats["components"]["hbm"]["stats"]["reads"].get<u64>() + stats["components"]["hbm"]["stats"]["writes"].get<u64>() ==
        requests);
  CHECK(instants < requests);  // some instants carry several requests: the batch is exercised
}

TEST_CASE("systolic.array: tracing records one span per request, named by its op, over its service time",
          "[systolic][plugin][trace]") {
  Harness h;
  auto engine = h.build(small_array("os") + driver("m = [16], k = [64], n = [8], repeat = 2"));
  const auto path = std::filesystem::temp_directory_path() / "strata_systolic_trace_test.json";
  auto writer = std::make_unique<strata::detail::TraceWriter>(path.string());
  auto* w = writer.get();
  engine->enable_trace(std::move(writer));
  engine->init();
  engine->run(strata::detail::StopConditions{});
  engine->finish();
  CHECK(w->spans() == 2);
  w->close();
  std::ifstream f(path);
  const auto trace = nlohmann::json::parse(f);
  int spans = 0;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] != "X") continue;
    ++spans;
    CHECK(e["name"] == "gemm");
    CHECK(e["dur"].get<double>() == Approx(4 * 74 * 1e-3));  // 4 folds x (8 + 4 + 64 - 2) cycles at 1 GHz, in us
  }
  CHECK(spans == 2);
  std::filesystem::remove(path);
}

TEST_CASE("systolic.array: op = gemm_t is the transposed product m x n times n x k through a k x n matrix",
          "[systolic][plugin][transposed]") {
  // OS maps Sr = M onto rows and Sc = the output width onto columns, T = the inner
  // dimension: forward (M, K, N) has Sc = N, T = K; transposed has Sc = K, T = N.
  const u64 R = 8, C = 4, M = 20, K = 100, N = 10;
  Harness h;
  auto fwd = h.run(small_array("os") + driver("m = [20], k = [100], n = [10]"));
  auto bwd = h.run(small_array("os") + driver("op = \"gemm_t\", m = [20], k = [100], n = [10]"));
  const u64 fwd_cycles = cdiv(M, R) * cdiv(N, C) * cycles_per_fold(R, C, K);
  const u64 bwd_cycles = cdiv(M, R) * cdiv(K, C) * cycles_per_fold(R, C, N);
  CHECK(stats(fwd, "sa")["busy"] == fwd_cycles * kNs);
  CHECK(stats(bwd, "sa")["busy"] == bwd_cycles * kNs);
  CHECK(stats(bwd, "sa")["macs"] == M * K * N);
  CHECK(stats(bwd, "sa")["gemms"] == 1);
}

TEST_CASE("systolic.array: a zero-size array is an error naming the parameter", "[systolic][plugin][errors]") {
  Harness h;
  const std::string p = GENERATE(std::string("rows"), std::string("cols"), std::string("vector_lanes"));
  CAPTURE(p);
  CHECK_THAT(h.errors(small_array("os") + driver("m = [4], k = [4], n = [4]"), {"sa." + p + "=0"}), Catch::Contains(p));
}

// ---- serving: arbitration and power states (plugins/core_common/request_server.hpp) ----

using strata::testing::traced_spans;

TEST_CASE("serving: oldest_first serves the queued request of smallest age (ties by arrival), fifo by arrival; "
          "each ends at the sum of the services before it",
          "[systolic][plugin][serving]") {
  const u64 R = 8, C = 4, K = 64, N = 8;
  const std::vector<u64> m{16, 8, 24, 32, 40}, age{5, 3, 1, 3, 0};
  const bool oldest = GENERATE(false, true);
  CAPTURE(oldest);
  // All five arrive together at kLink; entry 0 finds the core idle and starts at once
  // (no preemption); the other four wait. oldest_first: ages 0, 1, then the two 3s in
  // arrival order (entry 1 before entry 3).
  const std::vector<std::size_t> order = oldest ? std::vector<std::size_t>{0, 4, 2, 1, 3}
                                                : std::vector<std::size_t>{0, 1, 2, 3, 4};
  Harness h;
  const auto spans = traced_spans(
      h,
      small_array("os", oldest ? R"(, arbitration = "oldest_first")" : "") +
          driver("m = [16, 8, 24, 32, 40], k = [64], n = [8], ages = [5, 3, 1, 3, 0]"),
      oldest ? "oldest" : "fifo");
  REQUIRE(spans.size() == order.size());
  u64 t = kLink;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const std::size_t j = order[i];
    CAPTURE(i, j);
    const u64 service = cdiv(m[j], R) * cdiv(N, C) * cycles_per_fold(R, C, K) * kNs;
    CHECK(spans[i].age == age[j]);
    CHECK(spans[i].start == t);
    CHECK(spans[i].end == t + service);
    t += service;
  }
}

TEST_CASE("serving: a gated core draws no static power between wake-ups: static_j = P x on_time, "
          "on_time = n x (wake_latency + service), one wake-up energy each",
          "[systolic][plugin][serving][power]") {
  const u64 R = 8, C = 4, M = 16, K = 64, N = 8, n = 3;
  const u64 wake = 20 * kNs, break_even = 10 * kNs;
  const double wake_energy = 1e-9;
  // power 1 W, E_mac 1 pJ, E_sram_read 2 pJ at 1 GHz: P = 1 - (R C f E_mac + (R + C) f E_rd).
  const double p_static = 1.0 - (double(R * C) * 1e9 * 1e-12 + double(R + C) * 1e9 * 2e-12);
  Harness h;
  // Serial: the next request is sent when the previous answer arrives, so the core idles
  // 2 link latencies between requests and is gated each time (gate_after = 0).
  auto r = h.run(small_array("os", R"(, power = "1W", mac_energy = "1pJ", sram_read_energy = "2pJ", idle = "gated", )"
                                   R"(wake_latency = "20ns", break_even = "10ns", wake_energy = "1nJ")") +
                 driver("m = [16], k = [64], n = [8], repeat = 3, mode = \"serial\""));
  const u64 service = cdiv(M, R) * cdiv(N, C) * cycles_per_fold(R, C, K) * kNs;
  const u64 end = n * (2 * kLink + wake + service);
  REQUIRE(r.result.end_time == end);
  const auto& sa = r.stats["components"]["sa"];
  CHECK(sa["stats"]["wakeups"] == n);
  CHECK(sa["stats"]["on_time"] == n * (wake + service));
  CHECK(sa["stats"]["gated_time"] == end - n * (wake + service));
  CHECK(sa["stats"]["queue_wait"]["max"] == Approx(double(wake)));  // arrival to start: the wake-up
  CHECK(sa["energy"]["static_j"] == Approx(p_static * double(n * (wake + service)) * 1e-12));
  CHECK(sa["stats"]["always_on_static"]["sum"] == Approx(p_static * double(end) * 1e-12));
  CHECK(sa["energy"]["dynamic"]["wake"]["count"] == n);
  CHECK(sa["energy"]["dynamic"]["wake"]["joules"] ==
        Approx(double(n) * (p_static * double(break_even) * 1e-12 + wake_energy)));
  CHECK(stats(r, "drv")["latency"]["max"] == Approx(double(2 * kLink + wake + service)));
}

TEST_CASE("serving: the wake latency is paid once per wake-up: requests arriving while the core wakes or works "
          "do not wake it again",
          "[systolic][plugin][serving][power]") {
  const u64 R = 8, C = 4, M = 16, K = 64, N = 8;
  const u64 wake = 20 * kNs;
  const u64 service = cdiv(M, R) * cdiv(N, C) * cycles_per_fold(R, C, K) * kNs;
  Harness h;
  SECTION("three at once: one wake-up, then back to back") {
    auto r = h.run(small_array("os", R"(, idle = "gated", wake_latency = "20ns")") +
                   driver("m = [16], k = [64], n = [8], repeat = 3, mode = \"all\""));
    CHECK(stats(r, "sa")["wakeups"] == 1);
    CHECK(r.result.end_time == kLink + wake + 3 * service + kLink);
    CHECK(stats(r, "drv")["latency"]["min"] == Approx(double(2 * kLink + wake + service)));
  }
  SECTION("serial with gate_after longer than the idle gap: the core stays on after its first wake-up") {
    auto r = h.run(small_array("os", R"(, idle = "gated", wake_latency = "20ns", gate_after = "5ns")") +
                   driver("m = [16], k = [64], n = [8], repeat = 3, mode = \"serial\""));
    CHECK(stats(r, "sa")["wakeups"] == 1);
    CHECK(stats(r, "drv")["latency"]["max"] == Approx(double(2 * kLink + wake + service)));
    CHECK(stats(r, "drv")["latency"]["min"] == Approx(double(2 * kLink + service)));
  }
  SECTION("idle = on (the default) never gates: no wake-up, static power for the whole run") {
    auto r = h.run(small_array("os") + driver("m = [16], k = [64], n = [8], repeat = 3, mode = \"serial\""));
    CHECK_FALSE(stats(r, "sa").contains("wakeups"));
    CHECK(r.result.end_time == 3 * (2 * kLink + service));
    const auto& e = r.stats["components"]["sa"]["energy"];
    CHECK(e["static_j"] == Approx(e["static_power_w"].get<double>() * double(r.result.end_time) * 1e-12));
  }
}
