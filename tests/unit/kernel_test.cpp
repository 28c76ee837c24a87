// Kernel contract: event order and tie-breaking, link delivery, clocks, statistics and
// energy, random streams, stop conditions, tracing, determinism. Test components are
// declared here and registered as built-in manifests, then wired from TOML text.
#include "harness.hpp"

#include <strata/strata.hpp>

#include <catch2/catch.hpp>

#include <barrier>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

using namespace strata;
using strata::testing::Harness;

namespace {

// Every delivery observed by a probe, in execution order.
struct Arrival {
  std::string at;    // receiving component
  std::string from;  // sender name carried in the payload
  std::uint64_t seq;
  Time time;
};
std::vector<Arrival> g_log;

struct Note final : Transaction {
  std::string from;
  std::uint64_t seq = 0;
  std::uint64_t bytes = 0;
  std::uint64_t wire_bytes() const override { return bytes; }
};

// Sends `count` notes on `out` at init, each `extra` after the previous send time.
struct SenderParams {
  std::int64_t count = 1;
  Duration extra{0};
  std::int64_t bytes = 0;
  std::int64_t priority = 0;
  static void declare(ParamSpec<SenderParams>& s) {
    s.param("count", &SenderParams::count, "notes to send");
    s.param("extra", &SenderParams::extra, "extra delay added per note");
    s.param("bytes", &SenderParams::bytes, "wire bytes per note");
    s.param("priority", &SenderParams::priority, "port priority").range(0, 255);
  }
};
class Sender final : public Component {
 public:
  explicit Sender(const ComponentContext& c) : Component(c), p_(c.params<SenderParams>()) {
    port("out").set_priority(static_cast<std::uint8_t>(p_.priority));
  }
  void init() override {
    for (std::int64_t i = 0; i < p_.count; ++i) {
      auto n = make<Note>();
      n->from = name();
      n->seq = static_cast<std::uint64_t>(i);
      n->bytes = static_cast<std::uint64_t>(p_.bytes);
      port("out").send(std::move(n), p_.extra.ps * static_cast<Time>(i));
    }
  }
  SenderParams p_;
};

class Probe final : public Component {
 public:
  explicit Probe(const ComponentContext& c) : Component(c) {
    on_receive<&Probe::got>("in", this);
    stat("received", received_);
    stat("arrival_ps", arrival_);
  }
  void got(TxnPtr<> t) {
    auto& n = t.view<Note>();
    g_log.push_back({name(), n.from, n.seq, now()});
    ++received_;
    arrival_.add(static_cast<double>(now()));
  }
  Counter received_;
  Accumulator arrival_;
};

// A clock that ticks `ticks` times, then stops; restarted once `restart_after` later.
struct TickerParams {
  Frequency clock{1e9};
  std::int64_t ticks = 3;
  Duration restart_after{0};
  static void declare(ParamSpec<TickerParams>& s) {
    s.param("clock", &TickerParams::clock, "tick rate");
    s.param("ticks", &TickerParams::ticks, "ticks per burst");
    s.param("restart_after", &TickerParams::restart_after, "0: no restart");
  }
};
class Ticker final : public Component {
 public:
  explicit Ticker(const ComponentContext& c)
      : Component(c), p_(c.params<TickerParams>()), clk_(clock<&Ticker::tick>(this, p_.clock, "core")),
        wake_(event_port<&Ticker::wake>(this, "wake")) {
    stat("ticks", ticks_);
  }
  void init() override { clk_.start(); }
  bool tick(std::uint64_t cycle) {
    cycles.push_back(cycle);
    ++ticks_;
    if (++in_burst_ < p_.ticks) return true;
    in_burst_ = 0;
    if (p_.restart_after.ps && !restarted_) {
      restarted_ = true;
      schedule(wake_, p_.restart_after.ps);
    }
    return false;
  }
  void wake(TxnPtr<>) { clk_.start(); }
  TickerParams p_;
  Clock& clk_;
  Port& wake_;
  Counter ticks_;
  std::int64_t in_burst_ = 0;
  bool restarted_ = false;
  static inline std::vector<std::uint64_t> cycles;
};

// Books energy and draws random numbers.
struct BurnerParams {
  std::int64_t actions = 10;
  Energy per_action{1e-12};
  Power leakage{0.5};
  std::int64_t draws = 4;
  static void declare(ParamSpec<BurnerParams>& s) {
    s.param("actions", &BurnerParams::actions, "actions booked at init");
    s.param("per_action", &BurnerParams::per_action, "energy per action");
    s.param("leakage", &BurnerParams::leakage, "static power");
    s.param("draws", &BurnerParams::draws, "random draws recorded");
  }
};
class Burner final : public Component {
 public:
  explicit Burner(const ComponentContext& c)
      : Component(c), p_(c.params<BurnerParams>()), mac_(p_.per_action), ev_(event_port<&Burner::done>(this, "end")) {
    energy("mac", mac_);
    set_static_power(p_.leakage);
    stat("draw_sum", draws_);
  }
  void init() override {
    mac_.add(static_cast<std::uint64_t>(p_.actions));
    for (std::int64_t i = 0; i < p_.draws; ++i) draws_.add(static_cast<double>(rng().next_u64() >> 11));
    schedule(ev_, 1000 * kNanosecond);
  }
  void done(TxnPtr<>) {}
  BurnerParams p_;
  EnergyAction mac_;
  Port& ev_;
  Accumulator draws_;
};

// Sends `count` notes on `out` from a handler (an event at `start`), the i-th with extra
// delay i x `extra`: sends made during the run, which the kernel defers while the port's
// line arrives (component.hpp, SendQueue). After each send it records busy_until() and
// nothing_else_pending(); with `reprioritise` >= 0 it sets that priority after the first.
struct BurstParams {
  std::int64_t count = 1;
  Duration extra{0};
  Duration start{0};
  std::int64_t bytes = 0;
  std::int64_t reprioritise = -1;
  static void declare(ParamSpec<BurstParams>& s) {
    s.param("count", &BurstParams::count, "notes sent by the handler");
    s.param("extra", &BurstParams::extra, "extra delay added per note");
    s.param("start", &BurstParams::start, "time of the handler");
    s.param("bytes", &BurstParams::bytes, "wire bytes per note");
    s.param("reprioritise", &BurstParams::reprioritise, "priority set after the first send (-1: none)").range(-1, 255);
  }
};
class Burst final : public Component {
 public:
  explicit Burst(const ComponentContext& c)
      : Component(c), p_(c.params<BurstParams>()), go_(event_port<&Burst::go>(this, "go")) {}
  void init() override { schedule(go_, p_.start.ps); }
  void go(TxnPtr<>) {
    Port& out = port("out");
    for (std::int64_t i = 0; i < p_.count; ++i) {
      auto n = make<Note>();
      n->from = name();
      n->seq = static_cast<std::uint64_t>(i);
      n->bytes = static_cast<std::uint64_t>(p_.bytes);
      out.send(std::move(n), p_.extra.ps * static_cast<Time>(i));
      busy.push_back(out.busy_until());
      pending.push_back(nothing_else_pending());
      if (i == 0 && p_.reprioritise >= 0) out.set_priority(static_cast<std::uint8_t>(p_.reprioritise));
    }
  }
  BurstParams p_;
  Port& go_;
  static inline std::vector<Time> busy;
  static inline std::vector<bool> pending;
};

// One event port "a" gets two sends to the same instant: tag 1 from a send deferred at 0
// (its delay is the window's length, 1 ns, so it waits in the send queue) and tag 2 from an
// immediate send made at 0.5 ns, before the window ends. The port's sequence numbers must
// follow its send order (1 then 2), as they would with immediate sends only.
class SelfOrder final : public Component {
 public:
  explicit SelfOrder(const ComponentContext& c)
      : Component(c),
        a_(event_port<&SelfOrder::on_a>(this, "a")),
        b_(event_port<&SelfOrder::on_b>(this, "b")),
        start_(event_port<&SelfOrder::go>(this, "start")) {}
  void init() override { schedule(start_, 0); }
  void go(TxnPtr<>) {
    schedule(a_, kNanosecond, 1);      // deferred
    schedule(b_, kNanosecond / 2, 0);  // immediate, on another port
  }
  void on_b(TxnPtr<>) { schedule(a_, kNanosecond / 2, 2); }  // immediate, to tag 1's instant
  void on_a(TxnPtr<> t) { order.push_back({now(), static_cast<Signal*>(t.get())->tag}); }
  Port& a_;
  Port& b_;
  Port& start_;
  static inline std::vector<std::pair<Time, std::uint64_t>> order;
};

const PluginManifest& test_manifest() {
  static const PluginManifest m{
      "kernel-test", "1", "test components",
      {component<Sender, SenderParams>("test.sender").port("out", PortDir::out, "note", "notes leave here"),
       component<Probe>("test.probe")
           .multi_port("in", PortDir::in, "note", "notes arrive here")
           .counter("received", "count", "notes received")
           .accumulator("arrival_ps", "ps", "arrival times"),
       component<Ticker, TickerParams>("test.ticker").counter("ticks", "count", "ticks handled"),
       component<Burner, BurnerParams>("test.burner")
           .accumulator("draw_sum", "", "random draws")
           .energy("mac"),
       component<Burst, BurstParams>("test.burst").port("out", PortDir::out, "note", "notes leave here"),
       component<SelfOrder>("test.self_order")}};
  return m;
}

// A sender "s" with `sender_params` linked to a probe "p": the smallest test.sender system.
std::string sender_to_probe(const std::string& sender_params, const std::string& latency,
                            const std::string& link_extra = "") {
  return "[[component]]\nname = \"s\"\ntype = \"test.sender\"\nparams = { " + sender_params +
         " }\n[[component]]\nname = \"p\"\ntype = \"test.probe\"\n[[link]]\nfrom = \"s.out\"\nto = \"p.in[]\"\n"
         "latency = \"" + latency + "\"\n" + link_extra;
}

// A harness that knows the test components, with their logs emptied: each test sees only
// the deliveries and ticks of the systems it runs.
Harness make_harness() {
  g_log.clear();
  Ticker::cycles.clear();
  Harness h;
  h.registry.add_builtin(test_manifest(), "builtin:kernel-test");
  return h;
}

}  // namespace

