// strata/component.hpp - components, ports, links, events and clocks.
//
// Execution model (what a plugin author relies on):
//   * A Component is constructed by its factory from a ComponentContext (name, validated
//     parameters, grid index) before time zero. Ports, statistics, energy actions, event
//     ports and clocks are created in the constructor. Links are wired after every
//     component exists; then init() runs (schedule the first events here), then the event
//     loop, then finish() (final statistics). Time only advances between handler calls.
//   * Events are delivered in (time, priority, source id, per-source sequence) order. Source
//     ids are given to ports at build time in (component name, port creation) order, so the
//     order never depends on insertion order or on how components are partitioned.
//   * A Port sends a transaction across its link: it arrives at the peer port after the
//     link latency (> 0) plus any extra delay given to send(). A link with a bandwidth also
//     serialises: a transaction occupies it for wire_bytes() / bandwidth, in send order.
//   * An event port is a port wired to its own component with no latency: send() on it
//     schedules a local event after the given delay (0 is allowed: it runs at the same time,
//     after the current handler). Clocks tick only while started.
//   * Handlers are not re-entered: the kernel calls one handler at a time per component.
//     Within one simulation everything runs on one thread unless the parallel engine splits
//     components into partitions; a handler must touch only its own component's state.
//   * Errors: throw ConfigError from a constructor for invalid parameter combinations (the
//     run stops before time zero with exit status 2); throw ModelError for a broken model
//     invariant at run time (the kernel adds simulated time and component name).
#pragma once

#include <strata/params.hpp>
#include <strata/rng.hpp>
#include <strata/stats.hpp>
#include <strata/transaction.hpp>
#include <strata/units.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace strata {

class Component;
class Port;
struct ComponentDecl;

/// Invalid configuration found while building (before time zero).
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
/// A model invariant broken during simulation.
class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
class Engine;
/// The part of a partition of the engine that plugins read inline (its current time).
/// A serial run has one partition; a parallel run one per thread.
struct EngineCore {
  Time now = 0;
};
/// Enqueue t in the sender's partition for delivery at its stamped time (libstrata).
void post(EngineCore* partition, Transaction* t);
/// Hand t to another partition; it is delivered there at the next window boundary,
/// which is always before its stamped time (link latency >= the lookahead).
void post_remote(EngineCore* partition, std::uint16_t to_partition, Transaction* t);
[[noreturn]] void throw_unconnected(const Port& p);
/// Bandwidth-limited link: occupy it from `ready` on; returns when the last byte leaves.
Time serialise(Port& p, const Transaction& t, Time ready);
struct EventAccess;
struct PortWiring;  // kernel-side access to Port internals

/// Sends on links, held back for a few events while the port's cache line arrives.
///
/// In a large system the port a handler sends on is a cache miss (100k components x 17
/// ports are 82 MB), and the send needs it at once: peer, handler, latency, order key. But
/// an event sent across a link is never run in the window it was sent in (it arrives at
/// least one lookahead later, and a window is one lookahead long), so the kernel only has
/// to enqueue it before the window ends. Port::send therefore records (port, transaction,
/// departure time) here and prefetches the port; the event loop completes the records in
/// send order a few events later, when the line is there, and all of them at the end of
/// every window. Completing in send order keeps every port's sequence numbers and a
/// bandwidth-limited link's occupancy exactly as an immediate send gives them, and the
/// queue orders events by (time, tie key), not by when they were enqueued: the run is the
/// same, bit for bit. Sends on ports in the kernel's link-port region (declared ports) are
/// deferred, and sends on other ports (event ports) whose delay is at least the window's
/// length (`horizon`, the smallest link latency): such an event cannot run in this window
/// either. Only inside the event loop of a run whose links all have a latency. A port's
/// sequence numbers must follow its send order, so an immediate send on a port that still
/// has a deferred one completes the deferred ones first (`others` counts the pending
/// records of ports outside the region: while it is 0, as in models whose event ports only
/// send short delays, nothing is searched).
struct DeferredSend {
  Port* port;
  Transaction* txn;
  Time depart;  // now + extra delay, as the immediate send computes it
};
struct SendQueue {
  static constexpr std::uint32_t kCapacity = 32;  // a power of 2
  std::uintptr_t ports_begin = 0;  // the link-port region: [begin, begin + bytes)
  std::uintptr_t ports_bytes = 0;
  EngineCore* core = nullptr;
  Time horizon = kTimeMax;           // other ports' sends with at least this delay are deferred
  std::uint32_t head = 0, tail = 0;  // records [head, tail), indices modulo kCapacity
  std::uint32_t others = 0;          // pending records of ports outside the region
  DeferredSend ring[kCapacity];
  bool holds(const Port* p) const { return reinterpret_cast<std::uintptr_t>(p) - ports_begin < ports_bytes; }
};
/// The send queue of the partition whose event loop runs on this thread (nullptr outside
/// the event loop: init(), finish(), tests driving ports directly send at once).
extern __attribute__((tls_model("initial-exec"))) constinit thread_local SendQueue* tls_send_queue;
/// Complete the oldest deferred send (the ring is full).
void complete_oldest_send(SendQueue& q);
/// Before an immediate send on p (outside the region): complete the deferred sends if one
/// of them is p's, so that p's sequence numbers follow its send order.
void complete_sends_before(SendQueue& q, const Port* p);
/// Complete every deferred send of this thread's loop (before reading a link's state).
void flush_sends();
}  // namespace detail

