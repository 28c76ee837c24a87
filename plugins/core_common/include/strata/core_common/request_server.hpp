// strata/core_common/request_server.hpp - the request-serving plumbing every compute core
// shares (pim.reram_core, systolic.array, gpu.roofline): a queue of ComputeRequests served
// one at a time, the arbitration that picks the next one, power states (always on, or
// power-gated while idle with a wake-up latency and energy), queue-wait statistics and the
// completion path (status, finished_at, trace span, answer on `ctrl`). The core keeps what
// is its own: how a request is served and what it books.
//
// Header-only, SDK-only (a plugin may include the SDK and shared plugin libraries, never
// kernel internals). Usage, in a core `C` whose params struct derives from ServingParams:
//
//   RequestServer<C> server_{*this, ctrl, p_, Power{static_w}};    // member
//   C::C(...)  { ...; stat("requests", server_.requests); ...; server_.register_power_stats(); }
//   on ctrl:   server_.on_request(std::move(t));
//   C::start_request(TxnPtr<ComputeRequest> r)   // called by the server: begin serving r
//   when done: server_.complete(std::move(r), t0, [&] { return args_json; });
//   C::finish(): server_.finish();
//
// Arbitration (`arbitration`):
//   fifo          requests in arrival order (the default; what every core did before).
//   oldest_first  the queued request with the smallest ComputeRequest::age (lower = older,
//                 e.g. the micro-batch's release order), ties in arrival order. Service is
//                 not preempted: a request that arrives while another is served waits.
//                 With micro-batches in flight this makes a core work depth-first (layer
//                 l+1 on micro-batch i while layer l serves i+1), as a pipeline needs.
//
// Power states (`idle`):
//   on     the core draws its static power for the whole run (the default; as before).
//   gated  the core is power-gated whenever it has nothing to serve (from time zero, and
//          `gate_after` after its queue empties) and draws no static power while gated
//          (header-switch power gating; leakage through the switch is neglected). A request
//          that finds it gated wakes it: static power is drawn again from that moment, the
//          wake-up energy is booked as the dynamic action "wake", and service starts
//          `wake_latency` later (requests arriving meanwhile queue). State is safe to drop:
//          a ReRAM core's weights are non-volatile, and the SA and GPU keep no operand
//          between requests (operands start and end in memory).
//   Wake-up energy = static power x break_even + wake_energy. The break-even time is the
//   idle time whose leakage pays for one gate/wake cycle (the definition used by Hu et al.,
//   "Microarchitectural techniques for power gating of execution units", ISLPED 2004, who
//   derive ~10 cycles for an execution unit; Chen & Pinkston, "NoRD", MICRO 2012, use ~10
//   cycles for NoC routers). Wake-up latency: a header-switch domain recharges its virtual
//   supply in a few cycles to tens of ns (Hu et al. 2004: a few cycles for an execution unit;
//   Matsutani et al., "Ultra fine-grained run-time power gating of on-chip routers for CMPs",
//   NOCS 2010: a few ns per router component from 65 nm circuit simulation at 1 GHz). The
//   defaults, 10 ns each, are ~10 cycles of these cores' 0.8-1.2 GHz clocks: the order of
//   magnitude of that literature, not a measured figure for these cores (none is published).
#pragma once