TEST_CASE("kernel: a link delivers at send time + extra delay + latency") {
  auto h = make_harness();
  auto r = h.run(sender_to_probe("count = 3, extra = \"5ns\"", "2ns"));
  REQUIRE(g_log.size() == 3);
  for (std::uint64_t i = 0; i < 3; ++i) {
    CHECK(g_log[i].seq == i);
    CHECK(g_log[i].time == 2 * kNanosecond + 5 * kNanosecond * i);
  }
  CHECK(r.result.events == 3);
  CHECK(r.result.end_time == 12 * kNanosecond);
  CHECK(r.stats["components"]["p"]["stats"]["received"] == 3);
}

TEST_CASE("kernel: equal-time events run in (priority, source, sequence) order, not insertion order") {
  // Three senders reach one probe at the same instant. Their order must follow source ids
  // (component names), whatever the order of the TOML file; within a source, FIFO.
  auto topo = [](bool reversed, int prio_c) {
    std::string a = "[[component]]\nname = \"a\"\ntype = \"test.sender\"\nparams = { count = 2 }\n";
    std::string b = "[[component]]\nname = \"b\"\ntype = \"test.sender\"\nparams = { count = 2 }\n";
    std::string c = "[[component]]\nname = \"c\"\ntype = \"test.sender\"\nparams = { count = 2, priority = " +
                    std::to_string(prio_c) + " }\n";
    std::string p = "[[component]]\nname = \"p\"\ntype = \"test.probe\"\n";
    std::string links;
    for (auto s : {"a", "b", "c"})
      links += std::string("[[link]]\nfrom = \"") + s + ".out\"\nto = \"p.in[]\"\nlatency = \"1ns\"\n";
    return reversed ? p + c + b + a + links : a + b + c + p + links;
  };
  auto order = [&](bool reversed, int prio_c) {
    auto h = make_harness();
    h.run(topo(reversed, prio_c));
    std::vector<std::string> o;
    for (auto& x : g_log) o.push_back(x.from + std::to_string(x.seq));
    return o;
  };
  std::vector<std::string> by_name{"a0", "a1", "b0", "b1", "c0", "c1"};
  CHECK(order(false, 0) == by_name);
  CHECK(order(true, 0) == by_name);
  // all three have priority 0 except c: priority 0 < 1, so a raised number runs later; a
  // component may outrank others only by giving *them* larger numbers
  CHECK(order(false, 1) == by_name);
}

