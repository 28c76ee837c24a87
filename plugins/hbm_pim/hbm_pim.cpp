#include "hbm_pim.hpp"

#include <strata/memory/mem_batch.hpp>
#include <strata/models_common/units.hpp>

#include <algorithm>

namespace strata::hbm_pim {

using models::ceil_div;

// Sources of the compute parameters (defaults):
//  - banks_per_channel 32: a 128-bit HBM2 channel in pseudo-channel mode is two 64-bit
//    pseudo-channels of 16 banks (JESD235A). With banks_per_unit = 2 the 8-channel stack has
//    128 units: the count Samsung's HBM-PIM publishes implicitly, 1.2 TFLOPS = 128 PCUs x
//    16 FP16 lanes x 2 FLOP x 300 MHz (Kwon et al., ISSCC 2021; Lee et al., ISCA 2021).
//  - banks_per_unit 2, lanes 16, mac_bits 16: one programmable computing unit per bank pair,
//    a 16-wide FP16 SIMD MAC (Kwon et al., ISSCC 2021). Newton (He et al., MICRO 2020) has
//    one 16-multiplier unit per bank (banks_per_unit = 1, bfloat16).
//  - t_ccd 4 ns: a PIM command issues per column command at tCCD_L = 4 tCK; at Atleus's 2
//    Gb/s pins (1 GHz CK) that is 4 ns (HBM-PIM's 300 MHz PCU = 4 tCK at 2.4 Gb/s, Kwon 2021).
//  - t_rcd, t_rp 14 ns: HBM2 speed-bin values, the same as behind memory.hbm's 45 ns access
//    latency (plugins/memory/model: tRCD ~14 ns + tCL ~14 ns + controller).
//  - row_size 1 KiB: the HBM2 page of a pseudo-channel (JESD235A).
//  - mode_switch 30 ns: entering and leaving all-bank PIM mode, two mode-register writes of
//    ~15 ns (tMOD class) each. Assumed: HBM-PIM switches modes with a mode-register sequence
//    (Lee et al., ISCA 2021) whose exact timing is not published.
//  - mac_energy 1.5 pJ: one FP16 multiply (1.1 pJ) and add (0.4 pJ) at 45 nm (Horowitz,
//    ISSCC 2014): a logic-process figure for a MAC built in a DRAM process (assumed to cancel).
//  - bank_read_energy 3.9 pJ/bit: Atleus's HBM2 energy per bit (array + I/O, O'Connor et al.,
//    MICRO 2017) for every bit a PIM command reads in the banks. An upper bound: an in-bank
//    read does not drive the TSVs and PHY; kept equal to the ordinary access energy so that
//    the DRAM energy parameters are Atleus's, and declared apart so it can be swept.
void HbmPimParams::declare(ParamSpec<HbmPimParams>& s) {
  using P = HbmPimParams;
  memory::declare_dram_params(s, "access granularity = one column access of a PIM command",
                              "energy per bit moved by ordinary accesses, matrix writes and PIM inputs/results (array + I/O)");
  s.param("capacity", &P::capacity, "addressable bytes (ordinary accesses and stored matrices)").min(1);
  s.param("interleave", &P::interleave, "channel interleaving granularity (a multiple of burst)").min(1);
  s.param("banks_per_channel", &P::banks_per_channel, "banks per channel (all compute in all-bank mode)")
      .range(1, 1 << 12);
  s.param("banks_per_unit", &P::banks_per_unit, "banks sharing one compute unit (HBM-PIM: 2, Newton: 1)")
      .range(1, 1 << 12);
  s.param("lanes", &P::lanes, "multiply-accumulates per unit per column command").range(1, 1 << 12);
  s.param("mac_bits", &P::mac_bits,
          "operand width of the units; narrower operands are stored and sent at this width, wider ones "
          "answer unsupported")
      .range(1, 64);
  s.param("row_size", &P::row_size, "bytes of one bank row (page)").min(1);
  s.param("t_ccd", &P::t_ccd, "column-to-column delay: one PIM command per unit per t_ccd").min(1e-12);
  s.param("t_rcd", &P::t_rcd, "row activate to column command");
  s.param("t_rp", &P::t_rp, "precharge (closing a row before the next activation)");
  s.param("mode_switch", &P::mode_switch, "entering + leaving all-bank compute mode, once per request");
  s.param("mac_energy", &P::mac_energy, "energy of one multiply-accumulate").min(0);
  s.param("bank_read_energy", &P::bank_read_energy, "energy per bit read in the banks by a PIM command").min(0);
  s.preset("hbm2_atleus", "Atleus HBM2 (256 GB/s, 8 x 128-bit channels) with HBM-PIM units: 128 x 16 FP16 lanes",
           [](P& p) { p = P{}; });
  s.preset("newton", "Atleus HBM2 with Newton-style units: one 16-lane unit per bank (He et al., MICRO 2020)",
           [](P& p) {
             p = P{};
             p.banks_per_unit = 1;
           });
}

PimGemmCost pim_gemm_cost(const HbmPimParams& p, std::uint64_t m, std::uint64_t k, std::uint64_t n) {
  PimGemmCost c;
  if (m == 0 || k == 0 || n == 0) return c;
  const std::uint64_t U = p.units();
  const std::uint64_t elem_bytes = ceil_div(p.mac_bits, 8);
  c.active_units = std::min(n, U);
  c.columns_per_unit = ceil_div(n, U);
  c.column_commands = c.columns_per_unit * ceil_div(k, p.lanes);
  c.rows = ceil_div(c.columns_per_unit * k * elem_bytes, p.row_size.count);
  c.input_ps = ceil_div(k * elem_bytes, p.burst.count) * p.t_ccd.ps;
  c.output_ps = ceil_div(ceil_div(n * elem_bytes, p.burst.count), p.channels) * p.t_ccd.ps;
  c.vector_ps = c.input_ps + c.rows * (p.t_rcd.ps + p.t_rp.ps) + c.column_commands * p.t_ccd.ps + c.output_ps;
  c.time_ps = p.mode_switch.ps + m * c.vector_ps;
  c.macs = m * c.active_units * c.column_commands * p.lanes;
  c.bank_bits = m * c.active_units * c.column_commands * p.burst.count * 8;
  c.io_bits = m * (k + n) * elem_bytes * 8;
  return c;
}

HbmPim::HbmPim(const ComponentContext& ctx)
    : Component(ctx),
      p_(ctx.params<HbmPimParams>()),
      accesses_(p_.energy_per_bit),
      e_pim_read_(p_.bank_read_energy),
      e_pim_io_(p_.energy_per_bit),
      e_mac_(p_.mac_energy),
      e_load_(p_.energy_per_bit) {
  std::string errors;
  auto err = [&](const std::string& e) { errors += (errors.empty() ? "" : "; ") + e; };
  for (const auto& e : memory::validate(m_)) err(e);
  if (p_.interleave.count % p_.burst.count != 0) err("interleave: must be a multiple of burst");
  if (p_.banks_per_channel % p_.banks_per_unit != 0)
    err("banks_per_unit (" + std::to_string(p_.banks_per_unit) + ") must divide banks_per_channel (" +
        std::to_string(p_.banks_per_channel) + ")");
  if (std::uint64_t{p_.lanes} * ((p_.mac_bits + 7) / 8) > p_.burst.count)
    err("lanes x mac_bits (" + std::to_string(p_.lanes) + " x " + std::to_string(p_.mac_bits) +
        " bits) exceeds one column access (burst = " + std::to_string(p_.burst.count) + " B)");
  if (!errors.empty()) throw ConfigError(name() + ": " + errors);
  channels_.reset(m_, p_.interleave.count);
  set_static_power(p_.static_power);
  on_receive<&HbmPim::on_request>("port", this);
  ctrl_ = &port("ctrl");
  ctrl_->on_receive<&HbmPim::on_compute>(this);

  accesses_.register_stats(*this);
  stat("pim_requests", pim_requests_);
  stat("pim_gemms", pim_gemms_);
  stat("pim_loads", pim_loads_);
  stat("pim_busy", pim_busy_);
  stat("pim_queue_delay", pim_queue_delay_);
  stat("pim_service", pim_service_);
  stat("macs", macs_);
  stat("column_commands", column_commands_);
  stat("activations", activations_);
  stat("active_units", active_units_);
  stat("unsupported", unsupported_);
  stat("capacity_errors", capacity_errors_);
  stat("utilisation", utilisation_);
  accesses_.register_energy(*this);
  energy("pim_bank_read", e_pim_read_);
  energy("pim_io", e_pim_io_);
  energy("mac", e_mac_);
  energy("matrix_write", e_load_);
}

void HbmPim::finish() {
  const double capacity = static_cast<double>(now()) * static_cast<double>(p_.channels);
  const double used = static_cast<double>(accesses_.busy()) +
                      static_cast<double>(pim_busy_.value()) * static_cast<double>(p_.channels);
  utilisation_.add(capacity > 0 ? used / capacity : 0.0);
}

// Ordinary access: memory.hbm's service and bookkeeping (memory::DramAccesses), the same numbers.
void HbmPim::on_request(Port& port, TxnPtr<> t) {
  memory::serve_requests(port, std::move(t), [this](MemRequest& r) {
    const auto a = accesses_.book(*this, r, channels_, p_.capacity.count, [](std::uint32_t, Time) {});
    return a ? a->done - now() : Time{0};
  });
}

Time HbmPim::occupy_all(Time duration, Time& start) {
  start = channels_.hold_all(now(), duration);
  pim_busy_ += duration;
  return start + duration;
}

void HbmPim::on_compute(TxnPtr<> t) {
  auto r = std::move(t).as<ComputeRequest>();
  ++pim_requests_;
  auto answer = [&](Status s, Time done, Time start) {
    r->status = s;
    r->started_at = start;
    r->finished_at = done;
    ctrl_->send(std::move(r), done - now());
  };
  const bool too_wide = r->weight_bits > p_.mac_bits || r->input_bits > p_.mac_bits;
  if (r->kind == ComputeRequest::Kind::vector || too_wide) {
    ++unsupported_;
    answer(Status::unsupported, now(), now());
    return;
  }
  const std::uint64_t elem_bytes = (p_.mac_bits + 7) / 8;
  // Writing a k x n matrix into the banks: an ordinary write striped over every channel.
  auto write_time = [&](std::uint64_t bytes, double& joules) {
    const auto x = memory::striped_transfer(m_, bytes);
    joules = x.energy;
    return x.time_ps;
  };
  double joules = 0;
  Time duration = 0;
  if (r->kind == ComputeRequest::Kind::load_weights) {
    const std::uint64_t bytes = r->k * r->n * elem_bytes;
    auto it = stored_.find(r->weight_id);
    const std::uint64_t old = it == stored_.end() ? 0 : it->second;
    if (stored_bytes_ - old + bytes > p_.capacity.count) {
      ++capacity_errors_;
      answer(Status::capacity_error, now(), now());
      return;
    }
    stored_bytes_ = stored_bytes_ - old + bytes;
    stored_[r->weight_id] = bytes;
    duration = write_time(bytes, joules);
    e_load_.add_joules(joules);
    ++pim_loads_;
  } else {
    if (r->static_weights && !stored_.count(r->weight_id)) {
      answer(Status::refused, now(), now());
      return;
    }
    if (!r->static_weights) {  // a streamed matrix: written into the banks first
      duration = write_time(r->k * r->n * elem_bytes, joules);
      e_load_.add_joules(joules);
    }
    const PimGemmCost c = pim_gemm_cost(p_, r->m, r->k, r->n);
    duration += c.time_ps;
    const double pim_j = static_cast<double>(c.bank_bits) * p_.bank_read_energy.joules +
                         static_cast<double>(c.io_bits) * p_.energy_per_bit.joules +
                         static_cast<double>(c.macs) * p_.mac_energy.joules;
    joules += pim_j;
    e_pim_read_.add(c.bank_bits);
    e_pim_io_.add(c.io_bits);
    e_mac_.add(c.macs);
    macs_ += c.macs;
    column_commands_ += r->m * c.column_commands;
    activations_ += r->m * c.rows;
    active_units_.add(static_cast<double>(c.active_units));
    ++pim_gemms_;
  }
  Time start = 0;
  const Time done = occupy_all(duration, start);
  pim_queue_delay_.add(static_cast<double>(start - now()));
  pim_service_.add(static_cast<double>(duration));
  r->energy_j = joules;
  if (tracing())
    trace(r->op.empty() ? "pim" : std::string_view(r->op), start, done, "pim",
          "{\"m\":" + std::to_string(r->m) + ",\"k\":" + std::to_string(r->k) + ",\"n\":" + std::to_string(r->n) + "}");
  answer(Status::ok, done, start);
}

}  // namespace strata::hbm_pim

