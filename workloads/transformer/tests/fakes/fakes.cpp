// Test-only stand-ins for the real cores and network interfaces, with closed-form timing
// so that a test can compute the expected end-to-end time by hand:
//   test.fake_pim, test.fake_sa  gemm: 2*m*k*n * flop_time; vector: elements * element_time;
//                                load_weights: k*n*weight_bits/8 bytes * load_time.
//                                FIFO, one request at a time, unless parallel = true;
//                                oldest_first = true serves the queued request of the
//                                smallest ComputeRequest::age first (ties: arrival order).
//   test.fake_ni                 a transfer completes latency + bytes * byte_time after it
//                                starts; FIFO on its bytes unless parallel = true. Answers the
//                                sender only (no network, no arrival copy).
// Not hardware models: they exist so the workload's tests do not depend on other plugins.
#include <strata/plugin.hpp>
#include <strata/strata.hpp>
#include <strata/transactions.hpp>

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

namespace strata::fakes {

struct FakeCoreParams {
  Duration flop_time{1};
  Duration element_time{1};
  Duration load_time{1};
  Energy energy_per_flop{1e-12};
  bool parallel = false;
  bool oldest_first = false;
  bool check_weights = false;
  std::string accept_ops = "";
  static void declare(ParamSpec<FakeCoreParams>& s) {
    s.param("flop_time", &FakeCoreParams::flop_time, "time per GEMM FLOP (2*m*k*n FLOPs)");
    s.param("element_time", &FakeCoreParams::element_time, "time per vector element");
    s.param("load_time", &FakeCoreParams::load_time, "time per weight byte written by load_weights");
    s.param("energy_per_flop", &FakeCoreParams::energy_per_flop,
            "energy per FLOP (gemm), element (vector) or byte (load_weights)");
    s.param("parallel", &FakeCoreParams::parallel, "serve every request at once (infinite servers) instead of FIFO");
    s.param("oldest_first", &FakeCoreParams::oldest_first,
            "one at a time, the queued request of the smallest age first (ties: arrival order) instead of FIFO");
    s.param("check_weights", &FakeCoreParams::check_weights,
            "refuse a gemm on stored weights whose weight_id was not loaded with the same k*n");
    s.param("accept_ops", &FakeCoreParams::accept_ops,
            "comma-separated vector op names served; others answer unsupported (empty: all)");
  }
};

class FakeCore final : public Component {
 public:
  explicit FakeCore(const ComponentContext& ctx) : Component(ctx), p_(ctx.params<FakeCoreParams>()) {
    port("ctrl").on_receive<&FakeCore::on_request>(this);
    if (p_.oldest_first) done_ = &event_port<&FakeCore::on_done>(this, "done");
    stat("requests", requests_);
    stat("busy", busy_);
  }

 private:
  void on_request(TxnPtr<> t) {
    auto req = std::move(t).as<ComputeRequest>();
    if (!p_.oldest_first) {
      serve(std::move(req));
      return;
    }
    queue_.push_back(Queued{req->age, arrivals_++, std::move(req)});
    if (!running_) start_next();
  }

  // oldest_first: start the queued request of the smallest (age, arrival).
  void start_next() {
    if (queue_.empty()) return;
    auto it = std::min_element(queue_.begin(), queue_.end(),
                               [](const Queued& a, const Queued& b) { return std::pair{a.age, a.seq} < std::pair{b.age, b.seq}; });
    TxnPtr<ComputeRequest> req = std::move(it->req);
    queue_.erase(it);
    running_ = true;
    serve(std::move(req));
    schedule(*done_, free_at_ - now());
  }
  void on_done(TxnPtr<> /*t*/) {
    running_ = false;
    start_next();
  }

  void serve(TxnPtr<ComputeRequest> req) {
    Time service = 0;
    double energy = 0;
    req->status = Status::ok;
    switch (req->kind) {
      case ComputeRequest::Kind::gemm: {
        const std::uint64_t flops = 2 * req->m * req->k * req->n;
        service = flops * p_.flop_time.ps;
        energy = static_cast<double>(flops) * p_.energy_per_flop.joules;
        if (p_.check_weights && req->static_weights) {
          auto it = loaded_.find(req->weight_id);
          if (it == loaded_.end() || it->second != req->k * req->n) req->status = Status::refused;
        }
        break;
      }
      case ComputeRequest::Kind::vector:
        if (!p_.accept_ops.empty() && ("," + p_.accept_ops + ",").find("," + req->op + ",") == std::string::npos)
          req->status = Status::unsupported;
        service = req->elements * p_.element_time.ps;
        energy = static_cast<double>(req->elements) * p_.energy_per_flop.joules;
        break;
      case ComputeRequest::Kind::load_weights: {
        const std::uint64_t bytes = (req->k * req->n * req->weight_bits + 7) / 8;
        service = bytes * p_.load_time.ps;
        energy = static_cast<double>(bytes) * p_.energy_per_flop.joules;
        loaded_[req->weight_id] = req->k * req->n;
        break;
      }
    }
    const Time start = p_.parallel ? now() : std::max(now(), free_at_);
    const Time end = start + service;
    if (!p_.parallel) free_at_ = end;
    req->started_at = start;
    req->finished_at = end;
    req->energy_j = energy;
    ++requests_;
    busy_.add(static_cast<double>(service));
    port("ctrl").send(std::move(req), end - now());
  }