/// A type-erased pointer to a member function `void C::f(Port&, TxnPtr<>)`
/// or `void C::f(TxnPtr<>)`.
struct Handler {
  void* object = nullptr;
  void (*call)(void*, Port&, TxnPtr<>&&) = nullptr;

  template <auto Method, class C>
  static Handler bind(C* obj) {
    Handler h;
    h.object = obj;
    h.call = [](void* o, Port& p, TxnPtr<>&& t) {
      auto* self = static_cast<C*>(o);
      if constexpr (std::is_invocable_v<decltype(Method), C*, Port&, TxnPtr<>>)
        (self->*Method)(p, std::move(t));
      else
        (self->*Method)(std::move(t));
    };
    return h;
  }
};

namespace detail {
struct EventAccess {
  static void stamp(Transaction& t, Port* target, const Handler& h, Time when, std::uint32_t source,
                    std::uint32_t seq, std::uint8_t priority) {
    t.target_ = target;
    t.handler_object_ = h.object;
    t.handler_call_ = h.call;
    t.time_ = when;
    t.source_ = source;
    t.seq_ = seq;
    t.priority_ = priority;
  }
  static Port* target(const Transaction& t) { return t.target_; }
  static Handler handler(const Transaction& t) { return Handler{t.handler_object_, t.handler_call_}; }
  static Time time(const Transaction& t) { return t.time_; }
  /// The tie key as numbers (priority and source, then sequence), for queues that keep it
  /// beside the pointer.
  static std::uint64_t tie_major(const Transaction& t) { return std::uint64_t{t.priority_} << 32 | t.source_; }
  static std::uint32_t tie_minor(const Transaction& t) { return t.seq_; }
  /// Tie order among equal delivery times.
  static bool before(const Transaction& a, const Transaction& b) {
    if (a.priority_ != b.priority_) return a.priority_ < b.priority_;
    if (a.source_ != b.source_) return a.source_ < b.source_;
    return a.seq_ < b.seq_;
  }
};
}  // namespace detail

/// One end of a link (or an event port). Owned by its component; created by the kernel.
/// 48 bytes, all of it read by a send: the peer, the peer's receive handler, the owner (for
/// the current time), the link word and the order key. What only cold paths need (kind,
/// declared port, element index, bandwidth slot) is found from the owner instead, because
/// in a 100k-component system the ports are most of the memory (bench/README.md).
class alignas(16) Port {
 public:
  Port(const Port&) = delete;
  Port& operator=(const Port&) = delete;

  /// "out", "out[3]" for an element of a multi-port, "@name" for an event port.
  std::string name() const;
  /// Position within a multi-port, -1 otherwise (found from the owner: not for inner loops).
  int index() const;
  Component& owner() const { return *owner_; }
  bool connected() const { return peer_ != nullptr; }
  /// Link latency in ps (0 for event ports).
  Time latency() const { return link_ & kLatencyMask; }
  /// Link bandwidth in bytes/s (0: not modelled).
  double bandwidth() const;
  /// The port at the other end (nullptr if unconnected); read-only use, e.g. for routing.
  const Port* peer() const { return peer_; }