TEST_CASE("kernel: a lower priority number runs first at equal time") {
  auto h = make_harness();
  h.run(R"(
[[component]]
name = "a"
type = "test.sender"
params = { priority = 7 }
[[component]]
name = "z"
type = "test.sender"
params = { priority = 2 }
[[component]]
name = "p"
type = "test.probe"
[[link]]
from = "a.out"
to = "p.in[]"
latency = "1ns"
[[link]]
from = "z.out"
to = "p.in[]"
latency = "1ns"
)");
  REQUIRE(g_log.size() == 2);
  CHECK(g_log[0].from == "z");
  CHECK(g_log[1].from == "a");
}

TEST_CASE("kernel: a bandwidth-limited link serialises transactions in send order") {
  auto h = make_harness();
  // 1000 B at 1 GB/s = 1 us each; three sent at t=0 leave at 1, 2, 3 us; + 10 ns latency
  h.run(sender_to_probe("count = 3, bytes = 1000", "10ns", "bandwidth = \"1GB/s\"\n"));
  REQUIRE(g_log.size() == 3);
  for (int i = 0; i < 3; ++i) CHECK(g_log[i].time == (i + 1) * kMicrosecond + 10 * kNanosecond);
}

// A burst "s" with `params` linked to a probe "p".
std::string burst_to_probe(const std::string& params, const std::string& latency, const std::string& link_extra = "") {
  return "[[component]]\nname = \"s\"\ntype = \"test.burst\"\nparams = { " + params +
         " }\n[[component]]\nname = \"p\"\ntype = \"test.probe\"\n[[link]]\nfrom = \"s.out\"\nto = \"p.in[]\"\n"
         "latency = \"" + latency + "\"\n" + link_extra;
}

TEST_CASE("kernel: a handler's sends (deferred) arrive at send time + extra + latency in send order, past the send queue's capacity") {
  g_log.clear();
  auto h = make_harness();
  const std::uint64_t count = 3 * detail::SendQueue::kCapacity + 5;  // the ring fills and spills
  auto r = h.run(burst_to_probe("count = " + std::to_string(count) + ", extra = \"3ns\", start = \"10ns\"", "2ns"));
  REQUIRE(g_log.size() == count);
  for (std::uint64_t i = 0; i < count; ++i) {
    CHECK(g_log[i].seq == i);
    CHECK(g_log[i].time == 10 * kNanosecond + 2 * kNanosecond + 3 * kNanosecond * i);
  }
  CHECK(r.result.events == count + 1);  // the notes and the handler's own event
}

