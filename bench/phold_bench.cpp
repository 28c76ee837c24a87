// phold_bench - PHOLD through the real components and links, as a Google Benchmark, plus the
// floor it is judged against (a bare std::priority_queue loop with the same model), run in
// the same process so the ratio is machine-independent. bench/phold_compare.sh runs the
// full comparison with the peer kernels.
#include "engine.hpp"
#include "phold_lp.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cmath>
#include <queue>

using namespace strata;

namespace {

void BM_PholdStrata(benchmark::State& st) {
  const auto lps = static_cast<std::uint64_t>(st.range(0));
  const auto init = static_cast<std::int64_t>(st.range(1));
  const ComponentDecl& decl = phold::manifest().components[0];
  detail::Engine engine(42);
  auto ps = std::make_shared<ParamSet>();
  ps->overrides.emplace_back(decl.find_param("init"), init);
  std::vector<Component*> comps;
  for (std::uint64_t i = 0; i < lps; ++i)
    comps.push_back(&engine.add_component(decl, fmt::format("lp[{}]", i), {static_cast<int>(i)}, ps, nullptr));
  for (auto* c : comps) detail::PortWiring::reserve(*c, "port", 16);
  for (std::uint64_t i = 0; i < lps; ++i)
    for (int b = 0; b < 8; ++b)
      engine.connect(detail::PortWiring::add_multi_element(*comps[i], "port"),
                     detail::PortWiring::add_multi_element(*comps[(i + (1u << b)) % lps], "port"), 1000);
  engine.init();
  std::uint64_t total = 0;
  for (auto _ : st) {
    detail::StopConditions stop;
    stop.max_events = total + 100000;
    total = engine.run(stop).events;
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(total));
}
BENCHMARK(BM_PholdStrata)->Args({1024, 16})->Args({100000, 1})->Unit(benchmark::kMillisecond);

// The floor: same model (destination uniform over all LPs, delay 1 ns + Exp(1 ns)), one
// binary heap of 16-byte events, a direct call - no components, ports or transactions.
void BM_PholdFloor(benchmark::State& st) {
  const auto lps = static_cast<std::uint64_t>(st.range(0));
  const auto init = static_cast<std::uint64_t>(st.range(1));
  struct E {
    Time t;
    std::uint64_t lp;
    bool operator<(const E& o) const { return t > o.t; }
  };
  std::vector<Rng> rng;
  for (std::uint64_t i = 0; i < lps; ++i) rng.emplace_back(42, fmt::format("lp[{}]", i));
  std::priority_queue<E> q;
  auto delay = [](Rng& r) { return 1000 + static_cast<Time>(r.exponential(1000.0)); };
  for (std::uint64_t i = 0; i < lps; ++i)
    for (std::uint64_t k = 0; k < init; ++k) q.push({delay(rng[i]), i});
  std::uint64_t total = 0;
  for (auto _ : st) {
    for (int k = 0; k < 100000; ++k) {
      E e = q.top();
      q.pop();
      Rng& r = rng[e.lp];
      q.push({e.t + delay(r), r.below(lps)});
    }
    total += 100000;
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(total));
}
BENCHMARK(BM_PholdFloor)->Args({1024, 16})->Args({100000, 1})->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