  /// Install the receive handler of this port.
  template <auto Method, class C>
  void on_receive(C* obj) {
    set_handler(Handler::bind<Method>(obj));
  }

  /// Send t to the peer; it is delivered at now + extra_delay + latency, plus serialisation
  /// when the link has a bandwidth. Throws ModelError when the port is not connected.
  void send(TxnPtr<> t, Time extra_delay = 0);
  /// Time at which this port's link is free again (0 unless bandwidth-limited).
  Time busy_until() const;
  /// Events sent from this port run before lower-priority (larger number) events that
  /// arrive at the same time; default 0. E.g. a response port may outrank requests.
  void set_priority(std::uint8_t p) {
    if (detail::tls_send_queue) detail::flush_sends();  // sends made before keep their priority
    link_ = (link_ & ~(std::uint64_t{0xFF} << kPriorityShift)) | (std::uint64_t{p} << kPriorityShift);
  }

  /// The longest link latency a port can hold (2^40 - 1 ps, about 1.1 s).
  static constexpr Time kMaxLatency = (Time{1} << 40) - 1;

 private:
  friend struct detail::PortWiring;
  friend class detail::Engine;
  friend class Component;
  friend void detail::complete_oldest_send(detail::SendQueue&);
  friend void detail::flush_sends();
  explicit Port(Component& owner) : owner_(&owner) {}
  void set_handler(Handler h);
  /// The send itself: stamp t and enqueue it (depart = now + extra delay).
  void send_now(Transaction* t, Time depart);

  // link_: latency (bits 0-39) | peer partition (40-54; kLocal when it is this one's) |
  // bandwidth-limited (55) | priority (56-63).
  static constexpr std::uint64_t kLatencyMask = kMaxLatency;
  static constexpr unsigned kPartitionShift = 40;
  static constexpr std::uint16_t kLocal = 0x7FFF;  // also the partition limit
  static constexpr std::uint64_t kBandwidthBit = std::uint64_t{1} << 55;
  static constexpr unsigned kPriorityShift = 56;

  Port* peer_ = nullptr;
  Handler peer_handler_;  // the peer's receive handler, cached at wiring
  Component* owner_;
  std::uint64_t link_ = std::uint64_t{kLocal} << kPartitionShift;
  std::uint32_t seq_ = 0;     // per-source sequence: tie key, part 2
  std::uint32_t source_ = 0;  // assigned at finalize: tie key, part 1
};
static_assert(sizeof(Port) == 48, "Port must stay 48 bytes (see bench/README.md)");

/// A payload-less event (timers, clock ticks); tag is free for the component to use.
struct Signal final : Transaction {
  explicit Signal(std::uint64_t t = 0) : tag(t) {}
  const char* type_name() const override { return "signal"; }
  void serialize(ByteBuffer& out) const override;  // out of line: one typeinfo, in libstrata
  void deserialize(ByteBuffer& in) override;
  std::uint64_t tag;
};

/// A periodic tick source owned by a component; ticks only while started.
class Clock {
 public:
  Time period() const { return period_; }
  bool running() const { return running_; }
  /// Tick at every period boundary strictly after now. Idempotent.
  void start();
  /// No more ticks after the current one.
  void stop() { running_ = false; }
  /// Cycle number of the current time (now / period).
  std::uint64_t cycle() const;

 private:
  friend class Component;
  Clock(Component& owner, Time period) : owner_(&owner), period_(period) {}
  void on_tick(TxnPtr<> t);
  Component* owner_;
  Time period_;
  bool running_ = false;
  bool pending_ = false;
  Port* port_ = nullptr;
  Handler tick_;  // bool-returning handler packed by Component::clock
  bool (*tick_call_)(void*, std::uint64_t) = nullptr;
  void* tick_object_ = nullptr;
};

