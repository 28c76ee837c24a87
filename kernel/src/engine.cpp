// engine.cpp - event loop, wiring, and the SDK's out-of-line Component/Port/Clock code.
#include "engine.hpp"

#include "trace_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <thread>
#include <map>
#include <new>
#include <unordered_map>

namespace strata {
namespace detail {

const char* to_string(StopReason r) {
  switch (r) {
    case StopReason::empty_queue: return "empty-queue";
    case StopReason::end_time: return "end-time";
    case StopReason::event_budget: return "event-budget";
    case StopReason::requested: return "requested";
    case StopReason::error: return "error";
  }
  return "?";
}

void post(EngineCore* partition, Transaction* t) { static_cast<Partition*>(partition)->queue.push(t); }

__attribute__((tls_model("initial-exec"))) constinit thread_local SendQueue* tls_send_queue = nullptr;

void complete_oldest_send(SendQueue& q) { PortWiring::complete_next(q); }

void complete_sends_before(SendQueue& q, const Port* p) {
  for (std::uint32_t i = q.head; i != q.tail; ++i)
    if (q.ring[i % SendQueue::kCapacity].port == p) {
      while (q.head != q.tail) PortWiring::complete_next(q);
      return;
    }
}

void flush_sends() {
  if (SendQueue* q = tls_send_queue)
    while (q->head != q->tail) PortWiring::complete_next(*q);
}

void post_remote(EngineCore* partition, std::uint16_t to, Transaction* t) {
  auto* part = static_cast<Partition*>(partition);
  const Time when = EventAccess::time(*t);
  if (when < part->outbox_min[part->parity]) part->outbox_min[part->parity] = when;
  part->outbox[part->parity][to].push_back(t);
}

void throw_unconnected(const Port& p) {
  throw ModelError(fmt::format("{}: port '{}' is not connected (link it in the topology)", p.owner().name(), p.name()));
}

void throw_bad_cast(const Transaction& t, const char* wanted) {
  throw ModelError(fmt::format("received a '{}' transaction where a {} was expected (ports of incompatible "
                               "protocols linked?)",
                               t.type_name(), wanted));
}

// ---- wiring ----
int PortWiring::decl_index(const Component& c, std::string_view name, bool multi) {
  const auto& ports = c.d_->decl_->ports;
  for (std::size_t i = 0; i < ports.size(); ++i)
    if (ports[i].name == name && ports[i].multi == multi) return static_cast<int>(i);
  return -1;
}

PortWiring::Location PortWiring::locate(const Port& p) {
  const Component& c = *p.owner_;
  for (std::size_t i = 0; i < c.d_->slots_.size(); ++i) {
    const auto& slot = c.d_->slots_[i];
    if (slot.single == &p) return {Location::Kind::single, static_cast<int>(i), -1};
    if (&p >= slot.block && &p < slot.block + slot.count)
      return {Location::Kind::element, static_cast<int>(i), static_cast<int>(&p - slot.block)};
  }
  for (const auto& e : c.d_->event_ports_)
    if (e.port == &p) return {Location::Kind::event, e.name, -1};
  throw std::logic_error("strata: a port not owned by its component");  // kernel bug
}

Handler PortWiring::own_handler(const Port& p) {
  if (p.peer_ == &p) return p.peer_handler_;  // an event port
  return p.owner_->d_->slots_[locate(p).decl].handler;
}

std::uint32_t PortWiring::bw_slot(const Port& p) {
  return bandwidth_limited(p) ? p.owner_->d_->engine_->bw_slot(p) : 0;
}

void PortWiring::connect(Port& a, Port& b, Time latency) {
  if (latency > Port::kMaxLatency)
    throw ConfigError(fmt::format("{}.{} -> {}.{}: link latency {} ps is above the longest a port holds ({} ps)",
                                  a.owner().name(), a.name(), b.owner().name(), b.name(), latency, Port::kMaxLatency));
  a.peer_ = &b;
  b.peer_ = &a;
  for (Port* p : {&a, &b}) p->link_ = (p->link_ & ~Port::kLatencyMask) | latency;
  a.peer_handler_ = own_handler(b);
  b.peer_handler_ = own_handler(a);
}

void PortWiring::reserve(Component& c, std::string_view name, std::size_t n) {
  int i = decl_index(c, name, true);
  if (i < 0) throw ConfigError(fmt::format("{}: '{}' is not a multi-port", c.name(), name));
  auto& slot = c.d_->slots_[i];
  if (n <= slot.capacity) return;
  // A grown block moves ports: peers inside the block are rebased, peers outside get
  // their back-pointer updated (every link is symmetric).
  auto* nb = static_cast<Port*>(allocate_link_ports(sizeof(Port) * n));
  Port* ob = slot.block;
  for (std::uint32_t k = 0; k < slot.count; ++k) {
    Port* np = new (&nb[k]) Port(c);
    const Port& op = ob[k];
    np->peer_ = op.peer_;
    np->peer_handler_ = op.peer_handler_;
    np->link_ = op.link_;
    np->seq_ = op.seq_;
    np->source_ = op.source_;
    if (bandwidth_limited(op)) c.d_->engine_->move_bw_slot(op, *np);
  }
  for (std::uint32_t k = 0; k < slot.count; ++k) {
    Port* np = &nb[k];
    if (np->peer_ >= ob && np->peer_ < ob + slot.count)
      np->peer_ = nb + (np->peer_ - ob);
    else if (np->peer_)
      np->peer_->peer_ = np;
  }
  if (ob) {
    for (std::uint32_t k = 0; k < slot.count; ++k) ob[k].~Port();
    release_link_ports(ob, sizeof(Port) * slot.capacity);
  }
  slot.block = nb;
  slot.capacity = static_cast<std::uint32_t>(n);
}

Port& PortWiring::add_multi_element(Component& c, std::string_view name) {
  int i = decl_index(c, name, true);
  if (i < 0) throw ConfigError(fmt::format("{}: '{}' is not a multi-port", c.name(), name));
  auto& slot = c.d_->slots_[i];
  if (slot.count == slot.capacity) reserve(c, name, slot.capacity < 4 ? 4 : 2 * static_cast<std::size_t>(slot.capacity));
  auto k = slot.count++;
  return *new (&slot.block[k]) Port(c);
}

std::size_t PortWiring::element_count(Component& c, std::string_view name) {
  int i = decl_index(c, name, true);
  if (i < 0) throw ConfigError(fmt::format("{}: '{}' is not a multi-port", c.name(), name));
  return c.d_->slots_[i].count;
}

Port* PortWiring::find_port(Component& c, std::string_view name, int index) {
  if (index < 0) {
    int i = decl_index(c, name, false);
    return i < 0 ? nullptr : c.d_->slots_[i].single;
  }
  int i = decl_index(c, name, true);
  if (i < 0 || index >= static_cast<int>(c.d_->slots_[i].count)) return nullptr;
  return &c.d_->slots_[i].block[index];
}

std::vector<Port*> PortWiring::all_ports(Component& c) {
  // creation order: declared ports (single, or every element) by declaration, then event
  // ports; this order defines source ids
  std::vector<Port*> v;
  for (auto& slot : c.d_->slots_) {
    if (slot.single) v.push_back(slot.single);
    for (std::uint32_t k = 0; k < slot.count; ++k) v.push_back(&slot.block[k]);
  }
  for (const auto& e : c.d_->event_ports_) v.push_back(e.port);
  return v;
}

void PortWiring::free_ports(Component& c) {
  for (auto& slot : c.d_->slots_) {
    if (slot.block) {
      for (std::uint32_t k = 0; k < slot.count; ++k) slot.block[k].~Port();
      release_link_ports(slot.block, sizeof(Port) * slot.capacity);
      slot.block = nullptr;
      slot.count = slot.capacity = 0;
    }
    if (slot.single) {
      slot.single->~Port();
      release_link_ports(slot.single, sizeof(Port));
      slot.single = nullptr;
    }
  }
  for (const auto& e : c.d_->event_ports_) {
    e.port->~Port();
    pool_release(e.port, sizeof(Port));
  }
  c.d_->event_ports_.clear();
}

void PortWiring::mark_remote(Port& p) {
  if (!p.peer_ || p.peer_ == &p) return;
  auto* mine = static_cast<Partition*>(p.owner_->core_);
  auto* theirs = static_cast<Partition*>(p.peer_->owner_->core_);
  const std::uint64_t to = mine == theirs ? Port::kLocal : theirs->id;
  p.link_ = (p.link_ & ~(std::uint64_t{Port::kLocal} << Port::kPartitionShift)) | (to << Port::kPartitionShift);
}

Time serialise(Port& p, const Transaction& t, Time ready) {
  // One transaction at a time per direction, in send order: it starts when the previous
  // one has left, and its last byte leaves wire_bytes / bandwidth later.
  LinkState& ls = p.owner().engine_for_kernel()->link_state(PortWiring::bw_slot(p));
  Time start = ready > ls.busy_until ? ready : ls.busy_until;
  ls.busy_until = start + Bandwidth{ls.bytes_per_s}.transfer_time(t.wire_bytes());
  return ls.busy_until;
}

// ---- engine ----
Engine::Engine(std::uint64_t seed) : seed_(seed) {
  parts_.push_back(std::make_unique<Partition>());
  for (auto& box : parts_[0]->outbox) box.resize(1);
}

Engine::~Engine() {
  // Pending transactions may have vtables in plugin libraries: free them first, then the
  // components, then (member order) the libraries.
  for (auto& p : parts_) {
    p->queue.drain([](Transaction* t) { delete t; });
    for (auto& boxes : p->outbox)
      for (auto& box : boxes)
        for (Transaction* t : box) delete t;
  }
  components_.clear();
}

std::uint64_t Engine::events() const {
  std::uint64_t n = 0;
  for (const auto& p : parts_) n += p->events;
  return n;
}

std::vector<ProfileRow> Engine::profile() const {
  std::map<std::pair<std::string, std::string>, ProfileRow> by;
  for (const auto& part : parts_)
    for (const auto& [port, prof] : part->profile) {
      std::string name = port->name();
      if (auto bracket = name.find('['); bracket != std::string::npos) name.resize(bracket);
      auto& row = by[{port->owner().type(), name}];
      row.events += prof.events;
      row.seconds += static_cast<double>(prof.nanoseconds) * 1e-9;
    }
  std::vector<ProfileRow> rows;
  for (auto& [key, row] : by) {
    row.type = key.first;
    row.port = key.second;
    rows.push_back(std::move(row));
  }
  std::stable_sort(rows.begin(), rows.end(), [](const ProfileRow& a, const ProfileRow& b) { return a.events > b.events; });
  return rows;
}

void Engine::set_partition_hint(const Component& c, int partition) { hints_[&c] = partition; }

Component& Engine::add_component(const ComponentDecl& decl, std::string name, std::vector<int> index,
                                 std::shared_ptr<const ParamSet> params, std::shared_ptr<void> keepalive) {
  if (finalized_) throw ConfigError("components cannot be added after the system is finalized");
  if (index.size() > 4) throw ConfigError(fmt::format("{}: grids have at most 4 dimensions", name));
  if (keepalive && (keepalive_.empty() || keepalive_.back() != keepalive)) keepalive_.push_back(std::move(keepalive));
  if (!params) params = std::make_shared<const ParamSet>();
  if (param_sets_.empty() || param_sets_.back() != params) param_sets_.push_back(params);
  ComponentContext ctx;
  ctx.name_ = std::move(name);
  ctx.type_ = decl.type;
  ctx.index_ = std::move(index);
  ctx.seed_ = seed_;
  ctx.decl_ = &decl;
  ctx.params_ = params.get();
  ctx.engine_ = this;
  auto c = decl.factory(ctx);
  if (!c) throw ConfigError(fmt::format("{}: factory of type '{}' returned no component", ctx.name_, decl.type));
  components_.push_back(std::move(c));
  return *components_.back();
}

void* Engine::allocate_port(bool event_port) {
  return event_port ? pool_allocate(sizeof(Port)) : allocate_link_ports(sizeof(Port));
}

std::uint32_t Engine::bw_slot(const Port& p) const {
  if (!bw_by_source_.empty()) {
    auto src = PortWiring::source(p);
    return src < bw_by_source_.size() ? bw_by_source_[src] : 0;
  }
  auto it = bw_by_port_.find(&p);
  return it == bw_by_port_.end() ? 0 : it->second;
}

void Engine::move_bw_slot(const Port& from, const Port& to) {
  auto it = bw_by_port_.find(&from);
  if (it == bw_by_port_.end()) return;
  auto slot = it->second;
  bw_by_port_.erase(it);
  bw_by_port_[&to] = slot;
}

std::uint16_t Engine::intern_event_name(std::string_view name) {
  for (std::size_t i = 0; i < event_names_.size(); ++i)
    if (event_names_[i] == name) return static_cast<std::uint16_t>(i);
  if (event_names_.size() >= 65535) throw ConfigError("too many distinct event-port names (limit 65535)");
  event_names_.emplace_back(name);
  return static_cast<std::uint16_t>(event_names_.size() - 1);
}

Component* Engine::find(std::string_view name) const {
  for (auto& c : components_)
    if (c->name() == name) return c.get();
  return nullptr;
}

void Engine::connect(Port& a, Port& b, Time latency, double bytes_per_s) {
  PortWiring::connect(a, b, latency);
  if (bytes_per_s > 0) {
    a.link_ |= Port::kBandwidthBit;
    bw_by_port_[&a] = static_cast<std::uint32_t>(link_states_.size());
    link_states_.push_back({bytes_per_s, 0});
    b.link_ |= Port::kBandwidthBit;
    bw_by_port_[&b] = static_cast<std::uint32_t>(link_states_.size());
    link_states_.push_back({bytes_per_s, 0});
  }
}

const SystemView& Engine::system() {
  std::call_once(system_once_, [this] { build_system_view(); });
  return system_;
}

void Engine::build_system_view() {
  std::vector<Component*> order;
  for (auto& c : components_) order.push_back(c.get());
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->name() < b->name(); });
  for (auto* c : order) {
    system_.components.push_back({c->name(), c->type(), std::vector<int>(c->index().begin(), c->index().end())});
    for (Port* p : PortWiring::all_ports(*c)) {
      const Port* q = p->peer();
      if (!q || q == p || q->owner().name() < c->name() || (q->owner().name() == c->name() && q < p)) continue;
      auto bw = PortWiring::bw_slot(*p) ? link_states_[PortWiring::bw_slot(*p)].bytes_per_s : 0.0;
      system_.links.push_back({{c->name(), p->name()}, {q->owner().name(), q->name()}, p->latency(), bw});
    }
  }
}

