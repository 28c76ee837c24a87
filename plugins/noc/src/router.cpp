#include "router.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace strata::noc {

void RouterParams::declare(ParamSpec<RouterParams>& s) {
  using P = RouterParams;
  const ModelFields<P> field{s};
  field("clock", &P::frequency, "router clock: pipeline stages and one flit per cycle per output");
  field("pipeline", &P::pipeline, "per-hop pipeline latency of the head, cycles").range(0, 1000);
  field("flit_width", &P::width_bits, "flit (and link) width, bits").range(8, 1 << 16);
  field("vcs", &P::vcs, "virtual channels per input port (a torus with routing = dor needs >= 2)").range(1, kMaxVcs);
  field("vc_depth", &P::vc_depth, "input buffer depth per VC, packets").range(1, 65535);
  field("routing", &P::routing,
        "dor: dimension order on a full mesh/torus (grid indices); table: up*/down* on any graph")
      .choices({"dor", "table"});
  field("fidelity", &P::fidelity,
        "flit: packets with credits and VC arbitration; message: a transfer crosses each link as one "
        "event, contention by link reservation (set alike on every noc.router and noc.ni)")
      .choices({kFlitLevel, kMessageLevel});
  field("buffer_write", &P::buffer_write_per_bit, "input-buffer write energy per bit").min(0);
  field("buffer_read", &P::buffer_read_per_bit, "input-buffer read energy per bit").min(0);
  field("crossbar", &P::crossbar_per_bit, "crossbar traversal energy per bit").min(0);
  field("arbitration", &P::switch_arbitration_per_flit, "switch arbitration energy per flit").min(0);
  field("vc_allocation", &P::vc_allocation_per_packet, "VC allocation energy per packet").min(0);
  field("static_power", &P::static_power, "leakage and clock power").min(0);
  field("planar_link", &P::planar_link, "planar wire energy per bit per grid step of the link").min(0);
  field("tsv_capacitance", &P::capacitance, "capacitance of one TSV, F (Atleus: 37 fF)").min(0);
  field("tsv_resistance", &P::resistance, "resistance of one TSV, ohm (Atleus: 20 mOhm)").min(0);
  field("vdd", &P::vdd, "link supply voltage, V").min(0);
  field("activity", &P::activity, "probability of a 0->1 transition per transferred bit").range(0, 1);
  field("driver_resistance", &P::driver_resistance, "TSV driver output resistance, ohm").min(0);
  field("load_capacitance", &P::load_capacitance, "TSV receiver input capacitance, F").min(0);
  field("tsv_delay", &P::tsv_delay, "add the TSV's Elmore delay to the link latency of vertical and skip links");
  s.preset("atleus", "Atleus NoC: up*/down* tables over chains, mesh, TSVs and skip TSVs",
           [](RouterParams& p) { p.routing = "table"; });
}

Router::Router(const ComponentContext& ctx)
    : Component(ctx),
      p_(ctx.params<RouterParams>()),
      cycle_(p_.frequency.period()),
      wake_(&event_port<&Router::on_wake>(this, "wake")),
      buffer_write_(Energy{p_.buffer_write_per_bit.joules * static_cast<double>(p_.width_bits)}),
      buffer_read_(Energy{p_.buffer_read_per_bit.joules * static_cast<double>(p_.width_bits)}),
      crossbar_(Energy{p_.crossbar_per_bit.joules * static_cast<double>(p_.width_bits)}),
      arbitration_(p_.switch_arbitration_per_flit),
      vc_allocation_(p_.vc_allocation_per_packet),
      wire_planar_(Energy{0}),
      wire_tsv_(Energy{0}) {
  on_receive<&Router::receive>("port", this);
  stat("packets", packets_);
  stat("flits", flits_);
  stat("credit_stalls", credit_stalls_);
  stat("credit_stall_time", credit_stall_time_);
  stat("port_utilisation", port_utilisation_);
  stat("buffer_occupancy", buffer_occupancy_);
  stat("router_latency", router_latency_);
  energy("buffer_write", buffer_write_);
  energy("buffer_read", buffer_read_);
  energy("crossbar", crossbar_);
  energy("arbitration", arbitration_);
  energy("vc_allocation", vc_allocation_);
  energy("link", wire_planar_);
  energy("tsv", wire_tsv_);
  set_static_power(p_.static_power);
  table_ = p_.routing == "table";
  message_ = p_.fidelity == kMessageLevel;
}