/// Read-only description of the built system, for components that need the whole graph
/// at init (routers computing tables, workloads mapping onto cores).
struct SystemView {
  struct PortEnd {
    std::string component;
    std::string port;
  };
  struct LinkInfo {
    PortEnd a, b;
    Time latency = 0;
    double bytes_per_s = 0;
  };
  struct ComponentInfo {
    std::string name;
    std::string type;
    std::vector<int> index;  // grid coordinates when generated from a grid, else empty
  };
  std::vector<ComponentInfo> components;  // sorted by name
  std::vector<LinkInfo> links;            // one entry per link, by component then port order
  const ComponentInfo* find(std::string_view name) const;
  /// Position of `name` among the components of its own type, in name order; -1 if
  /// unknown. A stable numbering for endpoints (e.g. network interfaces) that every
  /// component computes identically without talking to the others.
  int ordinal(std::string_view name) const;
};

/// What a factory receives: identity, validated parameters, wiring access.
class ComponentContext {
 public:
  const std::string& name() const { return name_; }
  const std::string& type() const { return type_; }
  const std::vector<int>& index() const { return index_; }
  std::uint64_t seed() const { return seed_; }
  /// The parameters: default P, then the preset, then the overrides from TOML.
  template <class P>
  P params() const {
    P p = P();  // value-initialised (P{} makes GCC 12 -O3 warn falsely on string members)
    apply_params(&p);
    return p;
  }

 private:
  friend class detail::Engine;
  friend class Component;
  friend struct detail::PortWiring;
  void apply_params(void* obj) const;
  std::string name_, type_;
  std::vector<int> index_;
  std::uint64_t seed_ = 0;
  const ComponentDecl* decl_ = nullptr;
  const ParamSet* params_ = nullptr;
  detail::Engine* engine_ = nullptr;
};

class Component {
 public:
  // Components live in the kernel's pooled, huge-page-backed memory (see transaction.hpp);
  // make_unique<C> picks these up, so plugins allocate as usual.
  static void* operator new(std::size_t bytes) { return detail::pool_allocate(bytes); }
  static void operator delete(void* p, std::size_t bytes) noexcept { detail::pool_release(p, bytes); }

  explicit Component(const ComponentContext& ctx);
  virtual ~Component();
  Component(const Component&) = delete;
  Component& operator=(const Component&) = delete;

  /// After wiring, before time zero: schedule the first events.
  virtual void init() {}
  /// After the last event: final statistics.
  virtual void finish() {}

  const std::string& name() const { return d_->name_; }
  const std::string& type() const;
  /// Grid coordinates when the component was generated from a grid (x fastest), else empty.
  std::span<const int> index() const { return {d_->grid_, d_->grid_dims_}; }
  Time now() const { return core_->now; }

  /// The declared single port `name`.
  Port& port(std::string_view name);
  /// Elements of a declared multi-port in index order, contiguous. The builder creates
  /// elements while wiring, so this is complete from init() on (empty in the constructor).
  std::span<Port> ports(std::string_view name);
  /// Install `Method` as the receive handler of every element of multi-port `name`,
  /// including elements the builder creates later (call in the constructor).
  template <auto Method, class C>
  void on_receive(std::string_view multi_port, C* self) {
    set_multi_handler(multi_port, Handler::bind<Method>(self));
  }
  /// True when the declared (single) port is linked.
  bool has_link(std::string_view name);

  /// A port wired to this component itself, delivering to Method after the delay given
  /// to send(). Create in the constructor (source ids are assigned in creation order).
  template <auto Method, class C>
  Port& event_port(C* self, std::string_view name) {
    Port& p = make_event_port(name);
    p.on_receive<Method>(self);
    return p;
  }
  /// Schedule a Signal with `tag` on an event port after `delay`.
  void schedule(Port& event_port, Time delay, std::uint64_t tag = 0);

  /// A clock calling `bool C::Method(std::uint64_t cycle)` each period while started;
  /// returning false stops it. Create in the constructor.
  template <auto Method, class C>
  Clock& clock(C* self, Frequency f, std::string_view name) {
    Clock& c = make_clock(f, name);
    c.tick_object_ = self;
    c.tick_call_ = [](void* o, std::uint64_t cycle) { return (static_cast<C*>(o)->*Method)(cycle); };
    return c;
  }