void Engine::finalize() {
  if (finalized_) return;
  finalized_ = true;
  // Source ids by (component name, port creation order): independent of TOML order and of
  // partitioning, which is what makes the tie order partition-independent.
  std::vector<Component*> order;
  for (auto& c : components_) order.push_back(c.get());
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->name() < b->name(); });
  for (auto* c : order)
    for (auto* p : PortWiring::all_ports(*c)) PortWiring::set_source(*p, next_source_id());
  // Bandwidth slots by source id from now on (a vector index on every limited send).
  if (!bw_by_port_.empty()) {
    bw_by_source_.assign(next_source_, 0);
    for (const auto& [port, slot] : bw_by_port_) bw_by_source_[PortWiring::source(*port)] = slot;
    bw_by_port_.clear();
  }
  // The window of every run is the smallest link latency in the whole system, not only of
  // the links a partitioning cuts: then window boundaries, and with them the points where
  // end_simulation() and the event budget take effect, are the same at any thread count.
  bool zero_latency_link = false;  // only Engine::connect makes one (the builder refuses it)
  for (auto* c : order)
    for (auto* p : PortWiring::all_ports(*c))
      if (p->peer() && p->peer() != p) {
        if (p->latency() > 0)
          lookahead_ = std::min(lookahead_, p->latency());
        else
          zero_latency_link = true;
      }
  // partitions
  const int ranks = ranks_ ? ranks_->ranks() : 1;
  if (static_cast<long>(threads_) * ranks >= Port::kLocal)
    throw ConfigError(fmt::format("{} threads x {} ranks: at most {} partitions", threads_, ranks, Port::kLocal - 1));
  const int n = std::max(1, std::min<int>(threads_ * ranks, static_cast<int>(std::max<std::size_t>(1, components_.size()))));
  while (static_cast<int>(parts_.size()) < n) parts_.push_back(std::make_unique<Partition>());
  for (std::size_t k = 0; k < parts_.size(); ++k) {
    parts_[k]->id = static_cast<std::uint16_t>(k);
    for (auto& boxes : parts_[k]->outbox) boxes.assign(parts_.size(), {});
    // with ranks, each owns a contiguous run of partitions (neighbouring slabs of a grid)
    parts_[k]->local = !ranks_ || static_cast<int>(k * static_cast<std::size_t>(ranks) / parts_.size()) == ranks_->rank();
    // Deferred link sends (component.hpp, SendQueue) rely on every link event arriving at
    // or after the end of the window it was sent in: true when every link has a latency
    // (>= the lookahead, the window's length).
    auto& sq = parts_[k]->sends;
    sq.core = parts_[k].get();
    sq.ports_begin = link_port_region_begin();
    sq.ports_bytes = link_port_region_bytes();
    parts_[k]->defer_sends = !zero_latency_link && lookahead_ != kTimeMax && sq.ports_bytes > 0;
    // an event sent at least one window length ahead runs in a later window
    sq.horizon = parts_[k]->defer_sends ? lookahead_ : kTimeMax;
  }
  if (ranks_) {
    port_by_source_.assign(next_source_, nullptr);
    for (auto* c : order)
      for (auto* p : PortWiring::all_ports(*c)) port_by_source_[PortWiring::source(*p)] = p;
  }
  if (n > 1) {
    // Automatic partitioning by position: an element of a grid goes to the partition of its
    // place in that grid (contiguous slabs, x fastest, so the last dimension is cut first),
    // so the router, NI and core of one tile share a partition and every kind of component
    // is spread evenly over the threads. Components outside grids are placed by weight and
    // by where their neighbours are (below). A partition hint overrides both.
    std::map<std::string_view, std::array<int, 4>> extent;  // grid name -> size per dimension
    auto base = [](const Component& c) {
      std::string_view name = c.name();
      return name.substr(0, name.find('['));
    };
    for (auto& c : components_) {
      auto idx = c->index();
      if (idx.empty()) continue;
      auto& e = extent.try_emplace(base(*c), std::array<int, 4>{1, 1, 1, 1}).first->second;
      for (std::size_t d = 0; d < idx.size(); ++d) e[d] = std::max(e[d], idx[d] + 1);
    }
    // Weight of a component: its linked ports plus one, a static stand-in for its share of
    // the events (a 7-port router works more than a 2-port NI). Grids are cut evenly (all
    // elements of a grid weigh alike); hints are obeyed; then the loose components go,
    // heaviest first, to the partition holding most of their already placed neighbours
    // (fewer cut links), among those still under the average load, else the lightest.
    auto weight = [](Component& c) {
      std::uint64_t w = 1;
      for (Port* p : PortWiring::all_ports(c)) w += p->connected() && p->peer() != p;
      return w;
    };
    std::vector<std::uint64_t> load(static_cast<std::size_t>(n), 0);
    std::uint64_t total = 0;
    std::vector<Component*> loose;
    std::unordered_map<const Component*, char> placed;
    std::unordered_map<const Component*, std::uint64_t> weights;  // computed once each
    for (auto* c : order) {
      const std::uint64_t w = weights[c] = weight(*c);
      total += w;
      std::size_t k;
      auto idx = c->index();
      if (auto it = hints_.find(c); it != hints_.end()) {
        k = static_cast<std::size_t>(it->second) % static_cast<std::size_t>(n);
      } else if (!idx.empty()) {
        const auto& e = extent.at(base(*c));
        std::uint64_t linear = 0, size = 1;
        for (std::size_t d = idx.size(); d-- > 0;) linear = linear * static_cast<std::uint64_t>(e[d]) + static_cast<std::uint64_t>(idx[d]);
        for (std::size_t d = 0; d < idx.size(); ++d) size *= static_cast<std::uint64_t>(e[d]);
        k = static_cast<std::size_t>(linear * static_cast<std::uint64_t>(n) / size);
      } else {
        loose.push_back(c);
        continue;
      }
      PortWiring::set_partition(*c, parts_[k].get());
      load[k] += w;
      placed[c] = 1;
    }
    std::stable_sort(loose.begin(), loose.end(), [&](Component* a, Component* b) { return weights[a] > weights[b]; });
    const std::uint64_t average = (total + static_cast<std::uint64_t>(n) - 1) / static_cast<std::uint64_t>(n);
    for (auto* c : loose) {
      const std::uint64_t w = weights[c];
      std::vector<std::uint64_t> links(static_cast<std::size_t>(n), 0);
      for (Port* p : PortWiring::all_ports(*c)) {
        if (!p->connected() || p->peer() == p) continue;
        const Component& other = p->peer()->owner();
        if (&other != c && placed.count(&other))
          ++links[static_cast<const Partition*>(PortWiring::partition(other))->id];
      }
      std::size_t best = 0;
      auto better = [&](std::size_t a, std::size_t b) {  // is a a better home than b?
        const bool room_a = load[a] + w <= average, room_b = load[b] + w <= average;
        if (room_a != room_b) return room_a;
        if (room_a && links[a] != links[b]) return links[a] > links[b];
        return load[a] < load[b];
      };
      for (std::size_t k = 1; k < load.size(); ++k)
        if (better(k, best)) best = k;
      PortWiring::set_partition(*c, parts_[best].get());
      load[best] += w;
      placed[c] = 1;
    }
    for (auto* c : order)
      for (auto* p : PortWiring::all_ports(*c)) PortWiring::mark_remote(*p);
  }
}