TEST_CASE("kernel: an event port's deferred send (delay >= the window) and a later immediate one keep the port's send order") {
  SelfOrder::order.clear();
  auto h = make_harness();
  // the burst -> probe link (1 ns) makes the window 1 ns long, so sends are deferred
  h.run("[[component]]\nname = \"o\"\ntype = \"test.self_order\"\n" +
        burst_to_probe("count = 0", "1ns"));
  using E = std::pair<Time, std::uint64_t>;
  CHECK(SelfOrder::order == std::vector<E>{{kNanosecond, 1}, {kNanosecond, 2}});
}

TEST_CASE("kernel: busy_until() right after a send in a handler includes that send (bandwidth link)") {
  g_log.clear();
  Burst::busy.clear();
  auto h = make_harness();
  // 1000 B at 1 GB/s = 1 us each, all sent at 5 ns: the link is busy until 5 ns + (i + 1) us
  h.run(burst_to_probe("count = 3, bytes = 1000, start = \"5ns\"", "10ns", "bandwidth = \"1GB/s\"\n"));
  REQUIRE(Burst::busy.size() == 3);
  REQUIRE(g_log.size() == 3);
  for (int i = 0; i < 3; ++i) {
    CHECK(Burst::busy[i] == 5 * kNanosecond + (i + 1) * kMicrosecond);
    CHECK(g_log[i].time == 5 * kNanosecond + (i + 1) * kMicrosecond + 10 * kNanosecond);
  }
}

TEST_CASE("kernel: set_priority() after a send in a handler changes only later sends") {
  // "s" sends note 0 at priority 0, then raises its number to 9 and sends note 1 to the same
  // instant; "t" and "t2" do the same with 5 (t sends once). Were s0 stamped when the
  // deferred send completes, after the change, it would run after t21.
  g_log.clear();
  auto h = make_harness();
  h.run(R"(
[[component]]
name = "s"
type = "test.burst"
params = { count = 2, start = "4ns", reprioritise = 9 }
[[component]]
name = "t"
type = "test.burst"
params = { count = 1, start = "4ns", reprioritise = 5 }
[[component]]
name = "t2"
type = "test.burst"
params = { count = 2, start = "4ns", reprioritise = 5 }
[[component]]
name = "p"
type = "test.probe"
[[link]]
from = "s.out"
to = "p.in[]"
latency = "1ns"
[[link]]
from = "t2.out"
to = "p.in[]"
latency = "1ns"
[[link]]
from = "t.out"
to = "p.in[]"
latency = "1ns"
)");
  std::vector<std::string> order;
  for (auto& x : g_log) order.push_back(x.from + std::to_string(x.seq));
  // priority 0 first (s0, t0, t20 by source), then t21 (5), then s1 (9)
  CHECK(order == std::vector<std::string>{"s0", "t0", "t20", "t21", "s1"});
}

TEST_CASE("kernel: nothing_else_pending() sees a handler's own sends as pending") {
  g_log.clear();
  Burst::pending.clear();
  auto h = make_harness();
  h.run(burst_to_probe("count = 1, start = \"1ns\"", "1ns"));
  REQUIRE(Burst::pending.size() == 1);
  CHECK_FALSE(Burst::pending[0]);  // the note just sent is pending
  CHECK(g_log.size() == 1);
}

TEST_CASE("kernel: a handler's send on an unconnected port stops the run with a ModelError naming the port") {
  auto h = make_harness();
  // "u" has no link; "s" -> "p" gives the system a link, so sends are deferred
  auto engine = h.build(burst_to_probe("count = 1", "1ns") + R"(
[[component]]
name = "u"
type = "test.burst"
params = { count = 2, start = "3ns" }
)");
  engine->init();
  CHECK_THROWS_WITH(engine->run({}), Catch::Contains("u: port 'out' is not connected"));
}

TEST_CASE("kernel: a clock ticks only while started, on period boundaries") {
  auto h = make_harness();
  // 1 GHz: 3 ticks at cycles 1, 2, 3; stopped; restarted 100 ns after the 3rd tick (t=103ns)
  // -> next boundary after 103 ns is 104 ns: cycles 104, 105, 106; then nothing is pending.
  auto r = h.run(R"(
[[component]]
name = "t"
type = "test.ticker"
params = { clock = "1GHz", ticks = 3, restart_after = "100ns" }
)");
  CHECK(Ticker::cycles == std::vector<std::uint64_t>{1, 2, 3, 104, 105, 106});
  CHECK(r.result.reason == detail::StopReason::empty_queue);
  CHECK(r.result.events == 7);  // 6 ticks + 1 wake event
  CHECK(r.result.end_time == 106 * kNanosecond);
}

