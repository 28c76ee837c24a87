#include "array.hpp"

#include <strata/models_common/units.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>
#include <typeinfo>

namespace strata::systolic {

void ArrayParams::declare(ParamSpec<ArrayParams>& s) {
  using P = ArrayParams;
  s.param("rows", &SystolicParams::rows, "PE rows (R)").range(1, 1 << 20);
  s.param("cols", &SystolicParams::cols, "PE columns (C)").range(1, 1 << 20);
  s.param("dataflow", &SystolicParams::dataflow, "output, weight or input stationary").choices({"os", "ws", "is"});
  s.param("clock", &SystolicParams::frequency, "array clock").min(1);
  s.param("ifmap_sram", &SystolicParams::ifmap_sram_size, "ifmap (A) buffer, double buffered").min(1);
  s.param("filter_sram", &SystolicParams::filter_sram_size, "filter (B) buffer, double buffered").min(1);
  s.param("ofmap_sram", &SystolicParams::ofmap_sram_size, "ofmap (C, partial sums) buffer, double buffered").min(1);
  s.param("sram_bandwidth", &SystolicParams::sram_bandwidth, "bandwidth of each buffer's port").min(1);
  s.param("dram_bandwidth", &SystolicParams::dram_bandwidth,
        "DRAM share charged analytically while `mem` is unlinked; with `mem` linked the "
        "memory sets the DRAM time")
      .min(1);
  s.param("ideal_dram", &SystolicParams::ideal_dram,
        "while `mem` is unlinked, DRAM transfers take no time (bytes are still counted)");
  s.param("accumulator_bits", &SystolicParams::accumulator_bits, "width of spilled partial sums").range(1, 64);
  s.param("mac_energy", &SystolicParams::mac_energy, "energy per multiply-accumulate").min(0);
  s.param("sram_read_energy", &SystolicParams::sram_read_energy_per_byte, "energy per SRAM byte read").min(0);
  s.param("sram_write_energy", &SystolicParams::sram_write_energy_per_byte, "energy per SRAM byte written").min(0);
  s.param("dram_interface_energy", &SystolicParams::dram_interface_energy_per_byte,
        "core-side energy per DRAM byte (0: the memory books the access)")
      .min(0);
  s.param("vector_energy", &SystolicParams::vector_op_energy, "energy per vector-lane operation").min(0);
  s.param("vector_lanes", &SystolicParams::vector_lanes, "vector-unit lane operations per cycle").range(1, 1 << 20);
  s.param("power", &SystolicParams::power, "power at full activity; static power = power - full-activity dynamic power")
      .min(0);
  s.param("dram_base", &P::dram_base, "first address of this core's operand region in memory").min(0);
  s.param("memory_fidelity", &P::memory_fidelity,
          "with `mem` linked: fold (every fold's loads and stores, the next fold waits for them) or gemm (the "
          "first fold's loads, the rest as one request per operand stream overlapped with all the compute, the "
          "last fold's stores: same bytes, fewer events, latency paid once; plugins/systolic/README.md)")
      .choices({"fold", "gemm"});
  core_common::ServingParams::declare(s);
  // Atleus pipelines layers across cores (oldest micro-batch first); the paper does not say
  // that idle cores are power-gated, so idle stays on. The 3D-TPU baseline keeps fifo.
  s.preset("atleus", "Atleus SA core: 128x32 OS, 800 MHz, 1 Mb SRAM, 2.13 W; oldest_first (layer pipeline), idle on",
           [](P& p) {
             static_cast<SystolicParams&>(p) = atleus_sa();
             p.arbitration = "oldest_first";
           });
  s.preset("tpu_128x128", "3D-TPU baseline core: 128x128 WS, 800 MHz, 4 Mb SRAM, 8.52 W",
           [](P& p) { static_cast<SystolicParams&>(p) = tpu_128x128(); });
}

namespace {

std::optional<VectorOpKind> parse_vector_op(std::string_view name) {
  for (auto k : {VectorOpKind::softmax, VectorOpKind::layernorm, VectorOpKind::gelu, VectorOpKind::residual_add,
                 VectorOpKind::lora_scale})
    if (to_string(k) == name) return k;
  return std::nullopt;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : "; ") + s;
  return out;
}

}  // namespace