  /// Register a statistic the component owns (a member), under a name declared in the
  /// manifest with the same kind; the kernel reads it when writing results. The object
  /// must live as long as the component. Call in the constructor.
  void stat(std::string_view name, Counter& c);
  void stat(std::string_view name, Accumulator& a);
  void stat(std::string_view name, Histogram& h);
  /// Register a dynamic-energy action the component owns (a member).
  void energy(std::string_view action, EnergyAction& e);
  /// Static (leakage + clock tree) power from now on. Before time zero it is the power the
  /// run starts with; during the run it changes the power from now() on (power gating,
  /// DVFS) and the energy at the old power up to now() is kept. The results writer
  /// integrates it to the end of the run.
  void set_static_power(Power p);
  /// The static power in effect now, in watts.
  double static_power() const { return d_->static_power_w_; }
  /// Static energy booked from time zero up to `t` (t >= the last change), in joules.
  double static_energy(Time t) const {
    return d_->static_accrued_j_ + d_->static_power_w_ * (static_cast<double>(t - d_->static_since_) * 1e-12);
  }

  /// This component's random stream (seed, name).
  Rng& rng() { return rng_; }

  /// Read-only view of the whole system (valid from init() on).
  const SystemView& system() const;
  /// Another component by name, read-only (nullptr when there is none): for monitors that
  /// read what the others booked, e.g. a thermal model reading energy_entries() and
  /// static_energy(). Valid from init() on. Reading another component's numbers from a
  /// handler is deterministic only when both run in one partition (always so in a serial
  /// run; otherwise the other one runs concurrently): if they do not, this throws ModelError
  /// naming both (run such a model with --threads 1 and one rank).
  const Component* observe(std::string_view name) const;
  /// True when no event but the one being handled is pending in this component's partition
  /// (in a serial run: anywhere). A periodic monitor stops then, so that it does not keep a
  /// finished run alive.
  bool nothing_else_pending() const;
  /// The run's output folder, for files a component writes in finish() (heat maps, ...);
  /// empty when this process writes no results (an MPI rank other than 0, a test harness).
  const std::string& output_dir() const;

  /// Ask the kernel to end the run (e.g. the workload finished). It ends at the end of the
  /// current synchronisation window - the earliest pending event at the window's start
  /// plus the smallest link latency of the system - so that a run stops at the same point
  /// whatever its thread count. Events inside that window still run.
  void end_simulation();

  /// Add a line to the run's summary (what `strata run` prints, summary.txt), shown after the
  /// kernel's own lines, components in name order: the few results a person reads first (a
  /// workload's throughput, its bottleneck). Usually from finish() or the handler that ends
  /// the run. Write numbers for reading (3-4 digits, units); statistics keep full precision.
  void summary_line(std::string line) { d_->summary_lines_.push_back(std::move(line)); }
  const std::vector<std::string>& summary_lines() const { return d_->summary_lines_; }

  /// Record a trace span [start, end) on this component's track when tracing is on.
  bool tracing() const { return tracing_; }
  void trace(std::string_view name, Time start, Time end, std::string_view category = "op",
             std::string_view args_json = {});
  /// Record a sample `value` at time `t` on the counter track "<component> <name>" (a
  /// Perfetto/Chrome "C" event) when tracing is on: temperatures, queue depths, power.
  void trace_counter(std::string_view name, Time t, double value);

  // ---- introspection used by the kernel's stats writer ----
  struct StatEntry {
    const std::string* name;  // the manifest's declaration
    enum class Kind { counter, accumulator, histogram } kind;
    const void* object;
    const Counter& counter() const { return *static_cast<const Counter*>(object); }
    const Accumulator& accumulator() const { return *static_cast<const Accumulator*>(object); }
    const Histogram& histogram() const { return *static_cast<const Histogram*>(object); }
  };
  struct EnergyEntry {
    std::string action;
    const EnergyAction* ledger;
  };
  const std::vector<StatEntry>& stat_entries() const { return d_->stats_; }
  const std::vector<EnergyEntry>& energy_entries() const { return d_->energy_; }