TEST_CASE("kernel: energy = actions x energy per action + static power x simulated time") {
  auto h = make_harness();
  auto r = h.run(R"(
[[component]]
name = "e"
type = "test.burner"
params = { actions = 25, per_action = "2pJ", leakage = "0.5W" }
)");
  const double t = 1000e-9;  // the burner's last event is at 1000 ns
  auto& e = r.stats["components"]["e"]["energy"];
  CHECK(e["dynamic"]["mac"]["count"] == 25);
  CHECK(e["dynamic_j"].get<double>() == Approx(25 * 2e-12));
  CHECK(e["static_j"].get<double>() == Approx(0.5 * t));
  CHECK(e["total_j"].get<double>() == Approx(25 * 2e-12 + 0.5 * t));
  CHECK(r.stats["totals"]["energy_j"].get<double>() == Approx(25 * 2e-12 + 0.5 * t));
}

TEST_CASE("kernel: a component's random stream depends only on (seed, its name)") {
  auto sum_of = [](const std::string& toml, const std::string& who, std::uint64_t seed) {
    auto h = make_harness();
    auto r = h.run(toml, kTimeMax, {"seed=" + std::to_string(seed)});
    return r.stats["components"][who]["stats"]["draw_sum"]["sum"].get<double>();
  };
  std::string one = "[[component]]\nname = \"x\"\ntype = \"test.burner\"\n";
  std::string more = "[[component]]\nname = \"a\"\ntype = \"test.burner\"\n" + one +
                     "[[component]]\nname = \"zz\"\ntype = \"test.burner\"\nparams = { draws = 9 }\n";
  CHECK(sum_of(one, "x", 7) == sum_of(more, "x", 7));  // neighbours do not perturb x
  CHECK(sum_of(one, "x", 7) != sum_of(one, "x", 8));   // the seed does
  CHECK(sum_of(more, "a", 7) != sum_of(more, "x", 7));  // names give distinct streams
  // and the stream is xoshiro256** seeded from (seed, name): recompute it here
  Rng expect(7, "x");
  double s = 0;
  for (int i = 0; i < 4; ++i) s += static_cast<double>(expect.next_u64() >> 11);
  CHECK(sum_of(one, "x", 7) == s);
}

TEST_CASE("kernel: stop conditions: end time, event budget, empty queue") {
  const std::string phold = strata::testing::kSmallPholdRing;  // 8 LPs, init 2, offsets 1 and 2
  Harness h;
  auto r1 = h.run(phold, 50 * kNanosecond);
  CHECK(r1.result.reason == detail::StopReason::end_time);
  CHECK(r1.result.end_time == 50 * kNanosecond);
  auto r2 = h.run(phold, kTimeMax, {"stop.max_events=1000"});
  // the budget is checked at window boundaries (one lookahead = 1 ns here), like every stop
  // that must not depend on the thread count: at most one window of events beyond it
  CHECK(r2.result.reason == detail::StopReason::event_budget);
  CHECK(r2.result.events >= 1000);
  CHECK(r2.result.events < 1000 + 8 * 2 * 4);
  auto r3 = h.run("[[component]]\nname = \"lp\"\ntype = \"bench.phold_lp\"\nparams = { init = 0 }\n");
  CHECK(r3.result.reason == detail::StopReason::empty_queue);
  CHECK(r3.result.events == 0);
}

TEST_CASE("kernel: two runs of the same system and seed give identical stats JSON") {
  const std::string phold = strata::testing::phold_ring(32, 3, "1, 2, 4");
  Harness h1, h2;
  auto a = h1.run(phold, 20 * kMicrosecond).stats.dump();
  auto b = h2.run(phold, 20 * kMicrosecond).stats.dump();
  CHECK(a == b);
  Harness h3;
  CHECK(h3.run(phold, 20 * kMicrosecond, {"seed=2"}).stats.dump() != a);
}

TEST_CASE("kernel: trace writes Chrome trace JSON spans, renamed into place on close") {
  auto dir = std::filesystem::temp_directory_path() / "strata-trace-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto path = (dir / "trace.json").string();
  {
    detail::TraceWriter w(path);
    w.span(0, "core[0]", "gemm", "op", 1500, 4500, "{\"m\":8}");
    w.span(0, "core[1]", "softmax", "op", 0, 1, "");
    CHECK(std::filesystem::exists(path + ".partial"));
    CHECK_FALSE(std::filesystem::exists(path));
    w.close();
  }
  auto j = nlohmann::json::parse(std::ifstream(path));
  auto& ev = j["traceEvents"];
  int spans = 0;
  for (auto& e : ev)
    if (e["ph"] == "X") {
      ++spans;
      if (e["name"] == "gemm") {
        CHECK(e["ts"].get<double>() == Approx(0.0015));  // microseconds
        CHECK(e["dur"].get<double>() == Approx(0.003));
        CHECK(e["args"]["m"] == 8);
      }
    }
  CHECK(spans == 2);
}