void Router::init() {
  ports_ = ports("port");
  map_ = NetworkMap::of(system());
  id_ = map_->router_id(name());
  in_.resize(ports_.size());
  out_.resize(ports_.size());
  for (std::size_t k = 0; k < ports_.size(); ++k) {
    in_[k].vc.resize(static_cast<std::size_t>(p_.vcs));
    if (message_) {
      in_[k].vc_free.assign(static_cast<std::size_t>(p_.vcs), 0);
      in_[k].waiting.resize(static_cast<std::size_t>(p_.vcs));
    }
    out_[k].credits.assign(static_cast<std::size_t>(p_.vcs), static_cast<std::uint32_t>(p_.vc_depth));
  }
  setup_routing();
  setup_links();
  for (auto& port : ports_) {
    if (!port.connected()) continue;
    if (port.bandwidth() > 0)
      throw ConfigError(name() + "." + port.name() +
                        ": a noc link must not set a bandwidth: the router serialises packets itself "
                        "(flit_width bits per clock cycle)");
    auto c = make<Credit>();
    c->kind = Credit::Kind::config;
    c->vcs = static_cast<std::uint16_t>(p_.vcs);
    c->depth = static_cast<std::uint32_t>(p_.vc_depth);
    c->message_level = message_;
    port.send(std::move(c));
  }
}

void Router::setup_routing() {
  if (table_) {
    try {
      (void)map_->updown();
    } catch (const std::exception& e) {
      throw ConfigError(name() + ": routing = \"table\": " + e.what());
    }
    return;
  }
  if (!map_->has_grid())
    throw ConfigError(name() + ": routing = \"dor\" needs routers on a grid: " + map_->grid_error() +
                      " (use routing = \"table\" for other graphs)");
  const DorConfig& cfg = map_->dor();
  me_ = map_->coord(id_);
  for (const auto& n : map_->neighbours(id_)) coord_port_.emplace_back(map_->coord(n.router), n.port);
  bool torus = false;
  for (int d = 0; d < 3; ++d) torus = torus || dor_dimension_wraps(cfg, d);
  classes_ = torus ? 2 : 1;
  if (torus && p_.vcs < 2)
    throw ConfigError(name() + ": a torus with routing = \"dor\" needs vcs >= 2 (dateline VC classes)");
  // Every neighbour DOR may ask for must be linked, and each port's arrival direction known.
  auto get = [](Coord c, int d) { return d == 0 ? c.x : d == 1 ? c.y : c.z; };
  auto size = [&](int d) { return d == 0 ? cfg.dims.x : d == 1 ? cfg.dims.y : cfg.dims.z; };
  for (int d = 0; d < 3; ++d) {
    for (int dir : {-1, +1}) {
      int v = get(me_, d) + dir;
      if (dor_dimension_wraps(cfg, d)) v = (v + size(d)) % size(d);
      if (v < 0 || v >= size(d)) continue;
      Coord want = me_;
      (d == 0 ? want.x : d == 1 ? want.y : want.z) = v;
      bool found = std::any_of(coord_port_.begin(), coord_port_.end(), [&](auto& cp) { return cp.first == want; });
      if (!found)
        throw ConfigError(name() + ": routing = \"dor\" needs a full mesh or torus: no link to the router at (" +
                          std::to_string(want.x) + "," + std::to_string(want.y) + "," + std::to_string(want.z) +
                          "); use routing = \"table\"");
    }
  }
  for (const auto& [c, port] : coord_port_) {
    for (int d = 0; d < 3; ++d) {
      int a = get(c, d), b = get(me_, d);
      if (a == b) continue;
      // travelling from the neighbour (a) to me (b): + when b follows a on the ring/line
      int k = size(d);
      bool plus = dor_dimension_wraps(cfg, d) ? (a + 1) % k == b : a + 1 == b;
      in_[port].arrival = DorArrival{d, plus ? +1 : -1, 0};
    }
  }
}

void Router::setup_links() {
  const SystemView& sys = system();
  const auto* mine = sys.find(name());
  for (std::size_t k = 0; k < ports_.size(); ++k) {
    Output& o = out_[k];
    const Port* peer = ports_[k].peer();
    if (!peer) continue;
    const auto* other = sys.find(peer->owner().name());
    o.to_router = other && other->type == "noc.router";
    if (!o.to_router) continue;  // the NI sits next to its router: no modelled wire
    const auto& a = mine->index;
    const auto& b = other->index;
    int dz = a.size() >= 3 && b.size() >= 3 ? std::abs(a[2] - b[2]) : 0;
    if (dz > 0) {
      const RcLinkParams rc = in_series(p_.tsv(), dz);
      o.joules_per_bit = energy_per_bit(rc);
      o.wire = &wire_tsv_;
      if (p_.tsv_delay) o.extra_delay = elmore_delay_ps(rc);
    } else {
      int steps = 0;
      for (std::size_t d = 0; d < std::min<std::size_t>({a.size(), b.size(), 2}); ++d) steps += std::abs(a[d] - b[d]);
      o.joules_per_bit = p_.planar_link.joules * std::max(steps, 1);
      o.wire = &wire_planar_;
    }
  }
}

