// noc_bench - how fast the noc plugins simulate: packets per wall-clock second on an 8x8
// mesh of noc.router (DOR, 2 VCs x 4 packets, 3-cycle pipeline) with one noc.ni per router,
// under uniform random traffic (workload.traffic, 64-byte transfers = 4 flits + a 1-flit
// completion packet) offered at 50% of the mesh's saturation throughput.
//
// Saturation is measured once at start-up, not assumed: a run offered twice the bisection
// bound accepts exactly the saturation throughput (B/s per node over the window), and the
// timed runs offer half of that as `bandwidth`. Systems are built from TOML with the
// kernel-private Builder (tests/support/harness.hpp) and the real plugins of the build tree;
// building, init and stats are outside the timed region. items_per_second = packets (data
// and completion packets injected by the NIs) per second; `events/s` the kernel's rate.
#include "harness.hpp"
#include "timed_run.hpp"
// The noc tests' TOML builder (routers r, NIs ni, generator gen); relative, as bench/CMakeLists.txt
// gives this bench only tests/support.
#include "noc_test_util.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cstdlib>
#include <string>

namespace {

// The 8x8 mesh above with the traffic generator `gen`, built as the noc tests build theirs.
std::string mesh8x8(const std::string& traffic) {
  noc_test::Net n;
  n.grid = "[8, 8]";
  n.router = "routing = \"dor\", pipeline = 3, vcs = 2, vc_depth = 4";
  n.traffic = traffic;
  return n.toml();
}

strata::testing::Harness& harness() {
  static strata::testing::Harness h;
  return h;
}

double sum_packets(const nlohmann::ordered_json& stats) {
  double s = 0;
  for (const auto& [name, c] : stats.at("components").items())
    if (c.at("type") == "noc.ni") s += c.at("stats").at("packets_sent").get<double>();
  return s;
}

// Accepted payload throughput per node (B/s) at twice the bisection bound: 8x8 mesh,
// B_C = 8 links, N = 64: 4 * 8 * 63 / 64^2 = 0.49 flits/cycle/node = 0.098 transfers/cycle.
double saturation_bps() {
  static const double sat = [] {
    auto r = harness().run(mesh8x8(
        "pattern = \"uniform\", rate = 0.2, size = \"64B\", duration = \"4us\", warmup = \"1us\""));
    return r.stats["components"]["gen"]["stats"]["accepted_throughput"]["mean"].get<double>();
  }();
  return sat;
}

void BM_NocMesh8x8HalfSaturation(benchmark::State& st) {
  const double sat = saturation_bps();
  const double offered = 0.5 * sat;
  const std::string toml = mesh8x8(fmt::format(
      "pattern = \"uniform\", bandwidth = \"{:.6f}GB/s\", size = \"64B\", duration = \"20us\", warmup = \"2us\"",
      offered / 1e9));
  auto& h = harness();
  double packets = 0, events = 0, accepted = 0;
  strata::bench::time_event_loops(st, h, toml, [&](const auto& stats, const auto& res) {
    packets += sum_packets(stats);
    events += static_cast<double>(res.events);
    accepted = stats["components"]["gen"]["stats"]["accepted_throughput"]["mean"].template get<double>();
  });
  st.SetItemsProcessed(static_cast<std::int64_t>(packets));
  st.counters["events/s"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
  st.counters["saturation_GBps_node"] = sat / 1e9;
  st.counters["offered_GBps_node"] = offered / 1e9;
  st.counters["accepted_GBps_node"] = accepted / 1e9;
}
BENCHMARK(BM_NocMesh8x8HalfSaturation)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  // The build tree's plugins, wherever the binary is started from.
  setenv("STRATA_BUILD_DIR", STRATA_BUILD_DIR_DEFAULT, 0);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