TEST_CASE("kernel: statistics must be declared in the manifest") {
  struct Bad final : Component {
    explicit Bad(const ComponentContext& c) : Component(c) { stat("undeclared", n_); }
    Counter n_;
  };
  static const PluginManifest m{"bad", "1", "", {component<Bad>("test.bad_stat")}};
  Harness h;
  h.registry.add_builtin(m, "builtin:bad");
  auto err = h.errors("[[component]]\nname = \"b\"\ntype = \"test.bad_stat\"\n");
  CHECK_THAT(err, Catch::Contains("statistic 'undeclared' is not declared in the plugin manifest"));
  CHECK_THAT(err, Catch::Contains("test.toml:1:1: error: component 'b' (type test.bad_stat) could not be created"));
}

TEST_CASE("kernel: parallel partitions give bit-identical stats to the serial run (1, 2, 3, 4 threads)") {
  const std::string phold = strata::testing::phold_ring(64, 3, "1, 2, 4, 8, 16");
  std::string serial;
  for (int threads : {1, 2, 3, 4}) {
    Harness h;
    auto r = h.run(phold, 30 * kMicrosecond, {"threads=" + std::to_string(threads)});
    CHECK(r.engine->partitions() == static_cast<std::size_t>(threads));
    auto s = r.stats.dump();
    if (threads == 1)
      serial = s;
    else
      CHECK(s == serial);
  }
  // and with a budget stop, which takes effect at the same window boundary at any count
  Harness a, b;
  auto ra = a.run(phold, kTimeMax, {"stop.max_events=5000"});
  auto rb = b.run(phold, kTimeMax, {"stop.max_events=5000", "threads=4"});
  CHECK(ra.result.events == rb.result.events);
  CHECK(ra.stats.dump() == rb.stats.dump());
}

TEST_CASE("kernel: events sent across partitions from init() and in the last window are delivered on time") {
  // The sender sends from init(), before the first window; the last note is the only
  // pending event when the window before it ends (it waits in an outbox, not a queue).
  const std::string two = R"(
[[component]]
name = "a"
type = "test.sender"
params = { count = 3, extra = "40ns" }
[[component]]
name = "b"
type = "test.probe"
[[link]]
from = "a.out"
to = "b.in[]"
latency = "2ns"
)";
  for (int threads : {1, 2}) {
    auto h = make_harness();
    auto r = h.run(two, kTimeMax, {"threads=" + std::to_string(threads)});
    CHECK(r.engine->partitions() == static_cast<std::size_t>(threads));
    REQUIRE(g_log.size() == 3);
    for (std::uint64_t i = 0; i < 3; ++i) CHECK(g_log[i].time == 2 * kNanosecond + i * 40 * kNanosecond);
    CHECK(r.result.reason == detail::StopReason::empty_queue);
    CHECK(r.result.end_time == 82 * kNanosecond);
  }
}

TEST_CASE("kernel: automatic partitions follow grid position; a partition hint overrides") {
  // two 4-element grids zipped element to element (a tile's router and core, say) and two
  // loose components: slabs of each grid go to the same thread, loose ones alternate
  const std::string text = R"(
[[component]]
name = "a"
type = "bench.phold_lp"
grid = [2, 4]
[[component]]
name = "b"
type = "bench.phold_lp"
grid = [2, 4]
[[component]]
name = "x"
type = "bench.phold_lp"
[[component]]
name = "y"
type = "bench.phold_lp"
partition = 3
[[generate]]
kind = "zip"
from = "a.port"
to = "b.port"
latency = "1ns"
)";
  auto h = make_harness();
  auto r = h.run(text, 10 * kNanosecond, {"threads=2"});
  auto part = [&](const char* name) { return r.engine->partition_of(*r.engine->find(name)); };
  CHECK(part("a[0,0]") == 0);
  CHECK(part("a[1,1]") == 0);
  CHECK(part("a[0,2]") == 1);
  CHECK(part("a[1,3]") == 1);
  for (const char* e : {"0,0", "1,1", "0,2", "1,3"})
    CHECK(part(("a[" + std::string(e) + "]").c_str()) == part(("b[" + std::string(e) + "]").c_str()));
  CHECK(part("x") == 0);
  CHECK(part("y") == 1);  // 3 modulo 2
  // and it does not matter for the results
  auto serial = make_harness().run(text, 10 * kNanosecond);
  CHECK(serial.stats.dump() == r.stats.dump());
}

TEST_CASE("kernel: a model error in one partition stops every partition with its message") {
  struct Thrower final : Component {
    explicit Thrower(const ComponentContext& c) : Component(c), ev_(event_port<&Thrower::fire>(this, "e")) {}
    void init() override { schedule(ev_, 5 * kNanosecond); }
    void fire(TxnPtr<>) { throw ModelError(name() + ": invariant broken"); }
    Port& ev_;
  };
  static const PluginManifest m{"thrower", "1", "", {component<Thrower>("test.thrower")}};
  Harness h;
  h.registry.add_builtin(m, "builtin:thrower");
  auto engine = h.build(strata::testing::phold_ring(16, 16, "1") + R"(
[[component]]
name = "zz"
type = "test.thrower"
)", {"threads=2"});
  engine->init();
  CHECK_THROWS_WITH(engine->run({}), Catch::Contains("zz: invariant broken"));
}