std::uint8_t Router::class_of(std::uint8_t vc) const {
  return classes_ == 2 && vc >= p_.vcs / 2 ? 1 : 0;
}

void Router::route(const Packet& pkt, std::uint32_t in, std::uint32_t& out, std::uint8_t& cls) const {
  route_to(pkt.dst, in, class_of(pkt.vc), out, cls);
}

void Router::route_to(std::uint32_t dst, std::uint32_t in, std::uint8_t arrival_class, std::uint32_t& out,
                      std::uint8_t& cls) const {
  if (dst >= map_->endpoints() || map_->endpoint(dst).router == kNone)
    throw ModelError(name() + ": packet for endpoint " + std::to_string(dst) + ", which is not a linked noc.ni");
  const auto& at = map_->endpoint(dst);
  cls = 0;
  if (at.router == id_) {
    out = at.port;
    return;
  }
  if (table_) {
    out = map_->updown_port(id_, at.router);
    return;
  }
  DorArrival a = in_[in].arrival;
  if (a.dim != kNoDim) a.vc_class = arrival_class;
  auto hop = dor_next_hop(map_->dor(), me_, map_->coord(at.router), a);
  cls = hop->vc_class;
  for (const auto& [c, port] : coord_port_)
    if (c == hop->next) {
      out = port;
      return;
    }
  throw ModelError(name() + ": DOR next hop has no link");
}

void Router::receive(Port& p, TxnPtr<> t) {
  const auto k = static_cast<std::uint32_t>(p.index());
  if (auto* c = dynamic_cast<Credit*>(t.get())) {
    on_credit(k, *c);
    return;
  }
  if (message_)
    on_message(k, as_level<Message>(std::move(t), name()));
  else
    on_packet(k, as_level<Packet>(std::move(t), name()));
}

// Message level: one event per transfer per hop (and one credit back). A message waits in
// its input VC (FIFO: head-of-line blocking as in the flit level's VCs) until it heads it,
// is ready (pipeline cycles after arrival) and a downstream VC of its class has the slots
// it needs; it then leaves at max(ready, the output's reservation, the departure of the
// message ahead of it), the output is reserved for its flits cycles, and its slots here are
// credited back upstream when its tail has left.
void Router::on_message(std::uint32_t in, TxnPtr<Message> msg) {
  Input& input = in_[in];
  const std::uint32_t v = msg->vc;
  if (v >= p_.vcs)
    throw ModelError(name() + ".port[" + std::to_string(in) + "]: message on VC " + std::to_string(v) +
                     " of " + std::to_string(p_.vcs));
  Waiting w;
  route_to(msg->dst, in, class_of(msg->vc), w.out, w.cls);
  w.arrived = now();
  w.ready = w.arrived + static_cast<Time>(p_.pipeline) * cycle_;
  w.slots = static_cast<std::uint32_t>(std::min<std::uint64_t>(msg->packets, static_cast<std::uint64_t>(p_.vc_depth)));
  buffer_occupancy_.add(static_cast<double>(input.waiting[v].size() + 1));
  w.msg = std::move(msg);
  input.waiting[v].push_back(std::move(w));
  if (input.waiting[v].size() == 1) send_messages(in, v);
}