Array::Array(const ComponentContext& ctx)
    : Component(ctx),
      p_(ctx.params<ArrayParams>()),
      ctrl_(&port("ctrl")),
      timer_(&event_port<&Array::on_timer>(this, "timer")),
      server_(*this, *ctrl_, p_, Power{systolic::static_power(m_)}),
      e_mac_(p_.mac_energy),
      e_sram_read_(p_.sram_read_energy_per_byte),
      e_sram_write_(p_.sram_write_energy_per_byte),
      e_dram_(p_.dram_interface_energy_per_byte),
      e_vector_(p_.vector_op_energy) {
  if (auto errors = validate(m_); !errors.empty()) throw ConfigError(name() + ": " + join(errors));
  gemm_memory_ = p_.memory_fidelity == "gemm";
  const double hz = m_.frequency.hz;
  if (hz >= 1.0 && hz < 0x1p63 && std::floor(hz) == hz &&
      models::kPicosecondsPerSecond % static_cast<std::uint64_t>(hz) == 0) {
    period_ps_ = models::kPicosecondsPerSecond / static_cast<std::uint64_t>(hz);
    max_exact_cycles_ = (std::numeric_limits<std::uint64_t>::max() / 2) / period_ps_;
  }
  ctrl_->on_receive<&Array::on_request>(this);
  port("mem").on_receive<&Array::on_mem>(this);

  stat("requests", server_.requests);
  stat("gemms", gemms_);
  stat("vector_ops", vector_ops_);
  stat("unsupported", unsupported_);
  stat("macs", macs_);
  stat("lane_ops", lane_ops_);
  stat("busy", busy_);
  stat("compute_cycles", compute_cycles_);
  stat("fill_drain_cycles", fill_drain_cycles_);
  stat("stall_sram", stall_sram_);
  stat("stall_dram_fill", stall_dram_fill_);
  stat("stall_dram_bandwidth", stall_dram_bandwidth_);
  stat("stall_dram_writeback", stall_dram_writeback_);
  stat("sram_read", sram_read_);
  stat("sram_written", sram_written_);
  stat("dram_read", dram_read_);
  stat("dram_written", dram_written_);
  stat("mem_requests", mem_requests_);
  stat("mem_errors", mem_errors_);
  stat("queue_wait", server_.queue_wait);
  stat("service", service_);
  stat("request_utilisation", request_utilisation_);
  stat("utilisation", utilisation_);
  energy("mac", e_mac_);
  energy("sram_read", e_sram_read_);
  energy("sram_write", e_sram_write_);
  energy("dram_interface", e_dram_);
  energy("vector", e_vector_);
  server_.register_power_stats();
}

void Array::init() {
  if (has_link("mem")) mem_ = &port("mem");
  batch_requests_ = mem_ && mem_->bandwidth() == 0;
  endpoint_ = static_cast<std::uint32_t>(std::max(0, system().ordinal(name())));
}

void Array::finish() {
  // Busy PEs over all PEs, integrated over the whole run.
  const double run_cycles = static_cast<double>(now()) * 1e-12 * m_.frequency.hz;
  const double pes = static_cast<double>(m_.rows) * static_cast<double>(m_.cols);
  utilisation_.add(run_cycles > 0 ? static_cast<double>(macs_.value()) / (pes * run_cycles) : 0.0);
  server_.finish();
}

void Array::on_request(TxnPtr<> t) { server_.on_request(std::move(t)); }

void Array::start_request(TxnPtr<ComputeRequest> req) {
  Active& a = active_.emplace();
  a.req = std::move(req);
  a.t0 = now();
  switch (a.req->kind) {
    case ComputeRequest::Kind::gemm: start_gemm(); break;
    case ComputeRequest::Kind::vector: start_vector(); break;
    case ComputeRequest::Kind::load_weights:  // stored weights are a PIM notion
      a.status = Status::unsupported;
      complete_at(now());
      break;
  }
}