TEST_CASE("kernel: a link between two new elements of one multi-port joins them both (the block grows between)") {
  // Resolving the second end appends to the same block as the first and may move it: the
  // first end must be found again, not used from its old address (offset 0 of a generator,
  // or an explicit [[link]] from port[] to port[] of one component).
  const std::string text = strata::testing::phold_ring(3, 1, "0, 1, 0", "2ns") + R"(
[[component]]
name = "solo"
type = "bench.phold_lp"
params = { init = 1 }
[[link]]
from = "solo.port[]"
to = "solo.port[]"
latency = "3ns"
)";
  Harness h;
  auto r = h.run(text, 20 * kNanosecond);
  for (int i = 0; i < 3; ++i) {
    auto ports = r.engine->find("lp[" + std::to_string(i) + "]")->ports("port");
    REQUIRE(ports.size() == 6);  // offsets 0, 1, 0 from this LP, and 1 into it
    for (std::size_t k = 0; k < ports.size(); ++k) {
      CAPTURE(i, k);
      REQUIRE(ports[k].connected());
      CHECK(ports[k].peer()->peer() == &ports[k]);  // links are symmetric
      CHECK(ports[k].index() == static_cast<int>(k));
      CHECK(ports[k].name() == "port[" + std::to_string(k) + "]");
      CHECK(ports[k].latency() == 2 * kNanosecond);
    }
  }
  auto solo = r.engine->find("solo")->ports("port");
  REQUIRE(solo.size() == 2);
  CHECK(solo[0].peer() == &solo[1]);
  CHECK(solo[1].peer() == &solo[0]);
  CHECK(solo[0].latency() == 3 * kNanosecond);
  CHECK(r.result.events > 0);
}

TEST_CASE("kernel: a link latency beyond what a port holds is refused with its location") {
  auto two_lps_linked = [](const std::string& latency) {
    return R"([[component]]
name = "a"
type = "bench.phold_lp"
[[component]]
name = "b"
type = "bench.phold_lp"
[[link]]
from = "a.port[]"
to = "b.port[]"
latency = ")" + latency + "\"\n";
  };
  Harness h;
  const std::string err = h.errors(two_lps_linked("2s"));
  CHECK_THAT(err, Catch::Contains("test.toml:10:11") && Catch::Contains("above the longest a port holds"));
  CHECK(h.errors(two_lps_linked("1s")) == "");
}

TEST_CASE("kernel: components outside grids go where their neighbours are, within the average load") {
  // g[0..3] in slabs: g[0], g[1] -> partition 0, g[2], g[3] -> partition 1. Dealt out by
  // name, a_to3 would land on 0 and b_to0 on 1, cutting both links; placed by neighbours,
  // neither link is cut.
  const std::string text = R"(
[[component]]
name = "g"
type = "bench.phold_lp"
grid = [4]
[[component]]
name = "a_to3"
type = "bench.phold_lp"
[[component]]
name = "b_to0"
type = "bench.phold_lp"
[[link]]
from = "a_to3.port[]"
to = "g[3].port[]"
latency = "1ns"
[[link]]
from = "b_to0.port[]"
to = "g[0].port[]"
latency = "1ns"
)";
  Harness h;
  auto r = h.run(text, 10 * kNanosecond, {"threads=2"});
  auto part = [&](const char* name) { return r.engine->partition_of(*r.engine->find(name)); };
  CHECK(part("g[0]") == 0);
  CHECK(part("g[3]") == 1);
  CHECK(part("a_to3") == 1);
  CHECK(part("b_to0") == 0);
  // a third loose component linked to g[3] would overload partition 1 (weights: 1 + linked
  // ports; average (2+1+1+3 + 2+2+2) / 2 = 7, partition 1 already holds 1+3+2 = 6): it goes
  // to the lighter partition 0 although its neighbour is on 1
  auto r3 = h.run(text + R"(
[[component]]
name = "c_to3"
type = "bench.phold_lp"
[[link]]
from = "c_to3.port[]"
to = "g[3].port[]"
latency = "1ns"
)", 10 * kNanosecond, {"threads=2"});
  auto part3 = [&](const char* name) { return r3.engine->partition_of(*r3.engine->find(name)); };
  CHECK(part3("a_to3") == 1);
  CHECK(part3("b_to0") == 0);
  CHECK(part3("c_to3") == 0);
  auto serial = Harness().run(text, 10 * kNanosecond);
  CHECK(serial.stats.dump() == r.stats.dump());
}

