// compute_bench - how fast the systolic plugin simulates: the six GEMMs of one BERT-base
// encoder layer at sequence length 128 (Q, K, V and output projections S x H x H, FF-1
// S x H x F, FF-2 S x F x H; H and F read from workloads/models/bert-base.toml) sent by a
// workload.ops driver to one Atleus systolic.array (128 x 32, OS, 800 MHz), event-driven
// through the kernel. Two tiny systems:
//   * Analytical: no memory linked; each GEMM is one service-time event pair.
//   * Hbm:        the core's `mem` linked to an HBM2 stack (memory.hbm, hbm2_atleus), so every
//                 fold's operands and results travel as MemRequests (the fold-level event walk).
// Systems are built from TOML with the kernel-private Builder (tests/support/harness.hpp) and
// the build tree's plugins; building, init and stats are outside the timed region.
// items_per_second = simulated GEMMs per wall-clock second; `sim_us` the simulated layer time.
#include "harness.hpp"
#include "timed_run.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <toml++/toml.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace {

struct Shapes {
  std::int64_t seq = 128, hidden = 0, ffn = 0;
};

Shapes bert_base() {
  const std::string file = std::string(STRATA_SOURCE_DIR_DEFAULT) + "/workloads/models/bert-base.toml";
  const auto t = toml::parse_file(file);
  Shapes s;
  s.hidden = t["hidden"].value<std::int64_t>().value_or(0);
  s.ffn = t["ffn"].value<std::int64_t>().value_or(0);
  if (s.hidden <= 0 || s.ffn <= 0) throw std::runtime_error(file + ": hidden and ffn must be set");
  return s;
}

// Entry j = (m, k, n): Q, K, V, O, FF1, FF2.
std::string system(bool hbm, int repeat) {
  const Shapes s = bert_base();
  const auto S = s.seq, H = s.hidden, F = s.ffn;
  std::string t = fmt::format(R"(
[[component]]
name = "sa"
type = "systolic.array"
preset = "atleus"

[[component]]
name = "drv"
type = "workload.ops"
params = {{ op = "gemm", m = [{0}, {0}, {0}, {0}, {0}, {0}], k = [{1}, {1}, {1}, {1}, {1}, {2}], n = [{1}, {1}, {1}, {1}, {2}, {1}], repeat = {3} }}

[[link]]
from = "drv.cores[]"
to = "sa.ctrl"
latency = "1ns"
)",
                              S, H, F, repeat);
  if (hbm)
    t += R"(
[[component]]
name = "hbm"
type = "memory.hbm"
preset = "hbm2_atleus"

[[link]]
from = "sa.mem"
to = "hbm.port[]"
latency = "2ns"
)";
  return t;
}

strata::testing::Harness& harness() {
  static strata::testing::Harness h;
  return h;
}

void run_layer(benchmark::State& st, bool hbm) {
  const int repeat = static_cast<int>(st.range(0));
  const std::string toml = system(hbm, repeat);
  auto& h = harness();
  double gemms = 0, events = 0, sim_ps = 0, mem_requests = 0;
  strata::bench::time_event_loops(st, h, toml, [&](const auto& stats, const auto& res) {
    const auto& sa = stats["components"]["sa"]["stats"];
    if (sa["gemms"].template get<double>() != 6.0 * repeat) throw std::runtime_error("not every GEMM completed");
    gemms += sa["gemms"].template get<double>();
    mem_requests += sa["mem_requests"].template get<double>();
    events += static_cast<double>(res.events);
    sim_ps = static_cast<double>(res.end_time);
  });
  st.SetItemsProcessed(static_cast<std::int64_t>(gemms));
  st.counters["events/s"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
  st.counters["sim_us"] = sim_ps * 1e-6;
  st.counters["mem_req/gemm"] = gemms > 0 ? mem_requests / gemms : 0;
}

void BM_BertLayerGemmsAnalytical(benchmark::State& st) { run_layer(st, false); }
void BM_BertLayerGemmsHbm(benchmark::State& st) { run_layer(st, true); }
// Arg = layers (repeats of the six GEMMs) per simulation.
BENCHMARK(BM_BertLayerGemmsAnalytical)->Arg(1)->Arg(12)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_BertLayerGemmsHbm)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  setenv("STRATA_BUILD_DIR", STRATA_BUILD_DIR_DEFAULT, 0);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