void Array::start_vector() {
  Active& a = *active_;
  const ComputeRequest& r = *a.req;
  auto kind = parse_vector_op(r.op);
  if (!kind) {
    a.status = Status::unsupported;
    complete_at(now());
    return;
  }
  // rows = m (1 if unset); length = elements / rows, rounded up, or n when elements = 0.
  VectorOp op;
  op.kind = *kind;
  op.rows = r.m > 0 ? r.m : 1;
  op.length = r.elements > 0 ? models::ceil_div(r.elements, op.rows) : r.n;
  op.element_bits = r.input_bits;
  const VectorResult v = evaluate_vector(m_, op);
  a.lane_ops = v.lane_ops;
  a.sram_read = v.sram_bytes_read;
  a.sram_written = v.sram_bytes_written;
  complete_at(now() + v.time_ps);
}

void Array::start_gemm() {
  Active& a = *active_;
  const ComputeRequest& r = *a.req;
  // op = "gemm_t": the transposed product through a k x n weight matrix (activation
  // gradients, dX = dY W^T): m x n times n x k, the weights read transposed from SRAM.
  const bool transposed = r.op == "gemm_t";
  const GemmShape g{r.m, transposed ? r.n : r.k, transposed ? r.k : r.n, r.input_bits, r.weight_bits,
                    r.output_bits};
  SystolicParams mp = m_;
  if (mem_) mp.ideal_dram = true;  // the memory, not the model, sets the DRAM time
  const GemmResult res = evaluate_gemm(mp, g);
  a.macs = res.macs;
  a.sram_read = res.sram_bytes_read;
  a.sram_written = res.sram_bytes_written;
  a.dram_read = res.dram_bytes_read;
  a.dram_written = res.dram_bytes_written;
  a.cycles = res.cycles;
  if (!mem_ || res.mapping.folds == 0) {
    complete_at(now() + res.time_ps);
    return;
  }
  // Event-driven: walk the model's folds, moving each fold's DRAM bytes through `mem`.
  a.plan.emplace(mp, g);
  a.folds = res.mapping.folds;
  a.cur = a.plan->fold(0);
  a.total.ifmap_load = res.ifmap.dram_read;
  a.total.filter_load = res.filter.dram_read;
  a.total.ofmap_load = res.ofmap.dram_read;
  a.total.ofmap_store = res.ofmap.dram_write;
  const std::uint64_t ifmap = models::packed_bytes(g.m * g.k, g.ifmap_bits);
  const std::uint64_t filter = models::packed_bytes(g.k * g.n, g.filter_bits);
  const std::uint64_t ofmap = std::max(models::packed_bytes(g.m * g.n, g.ofmap_bits),
                                       models::packed_bytes(g.m * g.n, mp.accumulator_bits));
  a.region[0] = p_.dram_base;
  a.region[1] = a.region[0] + ifmap;
  a.region[2] = a.region[1] + filter;
  a.size[0] = std::max<std::uint64_t>(ifmap, 1);
  a.size[1] = std::max<std::uint64_t>(filter, 1);
  a.size[2] = std::max<std::uint64_t>(ofmap, 1);
  a.phase = Active::Phase::fill;
  const std::uint32_t fill = issue_loads(a.cur, 0);
  send_issued(0);
  if (fill == 0) {
    a.phase = Active::Phase::folds;
    run_folds();
  }
}

// With a whole-picosecond clock period (800 MHz: 1250 ps) cycles_to_ps(c) is c x period
// exactly, so the fold schedule's clock arithmetic needs no 128-bit division (same results).
Time Array::at(std::uint64_t cycles) const {
  if (cycles <= max_exact_cycles_) return active_->t0 + cycles * period_ps_;
  return active_->t0 + models::cycles_to_ps(cycles, m_.frequency.hz);
}

std::uint64_t Array::cycles_until(Time t) const {
  const Time t0 = active_->t0;
  if (t <= t0) return 0;
  if (period_ps_ > 0) {
    const std::uint64_t c = (t - t0 - 1) / period_ps_ + 1;  // smallest c with c x period >= t - t0
    if (c <= max_exact_cycles_) return c;
  }
  auto c = static_cast<std::uint64_t>(static_cast<long double>(t - t0) * 1e-12L * m_.frequency.hz);
  while (c > 0 && at(c - 1) >= t) --c;
  while (at(c) < t) ++c;
  return c;
}

