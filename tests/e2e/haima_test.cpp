// The HAIMA baseline end to end: topologies/haima.toml and experiments/paper/haima.toml
// check; a tiny BERT-base LoRA step runs with every op on the device the mapping names; the
// 2.5D interposer of the topology serialises and congests many-to-one traffic into the host
// as its closed form says.
#include "harness.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
using json = nlohmann::json;
using strata::testing::Harness;
using strata::testing::source_dir;

namespace {

json read_json(const fs::path& p) {
  std::ifstream f(p);
  return json::parse(f);
}

struct TempDir : strata::testing::TempDir {
  TempDir() : strata::testing::TempDir("strata-haima") {}
};

// The interposer of topologies/haima.toml (same values): three switches in a row (HBM,
// host, SRAM), 2048-bit flits at 1 GHz, 3-cycle pipeline, 2 ns 2.5D links, 1 ns PHY links,
// 1 KiB packets, 0.5 pJ/bit per link; a traffic driver on the PHYs.
std::string interposer(const std::string& active, const std::string& size) {
  return R"(
[[component]]
name = "router"
type = "noc.router"
grid = [3]
params = { routing = "dor", clock = "1GHz", pipeline = 3, flit_width = 2048, vcs = 2, vc_depth = 4, buffer_write = "8fJ", buffer_read = "6fJ", crossbar = "10fJ", planar_link = "0.5pJ" }

[[component]]
name = "ni"
type = "noc.ni"
grid = [3]
params = { clock = "1GHz", flit_width = 2048, vcs = 2, vc_depth = 4, max_packet = "1KiB" }

[[generate]]
kind = "mesh"
component = "router"
port = "port"
dims = [0]
latency = "2ns"

[[generate]]
kind = "zip"
from = "ni.router"
to = "router.port"
latency = "1ns"

[[component]]
name = "tg"
type = "workload.traffic"
params = { pattern = "hotspot", hotspots = [1], hotspot_fraction = 1.0, process = "periodic", rate = 0.001, count = 1, size = ")" +
         size + R"(", active = )" + active + R"( }

[[generate]]
kind = "fanout"
from = "tg.nis"
to = "ni.ctrl"
latency = "1ns"
)";
}

}  // namespace

TEST_CASE("haima: the topology and the paper experiment check", "[haima][e2e]") {
  for (const char* f : {"topologies/haima.toml", "experiments/paper/haima.toml"}) {
    auto r = strata::testing::run_strata("check " + (source_dir() / f).string());
    INFO(f << "\n" << r.out);
    CHECK(r.rc == 0);
  }
}

TEST_CASE("haima: a tiny BERT-base LoRA step runs on host, HBM-PIM and SRAM-PIM over the interposer", "[haima][e2e]") {
  TempDir tmp;
  const fs::path out = tmp.path / "run";
  auto r = strata::testing::run_strata("run " + (source_dir() / "topologies/haima.toml").string() +
                                       " --set wl.layers=2 --set wl.batch=1 --set wl.micro_batches=1"
                                       " --set wl.seq_len=32 -q --out " + out.string());
  INFO(r.out);
  REQUIRE(r.rc == 0);
  CHECK(read_json(out / "run.json")["status"] == "ok");
  const auto s = read_json(out / "stats.json")["components"];
  const auto& w = s["wl"]["stats"];
  CHECK(w["ops"] == w["ops_issued"]);
  CHECK(w["pim_cores_used"] == 1);
  CHECK(w["sa_cores_used"] == 2);
  CHECK(w["overflow_ops"] == 0);
  CHECK(w["dynamic_writes"].get<std::uint64_t>() == 2 * 12);  // K written into the banks per head and layer
  const auto& hbm = s["hbm"]["stats"];
  // Q, K, O, FF-1, FF-2 forward and dX (FF-1, FF-2, O, V-less projections), the 24 Q.K^T,
  // the pooler and its dX: all GEMMs; nothing refused.
  CHECK(hbm["pim_gemms"].get<std::uint64_t>() > 24);
  CHECK(hbm["pim_loads"].get<std::uint64_t>() > 0);
  CHECK(hbm["unsupported"] == 0);
  CHECK(hbm["capacity_errors"] == 0);
  CHECK(s["sram"]["stats"]["gemms"].get<std::uint64_t>() >= 2 * (1 + 12));  // W_V and P.V per head, 2 layers
  CHECK(s["sram"]["stats"]["unsupported"] == 0);
  CHECK(s["host"]["stats"]["requests"].get<std::uint64_t>() > 0);
  CHECK(s["ni[1]"]["stats"]["bytes_received"].get<std::uint64_t>() > 0);  // into the host
  // Latency is bounded below by the stack's all-bank time: it computes one request at a time.
  CHECK(w["latency"].get<double>() > 0.5 * hbm["pim_busy"].get<double>());
}

TEST_CASE("haima: interposer: a transfer serialises by flit; two chiplets sending to the host share its port",
          "[haima][e2e][interposer]") {
  // 4 KiB = 4 packets of 1 KiB = 16 flits of 256 B. Zero load, HBM PHY -> host PHY: driver
  // link 1 ns + PHY link 1 ns + 2 switches x 3 cycles + 2.5D link 2 ns + PHY link 1 ns +
  // (flits - 1) cycles (the tail follows the head).
  constexpr double kCycle = 1000, kFlits = 16, kPacketFlits = 4, kPackets = 4;
  const double zero_load = 1000 + 1000 + 2 * 3 * kCycle + 2000 + 1000 + (kFlits - 1) * kCycle;
  Harness h;
  auto one = h.run(interposer("[0]", "4KiB"));
  const auto& t1 = one.stats["components"]["tg"]["stats"];
  CHECK(t1["transfers_completed"] == 1);
  CHECK(t1["latency"]["max"].get<double>() == Approx(zero_load));
  // Link energy: 16 flits x 2048 bits over the one 2.5D link out of switch 0, at 0.5 pJ/bit.
  CHECK(one.stats["components"]["router[0]"]["energy"]["dynamic"]["link"]["joules"].get<double>() ==
        Approx(kFlits * 2048 * 0.5e-12));
  // Many-to-one: the HBM (0) and the SRAM (2) send 4 KiB each to the host (1) at once. The
  // host's ejection port moves one flit per cycle and alternates packets between the two
  // inputs: the last byte of the pair arrives one whole transfer (16 cycles) late, the
  // first transfer ends one packet (4 cycles) before that.
  auto two = h.run(interposer("[0, 2]", "4KiB"));
  const auto& t2 = two.stats["components"]["tg"]["stats"];
  CHECK(t2["transfers_completed"] == 2);
  CHECK(t2["latency"]["max"].get<double>() == Approx(zero_load + kFlits * kCycle));
  CHECK(t2["latency"]["min"].get<double>() == Approx(zero_load + (kPackets - 1) * kPacketFlits * kCycle));
}