void Router::send_messages(std::uint32_t in, std::uint32_t v) {
  Input& input = in_[in];
  auto& q = input.waiting[v];
  const Time t = now();
  while (!q.empty()) {
    Waiting& w = q.front();
    Output& out = out_[w.out];
    const std::uint32_t down = pick_vc(out, w.cls, w.slots);
    if (down == kNone) {
      out.blocked.emplace_back(in, v);
      if (!out.stalled) {  // counted when it ends: a credit back before `ready` is no stall
        out.stalled = true;
        out.stall_since = std::max(t, w.ready);
      }
      return;
    }
    const Time start = std::max({t, w.ready, out.busy_until, input.vc_free[v]});
    const Time occupancy = static_cast<Time>(w.msg->flits) * cycle_;
    input.vc_free[v] = start;
    out.busy_until = start + occupancy;
    out.busy_total += occupancy;
    out.credits[down] -= w.slots;
    Message& m = *w.msg;
    packets_ += m.packets;
    flits_ += m.flits;
    buffer_write_.add(m.flits);
    buffer_read_.add(m.flits);
    crossbar_.add(m.flits);
    arbitration_.add(m.flits);
    vc_allocation_.add(m.packets);
    if (out.wire)
      out.wire->add_joules(out.joules_per_bit * static_cast<double>(m.flits) * static_cast<double>(p_.width_bits),
                           m.flits);
    router_latency_.add(static_cast<double>(start - w.arrived));
    m.vc = static_cast<std::uint8_t>(down);
    m.hops = static_cast<std::uint16_t>(m.hops + 1);
    ports_[w.out].send(std::move(w.msg), start - t + out.extra_delay);
    auto credit = make<Credit>();
    credit->vc = static_cast<std::uint8_t>(v);
    credit->count = static_cast<std::uint16_t>(w.slots);
    ports_[in].send(std::move(credit), start + occupancy - t);
    q.pop_front();
  }
}

void Router::on_credit(std::uint32_t out, const Credit& c) {
  if (c.kind == Credit::Kind::config) {
    if (c.message_level != message_)
      throw ModelError(name() + ".port[" + std::to_string(out) + "]: the far end runs fidelity = \"" +
                       (c.message_level ? kMessageLevel : kFlitLevel) + "\", this router \"" + p_.fidelity +
                       "\" (set fidelity alike on every noc.router and noc.ni)");
    if (c.vcs != p_.vcs || c.depth != p_.vc_depth)
      throw ModelError(name() + ".port[" + std::to_string(out) + "]: the far end has " + std::to_string(c.vcs) +
                       " VCs x " + std::to_string(c.depth) + " packets, this router assumes " +
                       std::to_string(p_.vcs) + " x " + std::to_string(p_.vc_depth) +
                       " (set vcs and vc_depth alike on every noc.router and noc.ni)");
    return;
  }
  auto& cr = out_[out].credits[c.vc];
  cr += c.count;
  if (cr > p_.vc_depth) throw ModelError(name() + ": credit overflow on port " + std::to_string(out));
  if (message_) {
    Output& o = out_[out];
    if (o.stalled && now() > o.stall_since) {
      ++credit_stalls_;
      credit_stall_time_ += now() - o.stall_since;
    }
    o.stalled = false;
    auto blocked = std::move(o.blocked);
    o.blocked.clear();
    for (const auto& [in, v] : blocked) send_messages(in, v);
    return;
  }
  kick(out);
  service();
}

void Router::on_packet(std::uint32_t in, TxnPtr<Packet> pkt) {
  Input& input = in_[in];
  if (pkt->vc >= p_.vcs || input.vc[pkt->vc].size() >= static_cast<std::size_t>(p_.vc_depth))
    throw ModelError(name() + ".port[" + std::to_string(in) + "]: packet arrived on VC " + std::to_string(pkt->vc) +
                     " without a free slot (credit protocol broken)");
  Slot s;
  s.flits = static_cast<std::uint32_t>(flit_count(pkt->bytes, p_.width_bits));
  route(*pkt, in, s.out, s.cls);
  s.arrived = now();
  s.ready = now() + static_cast<Time>(p_.pipeline) * cycle_;
  auto& q = input.vc[pkt->vc];
  buffer_write_.add(s.flits);
  ++input.occupancy;
  buffer_occupancy_.add(static_cast<double>(input.occupancy));
  s.pkt = std::move(pkt);
  q.push_back(std::move(s));
  if (q.size() == 1) {
    ++out_[q.front().out].heads;
    ensure_wake(q.front().out, q.front().ready);
  }
  service();
}

void Router::on_wake(TxnPtr<> t) {
  auto o = static_cast<std::uint32_t>(static_cast<Signal*>(t.get())->tag);
  if (out_[o].wake_at == now()) out_[o].wake_at = kTimeMax;
  kick(o);
  service();
}

void Router::ensure_wake(std::uint32_t o, Time t) {
  if (t <= now()) {
    kick(o);
    return;
  }
  Output& out = out_[o];
  if (out.wake_at >= now() && out.wake_at <= t) return;  // an earlier wake is pending
  out.wake_at = t;
  schedule(*wake_, t - now(), o);
}