std::uint32_t Array::issue(MemRequest::Op op, int stream, std::uint64_t bytes, std::uint64_t at_cycle) {
  if (bytes == 0) return 0;
  Active& a = *active_;
  const int region = stream == 3 ? 2 : stream;  // stream 3: ofmap writes
  auto mr = make<MemRequest>();
  mr->op = op;
  mr->address = a.region[region] + a.cursor[stream] % a.size[region];
  mr->bytes = bytes;
  mr->tag = static_cast<std::uint64_t>(stream);
  mr->requester = endpoint_;
  mr->issued_at = at(at_cycle);
  a.cursor[stream] += bytes;
  issued_.add(std::move(mr));
  ++a.outstanding;
  ++mem_requests_;
  return 1;
}

// The requests of one instant leave back to back from `mem`, so no other event can come
// between them at the memory (mem_batch.hpp): on a link without bandwidth they travel as
// one MemBatch event; a single request, or a bandwidth-limited link, sends them one by one.
void Array::send_issued(std::uint64_t at_cycle) {
  const Time delay = at(at_cycle) - now();
  if (issued_.count > 1 && batch_requests_) {
    auto batch = make<memory::MemBatch>();
    for (std::uint32_t i = 0; i < issued_.count; ++i) batch->add(std::move(issued_.requests[i]));
    mem_->send(std::move(batch), delay);
  } else {
    for (std::uint32_t i = 0; i < issued_.count; ++i) mem_->send(std::move(issued_.requests[i]), delay);
  }
  issued_.count = 0;
}

std::uint32_t Array::issue_loads(const FoldTraffic& t, std::uint64_t at_cycle) {
  return issue(MemRequest::Op::read, 0, t.ifmap_load, at_cycle) +
         issue(MemRequest::Op::read, 1, t.filter_load, at_cycle) +
         issue(MemRequest::Op::read, 2, t.ofmap_load, at_cycle);
}

// Double buffering, as in the model: while fold f computes, fold f+1's loads arrive and
// fold f-1's stores leave; fold f+1 starts when both are done (at a clock edge). Folds
// with no DRAM traffic cost no events, and the end of a fold's compute costs none either:
// the fold's last memory answer advances the schedule, and when it comes before the
// compute ends, the next fold's requests are sent with the delay to that end. Nothing else
// reads the schedule, and an event's order among events of equal time is (priority, the
// sending port, that port's sequence), never when it was sent, so every request reaches
// the memory at the same time and in the same order as from an event at the fold's end.
void Array::run_folds() {
  Active& a = *active_;
  if (gemm_memory_ && a.fold < a.folds && stream_folds()) return;  // then a.fold = a.folds
  while (a.fold < a.folds) {
    a.next = a.fold + 1 < a.folds ? a.plan->fold(a.fold + 1) : FoldTraffic{};
    const std::uint64_t busy = a.plan->busy_cycles(a.cur);
    const std::uint32_t issued =
        issue_loads(a.next, a.cyc) + issue(MemRequest::Op::write, 3, a.prev_store, a.cyc);
    send_issued(a.cyc);
    a.fold_end = a.cyc + busy;
    if (issued > 0) return;  // advance() on the last answer (no event at the compute's end)
    a.cyc = a.fold_end;
    a.prev_store = a.cur.ofmap_store;
    a.cur = a.next;
    ++a.fold;
  }
  a.phase = Active::Phase::writeback;
  const std::uint32_t writeback = issue(MemRequest::Op::write, 3, a.prev_store, a.cyc);
  send_issued(a.cyc);
  if (writeback == 0) complete_at(at(a.cyc));
}

// memory_fidelity = "gemm": after the first fold's loads (the fill, as in "fold"), every
// fold's compute runs back to back while the other folds' loads and all stores but the last
// fold's move as one request per stream, sent at once; the GEMM's compute ends when both
// are done, then the last fold's stores leave (the writeback, as in "fold"). The sums come
// from the model's totals, so the bytes are the fold schedule's. True when it waits for
// the memory.
bool Array::stream_folds() {
  Active& a = *active_;
  const FoldTraffic last = a.plan->fold(a.folds - 1);
  FoldTraffic rest;
  rest.ifmap_load = a.total.ifmap_load - a.cur.ifmap_load;
  rest.filter_load = a.total.filter_load - a.cur.filter_load;
  rest.ofmap_load = a.total.ofmap_load - a.cur.ofmap_load;
  // sum over the folds of busy_cycles(): cycles_per_fold each plus its SRAM-port stall
  const std::uint64_t busy = a.cycles.compute + a.cycles.fill_drain + a.cycles.stall_sram;
  const std::uint32_t issued =
      issue_loads(rest, a.cyc) + issue(MemRequest::Op::write, 3, a.total.ofmap_store - last.ofmap_store, a.cyc);
  send_issued(a.cyc);
  a.fold_end = a.cyc + busy;
  a.fold = a.folds;
  a.prev_store = last.ofmap_store;
  if (issued > 0) return true;
  a.cyc = a.fold_end;
  return false;
}

