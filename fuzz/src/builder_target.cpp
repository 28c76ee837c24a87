// Fuzz target "builder": experiment/topology TOML -> Builder::load_text -> build -> a short
// bounded run -> stats.json. Components come from a built-in manifest (below) that has every
// parameter kind, ranges, choices, presets, single/multi/required ports of two protocols,
// every statistic kind, a clock and an energy action, and from the plugins in
// STRATA_FUZZ_PLUGIN_DIR when that is set (fuzz/CMakeLists.txt builds bench.phold_lp there).
#include "fuzz_targets.hpp"

#include "builder.hpp"
#include "engine.hpp"
#include "plugin_registry.hpp"
#include "results.hpp"

#include <strata/strata.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

namespace strata::fuzz {
namespace {

struct Note final : Transaction {
  std::uint32_t hops = 0;
  std::uint64_t bytes = 0;
  std::uint64_t wire_bytes() const override { return bytes; }
};

struct NodeParams {
  std::int64_t count = 1;
  std::int64_t hops = 2;
  Duration gap{1000};
  Frequency clock{1e9};
  std::int64_t ticks = 0;
  Bytes size{64};
  Bandwidth bw{1e9};
  Energy e{1e-12};
  Power leak{0};
  double ratio = 0.5;
  std::string mode = "a";
  bool flag = false;
  std::vector<std::int64_t> list{1, 2};
  std::uint32_t priority = 0;
  static void declare(ParamSpec<NodeParams>& s) {
    s.param("count", &NodeParams::count, "notes sent on each linked port at init").range(0, 64);
    s.param("hops", &NodeParams::hops, "times a note is forwarded").range(0, 1000);
    s.param("gap", &NodeParams::gap, "delay between notes");
    s.param("clock", &NodeParams::clock, "clock rate").range(1e3, 1e13);
    s.param("ticks", &NodeParams::ticks, "clock ticks").range(0, 100);
    s.param("size", &NodeParams::size, "wire bytes per note").range(0, 1e9);
    s.param("bw", &NodeParams::bw, "unused bandwidth");
    s.param("e", &NodeParams::e, "energy per forward");
    s.param("leak", &NodeParams::leak, "static power").range(0, 10);
    s.param("ratio", &NodeParams::ratio, "a fraction").range(0, 1);
    s.param("mode", &NodeParams::mode, "a mode").choices({"a", "b", "c"});
    s.param("flag", &NodeParams::flag, "a flag");
    s.param("list", &NodeParams::list, "a list");
    s.param("priority", &NodeParams::priority, "port priority").range(0, 255);
    s.preset("small", "few notes", [](NodeParams& p) { p.count = 1, p.hops = 1; });
    s.preset("big", "more notes", [](NodeParams& p) { p.count = 8, p.hops = 20, p.ticks = 10; });
  }
};

class Node final : public Component {
 public:
  explicit Node(const ComponentContext& c)
      : Component(c), p_(c.params<NodeParams>()), op_(p_.e), hist_(0, 1e6, 16),
        clk_(clock<&Node::tick>(this, p_.clock, "clk")) {
    if (p_.mode == "c" && p_.flag) throw ConfigError("mode c cannot be combined with flag");
    port("in").on_receive<&Node::got>(this);
    port("mem").on_receive<&Node::got>(this);
    on_receive<&Node::got>("port", this);
    on_receive<&Node::got>("any", this);
    port("out").set_priority(static_cast<std::uint8_t>(p_.priority));
    stat("received", received_);
    stat("lat", lat_);
    stat("hist", hist_);
    energy("op", op_);
    set_static_power(p_.leak);
  }
  void init() override {
    for (Port* p : targets())
      for (std::int64_t i = 0; i < p_.count; ++i) {
        auto n = make<Note>();
        n->hops = static_cast<std::uint32_t>(p_.hops);
        n->bytes = p_.size.count;
        p->send(std::move(n), p_.gap.ps * static_cast<Time>(i));
      }
    if (p_.ticks > 0) clk_.start();
  }
  bool tick(std::uint64_t cycle) { return static_cast<std::int64_t>(cycle) < p_.ticks; }
  void got(TxnPtr<> t) {
    auto& n = t.view<Note>();
    ++received_;
    lat_.add(static_cast<double>(now()));
    hist_.add(static_cast<double>(now() % 2000000));
    if (n.hops == 0) return;
    auto ts = targets();
    if (ts.empty()) return;
    op_.add(1);
    auto f = make<Note>();
    f->hops = n.hops - 1;
    f->bytes = n.bytes;
    ts[rng().next_u64() % ts.size()]->send(std::move(f));
  }

