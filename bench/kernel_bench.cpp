// kernel_bench - the kernel's hot paths in isolation (Google Benchmark).
//
//   event_queue/hold      push one + pop one on a queue of N pending events (the "hold"
//                         model of priority-queue benchmarks), vs std::priority_queue as a
//                         baseline measured in the same process
//   link/send_deliver     one transaction bounced between two components over a link
//   clock/tick            one component ticking a clock
//   pool/acquire_release  make<T>() + drop, vs plain new/delete
// Ratios against the in-process baselines are what to compare across machines.
#include "engine.hpp"
#include "event_queue.hpp"

#include <strata/strata.hpp>

#include <benchmark/benchmark.h>

#include <queue>
#include <random>

using namespace strata;

namespace {

struct Ev final : Transaction {
  std::uint64_t payload = 0;
};

void BM_EventQueueHold(benchmark::State& st) {
  const auto n = static_cast<std::size_t>(st.range(0));
  detail::EventQueue q;
  std::mt19937_64 rng(1);
  std::exponential_distribution<double> exp(1.0 / 1000);
  std::vector<Ev*> pool;
  Port* none = nullptr;
  std::uint32_t seq = 0;
  for (std::size_t i = 0; i < n; ++i) {
    auto* e = new Ev;
    detail::EventAccess::stamp(*e, none, Handler{}, 1000 + static_cast<Time>(exp(rng)), 1, seq++, 0);
    q.push(e);
    pool.push_back(e);
  }
  for (auto _ : st) {
    Time t = q.top_time();
    Transaction* x = q.pop();
    detail::EventAccess::stamp(*x, none, Handler{}, t + 1000 + static_cast<Time>(exp(rng)), 1, seq++, 0);
    q.push(x);
  }
  q.drain([](Transaction* t) { delete t; });
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_EventQueueHold)->Arg(16)->Arg(1024)->Arg(16384)->Arg(100000);

void BM_StdPriorityQueueHold(benchmark::State& st) {  // baseline: binary heap, 16-byte entries
  const auto n = static_cast<std::size_t>(st.range(0));
  struct E {
    Time t;
    std::uint64_t x;
    bool operator<(const E& o) const { return t > o.t; }
  };
  std::priority_queue<E> q;
  std::mt19937_64 rng(1);
  std::exponential_distribution<double> exp(1.0 / 1000);
  for (std::size_t i = 0; i < n; ++i) q.push({1000 + static_cast<Time>(exp(rng)), i});
  for (auto _ : st) {
    E e = q.top();
    q.pop();
    e.t += 1000 + static_cast<Time>(exp(rng));
    q.push(e);
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_StdPriorityQueueHold)->Arg(16)->Arg(1024)->Arg(16384)->Arg(100000);

// Two components bouncing one transaction over a 1 ns link.
class Bouncer final : public Component {
 public:
  explicit Bouncer(const ComponentContext& c) : Component(c) { port("io").on_receive<&Bouncer::got>(this); }
  void got(TxnPtr<> t) { port_cache_->send(std::move(t)); }
  void init() override {
    port_cache_ = &port("io");
    if (name() == "a") port_cache_->send(make<Ev>());
  }
  Port* port_cache_ = nullptr;
};

class Ticker final : public Component {
 public:
  explicit Ticker(const ComponentContext& c) : Component(c), clk_(clock<&Ticker::tick>(this, Frequency{1e9}, "c")) {}
  void init() override { clk_.start(); }
  bool tick(std::uint64_t) { return true; }
  Clock& clk_;
};

const PluginManifest& manifest() {
  static const PluginManifest m{"bench", "1", "",
                                {component<Bouncer>("bench.bouncer").port("io", PortDir::inout, "x", ""),
                                 component<Ticker>("bench.ticker")}};
  return m;
}

void BM_LinkSendDeliver(benchmark::State& st) {
  detail::Engine e(1);
  auto& a = e.add_component(manifest().components[0], "a", {}, nullptr, nullptr);
  auto& b = e.add_component(manifest().components[0], "b", {}, nullptr, nullptr);
  e.connect(a.port("io"), b.port("io"), 1000);
  e.init();
  std::uint64_t total = 0;
  for (auto _ : st) {
    detail::StopConditions stop;
    stop.max_events = total + 1000;
    total = e.run(stop).events;
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(total));
}
BENCHMARK(BM_LinkSendDeliver);

void BM_ClockTick(benchmark::State& st) {
  detail::Engine e(1);
  e.add_component(manifest().components[1], "t", {}, nullptr, nullptr);
  e.init();
  std::uint64_t total = 0;
  for (auto _ : st) {
    detail::StopConditions stop;
    stop.max_events = total + 1000;
    total = e.run(stop).events;
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(total));
}
BENCHMARK(BM_ClockTick);

void BM_PoolAcquireRelease(benchmark::State& st) {
  for (auto _ : st) {
    auto t = make<Ev>();
    benchmark::DoNotOptimize(t.get());
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_PoolAcquireRelease);

struct PlainEv {  // baseline: the same object through the general-purpose allocator
  virtual ~PlainEv() = default;
  std::uint64_t header[4]{};
  std::uint64_t payload = 0;
};
void BM_NewDeleteBaseline(benchmark::State& st) {
  for (auto _ : st) {
    auto* p = new PlainEv;
    benchmark::DoNotOptimize(p);
    delete p;
  }
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_NewDeleteBaseline);

}  // namespace

BENCHMARK_MAIN();