#include <strata/strata.hpp>

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace strata::core_common {

/// Parameters every core that serves ComputeRequests shares. A core's params struct derives
/// from it and calls declare_arbitration() / declare_power_states() from its declare().
struct ServingParams {
  std::string arbitration = "fifo";  // fifo | oldest_first
  std::string idle = "on";           // on | gated
  Duration wake_latency{10 * kNanosecond};
  Duration break_even{10 * kNanosecond};
  Energy wake_energy{0.0};
  Duration gate_after{0};

  template <class P>
  static void declare_arbitration(ParamSpec<P>& s) {
    s.template param<std::string>("arbitration", &P::arbitration,
                                  "which queued request is served next: fifo (arrival order) or oldest_first "
                                  "(smallest ComputeRequest::age, ties in arrival order; no preemption)")
        .choices({"fifo", "oldest_first"});
  }
  template <class P>
  static void declare_power_states(ParamSpec<P>& s) {
    s.template param<std::string>("idle", &P::idle,
                                  "on: static power for the whole run; gated: power-gated (no static power) "
                                  "while there is nothing to serve, woken by the next request")
        .choices({"on", "gated"});
    s.template param<Duration>("wake_latency", &P::wake_latency,
                               "idle = gated: time from a request finding the core gated to the start of "
                               "service (header-switch wake-up; Hu et al. ISLPED 2004, Matsutani et al. NOCS "
                               "2010: a few cycles to tens of ns)");
    s.template param<Duration>("break_even", &P::break_even,
                               "idle = gated: break-even time of one gate/wake cycle; each wake-up books static "
                               "power x break_even (Hu et al. ISLPED 2004; NoRD, MICRO 2012: ~10 cycles)");
    s.template param<Energy>("wake_energy", &P::wake_energy,
                             "idle = gated: energy per wake-up on top of static power x break_even (e.g. a "
                             "circuit-level figure with break_even = 0)")
        .min(0);
    s.template param<Duration>("gate_after", &P::gate_after,
                               "idle = gated: idle time before the core is gated (0: as soon as its queue empties)");
  }
  template <class P>
  static void declare(ParamSpec<P>& s) {
    declare_arbitration(s);
    declare_power_states(s);
  }
};

/// The manifest entries every core that serves ComputeRequests declares first: its `ctrl`
/// port and the `requests` counter (server_.requests), worded alike in every `strata info`.
/// A core wraps the start of its declaration: declare_serving(component<...>(...)...).port(...)...
template <class Builder>
Builder& declare_serving(Builder& b) {
  return b.port("ctrl", strata::PortDir::inout, "compute", "ComputeRequests in, the same objects back when done")
      .counter("requests", "count", "ComputeRequests received");
}

/// The manifest entries of the statistics and energy action the server registers when
/// idle = gated: a core wraps its component declaration in declare_power_stats(...).
template <class Builder>
Builder& declare_power_stats(Builder& b) {
  return b.counter("wakeups", "count", "idle = gated: wake-ups (each costs wake_latency and the wake energy)")
      .counter("gated_time", "ps", "idle = gated: time spent power-gated (no static power)")
      .counter("on_time", "ps", "idle = gated: time powered (run time - gated_time), static power drawn")
      .accumulator("always_on_static", "J",
                   "idle = gated: one sample at the end: static energy had the core never been gated "
                   "(static power x run time), to set beside the gated static_j + wake energy")
      .energy("wake");
}

/// Book `count` actions on each energy ledger, in order, and return the joules booked: the
/// dynamic energy a request caused (its ComputeRequest::energy_j). Summed left to right from
/// the first term, as the cores always summed it.
struct Booking {
  EnergyAction& action;
  std::uint64_t count;
};
inline double book_energy(std::initializer_list<Booking> bookings) {
  double joules = 0;
  for (const Booking& b : bookings) {
    b.action.add(b.count);
    joules += static_cast<double>(b.count) * b.action.per_action();
  }
  return joules;
}

/// Queue, arbitration, power states and completion of a core `Core` that serves one
/// ComputeRequest at a time. `Core` provides `void start_request(TxnPtr<ComputeRequest>)`,
/// called when a request is taken from the queue (started_at is set); the core answers by
/// calling complete() once, after which the server starts the next one.
template <class Core>
class RequestServer {
 public:
  /// `static_power`: the core's static power while powered.
  RequestServer(Core& core, Port& ctrl, const ServingParams& p, Power static_power)
      : core_(core),
        ctrl_(ctrl),
        oldest_first_(p.arbitration == "oldest_first"),
        gated_mode_(p.idle == "gated"),
        wake_latency_(p.wake_latency.ps),
        gate_after_(p.gate_after.ps),
        static_w_(static_power.watts),
        wake_j_(static_power.watts * p.break_even.seconds() + p.wake_energy.joules),
        e_wake_(Energy{wake_j_}) {
    if (p.arbitration != "fifo" && !oldest_first_)
      throw ConfigError(core.name() + ": unknown arbitration '" + p.arbitration + "'");
    if (p.idle != "on" && !gated_mode_) throw ConfigError(core.name() + ": unknown idle state '" + p.idle + "'");
    // A gated core starts gated: nothing is queued at time zero.
    state_ = gated_mode_ ? State::gated : State::on;
    core_.set_static_power(Power{gated_mode_ ? 0.0 : static_w_});
    // Only a gated core needs the power timer (an unused port would shift nothing, but
    // creating it only when used keeps always-on cores exactly as they were).
    if (gated_mode_) power_timer_ = &core_.template event_port<&RequestServer::on_power>(this, "power");
  }
  RequestServer(const RequestServer&) = delete;
  RequestServer& operator=(const RequestServer&) = delete;

  // Shared statistics; the core registers them under these names, in its own order.
  Counter requests;        // "requests": ComputeRequests received
  Accumulator queue_wait;  // "queue_wait": arrival to start of service (wake-up included)

  /// idle = gated: register wakeups, gated_time, on_time, always_on_static and the "wake"
  /// energy action (declared with declare_power_stats). Nothing when always on, so the
  /// results of an always-on core keep exactly their former shape.
  void register_power_stats() {
    if (!gated_mode_) return;
    core_.stat("wakeups", wakeups_);
    core_.stat("gated_time", gated_time_);
    core_.stat("on_time", on_time_);
    core_.stat("always_on_static", always_on_static_);
    core_.energy("wake", e_wake_);
  }

  /// A request arrived on `ctrl`.
  void on_request(TxnPtr<> t) {
    ++requests;
    queue_.push_back(Queued{std::move(t).template as<ComputeRequest>(), core_.now()});
    if (busy_) return;
    switch (state_) {
      case State::on: start_next(); break;
      case State::gated: wake(); break;
      case State::waking: break;  // starts when awake
    }
  }

  /// Answer the request in service: finished_at = now, a trace span [t0, now) named after
  /// its op (or kind) with `args(request)` as JSON (built only when tracing), sent back on `ctrl`;
  /// then the next request starts, or the core goes idle. The core sets status first.
  template <class Args>
  void complete(TxnPtr<ComputeRequest> r, Time t0, Args&& args) {
    r->finished_at = core_.now();
    if (core_.tracing()) core_.trace(span_name(*r), t0, core_.now(), "op", args(std::as_const(*r)));
    busy_ = false;
    ctrl_.send(std::move(r));
    start_next();
  }

  bool busy() const { return busy_; }

  /// End of run: close the power-state books.
  void finish() {
    if (!gated_mode_) return;
    const Time end = core_.now();
    Time gated = gated_total_;
    if (state_ == State::gated) gated += end - gated_since_;
    gated_time_ += gated;
    on_time_ += end - gated;
    always_on_static_.add(static_w_ * static_cast<double>(end) * 1e-12);
  }

  /// What a trace span of `r` is called: its op, or its kind when the op is empty.
  static std::string_view span_name(const ComputeRequest& r) {
    if (!r.op.empty()) return r.op;
    switch (r.kind) {
      case ComputeRequest::Kind::load_weights: return "load_weights";
      case ComputeRequest::Kind::gemm: return "gemm";
      case ComputeRequest::Kind::vector: return "vector";
    }
    return "request";
  }

 private:
  enum class State : std::uint8_t { on, waking, gated };
  enum Tag : std::uint64_t { kWake = 0 };  // gate timers carry their idle epoch (>= 1)
  struct Queued {
    TxnPtr<ComputeRequest> req;
    Time arrived = 0;
  };

  // Take the next request by the arbitration, or go idle.
  void start_next() {
    if (queue_.empty()) {
      idle();
      return;
    }
    auto pick = queue_.begin();
    if (oldest_first_)  // first of the smallest age: ties keep arrival order
      for (auto it = queue_.begin(); it != queue_.end(); ++it)
        if (it->req->age < pick->req->age) pick = it;
    Queued q = std::move(*pick);
    queue_.erase(pick);
    busy_ = true;
    q.req->started_at = core_.now();
    queue_wait.add(static_cast<double>(core_.now() - q.arrived));
    core_.start_request(std::move(q.req));
  }

  void idle() {
    if (!gated_mode_) return;
    if (gate_after_ == 0) {
      gate();
      return;
    }
    // Gate after gate_after unless a request arrives first (a later epoch cancels it).
    core_.schedule(*power_timer_, gate_after_, ++idle_epoch_);
  }

  void gate() {
    state_ = State::gated;
    gated_since_ = core_.now();
    core_.set_static_power(Power{0.0});
  }

  void wake() {
    gated_total_ += core_.now() - gated_since_;
    state_ = State::waking;
    ++wakeups_;
    e_wake_.add();
    core_.set_static_power(Power{static_w_});  // the domain draws leakage from the switch-on
    if (wake_latency_ == 0) {
      state_ = State::on;
      start_next();
      return;
    }
    core_.schedule(*power_timer_, wake_latency_, kWake);
  }

  void on_power(TxnPtr<> t) {
    const std::uint64_t tag = t.view<Signal>().tag;
    if (tag == kWake) {
      state_ = State::on;
      start_next();
      return;
    }
    // A gate timer: still idle since the epoch that set it?
    if (tag == idle_epoch_ && state_ == State::on && !busy_ && queue_.empty()) gate();
  }

  Core& core_;
  Port& ctrl_;
  const bool oldest_first_;
  const bool gated_mode_;
  const Time wake_latency_;
  const Time gate_after_;
  const double static_w_;
  const double wake_j_;
  Port* power_timer_ = nullptr;
  std::deque<Queued> queue_;
  bool busy_ = false;
  State state_ = State::on;
  Time gated_since_ = 0;
  Time gated_total_ = 0;
  std::uint64_t idle_epoch_ = 0;
  Counter wakeups_, gated_time_, on_time_;
  Accumulator always_on_static_;
  EnergyAction e_wake_;
};

}  // namespace strata::core_common