namespace {
// K "ranks" as threads of this process, each with its own engine, joined by barriers: the
// engine's rank protocol (exchange at window boundaries, reductions, gathering results)
// tested without MPI, and under the sanitizers. mpi_test.cpp runs the real thing.
struct ThreadRanks {
  explicit ThreadRanks(int k)
      : ranks(k), sync(k), board(k, std::vector<std::vector<unsigned char>>(k)), mins(k), sums(k), parcels(k) {}
  int ranks;
  std::barrier<> sync;
  std::vector<std::vector<std::vector<unsigned char>>> board;  // [from][to]
  std::vector<std::vector<std::uint64_t>> mins, sums;
  std::vector<std::vector<unsigned char>> parcels;
};
class ThreadRankLink final : public detail::RankLink {
 public:
  ThreadRankLink(ThreadRanks& s, int rank) : s_(s), rank_(rank) {}
  int rank() const override { return rank_; }
  int ranks() const override { return s_.ranks; }
  std::vector<std::vector<unsigned char>> exchange(const std::vector<std::vector<unsigned char>>& out) override {
    s_.board[rank_] = out;
    s_.board[rank_].resize(s_.ranks);
    s_.sync.arrive_and_wait();
    std::vector<std::vector<unsigned char>> in(s_.ranks);
    for (int k = 0; k < s_.ranks; ++k) in[k] = s_.board[k][rank_];
    s_.sync.arrive_and_wait();
    return in;
  }
  void allreduce(std::vector<std::uint64_t>& mins, std::vector<std::uint64_t>& sums) override {
    s_.mins[rank_] = mins;
    s_.sums[rank_] = sums;
    s_.sync.arrive_and_wait();
    for (int k = 0; k < s_.ranks; ++k) {
      for (std::size_t i = 0; i < mins.size(); ++i) mins[i] = std::min(mins[i], s_.mins[k][i]);
      if (k != rank_)
        for (std::size_t i = 0; i < sums.size(); ++i) sums[i] += s_.sums[k][i];
    }
    s_.sync.arrive_and_wait();
  }
  std::vector<std::vector<unsigned char>> gather(const std::vector<unsigned char>& mine) override {
    s_.parcels[rank_] = mine;
    s_.sync.arrive_and_wait();
    std::vector<std::vector<unsigned char>> all;
    if (rank_ == 0) all = s_.parcels;
    s_.sync.arrive_and_wait();
    return all;
  }

 private:
  ThreadRanks& s_;
  int rank_;
};

// Run `toml` as one simulation over `ranks` thread-ranks; rank 0's stats.json text.
std::string run_on_ranks(detail::PluginRegistry& registry, const std::string& toml, int ranks, int threads,
                         std::vector<std::string> sets) {
  sets.push_back("threads=" + std::to_string(threads));
  ThreadRanks shared(ranks);
  std::vector<std::string> stats(static_cast<std::size_t>(ranks));
  std::vector<std::thread> pool;
  for (int k = 0; k < ranks; ++k)
    pool.emplace_back([&, k] {
      ThreadRankLink link(shared, k);
      detail::Diagnostics diag;
      detail::Builder b(registry, diag);
      b.set_rank_link(&link);
      auto spec = b.load_text(toml, "test.toml", sets);
      auto engine = spec ? b.build(*spec) : nullptr;
      if (!engine) {
        stats[static_cast<std::size_t>(k)] = "build failed: " + diag.str();
        std::abort();  // the other ranks would wait for this one forever
      }
      engine->init();
      detail::RunResult result;
      std::string error;
      try {
        result = engine->run(spec->stop);
        engine->finish();
      } catch (const std::exception& e) {
        error = e.what();
      }
      engine->collect_results();  // every rank, failed or not (a collective)
      if (k == 0) stats[0] = error.empty() ? detail::stats_json(*engine, result, *spec).dump(1) : "error: " + error;
    });
  for (auto& t : pool) t.join();
  return stats[0];
}
}  // namespace

TEST_CASE("kernel: one run split over ranks gives the serial stats (rank protocol, ranks as threads)") {
  Harness h;
  // the ring's links cross every rank boundary in both directions
  const std::string ring = strata::testing::kSmallPholdRing;
  const std::vector<std::string> until{"stop.end_time=300ns"};
  const std::string serial = h.run(ring, kTimeMax, until).stats.dump(1);
  REQUIRE(serial.find("\"events\"") != std::string::npos);
  for (auto [ranks, threads] : {std::pair{2, 1}, std::pair{3, 1}, std::pair{2, 2}}) {
    CAPTURE(ranks, threads);
    CHECK(run_on_ranks(h.registry, ring, ranks, threads, until) == serial);
  }
  // an event budget; more ranks than the system has components (one rank runs nothing)
  const std::vector<std::string> budget{"stop.max_events=500"};
  CHECK(run_on_ranks(h.registry, ring, 2, 1, budget) == h.run(ring, kTimeMax, budget).stats.dump(1));
  std::string two = ring;
  two.replace(two.find("grid = [8]"), 10, "grid = [2]");
  CHECK(run_on_ranks(h.registry, two, 3, 1, until) == h.run(two, kTimeMax, until).stats.dump(1));

  // A transaction that cannot serialize, crossing from rank 1 (the sender) to rank 0 (the
  // probe): every rank stops, and rank 0 has rank 1's message.
  auto hs = make_harness();
  const std::string notes = sender_to_probe("count = 3", "1ns");
  const std::string failed = run_on_ranks(hs.registry, notes, 2, 1, {});
  CHECK_THAT(failed, Catch::Contains("rank 1: transaction type 'transaction' is not serializable"));
  CHECK(g_log.empty());
}