void Engine::enable_trace(std::unique_ptr<TraceWriter> writer) {
  tracer_ = std::move(writer);
  if (tracer_ && ranks_) tracer_->set_hold(true);  // rank 0 writes every rank's spans at the end
  for (auto& c : components_) c->tracing_ = tracer_ != nullptr;
}

void Engine::init() {
  finalize();
  if (!ranks_) {
    for (auto& c : components_) c->init();
    return;
  }
  // Only the components this rank runs start (each event exists once in the job). A
  // failure is kept for run(), which every rank enters, so no rank waits alone in a
  // collective for one that gave up.
  try {
    for (auto& c : components_)
      if (is_local(*c)) c->init();
  } catch (...) {
    init_error_ = std::current_exception();
  }
}

bool Engine::is_local(const Component& c) const {
  return static_cast<const Partition*>(PortWiring::partition(c))->local;
}

// Events for another rank's partitions, sent in the window of `parity`: serialized (target
// port by source id, the full order key, the type's name and payload), exchanged, and
// delivered here into the destination partitions' queues. Runs single-threaded (plan).
void Engine::exchange_remote(unsigned parity) {
  const int ranks = ranks_->ranks();
  std::vector<ByteBuffer> out(static_cast<std::size_t>(ranks));
  // A transaction that cannot serialize is dropped and its error raised after the exchange:
  // the exchange is a collective, and every rank must take part in it.
  std::exception_ptr failure;
  for (auto& src : parts_) {
    if (!src->local) continue;
    for (auto& dst : parts_) {
      if (dst->local) continue;
      auto& box = src->outbox[parity][dst->id];
      auto& buf = out[static_cast<std::size_t>(dst->id * static_cast<std::size_t>(ranks) / parts_.size())];
      for (Transaction* t : box) {
        TxnPtr<> owned(t);
        ByteBuffer payload;
        try {
          t->serialize(payload);
        } catch (...) {
          if (!failure) failure = std::current_exception();
          continue;
        }
        buf.put(PortWiring::source(*EventAccess::target(*t)));
        buf.put(EventAccess::time(*t));
        buf.put(static_cast<std::uint32_t>(EventAccess::tie_major(*t) & 0xFFFFFFFFu));
        buf.put(EventAccess::tie_minor(*t));
        buf.put(static_cast<std::uint8_t>(EventAccess::tie_major(*t) >> 32));
        buf.put_string(t->type_name());
        buf.put(static_cast<std::uint32_t>(payload.bytes().size()));
        buf.bytes().insert(buf.bytes().end(), payload.bytes().begin(), payload.bytes().end());
      }
      box.clear();
    }
  }
  std::vector<std::vector<unsigned char>> bytes(out.size());
  for (std::size_t k = 0; k < out.size(); ++k) bytes[k] = std::move(out[k].bytes());
  auto in = ranks_->exchange(bytes);
  for (auto& received : in) {
    ByteBuffer buf;
    buf.bytes() = std::move(received);
    while (buf.remaining() > 0) {
      const auto target_id = buf.get<std::uint32_t>();
      const auto time = buf.get<Time>();
      const auto source = buf.get<std::uint32_t>();
      const auto seq = buf.get<std::uint32_t>();
      const auto priority = buf.get<std::uint8_t>();
      const std::string type = buf.get_string();
      const auto size = buf.get<std::uint32_t>();
      if (target_id >= port_by_source_.size() || !port_by_source_[target_id])
        throw ModelError(fmt::format("an event from another rank names port {}, which does not exist here", target_id));
      Port* target = port_by_source_[target_id];
      TxnPtr<> t(make_transaction(type));
      if (!t)
        throw ModelError(fmt::format("a '{}' arrived from another rank, but no loaded plugin registers that "
                                     "transaction type (STRATA_TRANSACTION_TYPE)", type));
      ByteBuffer payload;
      payload.bytes().resize(size);
      buf.read(payload.bytes().data(), size);
      t->deserialize(payload);
      EventAccess::stamp(*t, target, PortWiring::own_handler(*target), time, source, seq, priority);
      static_cast<Partition*>(target->owner().core_)->queue.push(t.release());
    }
  }
  if (failure) std::rethrow_exception(failure);
}