 private:
  friend class detail::Engine;
  friend struct detail::PortWiring;
  friend class Port;
  friend Time detail::serialise(Port&, const Transaction&, Time);
  detail::Engine* engine_for_kernel() const;
  Port& make_event_port(std::string_view name);
  void set_multi_handler(std::string_view name, Handler h);
  Clock& make_clock(Frequency f, std::string_view name);
  void add_stat(std::string_view name, StatEntry::Kind kind, const void* object);

  // A handler's component is a cache miss in a large system, so the base keeps in its first
  // line only what handlers read (the vtable pointer, the partition for now(), the random
  // stream, the tracing flag) and everything else behind one pointer: the derived class's
  // own fields start in the second line, and a small model is two lines, not five
  // (bench/README.md, PHOLD 1024 x 16). SDK ABI 5.
  struct PortSlot {          // one per declared port
    Handler handler;         // receive handler of the single port, or of every element
    Port* single = nullptr;  // a declared single port (kernel arena)
    Port* block = nullptr;   // multi-port elements, contiguous
    std::uint32_t count = 0, capacity = 0;
  };
  struct EventPortSlot {
    Port* port;          // kernel arena
    std::uint16_t name;  // interned name (Engine::event_name)
  };
  struct Details {  // the cold part: identity, wiring, registrations, static power
    static void* operator new(std::size_t bytes) { return detail::pool_allocate(bytes); }
    static void operator delete(void* p, std::size_t bytes) noexcept { detail::pool_release(p, bytes); }
    detail::Engine* engine_;
    std::string name_;
    const ComponentDecl* decl_;
    int grid_[4] = {0, 0, 0, 0};
    std::uint8_t grid_dims_ = 0;
    double static_power_w_ = 0;
    double static_accrued_j_ = 0;  // static energy up to static_since_
    Time static_since_ = 0;        // time of the last static-power change during the run
    std::vector<PortSlot> slots_;
    std::vector<EventPortSlot> event_ports_;
    std::vector<std::unique_ptr<Clock>> clocks_;
    std::vector<StatEntry> stats_;
    std::vector<EnergyEntry> energy_;
    std::vector<std::string> summary_lines_;
  };

  detail::EngineCore* core_;
  Rng rng_;
  std::unique_ptr<Details> d_;
  bool tracing_ = false;
};
static_assert(sizeof(Component) <= 64, "Component's base must stay one cache line (see the comment on its fields)");

// ---- hot path, inline ----
inline void Port::send(TxnPtr<> t, Time extra_delay) {
  detail::SendQueue* q = detail::tls_send_queue;
  if (q) {  // inside the event loop
    const bool link_port = q->holds(this);
    if (link_port || extra_delay >= q->horizon) [[likely]] {  // it cannot run in this window: defer
      if (q->tail - q->head == detail::SendQueue::kCapacity) [[unlikely]]
        detail::complete_oldest_send(*q);
      q->ring[q->tail++ % detail::SendQueue::kCapacity] = {this, t.release(), q->core->now + extra_delay};
      q->others += !link_port;
      __builtin_prefetch(this, 1);  // 48 bytes, 16-aligned: at most two lines
      __builtin_prefetch(reinterpret_cast<const char*>(this) + sizeof(Port) - 1, 1);
      return;
    }
    if (q->others) [[unlikely]]
      detail::complete_sends_before(*q, this);
  }
  send_now(t.release(), owner_->core_->now + extra_delay);
}

inline void Port::send_now(Transaction* raw, Time depart) {
  if (!peer_) [[unlikely]] {
    delete raw;
    detail::throw_unconnected(*this);
  }
  const std::uint64_t link = link_;
  if (link & kBandwidthBit) [[unlikely]]
    depart = detail::serialise(*this, *raw, depart);
  detail::EventAccess::stamp(*raw, peer_, peer_handler_, depart + (link & kLatencyMask), source_, seq_++,
                             static_cast<std::uint8_t>(link >> kPriorityShift));
  const auto to = static_cast<std::uint16_t>((link >> kPartitionShift) & kLocal);
  if (to == kLocal) [[likely]]
    detail::post(owner_->core_, raw);
  else
    detail::post_remote(owner_->core_, to, raw);
}

}  // namespace strata
