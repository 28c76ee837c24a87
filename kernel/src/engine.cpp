// engine.cpp - event loop, wiring, and the SDK's out-of-line Component/Port/Clock code.
#include "engine.hpp"

#include "trace_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>

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

void post(Engine* engine, Transaction* t) { engine->post(t); }

void throw_unconnected(const Port& p) {
  throw ModelError(fmt::format("{}: port '{}' is not connected (link it in the topology)", p.owner().name(), p.name()));
}

void throw_bad_cast(const Transaction& t, const char* wanted) {
  throw ModelError(fmt::format("received a '{}' transaction where a {} was expected (ports of incompatible "
                               "protocols linked?)",
                               t.type_name(), wanted));
}

// ---- wiring ----
void PortWiring::connect(Port& a, Port& b, Time latency, double bytes_per_s) {
  a.peer_ = &b;
  b.peer_ = &a;
  a.latency_ = b.latency_ = latency;
  a.bytes_per_s_ = b.bytes_per_s_ = bytes_per_s;
}

Port& PortWiring::add_multi_element(Component& c, std::string_view name) {
  for (auto& m : c.multi_) {
    if (m.name != name) continue;
    int idx = static_cast<int>(m.elements.size());
    auto p = std::make_unique<Port>(c, fmt::format("{}[{}]", name, idx), idx);
    p->engine_ = c.engine_;
    p->core_ = c.core_;
    p->handler_ = m.handler;
    m.elements.push_back(p.get());
    c.ports_.push_back(std::move(p));
    return *c.ports_.back();
  }
  throw ConfigError(fmt::format("{}: '{}' is not a multi-port", c.name(), name));
}

Port* PortWiring::find_port(Component& c, std::string_view name, int index) {
  if (index < 0) {
    for (auto& p : c.ports_)
      if (p->index() < 0 && p->name() == name) return p.get();
    return nullptr;
  }
  for (auto& m : c.multi_)
    if (m.name == name) return index < static_cast<int>(m.elements.size()) ? m.elements[index] : nullptr;
  return nullptr;
}

std::vector<Port*> PortWiring::all_ports(Component& c) {
  std::vector<Port*> v;
  for (auto& p : c.ports_) v.push_back(p.get());
  return v;
}

// ---- engine ----
Engine::Engine(std::uint64_t seed) : seed_(seed) {}

Engine::~Engine() {
  // Pending transactions may have vtables in plugin libraries: free them first, then the
  // components, then (member order) the libraries.
  queue_.drain([](Transaction* t) { delete t; });
  components_.clear();
}

Component& Engine::add_component(const ComponentDecl& decl, std::string name, std::vector<int> index, ParamSet params,
                                 std::shared_ptr<void> keepalive) {
  if (finalized_) throw ConfigError("components cannot be added after the system is finalized");
  if (keepalive) keepalive_.push_back(std::move(keepalive));
  param_sets_.push_back(std::make_unique<ParamSet>(std::move(params)));
  ComponentContext ctx;
  ctx.name_ = std::move(name);
  ctx.type_ = decl.type;
  ctx.index_ = std::move(index);
  ctx.seed_ = seed_;
  ctx.decl_ = &decl;
  ctx.params_ = param_sets_.back().get();
  ctx.engine_ = this;
  auto c = decl.factory(ctx);
  if (!c) throw ConfigError(fmt::format("{}: factory of type '{}' returned no component", ctx.name_, decl.type));
  components_.push_back(std::move(c));
  return *components_.back();
}

Component* Engine::find(std::string_view name) const {
  for (auto& c : components_)
    if (c->name() == name) return c.get();
  return nullptr;
}

void Engine::connect(Port& a, Port& b, Time latency, double bytes_per_s) {
  PortWiring::connect(a, b, latency, bytes_per_s);
  system_.links.push_back(SystemView::LinkInfo{{a.owner().name(), a.name()}, {b.owner().name(), b.name()}, latency,
                                               bytes_per_s});
}

void Engine::finalize() {
  if (finalized_) return;
  finalized_ = true;
  // Source ids by (component name, port creation order): independent of TOML order and of
  // any later partitioning, which is what makes the tie order partition-independent.
  std::vector<Component*> order;
  for (auto& c : components_) order.push_back(c.get());
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->name() < b->name(); });
  for (auto* c : order)
    for (auto* p : PortWiring::all_ports(*c)) PortWiring::set_source(*p, next_source_id());
  for (auto* c : order) system_.components.push_back({c->name(), c->type(), c->index()});
}

void Engine::enable_trace(std::unique_ptr<TraceWriter> writer) {
  tracer_ = std::move(writer);
  for (auto& c : components_) c->tracing_ = tracer_ != nullptr;
}

void Engine::init() {
  finalize();
  for (auto& c : components_) c->init();
}

RunResult Engine::run(const StopConditions& stop, const std::function<void(const RunResult&)>& progress) {
  RunResult r;
  auto t0 = std::chrono::steady_clock::now();
  std::uint64_t budget = stop.max_events;
  const std::uint64_t progress_every = 1u << 20;
  std::uint64_t next_progress = events_ + progress_every;
  r.reason = StopReason::empty_queue;
  while (!queue_.empty()) {
    Time t = queue_.top_time();
    if (t >= stop.end_time) {
      r.reason = StopReason::end_time;
      now = stop.end_time;
      break;
    }
    if (events_ >= budget) {
      r.reason = StopReason::event_budget;
      break;
    }
    Transaction* x = queue_.pop();
    now = t;
    Port* target = EventAccess::target(*x);
    Handler h = PortWiring::handler(*target);
    ++events_;
    if (!h.call) [[unlikely]] {
      delete x;
      throw ModelError(fmt::format("{}: port '{}' received a '{}' but has no receive handler",
                                   target->owner().name(), target->name(), x->type_name()));
    }
    h.call(h.object, *target, TxnPtr<>(x));
    if (stop_requested_) [[unlikely]] {
      r.reason = StopReason::requested;
      break;
    }
    if (progress && events_ >= next_progress) [[unlikely]] {
      next_progress = events_ + progress_every;
      r.events = events_;
      r.end_time = now;
      progress(r);
    }
  }
  if (r.reason == StopReason::empty_queue && stop.end_time != kTimeMax && now < stop.end_time) {
    // nothing left to do: time still ends where the last event ran
  }
  r.end_time = now;
  r.events = events_;
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

void Engine::finish() {
  for (auto& c : components_) c->finish();
}

}  // namespace detail