// A batch of MemRequests (mem_batch.hpp) crosses MPI ranks by value.
STRATA_TRANSACTION_TYPE(strata::memory::MemBatch);

STRATA_PLUGIN(
    "hbm_pim", "1.0", "HBM with bank-level compute (HBM-PIM / Newton style)",
    strata::component<strata::hbm_pim::HbmPim, strata::hbm_pim::HbmPimParams>("memory.hbm_pim")
        .summary("HBM stack whose banks compute GEMVs in all-bank mode; ordinary accesses as memory.hbm")
        .description(
            "Ordinary MemRequests on port[] follow memory.hbm exactly (same DRAM model and preset numbers). "
            "ComputeRequests on ctrl run in all-bank mode: units = channels x banks_per_channel / banks_per_unit, "
            "each owning ceil(n / units) output columns; per input vector t = ceil(k B / burst) tCCD (input "
            "broadcast) + rows x (tRCD + tRP) + columns_per_unit x ceil(k / lanes) x tCCD + ceil(ceil(n B / "
            "burst) / channels) tCCD (results), B = mac_bits / 8; a request of m vectors takes mode_switch + m x "
            "that, holding every channel. load_weights (and a streamed b operand) is a striped write of k x n x B "
            "bytes. Energy: bank bits read at bank_read_energy, input/result bits at energy_per_bit, mac_energy per MAC. Vector ops and "
            "operands wider than mac_bits answer unsupported; a gemm on an unknown weight id answers refused.")
        .multi_port("port", strata::PortDir::inout, "mem", "ordinary accesses, one element per requester (MemRequest, or a MemBatch of them)")
        .port("ctrl", strata::PortDir::inout, "compute", "ComputeRequests in, the same objects back when done")
        .counter("reads", "count", "ordinary read requests served")
        .counter("writes", "count", "ordinary write requests served")
        .counter("bytes_read", "B", "bytes requested by reads")
        .counter("bytes_written", "B", "bytes requested by writes")
        .counter("bytes_moved", "B", "bytes moved on the channels by ordinary accesses (whole bursts)")
        .counter("address_errors", "count", "requests beyond capacity")
        .counter("busy", "ps", "channel busy time of ordinary accesses, summed over channels")
        .accumulator("latency", "ps", "ordinary access: arrival to completion")
        .accumulator("queue_delay", "ps", "ordinary access: longest wait for a busy channel")
        .counter("pim_requests", "count", "ComputeRequests received")
        .counter("pim_gemms", "count", "GEMMs computed in the banks")
        .counter("pim_loads", "count", "load_weights served (matrices written into the banks)")
        .counter("pim_busy", "ps", "time in all-bank mode (GEMMs and matrix writes)")
        .accumulator("pim_queue_delay", "ps", "per ComputeRequest: arrival to start")
        .accumulator("pim_service", "ps", "per ComputeRequest: service time")
        .counter("macs", "count", "multiply-accumulates issued (whole lanes)")
        .counter("column_commands", "count", "PIM column commands per unit, summed over vectors")
        .counter("activations", "count", "row activations per unit, summed over vectors")
        .accumulator("active_units", "count", "per GEMM: units holding a part of the matrix (bank parallelism used)")
        .counter("unsupported", "count", "requests answered unsupported")
        .counter("capacity_errors", "count", "load_weights beyond capacity")
        .accumulator("utilisation", "ratio", "one sample at the end: (busy + pim_busy x channels) / (channels x run time)")
        .energy("read")
        .energy("write")
        .energy("pim_bank_read")
        .energy("pim_io")
        .energy("mac")
        .energy("matrix_write"))