namespace {

// The barrier between windows. Windows are short (one smallest link latency of simulated
// time, often a handful of events per partition), so a futex per window (std::barrier)
// costs more than the window: waiters spin first, then yield (other threads may need this
// core when there are more partitions than cores), and only then sleep. The last thread to
// arrive runs the completion step (plan the next window) before releasing the others.
class WindowBarrier {
 public:
  // Spinning only pays when every partition has a core of its own.
  explicit WindowBarrier(unsigned n) : n_(n), spins_(n <= std::thread::hardware_concurrency() ? 4096 : 0) {}
  template <class F>
  void arrive_and_wait(F& completion) {
    const unsigned gen = generation_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == n_) {
      arrived_.store(0, std::memory_order_relaxed);
      completion();
      generation_.store(gen + 1, std::memory_order_release);
      generation_.notify_all();
      return;
    }
    for (int i = 0; i < spins_; ++i) {
      if (generation_.load(std::memory_order_acquire) != gen) return;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    for (int i = 0; i < 64; ++i) {
      if (generation_.load(std::memory_order_acquire) != gen) return;
      std::this_thread::yield();
    }
    while (generation_.load(std::memory_order_acquire) == gen) generation_.wait(gen, std::memory_order_acquire);
  }

 private:
  const unsigned n_;
  const int spins_;
  alignas(64) std::atomic<unsigned> arrived_{0};
  alignas(64) std::atomic<unsigned> generation_{0};
};

// Deliver one event; the caller has checked its time against the window. With Profile,
// count it and time its handler against the receiving port (steady_clock: ~20 ns a call,
// paid only by `--profile` runs).
template <bool Profile>
[[gnu::always_inline]] inline void dispatch(Partition& part, Transaction* x, Time t) {
  part.now = t;
  Handler h = EventAccess::handler(*x);
  ++part.events;
  if (!h.call) [[unlikely]] {
    Port* target = EventAccess::target(*x);
    std::string what = x->type_name();
    delete x;
    throw ModelError(fmt::format("{}: port '{}' received a '{}' but has no receive handler", target->owner().name(),
                                 target->name(), what));
  }
  if constexpr (Profile) {
    Port* target = EventAccess::target(*x);
    auto& row = part.profile[target];
    const auto t0 = std::chrono::steady_clock::now();
    h.call(h.object, *target, TxnPtr<>(x));
    ++row.events;
    row.nanoseconds += static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
  } else {
    h.call(h.object, *EventAccess::target(*x), TxnPtr<>(x));
  }
}

// Run every event of `part` earlier than `until`.
// Events one partition may run in a window beyond the budget left when it began.
constexpr std::uint64_t kWindowOverrun = std::uint64_t{1} << 20;

// Run every event of `part` earlier than `until`. The event budget takes effect at window
// boundaries (the same point at any thread count), but a window may never end: a system
// without links has one endless window, a zero-delay loop never leaves its instant. So a
// partition also stops after the budget left plus kWindowOverrun events: only such a
// window gets there, and then where the run stops depends on the partitioning.
// Deferred link sends left pending after each event: their ports' lines have this many
// handlers' time to arrive (component.hpp, SendQueue).
constexpr std::uint32_t kSendLag = 8;
static_assert(kSendLag < SendQueue::kCapacity);

template <bool Profile, bool Defer>
void run_events(Partition& part, Time until, std::uint64_t cap) {
  auto& q = part.queue;
  auto& sq = part.sends;
  Time t = 0;
  while (part.events < cap) {
    Transaction* x = q.pop_before(until, t);
    if (!x) break;
    // Start fetching the next receivers while this handler runs: known when other events
    // share this instant (else the next refill fetches them).
    q.prefetch_ahead();
    dispatch<Profile>(part, x, t);
    if constexpr (Defer)
      while (sq.tail - sq.head > kSendLag) PortWiring::complete_next(sq);
  }
}

// Completes the deferred sends when the window ends, also when a handler throws (then what
// the failed run sent is enqueued or dropped, never leaked).
struct SendQueueScope {
  explicit SendQueueScope(SendQueue& q) { tls_send_queue = &q; }
  ~SendQueueScope() {
    SendQueue& q = *tls_send_queue;
    tls_send_queue = nullptr;
    while (q.head != q.tail) {
      try {
        PortWiring::complete_next(q);
      } catch (...) {
        // a send on an unconnected port found after the run failed: the transaction is freed
      }
    }
  }
};

template <bool Profile>
void run_window(Partition& part, Time until, std::uint64_t budget_left) {
  const std::uint64_t allowed = budget_left > ~std::uint64_t{0} - kWindowOverrun ? ~std::uint64_t{0} : budget_left + kWindowOverrun;
  const std::uint64_t cap = allowed > ~std::uint64_t{0} - part.events ? ~std::uint64_t{0} : part.events + allowed;
  if (!part.defer_sends) {
    run_events<Profile, false>(part, until, cap);
    return;
  }
  {
    SendQueueScope scope(part.sends);
    run_events<Profile, true>(part, until, cap);
    // the window's sends, in send order; an error here (an unconnected port) ends the run
    while (part.sends.head != part.sends.tail)
      PortWiring::complete_next(part.sends);
  }
}

void run_window(Partition& part, Time until, std::uint64_t budget_left, bool profile) {
  if (profile) [[unlikely]]
    run_window<true>(part, until, budget_left);
  else
    run_window<false>(part, until, budget_left);
}

}  // namespace