void Array::advance() {
  Active& a = *active_;
  switch (a.phase) {
    case Active::Phase::fill: {
      a.cyc = cycles_until(now());
      a.cycles.stall_dram_fill = a.cyc;
      a.phase = Active::Phase::folds;
      run_folds();
      break;
    }
    case Active::Phase::folds: {
      // The last answer: the fold ends at its compute's end or now, whichever is later.
      const std::uint64_t c = std::max(a.fold_end, cycles_until(now()));
      a.cycles.stall_dram_bandwidth += c - a.fold_end;
      a.cyc = c;
      if (a.fold < a.folds) {  // "fold": the next fold ("gemm" has run them all)
        a.prev_store = a.cur.ofmap_store;
        a.cur = a.next;
        ++a.fold;
      }
      run_folds();
      break;
    }
    case Active::Phase::writeback: {
      const std::uint64_t c = cycles_until(now());
      a.cycles.stall_dram_writeback = c - a.cyc;
      a.cyc = c;
      complete_at(at(c));
      break;
    }
  }
}

// An answer: one MemRequest, or a MemBatch answered when its last request was done.
void Array::on_mem(TxnPtr<> t) {
  const bool batch = typeid(*t) == typeid(memory::MemBatch);
  const std::uint32_t answers = batch ? static_cast<memory::MemBatch&>(*t).count : 1;
  if (!active_ || active_->outstanding < answers) throw ModelError(name() + ": memory response with none outstanding");
  Active& a = *active_;
  for (std::uint32_t i = 0; i < answers; ++i) {
    const MemRequest& r = batch ? *static_cast<memory::MemBatch&>(*t).requests[i] : t.view<MemRequest>();
    if (r.status != Status::ok) {
      ++mem_errors_;
      if (a.status == Status::ok) a.status = r.status;
    }
  }
  a.outstanding -= answers;
  if (a.outstanding == 0) advance();
}

void Array::on_timer(TxnPtr<> t) {
  if (t.view<Signal>().tag == kDone) finish_request();
}

void Array::complete_at(Time t) { schedule(*timer_, t - now(), kDone); }

void Array::finish_request() {
  Active& a = *active_;
  ComputeRequest& r = *a.req;
  if (a.status == Status::unsupported) {
    ++unsupported_;
  } else {
    const bool gemm = r.kind == ComputeRequest::Kind::gemm;
    ++(gemm ? gemms_ : vector_ops_);
    macs_ += a.macs;
    lane_ops_ += a.lane_ops;
    busy_ += now() - a.t0;
    compute_cycles_ += a.cycles.compute;
    fill_drain_cycles_ += a.cycles.fill_drain;
    stall_sram_ += a.cycles.stall_sram;
    stall_dram_fill_ += a.cycles.stall_dram_fill;
    stall_dram_bandwidth_ += a.cycles.stall_dram_bandwidth;
    stall_dram_writeback_ += a.cycles.stall_dram_writeback;
    sram_read_ += a.sram_read;
    sram_written_ += a.sram_written;
    dram_read_ += a.dram_read;
    dram_written_ += a.dram_written;
    r.energy_j = core_common::book_energy({{e_mac_, a.macs},
                                           {e_sram_read_, a.sram_read},
                                           {e_sram_write_, a.sram_written},
                                           {e_dram_, a.dram_read + a.dram_written},
                                           {e_vector_, a.lane_ops}});
    service_.add(static_cast<double>(now() - a.t0));
    if (gemm && a.cycles.total() > 0) {
      const double pes = static_cast<double>(m_.rows) * static_cast<double>(m_.cols);
      request_utilisation_.add(static_cast<double>(a.macs) / (pes * static_cast<double>(a.cycles.total())));
    }
  }
  r.status = a.status;
  const Time t0 = a.t0;
  TxnPtr<ComputeRequest> done = std::move(a.req);
  active_.reset();
  server_.complete(std::move(done), t0, [](const ComputeRequest& q) {
    return "{\"m\":" + std::to_string(q.m) + ",\"k\":" + std::to_string(q.k) + ",\"n\":" + std::to_string(q.n) +
           ",\"elements\":" + std::to_string(q.elements) + ",\"age\":" + std::to_string(q.age) + ",\"status\":\"" +
           to_string(q.status) + "\",\"energy_j\":" + std::to_string(q.energy_j) + "}";
  });
}

}  // namespace strata::systolic