// ---- Component ----
Component::Component(const ComponentContext& ctx)
    : name_(ctx.name_),
      type_(ctx.type_),
      index_(ctx.index_),
      decl_(ctx.decl_),
      engine_(ctx.engine_),
      core_(ctx.engine_),
      rng_(ctx.seed_, ctx.name_) {
  if (!decl_) throw ConfigError("a Component must be created by the kernel through its factory");
  for (const auto& pd : decl_->ports) {
    if (pd.multi) {
      multi_.push_back(MultiPort{pd.name, {}, {}});
    } else {
      auto p = std::make_unique<Port>(*this, pd.name, -1);
      p->engine_ = engine_;
      p->core_ = core_;
      ports_.push_back(std::move(p));
    }
  }
}

Component::~Component() = default;

Port& Component::port(std::string_view name) {
  for (auto& p : ports_)
    if (p->index() < 0 && p->name() == name) return *p;
  throw ConfigError(fmt::format("{} (type {}): no port named '{}' is declared", name_, type_, name));
}

const std::vector<Port*>& Component::ports(std::string_view name) {
  for (auto& m : multi_)
    if (m.name == name) return m.elements;
  throw ConfigError(fmt::format("{} (type {}): no multi-port named '{}' is declared", name_, type_, name));
}

void Component::set_multi_handler(std::string_view name, Handler h) {
  for (auto& m : multi_)
    if (m.name == name) {
      m.handler = h;
      for (Port* p : m.elements) p->handler_ = h;
      return;
    }
  throw ConfigError(fmt::format("{} (type {}): no multi-port named '{}' is declared", name_, type_, name));
}

bool Component::has_link(std::string_view name) { return port(name).connected(); }

Port& Component::make_event_port(std::string_view name) {
  auto p = std::make_unique<Port>(*this, fmt::format("@{}", name), -1);
  p->engine_ = engine_;
  p->core_ = core_;
  detail::PortWiring::connect(*p, *p, 0, 0);
  ports_.push_back(std::move(p));
  return *ports_.back();
}

Clock& Component::make_clock(Frequency f, std::string_view name) {
  Time period = f.period();
  if (period == 0) throw ConfigError(fmt::format("{}: clock '{}' needs a positive frequency", name_, name));
  clocks_.push_back(std::unique_ptr<Clock>(new Clock(*this, period)));
  Clock* c = clocks_.back().get();
  Port& p = make_event_port(fmt::format("clock.{}", name));
  p.on_receive<&Clock::on_tick>(c);
  c->port_ = &p;
  return *c;
}

void Component::check_stat_declared(std::string_view name, const char* kind) const {
  const StatDecl* d = decl_->find_stat(name);
  if (!d)
    throw ConfigError(fmt::format("{} (type {}): statistic '{}' is not declared in the plugin manifest", name_, type_,
                                  name));
  if (d->kind != kind)
    throw ConfigError(fmt::format("{} (type {}): statistic '{}' is declared as a {}, created as a {}", name_, type_,
                                  name, d->kind, kind));
  if (find_stat(name)) throw ConfigError(fmt::format("{}: statistic '{}' created twice", name_, name));
}

const Component::StatEntry* Component::find_stat(std::string_view name) const {
  for (auto& s : stats_)
    if (s.name == name) return &s;
  return nullptr;
}

Counter& Component::counter(std::string_view name) {
  check_stat_declared(name, "counter");
  stats_.push_back(StatEntry{std::string(name), StatEntry::Kind::counter, std::make_unique<Counter>(), {}, {}});
  return *stats_.back().counter;
}

Accumulator& Component::accumulator(std::string_view name) {
  check_stat_declared(name, "accumulator");
  stats_.push_back(StatEntry{std::string(name), StatEntry::Kind::accumulator, {}, std::make_unique<Accumulator>(), {}});
  return *stats_.back().accumulator;
}

Histogram& Component::histogram(std::string_view name, double lo, double hi, std::size_t bins) {
  check_stat_declared(name, "histogram");
  if (!(hi > lo) || bins == 0)
    throw ConfigError(fmt::format("{}: histogram '{}' needs hi > lo and at least one bin", name_, name));
  stats_.push_back(
      StatEntry{std::string(name), StatEntry::Kind::histogram, {}, {}, std::make_unique<Histogram>(lo, hi, bins)});
  return *stats_.back().histogram;
}

EnergyAction& Component::energy_action(std::string_view action, Energy per_action) {
  for (auto& e : energy_)
    if (e.action == action) throw ConfigError(fmt::format("{}: energy action '{}' created twice", name_, action));
  energy_.push_back(EnergyEntry{std::string(action), std::make_unique<EnergyAction>(per_action)});
  return *energy_.back().ledger;
}

const SystemView& Component::system() const { return engine_->system(); }

void Component::end_simulation() { engine_->request_stop(); }

void Component::trace(std::string_view name, Time start, Time end, std::string_view category,
                      std::string_view args_json) {
  if (auto* t = engine_->tracer()) t->span(name_, name, category, start, end, args_json);
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