 private:
  std::vector<Port*> targets() {
    std::vector<Port*> v;
    if (has_link("out")) v.push_back(&port("out"));
    if (has_link("mem")) v.push_back(&port("mem"));
    for (auto* name : {"port", "any"})
      for (Port& p : ports(name))
        if (p.connected()) v.push_back(&p);
    return v;
  }
  NodeParams p_;
  EnergyAction op_;
  Counter received_;
  Accumulator lat_;
  Histogram hist_;
  Clock& clk_;
};

class Sink final : public Component {
 public:
  explicit Sink(const ComponentContext& c) : Component(c) {
    on_receive<&Sink::got>("need", this);
    stat("received", received_);
  }
  void got(TxnPtr<>) { ++received_; }
  Counter received_;
};

class Req final : public Component {
 public:
  explicit Req(const ComponentContext& c) : Component(c) {
    port("need").on_receive<&Req::got>(this);
    stat("received", received_);
  }
  void got(TxnPtr<>) { ++received_; }
  Counter received_;
};

const PluginManifest& fuzz_manifest() {
  static const PluginManifest m{
      "fuzz", "1", "components for the builder fuzz target",
      {component<Node, NodeParams>("fz.node")
           .summary("forwards notes")
           .port("out", PortDir::out, "msg", "notes leave")
           .port("in", PortDir::in, "msg", "notes arrive")
           .port("mem", PortDir::inout, "mem", "another protocol")
           .multi_port("port", PortDir::inout, "msg", "both ways")
           .multi_port("any", PortDir::inout, "any", "joins every protocol")
           .counter("received", "count", "notes received")
           .accumulator("lat", "ps", "arrival times")
           .histogram("hist", "ps", "arrival times")
           .energy("op"),
       component<Sink>("fz.sink")
           .summary("must be linked")
           .multi_port("need", PortDir::in, "msg", "notes arrive")
           .counter("received", "count", "notes received"),
       component<Req>("fz.req")
           .summary("a required single port")
           .required_port("need", PortDir::in, "msg", "must be linked")
           .counter("received", "count", "notes received")}};
  return m;
}

detail::PluginRegistry& registry() {
  static detail::PluginRegistry* reg = [] {
    auto* r = new detail::PluginRegistry;  // lives for the process (plugins stay loaded)
    r->add_builtin(fuzz_manifest(), "builtin:fuzz");
    if (const char* dir = std::getenv("STRATA_FUZZ_PLUGIN_DIR"); dir && *dir) {
      r->add_search_dir(dir);
      r->scan();
    }
    return r;
  }();
  return *reg;
}

// Limits that keep one input cheap (known, reported resource limits; see fuzz/README.md).
constexpr std::uint64_t kMaxElements = 4096;
constexpr std::uint64_t kMaxEvents = 20000;

}  // namespace

void builder(std::string_view text) {
  // Paths that never end (a FIFO, /dev/zero) would hang the reader: not what is tested here.
  for (auto bad : {"/dev/", "/proc/", "/sys/"})
    if (text.find(bad) != std::string_view::npos) return;
  std::vector<std::string> sets;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (line.starts_with("#!set ")) sets.emplace_back(line.substr(6));
    pos = end + 1;
  }
  detail::Diagnostics diag;
  detail::Builder b(registry(), diag);
  // A folder that does not exist: relative includes and plugin paths resolve to nothing.
  auto spec = b.load_text(text, "/nonexistent-strata-fuzz/fuzz.toml", sets);
  if (!spec) {
    (void)diag.str();
    return;
  }
  std::uint64_t elements = 0;
  for (const auto& c : spec->components) {
    std::uint64_t n = 1;
    for (int g : c.grid) n = std::min<std::uint64_t>(n * static_cast<std::uint64_t>(g), kMaxElements + 1);
    elements += n;
  }
  if (elements > kMaxElements || spec->threads > 4) return;
  auto engine = b.build(*spec);
  if (!engine) {
    (void)diag.str();
    return;
  }
  detail::StopConditions stop = spec->stop;
  stop.max_events = std::min(stop.max_events, kMaxEvents);
  detail::RunResult result;
  try {
    engine->init();
    result = engine->run(stop);
    engine->finish();
  } catch (const ModelError&) {
    // a model error is a documented outcome (exit status 1, run.json status "error")
  }
  auto stats = detail::stats_json(*engine, result, *spec);
  (void)detail::stats_csv(stats);
  (void)detail::summary_text(stats);
}

}  // namespace strata::fuzz
