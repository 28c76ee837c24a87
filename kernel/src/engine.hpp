// engine.hpp - the private simulation engine: owns components, wires ports, runs the loop.
#pragma once

#include "event_queue.hpp"

#include <array>
#include <strata/component.hpp>
#include <strata/plugin.hpp>

#include <cstdint>
#include <functional>
#include <atomic>
#include <exception>
#include <iosfwd>
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace strata::detail {

class TraceWriter;

/// Storage for declared ports (single ports and multi-port blocks): the link-port region
/// (memory.cpp), whose sends Port::send may defer; the ordinary pools when it is full or
/// could not be reserved. Event ports come from the pools (pool_allocate).
void* allocate_link_ports(std::size_t bytes);
void release_link_ports(void* block, std::size_t bytes) noexcept;
std::uintptr_t link_port_region_begin();
std::size_t link_port_region_bytes();

/// Kernel-side access to Port/Component internals.
struct PortWiring {
  /// Complete a send that Port::send deferred.
  /// Complete the oldest deferred send of q.
  static void complete_next(SendQueue& q) {
    const DeferredSend d = q.ring[q.head++ % SendQueue::kCapacity];
    q.others -= !q.holds(d.port);
    d.port->send_now(d.txn, d.depart);
  }
  static void connect(Port& a, Port& b, Time latency);
  /// Append an element to a multi-port (grows its block; peers are re-pointed).
  static Port& add_multi_element(Component& c, std::string_view name);
  /// Pre-size a multi-port's block so wiring never moves ports (the builder counts first).
  static void reserve(Component& c, std::string_view name, std::size_t n);
  static Port* find_port(Component& c, std::string_view name, int index);
  /// Number of elements of a multi-port so far.
  static std::size_t element_count(Component& c, std::string_view name);
  static std::vector<Port*> all_ports(Component& c);
  static void set_source(Port& p, std::uint32_t id) { p.source_ = id; }
  static std::uint32_t source(const Port& p) { return p.source_; }
  static bool bandwidth_limited(const Port& p) { return (p.link_ & Port::kBandwidthBit) != 0; }
  static void set_partition(Component& c, EngineCore* part) { c.core_ = part; }
  static const EngineCore* partition(const Component& c) { return c.core_; }
  /// After partitioning: flag ports whose peer lives in another partition.
  static void mark_remote(Port& p);
  /// The link state of a bandwidth-limited port (0: none).
  static std::uint32_t bw_slot(const Port& p);
  /// What a port is, found from its owner (cold paths only: names, handlers, wiring).
  struct Location {
    enum class Kind { single, element, event } kind;
    int decl = -1;   // declared port (single, element) or interned event name (event)
    int index = -1;  // element position
  };
  static Location locate(const Port& p);
  static Handler own_handler(const Port& p);
  static const ComponentDecl& decl(const Component& c) { return *c.d_->decl_; }
  static void free_ports(Component& c);
  static int decl_index(const Component& c, std::string_view name, bool multi);
};

/// Occupancy of one direction of a bandwidth-limited link.
struct LinkState {
  double bytes_per_s = 0;
  Time busy_until = 0;
};

struct StopConditions {
  Time end_time = kTimeMax;                 // events at or after this time do not run
  std::uint64_t max_events = ~std::uint64_t{0};
};

enum class StopReason { empty_queue, end_time, event_budget, requested, error };

/// The other processes of an MPI job that runs one simulation together
/// (`mpirun -n K strata run`, kernel/cli/mpi_run.cpp). libstrata does not link MPI: the
/// executable implements this interface with it. Every rank builds the whole system and
/// runs the partitions it owns; all ranks call these at the same points of a run, from one
/// thread at a time.
class RankLink {
 public:
  virtual ~RankLink() = default;
  virtual int rank() const = 0;
  virtual int ranks() const = 0;
  /// out[k] goes to rank k (out[rank()] is empty); returns what each rank sent this one.
  virtual std::vector<std::vector<unsigned char>> exchange(const std::vector<std::vector<unsigned char>>& out) = 0;
  /// In place, over all ranks: element-wise minimum of `mins`, element-wise sum of `sums`.
  virtual void allreduce(std::vector<std::uint64_t>& mins, std::vector<std::uint64_t>& sums) = 0;
  /// Rank 0 receives every rank's bytes by rank (its own included); the others get {}.
  virtual std::vector<std::vector<unsigned char>> gather(const std::vector<unsigned char>& mine) = 0;
};

/// One partition of the system: its components' events, its clock, its outboxes.
struct Partition : EngineCore {
  std::uint16_t id = 0;
  EventQueue queue;
  // Link sends held back by Port::send while their ports' lines arrive (run_window).
  SendQueue sends;
  bool defer_sends = false;  // set at finalize: every link has a latency
  // Events for other partitions, by window parity then destination partition. Window w
  // writes boxes[w & 1]; each partition drains its boxes of parity w & 1 at the start of
  // window w + 1, while window w + 1 writes the other parity: one barrier per window.
  std::array<std::vector<std::vector<Transaction*>>, 2> outbox;
  std::array<Time, 2> outbox_min{kTimeMax, kTimeMax};  // earliest event in outbox[parity]
  unsigned parity = 0;                                  // of the window being run
  bool local = true;  // run by this process (false: another MPI rank's)
  std::uint64_t events = 0;
  std::exception_ptr error;
  std::string error_where;
  // `strata run --profile` only: events and handler wall time per receiving port (empty and
  // untouched otherwise: the loop without profiling is a separate instantiation).
  struct PortProfile {
    std::uint64_t events = 0;
    std::uint64_t nanoseconds = 0;
  };
  std::unordered_map<const Port*, PortProfile> profile;
};
const char* to_string(StopReason r);

/// One row of the event profile: a component type's receiving port (multi-port elements
/// and all instances folded together), how many events it received, its handlers' wall time.
struct ProfileRow {
  std::string type;   // component type, e.g. "noc.router"
  std::string port;   // receiving port, "port" for port[k], "@wake" for an event port
  std::uint64_t events = 0;
  double seconds = 0;
};

struct RunResult {
  StopReason reason = StopReason::empty_queue;
  Time end_time = 0;          // simulated time when the run stopped
  std::uint64_t events = 0;   // handler invocations
  double wall_seconds = 0;
};

class Engine {
 public:
  explicit Engine(std::uint64_t seed = 0);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // ---- building (before time zero) ----
  /// Construct a component through its factory. `keepalive` pins the plugin library.
  Component& add_component(const ComponentDecl& decl, std::string name, std::vector<int> index,
                           std::shared_ptr<const ParamSet> params, std::shared_ptr<void> keepalive);
  Component* find(std::string_view name) const;
  void connect(Port& a, Port& b, Time latency, double bytes_per_s = 0);
  /// Split the components over `threads` partitions (before finalize). Automatic: a grid
  /// element goes by its position in its grid (contiguous slabs, the last dimension cut
  /// first), components outside grids are dealt out in name order; a component with a
  /// partition hint goes where the hint says (modulo the thread count).
  void set_threads(int threads) { threads_ = threads < 1 ? 1 : threads; }
  int threads() const { return threads_; }
  void set_partition_hint(const Component& c, int partition);
  /// Run one simulation across the ranks of `link` (before finalize; the link outlives
  /// the engine's runs): partitions = threads x ranks, each rank owning a contiguous run
  /// of them; cross-rank events are serialized and exchanged at window boundaries.
  void set_rank_link(RankLink* link) { ranks_ = link; }
  int rank() const { return ranks_ ? ranks_->rank() : 0; }
  /// True when this process runs c (always, without ranks).
  bool is_local(const Component& c) const;
  /// Assign source ids in (component name, port creation) order, partitions, lookahead.
  /// Call once after all components and links exist.
  void finalize();
  /// Smallest link latency in the system: the synchronisation window of every run.
  Time lookahead() const { return lookahead_; }
  /// Built on first use (large systems that never ask pay nothing).
  const SystemView& system();
  LinkState& link_state(std::uint32_t slot) { return link_states_[slot]; }
  /// The link-state slot of a bandwidth-limited port: by source id once finalized, by
  /// address while wiring (a multi-port that grows moves its ports: re-keyed then).
  std::uint32_t bw_slot(const Port& p) const;
  void move_bw_slot(const Port& from, const Port& to);
  /// Storage for a single (link) port or an event port (freed by the component).
  void* allocate_port(bool event_port);
  /// Interned event-port names ("self" is shared by thousands of components).
  std::uint16_t intern_event_name(std::string_view name);
  const std::string& event_name(std::uint16_t id) const { return event_names_[id]; }
  void enable_trace(std::unique_ptr<TraceWriter> writer);
  /// Count events and time handlers per receiving port during run() (strata run --profile).
  /// Off by default, and then the event loop contains no profiling code at all.
  void enable_profile() { profile_ = true; }
  bool profiling() const { return profile_; }
  /// The profile so far, by (component type, port), most events first (ties: type, port).
  std::vector<ProfileRow> profile() const;
  TraceWriter* tracer() const { return tracer_.get(); }
  /// Where the results go (Component::output_dir); empty when nothing is written.
  void set_output_dir(std::string dir) { output_dir_ = std::move(dir); }
  const std::string& output_dir() const { return output_dir_; }

  // ---- running ----
  void init();
  RunResult run(const StopConditions& stop, const std::function<void(const RunResult&)>& progress = {});
  void finish();
  /// With ranks: every rank calls this after finish() (or after a failed run), and rank 0
  /// receives the statistics and energy of the components other ranks ran, so its results
  /// are the whole system's. Nothing to do without ranks.
  void collect_results();
  void request_stop() { stop_requested_ = true; }

  // ---- results ----
  const std::vector<std::unique_ptr<Component>>& components() const { return components_; }
  std::uint64_t seed() const { return seed_; }

  std::uint32_t next_source_id() { return next_source_++; }
  /// Current simulated time (after a run: where it stopped).
  Time now() const { return parts_.front()->now; }
  Partition& partition(std::size_t k) { return *parts_[k]; }
  std::size_t partitions() const { return parts_.size(); }
  /// The partition a component runs in (after finalize).
  std::size_t partition_of(const Component& c) const {
    return static_cast<const Partition*>(PortWiring::partition(c))->id;
  }
  std::uint64_t events() const;

 private:
  std::uint64_t seed_;
  std::vector<std::shared_ptr<void>> keepalive_;
  std::vector<std::string> event_names_;  // plugin libraries: declared first, destroyed last
  std::vector<std::shared_ptr<const ParamSet>> param_sets_;
  std::vector<std::unique_ptr<Component>> components_;
  std::vector<std::unique_ptr<Partition>> parts_;
  std::map<const Component*, int> hints_;
  int threads_ = 1;
  Time lookahead_ = kTimeMax;
  std::vector<LinkState> link_states_{1};  // slot 0 = none
  std::unordered_map<const Port*, std::uint32_t> bw_by_port_;  // while wiring
  std::vector<std::uint32_t> bw_by_source_;                     // after finalize
  SystemView system_;
  std::once_flag system_once_;
  void build_system_view();
  std::unique_ptr<TraceWriter> tracer_;
  bool profile_ = false;
  std::string output_dir_;
  std::atomic<bool> stop_requested_{false};
  bool finalized_ = false;
  std::uint32_t next_source_ = 1;
  RankLink* ranks_ = nullptr;
  std::exception_ptr init_error_;  // with ranks: an init() failure, reported by run()
  std::vector<Port*> port_by_source_;  // with ranks: where an arriving event is delivered
  void exchange_remote(unsigned parity);
};

}  // namespace strata::detail