void Router::kick(std::uint32_t o) {
  if (out_[o].dirty) return;
  out_[o].dirty = true;
  dirty_.push_back(o);
}

void Router::service() {
  while (!dirty_.empty()) {
    std::uint32_t o = dirty_.back();
    dirty_.pop_back();
    out_[o].dirty = false;
    try_output(o);
  }
}

std::uint32_t Router::pick_vc(const Output& o, std::uint8_t cls, std::uint32_t slots) const {
  std::uint32_t lo = 0, hi = static_cast<std::uint32_t>(p_.vcs);
  if (classes_ == 2 && o.to_router) {
    const auto half = static_cast<std::uint32_t>(p_.vcs / 2);
    (cls == 0 ? hi : lo) = half;
  }
  std::uint32_t best = kNone;
  for (std::uint32_t v = lo; v < hi; ++v)
    if (o.credits[v] >= slots && (best == kNone || o.credits[v] > o.credits[best])) best = v;
  return best;
}

void Router::try_output(std::uint32_t o) {
  Output& out = out_[o];
  const Time t = now();
  if (out.busy_until > t) {
    ensure_wake(o, out.busy_until);
    return;
  }
  const auto vcs = static_cast<std::uint32_t>(p_.vcs);
  const auto n = static_cast<std::uint32_t>(in_.size()) * vcs;
  Time earliest = kTimeMax;
  bool blocked = false;
  std::uint32_t winner = kNone, vc_out = kNone;
  for (std::uint32_t step = 0; step < n; ++step) {
    std::uint32_t j = (out.rr + step) % n;
    auto& q = in_[j / vcs].vc[j % vcs];
    if (q.empty() || q.front().out != o) continue;
    const Slot& s = q.front();
    if (s.ready > t) {
      earliest = std::min(earliest, s.ready);
      continue;
    }
    std::uint32_t v = pick_vc(out, s.cls);
    if (v == kNone) {
      blocked = true;
      continue;
    }
    winner = j;
    vc_out = v;
    break;
  }
  if (winner == kNone) {
    if (blocked && !out.stalled) {
      out.stalled = true;
      out.stall_since = t;
      ++credit_stalls_;
    }
    if (earliest != kTimeMax) ensure_wake(o, earliest);
    return;
  }
  if (out.stalled) {
    credit_stall_time_ += t - out.stall_since;
    out.stalled = false;
  }
  const std::uint32_t in = winner / vcs, vc_in = winner % vcs;
  auto& q = in_[in].vc[vc_in];
  Slot s = std::move(q.front());
  q.pop_front();
  --in_[in].occupancy;
  out.rr = (winner + 1) % n;

  const Time occupancy = static_cast<Time>(s.flits) * cycle_;
  out.busy_until = t + occupancy;
  out.busy_total += occupancy;
  --out.credits[vc_out];
  packets_ += 1;
  flits_ += s.flits;
  buffer_read_.add(s.flits);
  crossbar_.add(s.flits);
  arbitration_.add(s.flits);
  vc_allocation_.add();
  if (out.wire) out.wire->add_joules(out.joules_per_bit * static_cast<double>(s.flits) * static_cast<double>(p_.width_bits), s.flits);
  router_latency_.add(static_cast<double>(t - s.arrived));
  s.pkt->vc = static_cast<std::uint8_t>(vc_out);
  s.pkt->hops = static_cast<std::uint16_t>(s.pkt->hops + 1);
  ports_[o].send(std::move(s.pkt), out.extra_delay);

  // The tail leaves the input buffer when the output has sent the last flit.
  auto credit = make<Credit>();
  credit->vc = static_cast<std::uint8_t>(vc_in);
  ports_[in].send(std::move(credit), occupancy);

  --out.heads;
  if (!q.empty()) {
    ++out_[q.front().out].heads;
    ensure_wake(q.front().out, q.front().ready);
  }
  if (out.heads > 0) ensure_wake(o, out.busy_until);
}

void Router::finish() {
  const Time t = now();
  for (auto& o : out_)
    if (o.stalled) {
      if (message_) credit_stalls_ += t > o.stall_since ? 1 : 0;  // counted at its end (send_messages)
      credit_stall_time_ += t > o.stall_since ? t - o.stall_since : 0;
      o.stalled = false;
    }
  for (std::size_t k = 0; k < ports_.size(); ++k) {
    if (!ports_[k].connected() || t == 0) continue;
    port_utilisation_.add(static_cast<double>(std::min(out_[k].busy_total, t)) / static_cast<double>(t));
  }
}

}  // namespace strata::noc
