// workload.ops and workload.mem_ops through the harness, on real cores and memories; and
// the example topologies that use them (topologies/examples/core_*.toml, hbm_*.toml).
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

namespace {

using u64 = std::uint64_t;
using strata::testing::Harness;

constexpr u64 kNs = 1000;

// Two 8 x 4 arrays at 1 GHz with ideal DRAM: a 16 x 64 x 8 OS GEMM takes
// ceil(16/8) * ceil(8/4) folds x (8 + 4 + 64 - 2) cycles (SCALE-Sim OS: R + C + K - 2) = 4 x 74 = 296 ns.
constexpr u64 kService = 4 * 74 * kNs;

std::string cores(const std::string& driver_params) {
  return R"(
[[component]]
name = "sa"
type = "systolic.array"
grid = [2]
params = { rows = 8, cols = 4, clock = "1GHz", ideal_dram = true, sram_bandwidth = "1TB/s", ifmap_sram = "1GiB", filter_sram = "1GiB", ofmap_sram = "1GiB" }

[[component]]
name = "drv"
type = "workload.ops"
params = { )" + driver_params + R"( }

[[generate]]
kind = "fanout"
from = "drv.cores"
to = "sa.ctrl"
latency = "1ns"
)";
}

const auto& stats(const strata::testing::Run& r, const std::string& c) { return r.stats["components"][c]["stats"]; }

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("workload.ops: target = every sends the whole list to each core", "[ops]") {
  Harness h;
  auto r = h.run(cores("m = [16], k = [64], n = [8], repeat = 3"));
  CHECK(stats(r, "drv")["sent"] == 6);
  CHECK(stats(r, "sa[0]")["gemms"] == 3);
  CHECK(stats(r, "sa[1]")["gemms"] == 3);
}

TEST_CASE("workload.ops: round_robin sends entry j to core j % cores", "[ops]") {
  Harness h;
  auto r = h.run(cores(R"(m = [16, 16, 16], k = [64], n = [8], target = "round_robin")"));
  CHECK(stats(r, "sa[0]")["gemms"] == 2);
  CHECK(stats(r, "sa[1]")["gemms"] == 1);
}

TEST_CASE("workload.ops: mode all queues at the core; serial waits for each answer (2 link crossings more)", "[ops]") {
  Harness h;
  SECTION("all") {
    auto r = h.run(cores(R"(m = [16], k = [64], n = [8], repeat = 2, target = "round_robin")"));
    CHECK(stats(r, "drv")["latency"]["max"] == Approx(double(2 * kService + 2 * kNs)));
    CHECK(stats(r, "drv")["makespan"] == 2 * kService + 2 * kNs);
  }
  SECTION("serial") {
    auto r = h.run(cores(R"(m = [16], k = [64], n = [8], repeat = 2, target = "round_robin", mode = "serial")"));
    CHECK(stats(r, "drv")["latency"]["max"] == Approx(double(kService + 2 * kNs)));
    CHECK(stats(r, "drv")["makespan"] == 2 * (kService + 2 * kNs));
  }
}

TEST_CASE("workload.ops: the run ends when the last answer arrives", "[ops]") {
  Harness h;
  auto r = h.run(cores("m = [16], k = [64], n = [8]"));
  CHECK(r.stats["simulation"]["stop_reason"] == "requested");
  CHECK(r.result.end_time == kService + 2 * kNs);
}

TEST_CASE("workload.ops: lists of different lengths are a configuration error", "[ops]") {
  Harness h;
  CHECK_THROWS_WITH(h.run(cores("m = [16, 32], k = [64, 64, 64], n = [8]")), Catch::Contains("same length"));
}

TEST_CASE("examples: core_sa, core_pim, hbm_sa and hbm_pim run to completion with every request ok",
          "[ops][examples]") {
  const std::string name = GENERATE(std::string("core_sa"), std::string("core_pim"), std::string("hbm_sa"),
                                    std::string("hbm_pim"));
  CAPTURE(name);
  const auto text = read_file((strata::testing::source_dir() / "topologies" / "examples" / (name + ".toml")).string());
  REQUIRE(!text.empty());
  Harness h;
  auto r = h.run(text);
  const auto& drv = stats(r, "drv");
  CHECK(drv["sent"].get<u64>() > 0);
  CHECK(drv["ok"] == drv["sent"]);
  CHECK(r.stats["simulation"]["stop_reason"] == "requested");
}

TEST_CASE("examples: cores_sa_pim_hbm reports latency, energy and utilisation for each core", "[ops][examples]") {
  const auto text =
      read_file((strata::testing::source_dir() / "workloads" / "ops" / "examples" / "cores_sa_pim_hbm.toml").string());
  REQUIRE(!text.empty());
  Harness h;
  auto r = h.run(text);
  CHECK(r.stats["simulation"]["stop_reason"] != "error");
  CHECK(stats(r, "drv_sa")["ok"] == 3);
  CHECK(stats(r, "drv_pim")["ok"] == 4);  // 2 loads + 2 gemms
  CHECK(stats(r, "sa")["gemms"] == 3);
  CHECK(stats(r, "pim")["gemms"] == 2);
  const double end = double(r.result.end_time);
  for (const std::string core : {"sa", "pim"}) {
    CAPTURE(core);
    const auto& c = r.stats["components"][core];
    CHECK(c["energy"]["dynamic_j"].get<double>() > 0);
    CHECK(c["energy"]["static_j"].get<double>() > 0);
    const double u = c["stats"]["utilisation"]["mean"].get<double>();
    CHECK(u > 0);
    CHECK(u <= 1);
    CHECK(c["stats"]["busy"].get<double>() <= end);
    CHECK(stats(r, "drv_" + core)["latency"]["max"].get<double>() > 0);
  }
  // Both cores' memory traffic reached the stack: SA operands and results, PIM weights.
  CHECK(stats(r, "sa")["mem_requests"].get<u64>() > 0);
  CHECK(stats(r, "pim")["dram_read"] == 768 * 768 + 768 * 256);
  CHECK(stats(r, "hbm")["bytes_read"].get<u64>() >= 768 * 768 + 768 * 256);
}

TEST_CASE("workload.ops: ids and loads script interleaved loads and gemms on named matrices", "[ops]") {
  Harness h;
  auto r = h.run(R"(
[[component]]
name = "pim"
type = "pim.reram_core"
preset = "atleus"

[[component]]
name = "drv"
type = "workload.ops"
params = { m = [4], k = [256], n = [128], ids = [7, 7, 7], loads = [1, 0, 0], static_weights = true, mode = "serial" }

[[link]]
from = "drv.cores[]"
to = "pim.ctrl"
latency = "1ns"
)");
  CHECK(stats(r, "drv")["ok"] == 3);
  CHECK(stats(r, "pim")["loads"] == 1);
  CHECK(stats(r, "pim")["gemms"] == 2);
  CHECK_THROWS_WITH(h.run(cores("m = [16], k = [64], n = [8], loads = [2]")), Catch::Contains("0 or 1"));
}