STRATA_PLUGIN("systolic", "1.0", "Systolic-array cores (SCALE-Sim-style closed form, event driven)",
              strata::core_common::declare_power_stats(
              strata::core_common::declare_serving(
                  strata::component<strata::systolic::Array, strata::systolic::ArrayParams>("systolic.array")
                  .summary("R x C systolic-array core (OS/WS/IS) with a vector unit; one request at a time "
                           "(fifo or oldest_first), optionally power-gated while idle")
                  .description(
                      "Service time per request from the closed-form model in plugins/systolic/model "
                      "(SCALE-Sim v2 folds: R + C + T - 2 cycles for OS, 2R + C + T - 2 for WS/IS; SRAM "
                      "reuse and spills; Horowitz "
                      "45 nm energies). GEMM operands start in DRAM and results end there. With `mem` "
                      "unlinked the DRAM time is the model's (dram_bandwidth, overlapped per fold). With "
                      "`mem` linked every fold's DRAM bytes are sent as MemRequests (up to 3 reads and 1 "
                      "write per fold, double buffered) and the next fold waits for them at a clock edge, "
                      "so memory latency and contention show as stall_dram_* cycles (memory_fidelity = gemm: the first fold's "
                      "loads, then one request per operand stream for the rest, then the last stores). Vector ops: softmax, "
                      "layernorm, gelu, residual_add, lora_scale (rows = m, length = elements/m or n); "
                      "other ops and load_weights answer status unsupported. A gemm with op = \"gemm_t\" is "
                      "the transposed product through a k x n weight matrix (m x n times n x k: activation "
                      "gradients through frozen weights)."))
                  .port("mem", strata::PortDir::out, "mem", "optional: DRAM operand/result traffic (MemRequest)")
                  .counter("gemms", "count", "GEMMs completed")
                  .counter("vector_ops", "count", "vector ops completed")
                  .counter("unsupported", "count", "requests answered with status unsupported")
                  .counter("macs", "count", "multiply-accumulates")
                  .counter("lane_ops", "count", "vector-lane operations")
                  .counter("busy", "ps", "time serving requests")
                  .counter("compute_cycles", "cycle", "cycles operands stream through the array (T per fold)")
                  .counter("fill_drain_cycles", "cycle",
                           "fill and drain cycles per fold: R + C - 2 (OS), 2R + C - 2 (WS, IS)")
                  .counter("stall_sram", "cycle", "stalls on SRAM port bandwidth")
                  .counter("stall_dram_fill", "cycle", "stalls waiting for the first fold's operands")
                  .counter("stall_dram_bandwidth", "cycle", "stalls of folds whose DRAM traffic outlasts compute")
                  .counter("stall_dram_writeback", "cycle", "stalls writing back the last fold's outputs")
                  .counter("sram_read", "B", "SRAM bytes read")
                  .counter("sram_written", "B", "SRAM bytes written")
                  .counter("dram_read", "B", "DRAM bytes read (operands, re-fetches, spilled partial sums)")
                  .counter("dram_written", "B", "DRAM bytes written (results, spills)")
                  .counter("mem_requests", "count", "MemRequests sent on `mem`")
                  .counter("mem_errors", "count", "MemRequests answered with a failure status")
                  .accumulator("queue_wait", "ps", "time a request waited in the queue (a wake-up included)")
                  .accumulator("service", "ps", "service time per completed request")
                  .accumulator("request_utilisation", "ratio", "per GEMM: MACs / (R x C x cycles)")
                  .accumulator("utilisation", "ratio", "one sample at the end: MACs / (R x C x cycles of the run)")
                  .energy("mac")
                  .energy("sram_read")
                  .energy("sram_write")
                  .energy("dram_interface")
                  .energy("vector")))
