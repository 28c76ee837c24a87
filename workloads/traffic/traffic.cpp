#include "traffic.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

namespace strata::traffic {

void TrafficParams::declare(ParamSpec<TrafficParams>& s) {
  s.param("pattern", &TrafficParams::pattern, "destination pattern")
      .choices({"uniform", "transpose", "bit_complement", "hotspot", "neighbour"});
  s.param("process", &TrafficParams::process,
          "interarrival process: bernoulli (a trial per cycle), poisson (exponential gaps), periodic")
      .choices({"bernoulli", "poisson", "periodic"});
  s.param("rate", &TrafficParams::rate, "injection rate, transfers per cycle per node").min(0);
  s.param("clock", &TrafficParams::clock, "clock of the injection process (cycle of `rate`)");
  s.param("bandwidth", &TrafficParams::bandwidth, "offered bytes/s per node; overrides rate when > 0");
  s.param("size", &TrafficParams::size, "bytes per transfer");
  s.param("duration", &TrafficParams::duration, "generation window (0: until count transfers per node)");
  s.param("count", &TrafficParams::count, "transfers per node (0: until duration)").min(0);
  s.param("warmup", &TrafficParams::warmup, "start of the throughput measurement window");
  s.param("hotspots", &TrafficParams::hotspots, "hotspot node indices (pattern = hotspot)");
  s.param("hotspot_fraction", &TrafficParams::hotspot_fraction, "share of transfers sent to a hotspot")
      .range(0, 1);
  s.param("active", &TrafficParams::active, "node indices that send (empty: every node)");
  s.param("histogram_range", &TrafficParams::histogram_range, "upper end of the latency histogram (100 bins)");
}

namespace {
std::uint64_t seed_of(const ComponentContext& ctx) { return ctx.seed(); }
}  // namespace

Traffic::Traffic(const ComponentContext& ctx)
    : Component(ctx),
      p_(ctx.params<TrafficParams>()),
      cycle_(p_.clock.period()),
      gen_(&event_port<&Traffic::on_generate>(this, "generate")),
      stop_(&event_port<&Traffic::on_stop>(this, "stop")),
      latency_histogram_(0, static_cast<double>(p_.histogram_range.ps), 100) {
  if (p_.duration.ps == 0 && p_.count == 0)
    throw ConfigError(name() + ": set duration or count, or it would never end");
  if (p_.warmup.ps > 0 && p_.duration.ps > 0 && p_.warmup.ps >= p_.duration.ps)
    throw ConfigError(name() + ": warmup must end before duration");
  if (p_.bandwidth.bytes_per_s > 0) {
    if (p_.size.count == 0) throw ConfigError(name() + ": bandwidth needs size > 0");
    per_cycle_ = p_.bandwidth.bytes_per_s / static_cast<double>(p_.size.count) / p_.clock.hz;
  } else {
    per_cycle_ = p_.rate;
  }
  if (per_cycle_ <= 0) throw ConfigError(name() + ": the injection rate must be > 0");
  if (p_.process == "bernoulli" && per_cycle_ > 1)
    throw ConfigError(name() + ": bernoulli injection allows at most 1 transfer per cycle (rate " +
                      std::to_string(per_cycle_) + "); use process = \"poisson\" or \"periodic\"");
  seed_ = seed_of(ctx);
  on_receive<&Traffic::on_reply>("nis", this);
  stat("transfers_offered", transfers_offered_);
  stat("transfers_completed", transfers_completed_);
  stat("transfers_failed", transfers_failed_);
  stat("bytes_offered", bytes_offered_);
  stat("bytes_accepted", bytes_accepted_);
  stat("arrivals", arrivals_);
  stat("latency", latency_);
  stat("latency_histogram", latency_histogram_);
  stat("offered_throughput", offered_throughput_);
  stat("accepted_throughput", accepted_throughput_);
  stat("bytes_arrived", bytes_arrived_);
  stat("node_arrival_error", node_arrival_error_);
  stat("node_completion_error", node_completion_error_);
}

void Traffic::init() {
  nis_ = ports("nis");
  const SystemView& sys = system();
  const std::size_t n = nis_.size();
  nodes_.reserve(n);
  for (std::size_t k = 0; k < n; ++k) {
    Node node;
    node.rng = Rng(seed_, name() + ".node" + std::to_string(k));
    const Port* peer = nis_[k].peer();
    const std::string& ni = peer->owner().name();
    node.endpoint = static_cast<std::uint32_t>(sys.ordinal(ni));
    if (const auto* info = sys.find(ni)) node.pos = info->index;
    nodes_.push_back(std::move(node));
  }
  // The NIs form a full grid when they share a dimensionality and fill their extents.
  if (n > 0 && !nodes_[0].pos.empty()) {
    dims_.assign(nodes_[0].pos.size(), 0);
    bool ok = true;
    for (const auto& node : nodes_) {
      if (node.pos.size() != dims_.size()) ok = false;
      for (std::size_t d = 0; ok && d < dims_.size(); ++d) dims_[d] = std::max(dims_[d], node.pos[d] + 1);
    }
    std::size_t cells = 1;
    for (int e : dims_) cells *= static_cast<std::size_t>(e);
    std::map<std::vector<int>, std::size_t> seen;
    for (std::size_t k = 0; ok && k < n; ++k) ok = seen.emplace(nodes_[k].pos, k).second;
    if (!ok || cells != n) dims_.clear();
    for (auto& [pos, k] : seen) by_pos_[pos] = k;
  }
  if (p_.pattern == "transpose" && !(dims_.size() >= 2 && dims_[0] == dims_[1])) {
    int bits = 0;
    while ((std::size_t{1} << bits) < n) ++bits;
    if ((std::size_t{1} << bits) != n || bits % 2)
      throw ConfigError(name() + ": transpose needs the NIs on a grid with X = Y, or 2^(2h) nodes");
  }
  for (auto h : p_.hotspots)
    if (p_.pattern == "hotspot" && (h < 0 || static_cast<std::size_t>(h) >= n))
      throw ConfigError(name() + ": hotspot " + std::to_string(h) + " is not a node index (0.." +
                        std::to_string(n) + ")");
  if (p_.pattern == "hotspot" && p_.hotspots.empty()) throw ConfigError(name() + ": hotspot needs hotspots = [..]");
  std::vector<std::size_t> active;
  if (p_.active.empty()) {
    for (std::size_t k = 0; k < n; ++k) active.push_back(k);
  } else {
    for (auto a : p_.active) {
      if (a < 0 || static_cast<std::size_t>(a) >= n)
        throw ConfigError(name() + ": active node " + std::to_string(a) + " is not a node index");
      active.push_back(static_cast<std::size_t>(a));
    }
  }
  for (std::size_t k : active) {
    Node& node = nodes_[k];
    if (node.generating) continue;
    Time first = next_gap(node, true);
    if (p_.duration.ps > 0 && first >= p_.duration.ps) continue;
    node.generating = true;
    ++generating_;
    schedule(*gen_, first, k);
  }
  if (generating_ == 0) schedule(*stop_, 0);
}

Time Traffic::next_gap(Node& n, bool first) {
  const double mean_cycles = 1.0 / per_cycle_;
  double cycles = 0;
  if (p_.process == "periodic") {
    cycles = first ? 0 : mean_cycles;
  } else if (p_.process == "poisson") {
    cycles = n.rng.exponential(mean_cycles);
  } else {  // bernoulli: geometric number of trials until a success, one trial per cycle
    double g = 1;
    if (per_cycle_ < 1) g = std::floor(std::log(n.rng.uniform01()) / std::log1p(-per_cycle_)) + 1;
    cycles = first ? g - 1 : g;
  }
  return static_cast<Time>(std::llround(cycles * static_cast<double>(cycle_)));
}

std::int64_t Traffic::destination(std::size_t k) {
  const auto n = static_cast<std::int64_t>(nodes_.size());
  Node& node = nodes_[k];
  auto uniform = [&]() -> std::int64_t {
    if (n < 2) return -1;
    auto d = static_cast<std::int64_t>(node.rng.below(static_cast<std::uint64_t>(n - 1)));
    return d >= static_cast<std::int64_t>(k) ? d + 1 : d;
  };
  auto at = [&](const std::vector<int>& pos) -> std::int64_t {
    auto it = by_pos_.find(pos);
    return it == by_pos_.end() ? -1 : static_cast<std::int64_t>(it->second);
  };
  if (p_.pattern == "uniform") return uniform();
  if (p_.pattern == "bit_complement") return n - 1 - static_cast<std::int64_t>(k);
  if (p_.pattern == "hotspot") {
    if (node.rng.uniform01() <= p_.hotspot_fraction)
      return p_.hotspots[node.rng.below(p_.hotspots.size())];
    return uniform();
  }
  if (p_.pattern == "neighbour") {
    if (dims_.empty()) return (static_cast<std::int64_t>(k) + 1) % n;
    auto pos = node.pos;
    pos[0] = (pos[0] + 1) % dims_[0];
    return at(pos);
  }
  // transpose
  if (dims_.size() >= 2 && dims_[0] == dims_[1]) {
    auto pos = node.pos;
    std::swap(pos[0], pos[1]);
    return at(pos);
  }
  int bits = 0;
  while ((std::int64_t{1} << bits) < n) ++bits;
  const int h = bits / 2;
  const auto s = static_cast<std::uint64_t>(k);
  const std::uint64_t lo = s & ((1u << h) - 1), hi = s >> h;
  return static_cast<std::int64_t>((lo << h) | hi);
}

void Traffic::on_generate(TxnPtr<> t) {
  const auto k = static_cast<std::size_t>(static_cast<Signal*>(t.get())->tag);
  Node& node = nodes_[k];
  const Time now_ps = now();
  std::int64_t d = destination(k);
  if (d >= 0 && static_cast<std::size_t>(d) != k) {
    auto req = make<TransferRequest>();
    req->src = node.endpoint;
    req->dst = nodes_[static_cast<std::size_t>(d)].endpoint;
    req->bytes = p_.size.count;
    req->tag = k;
    req->issued_at = now_ps;
    ++node.outstanding;
    ++outstanding_;
    ++transfers_offered_;
    bytes_offered_ += p_.size.count;
    node.issued += p_.size.count;
    nodes_[static_cast<std::size_t>(d)].addressed += p_.size.count;
    if (now_ps >= p_.warmup.ps) node.bytes_offered += p_.size.count;
    nis_[k].send(std::move(req));
  }
  ++node.sent;
  Time next = now_ps + next_gap(node, false);
  bool more = (p_.count == 0 || node.sent < p_.count) && (p_.duration.ps == 0 || next < p_.duration.ps);
  if (more) {
    gen_->send(std::move(t), next - now_ps);
    return;
  }
  node.generating = false;
  --generating_;
  maybe_end();
}

void Traffic::on_reply(Port& p, TxnPtr<> t) {
  auto req = std::move(t).as<TransferRequest>();
  Node& node = nodes_[static_cast<std::size_t>(p.index())];
  if (req->arrived) {
    ++arrivals_;
    bytes_arrived_ += req->bytes;
    node.arrived += req->bytes;
    return;
  }
  --node.outstanding;
  --outstanding_;
  if (req->status != Status::ok) {
    ++transfers_failed_;
  } else {
    ++transfers_completed_;
    node.completed += req->bytes;
    const double lat = static_cast<double>(req->completed_at - req->issued_at);
    latency_.add(lat);
    latency_histogram_.add(lat);
    const bool in_window = req->completed_at >= p_.warmup.ps &&
                           (p_.duration.ps == 0 || req->completed_at < p_.duration.ps);
    if (in_window) {
      node.bytes_accepted += req->bytes;
      bytes_accepted_ += req->bytes;
    }
  }
  maybe_end();
}

void Traffic::on_stop(TxnPtr<>) { maybe_end(); }

void Traffic::maybe_end() {
  if (generating_ == 0 && outstanding_ == 0) end_simulation();
}

void Traffic::finish() {
  for (const auto& node : nodes_) {
    node_arrival_error_.add(static_cast<double>(node.addressed) - static_cast<double>(node.arrived));
    node_completion_error_.add(static_cast<double>(node.issued) - static_cast<double>(node.completed));
  }
  const Time end = p_.duration.ps > 0 ? std::min<Time>(p_.duration.ps, std::max<Time>(now(), 1)) : now();
  if (end <= p_.warmup.ps) return;
  const double seconds = static_cast<double>(end - p_.warmup.ps) * 1e-12;
  std::vector<bool> active(nodes_.size(), p_.active.empty());
  for (auto a : p_.active) active[static_cast<std::size_t>(a)] = true;
  for (std::size_t k = 0; k < nodes_.size(); ++k) {
    if (!active[k]) continue;
    offered_throughput_.add(static_cast<double>(nodes_[k].bytes_offered) / seconds);
    accepted_throughput_.add(static_cast<double>(nodes_[k].bytes_accepted) / seconds);
  }
}

}  // namespace strata::traffic