  struct Queued {
    std::uint64_t age, seq;
    TxnPtr<ComputeRequest> req;
  };
  FakeCoreParams p_;
  Time free_at_ = 0;
  Port* done_ = nullptr;
  std::vector<Queued> queue_;
  std::uint64_t arrivals_ = 0;
  bool running_ = false;
  std::map<std::uint64_t, std::uint64_t> loaded_;  // weight_id -> k*n
  Counter requests_;
  Accumulator busy_;
};

struct FakeNiParams {
  Duration latency{10000};
  Duration byte_time{1};
  bool parallel = true;
  static void declare(ParamSpec<FakeNiParams>& s) {
    s.param("latency", &FakeNiParams::latency, "fixed time of every transfer");
    s.param("byte_time", &FakeNiParams::byte_time, "time per byte");
    s.param("parallel", &FakeNiParams::parallel, "transfers overlap (true) or queue on their bytes (false)");
  }
};

class FakeNi final : public Component {
 public:
  explicit FakeNi(const ComponentContext& ctx) : Component(ctx), p_(ctx.params<FakeNiParams>()) {
    port("ctrl").on_receive<&FakeNi::on_request>(this);
    stat("transfers", transfers_);
    stat("bytes", bytes_);
  }

 private:
  void on_request(TxnPtr<> t) {
    auto tr = std::move(t).as<TransferRequest>();
    const Time start = p_.parallel ? now() : std::max(now(), free_at_);
    const Time wire = tr->bytes * p_.byte_time.ps;
    if (!p_.parallel) free_at_ = start + wire;
    const Time done = start + wire + p_.latency.ps;
    tr->status = Status::ok;
    tr->completed_at = done;
    ++transfers_;
    bytes_ += tr->bytes;
    port("ctrl").send(std::move(tr), done - now());
  }

  FakeNiParams p_;
  Time free_at_ = 0;
  Counter transfers_, bytes_;
};

struct FakeMemParams {
  Duration latency{1000};
  Duration byte_time{1};
  Bytes capacity{1ull << 40};
  static void declare(ParamSpec<FakeMemParams>& s) {
    s.param("latency", &FakeMemParams::latency, "fixed time of every request");
    s.param("byte_time", &FakeMemParams::byte_time, "time per byte (FIFO: requests queue on their bytes)");
    s.param("capacity", &FakeMemParams::capacity, "addressable bytes");
  }
};

class FakeMem final : public Component {
 public:
  explicit FakeMem(const ComponentContext& ctx) : Component(ctx), p_(ctx.params<FakeMemParams>()) {
    on_receive<&FakeMem::on_request>("port", this);
    stat("reads", reads_);
    stat("writes", writes_);
    stat("bytes", bytes_);
    stat("max_end", max_end_);
  }

 private:
  void on_request(Port& port, TxnPtr<> t) {
    auto r = std::move(t).as<MemRequest>();
    if (r->address + r->bytes > p_.capacity.count) {
      r->status = Status::address_error;
      port.send(std::move(r));
      return;
    }
    const Time start = std::max(now(), free_at_);
    free_at_ = start + r->bytes * p_.byte_time.ps;
    const Time done = free_at_ + p_.latency.ps;
    ++(r->op == MemRequest::Op::read ? reads_ : writes_);
    bytes_ += r->bytes;
    if (r->address + r->bytes > max_end_.value()) max_end_ += r->address + r->bytes - max_end_.value();
    r->status = Status::ok;
    port.send(std::move(r), done - now());
  }

  FakeMemParams p_;
  Time free_at_ = 0;
  Counter reads_, writes_, bytes_, max_end_;
};

// test.fake_pim and test.fake_sa are one closed-form core under the two kinds' type names
// (the workload tells PIM from systolic cores by type), so they declare the same manifest.
ComponentDecl fake_core(std::string type, std::string summary) {
  return component<FakeCore, FakeCoreParams>(std::move(type))
      .summary(std::move(summary))
      .required_port("ctrl", PortDir::inout, "compute", "compute requests")
      .counter("requests", "count", "requests served")
      .accumulator("busy", "ps", "service time per request");
}

}  // namespace strata::fakes

STRATA_PLUGIN("transformer_test_fakes", "1.0", "Closed-form fake cores and NIs for the transformer workload tests",
              strata::fakes::fake_core("test.fake_pim", "Fake PIM core: closed-form service times (tests only)"),
              strata::fakes::fake_core("test.fake_sa", "Fake systolic core: closed-form service times (tests only)"),
              strata::component<strata::fakes::FakeNi, strata::fakes::FakeNiParams>("test.fake_ni")
                  .summary("Fake network interface: latency + bytes x byte_time (tests only)")
                  .required_port("ctrl", strata::PortDir::inout, "xfer", "transfer requests")
                  .counter("transfers", "count", "transfers served")
                  .counter("bytes", "B", "bytes moved"),
              strata::component<strata::fakes::FakeMem, strata::fakes::FakeMemParams>("test.fake_mem")
                  .summary("Fake memory: latency + bytes x byte_time, FIFO (tests only)")
                  .multi_port("port", strata::PortDir::inout, "mem", "one element per requester")
                  .counter("reads", "count", "reads served")
                  .counter("writes", "count", "writes served")
                  .counter("bytes", "B", "bytes read or written")
                  .counter("max_end", "B", "highest address + bytes of any request"))
