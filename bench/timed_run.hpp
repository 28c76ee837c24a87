// timed_run.hpp - the loop of the model benchmarks (noc_bench, compute_bench): each
// iteration builds the system from TOML and initialises it untimed, times only the event
// loop, then hands the run's stats.json and result to `after_run` untimed.
#pragma once

#include "harness.hpp"

#include <benchmark/benchmark.h>

#include <string>

namespace strata::bench {

template <class AfterRun>
void time_event_loops(benchmark::State& st, strata::testing::Harness& h, const std::string& toml,
                      AfterRun&& after_run) {
  for (auto _ : st) {
    st.PauseTiming();
    auto engine = h.build(toml);
    engine->init();
    st.ResumeTiming();
    auto res = engine->run(h.spec.stop);
    st.PauseTiming();
    engine->finish();
    after_run(strata::detail::stats_json(*engine, res, h.spec), res);
    engine.reset();
    st.ResumeTiming();
  }
}

}  // namespace strata::bench