using strata::PortDir;

STRATA_PLUGIN("traffic", "1.0", "Synthetic NoC traffic generators",
              strata::component<strata::traffic::Traffic, strata::traffic::TrafficParams>("workload.traffic")
                  .summary("Synthetic traffic (uniform, transpose, bit complement, hotspot, neighbour) through NIs")
                  .description("Per node: Bernoulli, Poisson or periodic injection of TransferRequests of `size` "
                               "bytes to a pattern's destination, from the node's own random stream; runs for "
                               "`duration` and/or `count` transfers, drains, then ends the simulation. Patterns "
                               "after Dally & Towles 2004, sec. 3.2.")
                  .multi_port("nis", PortDir::inout, "xfer", "one network interface per node (fanout in grid order)")
                  .counter("transfers_offered", "count", "transfers generated")
                  .counter("transfers_completed", "count", "transfers answered with status ok")
                  .counter("transfers_failed", "count", "transfers answered with another status")
                  .counter("bytes_offered", "B", "bytes generated")
                  .counter("bytes_accepted", "B", "bytes whose transfer completed inside the measurement window")
                  .counter("arrivals", "count", "arrival notices (arrived = true) from destination NIs")
                  .accumulator("latency", "ps", "issue to last byte arrived (completed_at - issued_at)")
                  .histogram("latency_histogram", "ps", "the same, binned")
                  .accumulator("offered_throughput", "B/s", "offered load per active node over [warmup, end)")
                  .accumulator("accepted_throughput", "B/s", "accepted load per active node over [warmup, end)")
                  .counter("bytes_arrived", "B", "bytes of the transfers destination NIs reported arrived")
                  .accumulator("node_arrival_error", "B",
                               "one sample per node at the end: bytes addressed to it minus bytes its NI reported "
                               "arrived (0 everywhere after a drained run: nothing lost or duplicated)")
                  .accumulator("node_completion_error", "B",
                               "one sample per node at the end: bytes it issued minus bytes answered ok"))