RunResult Engine::run(const StopConditions& stop, const std::function<void(const RunResult&)>& progress) {
  finalize();
  RunResult r;
  auto t0 = std::chrono::steady_clock::now();
  const std::size_t n = parts_.size();
  // Conservative windows: every event earlier than (earliest pending event + lookahead) is
  // safe to run, because anything sent during the window arrives at least one lookahead
  // after its send time. Cross-partition events wait in outboxes (double-buffered by window
  // parity) and are delivered by their destination at the start of the next window.
  auto drain_into = [&](Partition& dst, unsigned parity) {
    for (auto& src : parts_) {
      auto& box = src->outbox[parity][dst.id];
      for (Transaction* t : box) dst.queue.push(t);
      box.clear();
    }
  };
  // Events sent across partitions before the first window (from init(), or left by an
  // earlier run() call): deliver them now, so the first plan() sees them in the queues.
  if (ranks_) {
    for (unsigned parity : {0u, 1u}) {
      try {
        exchange_remote(parity);
      } catch (...) {
        if (!init_error_) init_error_ = std::current_exception();  // the first plan stops every rank
      }
    }
  }
  for (auto& p : parts_) {
    if (!p->local) continue;
    drain_into(*p, 0);
    drain_into(*p, 1);
  }
  for (auto& p : parts_) p->outbox_min = {kTimeMax, kTimeMax};
  unsigned parity = 0;  // of the window about to run; the previous one wrote parity ^ 1
  auto next_time = [&] {
    Time m = kTimeMax;
    for (auto& p : parts_) {
      if (!p->queue.empty()) m = std::min(m, p->queue.top_time());
      m = std::min(m, p->outbox_min[parity ^ 1]);  // sent in the last window, not yet drained
    }
    return m;
  };
  Time window_end = 0;
  std::uint64_t budget_left = stop.max_events;
  bool done = false;
  std::uint64_t next_progress = events() + (1u << 20);
  if (tracer_) tracer_->set_partitions(n);
  // Decide the next window: single-threaded, in the barrier's completion step, after every
  // partition has finished the previous window.
  auto plan = [&]() {
    if (tracer_) tracer_->flush();
    parity ^= 1;
    for (auto& p : parts_) {
      p->parity = parity;
      p->outbox_min[parity] = kTimeMax;  // drained at the start of the previous window
    }
    bool failed = static_cast<bool>(init_error_);
    for (auto& p : parts_) failed = failed || static_cast<bool>(p->error);
    bool requested = stop_requested_;
    std::uint64_t total = events();
    Time next_local = kTimeMax;
    if (ranks_) {
      // what the last window sent to other ranks goes there now; then every rank decides
      // on the same totals: the earliest event anywhere, all events run, any stop or failure
      try {
        exchange_remote(parity ^ 1);  // a collective: even a failed rank takes part
      } catch (...) {
        parts_.front()->error = std::current_exception();
        failed = true;
      }
      next_local = next_time();
      std::vector<std::uint64_t> mins{next_local, failed ? 0u : 1u, requested ? 0u : 1u}, sums{total};
      ranks_->allreduce(mins, sums);
      next_local = mins[0];
      failed = mins[1] == 0;
      requested = mins[2] == 0;
      total = sums[0];
    }
    if (failed) {
      done = true;
      r.reason = StopReason::error;
      return;
    }
    if (requested) {
      done = true;
      r.reason = StopReason::requested;
      return;
    }
    if (total >= stop.max_events) {
      done = true;
      r.reason = StopReason::event_budget;
      return;
    }
    budget_left = stop.max_events - total;
    Time next = ranks_ ? next_local : next_time();
    if (next == kTimeMax) {
      done = true;
      r.reason = StopReason::empty_queue;
      return;
    }
    if (next >= stop.end_time) {
      done = true;
      r.reason = StopReason::end_time;
      for (auto& p : parts_) p->now = stop.end_time;
      return;
    }
    window_end = lookahead_ == kTimeMax ? kTimeMax : next + lookahead_;
    if (window_end < next) window_end = kTimeMax;  // overflow
    window_end = std::min(window_end, stop.end_time);
    if (progress && total >= next_progress && rank() == 0) {
      next_progress = total + (1u << 20);
      r.events = total;
      r.end_time = next;
      progress(r);
    }
  };
  parity = 1;  // plan() flips it: the first window runs with parity 0
  std::vector<Partition*> mine;
  for (auto& p : parts_)
    if (p->local) mine.push_back(p.get());
  if (n == 1 && !ranks_) {
    // serial: the same windows (so end_simulation() and the event budget take effect at the
    // same boundaries as in a parallel run), no threads, nothing remote
    Partition& p = *parts_[0];
    while (true) {
      plan();
      if (done) break;
      run_window(p, window_end, budget_left, profile_);
    }
  } else if (mine.size() <= 1) {
    // one partition (or none) of several on this rank: no threads, the others are remote
    while (true) {
      plan();
      if (done) break;
      if (mine.empty()) continue;
      try {
        drain_into(*mine[0], parity ^ 1);
        run_window(*mine[0], window_end, budget_left, profile_);
      } catch (...) {
        mine[0]->error = std::current_exception();
      }
    }
  } else {
    // One barrier per window: its completion step plans the next window; then every
    // partition takes in what the others sent it during the last window, and runs.
    WindowBarrier sync(static_cast<unsigned>(mine.size()));
    auto worker = [&](std::size_t k) {
      Partition& p = *mine[k];
      while (true) {
        sync.arrive_and_wait(plan);
        if (done) break;
        try {
          drain_into(p, parity ^ 1);
          run_window(p, window_end, budget_left, profile_);
        } catch (...) {
          p.error = std::current_exception();
        }
      }
    };
    std::vector<std::thread> threads;
    for (std::size_t k = 1; k < mine.size(); ++k) threads.emplace_back(worker, k);
    worker(0);
    for (auto& t : threads) t.join();
  }
  // all partitions agree on where time stopped
  Time end = 0;
  for (auto& p : parts_) end = std::max(end, p->now);
  std::uint64_t total = events();
  if (ranks_) {
    std::vector<std::uint64_t> mins{~end}, sums{total};
    ranks_->allreduce(mins, sums);
    end = ~mins[0];
    total = sums[0];
    // the first failure's message reaches rank 0, which reports it (its own first)
    std::exception_ptr local = init_error_;
    for (auto& p : parts_)
      if (!local && p->error) local = p->error;
    std::string message;
    if (local) {
      try {
        std::rethrow_exception(local);
      } catch (const std::exception& e) {
        message = e.what();
      } catch (...) {
        message = "unknown error";
      }
    }
    auto all = ranks_->gather(std::vector<unsigned char>(message.begin(), message.end()));
    if (local) std::rethrow_exception(local);
    for (std::size_t k = 0; k < all.size(); ++k)
      if (!all[k].empty())
        throw ModelError(fmt::format("rank {}: {}", k, std::string(all[k].begin(), all[k].end())));
  }
  for (auto& p : parts_)
    if (p->error) std::rethrow_exception(p->error);
  for (auto& p : parts_) p->now = end;
  r.end_time = end;
  r.events = total;
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace detail

// The state of statistics, for moving them between ranks (a friend of each class).
struct detail::StatState {
  static void save(ByteBuffer& b, const Counter& c) { b.put(c.value_); }
  static void load(ByteBuffer& b, Counter& c) { c.value_ = b.get<std::uint64_t>(); }
  static void save(ByteBuffer& b, const Accumulator& a) {
    b.put(a.count_), b.put(a.sum_), b.put(a.sum_sq_), b.put(a.min_), b.put(a.max_);
  }
  static void load(ByteBuffer& b, Accumulator& a) {
    a.count_ = b.get<std::uint64_t>(), a.sum_ = b.get<double>(), a.sum_sq_ = b.get<double>();
    a.min_ = b.get<double>(), a.max_ = b.get<double>();
  }
  static void save(ByteBuffer& b, const Histogram& h) {
    b.put(static_cast<std::uint64_t>(h.bins_.size()));
    for (auto v : h.bins_) b.put(v);
    b.put(h.underflow_), b.put(h.overflow_);
    save(b, h.summary_);
  }
  static void load(ByteBuffer& b, Histogram& h) {
    const auto n = b.get<std::uint64_t>();
    if (n != h.bins_.size()) throw std::runtime_error("histogram bins differ between ranks");
    for (auto& v : h.bins_) v = b.get<std::uint64_t>();
    h.underflow_ = b.get<std::uint64_t>(), h.overflow_ = b.get<std::uint64_t>();
    load(b, h.summary_);
  }
  static void save(ByteBuffer& b, const EnergyAction& e) { b.put(e.count_), b.put(e.joules_); }
  static void load(ByteBuffer& b, EnergyAction& e) { e.count_ = b.get<std::uint64_t>(), e.joules_ = b.get<double>(); }
};

namespace detail {

void Engine::collect_results() {
  if (!ranks_) return;
  // Both collectives first, then rank 0's work: a failure there must not leave the other
  // ranks waiting in a second gather.
  std::vector<std::vector<unsigned char>> spans;
  if (tracer_) spans = ranks_->gather(tracer_->take_held());
  // Each rank packs the components it ran (by position in the build order, the same on
  // every rank); rank 0 unpacks them over its own never-run copies.
  ByteBuffer mine;
  for (std::size_t i = 0; i < components_.size(); ++i) {
    Component& c = *components_[i];
    if (!is_local(c)) continue;
    mine.put(static_cast<std::uint64_t>(i));
    mine.put(c.d_->static_power_w_), mine.put(c.d_->static_accrued_j_), mine.put(c.d_->static_since_);
    for (const auto& e : c.d_->stats_) {
      switch (e.kind) {
        case Component::StatEntry::Kind::counter: StatState::save(mine, e.counter()); break;
        case Component::StatEntry::Kind::accumulator: StatState::save(mine, e.accumulator()); break;
        case Component::StatEntry::Kind::histogram: StatState::save(mine, e.histogram()); break;
      }
    }
    for (const auto& e : c.d_->energy_) StatState::save(mine, *e.ledger);
    mine.put(static_cast<std::uint64_t>(c.d_->summary_lines_.size()));
    for (const auto& line : c.d_->summary_lines_) mine.put_string(line);
  }
  auto all = ranks_->gather(mine.bytes());
  if (ranks_->rank() != 0) return;
  if (tracer_) tracer_->write_held(spans);
  for (std::size_t k = 1; k < all.size(); ++k) {
    ByteBuffer b;
    b.bytes() = std::move(all[k]);
    while (b.remaining() > 0) {
      const auto i = b.get<std::uint64_t>();
      if (i >= components_.size()) throw std::runtime_error("results from another rank name an unknown component");
      Component& c = *components_[i];
      c.d_->static_power_w_ = b.get<double>();
      c.d_->static_accrued_j_ = b.get<double>();
      c.d_->static_since_ = b.get<Time>();
      for (const auto& e : c.d_->stats_) {
        void* object = const_cast<void*>(e.object);  // the component's own (non-const) member
        switch (e.kind) {
          case Component::StatEntry::Kind::counter: StatState::load(b, *static_cast<Counter*>(object)); break;
          case Component::StatEntry::Kind::accumulator: StatState::load(b, *static_cast<Accumulator*>(object)); break;
          case Component::StatEntry::Kind::histogram: StatState::load(b, *static_cast<Histogram*>(object)); break;
        }
      }
      for (const auto& e : c.d_->energy_) StatState::load(b, *const_cast<EnergyAction*>(e.ledger));
      c.d_->summary_lines_.resize(b.get<std::uint64_t>());
      for (auto& line : c.d_->summary_lines_) line = b.get_string();
    }
  }
}

void Engine::finish() {
  for (auto& c : components_)
    if (!ranks_ || is_local(*c)) c->finish();
}

}  // namespace detail

// ---- Component ----
Component::Component(const ComponentContext& ctx)
    : core_(&ctx.engine_->partition(0)), rng_(ctx.seed_, ctx.name_), d_(new Details{}) {
  d_->engine_ = ctx.engine_;
  d_->name_ = ctx.name_;
  d_->decl_ = ctx.decl_;
  if (!d_->decl_) throw ConfigError("a Component must be created by the kernel through its factory");
  d_->grid_dims_ = static_cast<std::uint8_t>(std::min<std::size_t>(ctx.index_.size(), 4));
  for (std::size_t d = 0; d < d_->grid_dims_; ++d) d_->grid_[d] = ctx.index_[d];
  const auto& ports = d_->decl_->ports;
  d_->slots_.resize(ports.size());
  for (std::size_t i = 0; i < ports.size(); ++i)
    if (!ports[i].multi)
      d_->slots_[i].single = new (d_->engine_->allocate_port(false)) Port(*this);
}

Component::~Component() { detail::PortWiring::free_ports(*this); }

void Component::set_static_power(Power p) {
  const Time t = now();
  if (t > d_->static_since_) {
    d_->static_accrued_j_ += d_->static_power_w_ * (static_cast<double>(t - d_->static_since_) * 1e-12);
    d_->static_since_ = t;
  }
  d_->static_power_w_ = p.watts;
}

const std::string& Component::type() const { return d_->decl_->type; }

detail::Engine* Component::engine_for_kernel() const { return d_->engine_; }

Port& Component::port(std::string_view name) {
  int i = detail::PortWiring::decl_index(*this, name, false);
  if (i >= 0) return *d_->slots_[i].single;
  if (detail::PortWiring::decl_index(*this, name, true) >= 0)
    throw ConfigError(fmt::format("{} (type {}): '{}' is a multi-port: use ports(\"{}\")", d_->name_, type(), name, name));
  throw ConfigError(fmt::format("{} (type {}): no port named '{}' is declared", d_->name_, type(), name));
}

std::span<Port> Component::ports(std::string_view name) {
  int i = detail::PortWiring::decl_index(*this, name, true);
  if (i < 0) throw ConfigError(fmt::format("{} (type {}): no multi-port named '{}' is declared", d_->name_, type(), name));
  return {d_->slots_[i].block, d_->slots_[i].count};
}

void Component::set_multi_handler(std::string_view name, Handler h) {
  int i = detail::PortWiring::decl_index(*this, name, true);
  if (i < 0) throw ConfigError(fmt::format("{} (type {}): no multi-port named '{}' is declared", d_->name_, type(), name));
  d_->slots_[i].handler = h;
  for (std::uint32_t k = 0; k < d_->slots_[i].count; ++k) d_->slots_[i].block[k].set_handler(h);
}

bool Component::has_link(std::string_view name) { return port(name).connected(); }

void Component::schedule(Port& event_port, Time delay, std::uint64_t tag) { event_port.send(make<Signal>(tag), delay); }

Port& Component::make_event_port(std::string_view name) {
  std::uint16_t id = d_->engine_->intern_event_name(name);
  Port& p = *new (d_->engine_->allocate_port(true)) Port(*this);
  d_->event_ports_.push_back({&p, id});
  p.peer_ = &p;  // an event port is a zero-latency link to itself
  return p;
}

Clock& Component::make_clock(Frequency f, std::string_view name) {
  Time period = f.period();
  if (period == 0) throw ConfigError(fmt::format("{}: clock '{}' needs a positive frequency", d_->name_, name));
  d_->clocks_.push_back(std::unique_ptr<Clock>(new Clock(*this, period)));
  Clock* c = d_->clocks_.back().get();
  Port& p = make_event_port(fmt::format("clock.{}", name));
  p.on_receive<&Clock::on_tick>(c);
  c->port_ = &p;
  return *c;
}

void Component::add_stat(std::string_view name, StatEntry::Kind kind, const void* object) {
  static const char* kinds[] = {"counter", "accumulator", "histogram"};
  const char* k = kinds[static_cast<int>(kind)];
  const StatDecl* d = d_->decl_->find_stat(name);
  if (!d)
    throw ConfigError(fmt::format("{} (type {}): statistic '{}' is not declared in the plugin manifest", d_->name_,
                                  type(), name));
  if (d->kind != k)
    throw ConfigError(fmt::format("{} (type {}): statistic '{}' is declared as a {}, registered as a {}", d_->name_,
                                  type(), name, d->kind, k));
  for (const auto& s : d_->stats_)
    if (*s.name == name) throw ConfigError(fmt::format("{}: statistic '{}' registered twice", d_->name_, name));
  d_->stats_.push_back(StatEntry{&d->name, kind, object});
}

void Component::stat(std::string_view name, Counter& c) { add_stat(name, StatEntry::Kind::counter, &c); }
void Component::stat(std::string_view name, Accumulator& a) { add_stat(name, StatEntry::Kind::accumulator, &a); }
void Component::stat(std::string_view name, Histogram& h) { add_stat(name, StatEntry::Kind::histogram, &h); }

void Component::energy(std::string_view action, EnergyAction& e) {
  for (auto& x : d_->energy_)
    if (x.action == action) throw ConfigError(fmt::format("{}: energy action '{}' registered twice", d_->name_, action));
  d_->energy_.push_back(EnergyEntry{std::string(action), &e});
}

const SystemView& Component::system() const { return d_->engine_->system(); }

void Component::end_simulation() { d_->engine_->request_stop(); }

const Component* Component::observe(std::string_view name) const {
  const Component* other = d_->engine_->find(name);
  if (other && other->core_ != core_)
    throw ModelError(fmt::format("{} reads {}, which runs in another partition (thread or MPI rank): its numbers "
                                 "would depend on timing; run with --threads 1 and one rank",
                                 d_->name_, other->d_->name_));
  return other;
}

bool Component::nothing_else_pending() const {
  const auto* part = static_cast<detail::Partition*>(core_);
  return part->queue.empty() && part->sends.head == part->sends.tail;
}

const std::string& Component::output_dir() const { return d_->engine_->output_dir(); }

void Component::trace_counter(std::string_view name, Time t, double value) {
  if (auto* tr = d_->engine_->tracer()) tr->counter(static_cast<detail::Partition*>(core_)->id, d_->name_, name, t, value);
}

void Component::trace(std::string_view name, Time start, Time end, std::string_view category,
                      std::string_view args_json) {
  if (auto* t = d_->engine_->tracer()) t->span(static_cast<detail::Partition*>(core_)->id, d_->name_, name, category, start, end, args_json);
}

// ---- Port (cold parts) ----
std::string Port::name() const {
  using Kind = detail::PortWiring::Location::Kind;
  const auto& decl = detail::PortWiring::decl(*owner_);
  const auto at = detail::PortWiring::locate(*this);
  switch (at.kind) {
    case Kind::single: return decl.ports[at.decl].name;
    case Kind::element: return fmt::format("{}[{}]", decl.ports[at.decl].name, at.index);
    case Kind::event: return "@" + owner_->d_->engine_->event_name(static_cast<std::uint16_t>(at.decl));
  }
  return "?";
}

int Port::index() const {
  if (peer_ == this) return -1;  // an event port
  for (const auto& slot : owner_->d_->slots_)
    if (this >= slot.block && this < slot.block + slot.count) return static_cast<int>(this - slot.block);
  return -1;
}

double Port::bandwidth() const {
  auto slot = detail::PortWiring::bw_slot(*this);
  return slot ? owner_->d_->engine_->link_state(slot).bytes_per_s : 0.0;
}

Time Port::busy_until() const {
  detail::flush_sends();  // the link's occupancy includes every send made before
  auto slot = detail::PortWiring::bw_slot(*this);
  return slot ? owner_->d_->engine_->link_state(slot).busy_until : 0;
}

void Port::set_handler(Handler h) {
  using Kind = detail::PortWiring::Location::Kind;
  if (peer_ == this) {
    peer_handler_ = h;  // an event port is its own peer
    return;
  }
  const auto at = detail::PortWiring::locate(*this);
  if (at.kind == Kind::single) owner_->d_->slots_[at.decl].handler = h;
  // an element keeps no handler of its own: the peer's cached copy is the only store
  if (peer_) peer_->peer_handler_ = h;
}

void ComponentContext::apply_params(void* obj) const {
  if (!decl_ || !params_) return;
  if (params_->preset) decl_->presets.at(*params_->preset).apply(obj);
  for (const auto& [d, v] : params_->overrides) d->set(obj, v);
}

const SystemView::ComponentInfo* SystemView::find(std::string_view name) const {
  auto it = std::lower_bound(components.begin(), components.end(), name,
                             [](const ComponentInfo& c, std::string_view n) { return c.name < n; });
  return it != components.end() && it->name == name ? &*it : nullptr;
}

int SystemView::ordinal(std::string_view name) const {
  const ComponentInfo* me = find(name);
  if (!me) return -1;
  int k = 0;
  for (const auto& c : components) {
    if (&c == me) return k;
    if (c.type == me->type) ++k;
  }
  return -1;
}

// ---- Clock ----
void Clock::start() {
  if (running_) return;
  running_ = true;
  if (pending_) return;  // a tick is already scheduled; it will run
  pending_ = true;
  Time now = owner_->now();
  Time next = (now / period_ + 1) * period_;
  port_->send(make<Signal>(), next - now);
}

std::uint64_t Clock::cycle() const { return owner_->now() / period_; }

void Clock::on_tick(TxnPtr<> t) {
  pending_ = false;
  if (!running_) return;  // stopped while the tick was pending: drop it
  bool keep = tick_call_(tick_object_, owner_->now() / period_);
  if (keep && running_) {
    pending_ = true;
    port_->send(std::move(t), period_);
  } else {
    running_ = false;
  }
}

}  // namespace strata
