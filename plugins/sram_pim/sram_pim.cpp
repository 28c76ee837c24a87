#include "sram_pim.hpp"

#include <strata/models_common/units.hpp>

#include <algorithm>
#include <string>

namespace strata::sram_pim {

using models::ceil_div;

// Sources (defaults):
//  - rows 256, columns 256 (a 64 Kb macro): the macro size of the all-digital SRAM CIM of
//    Chih et al., ISSCC 2021 (TSMC 22 nm, 64 Kb); the 256 x 256 organisation is assumed.
//  - bit_op_energy 1.4 fJ: that macro's 89 TOPS/W at 4-bit inputs and weights is 22.5 fJ per
//    MAC (2 ops), i.e. 16 one-bit products: 1.4 fJ each; assumed to scale with
//    input_bits x weight_bits (bit-serial inputs, bit-parallel weight columns).
//  - macros 64 (4 Mb of compute SRAM), clock 500 MHz, write_energy 5 fJ/bit, static power
//    0.05 W: assumed (HAIMA, Ding et al. DAC 2023, does not give its SRAM array's size here;
//    docs/ATLEUS.md, HAIMA).
void SramPimParams::declare(ParamSpec<SramPimParams>& s) {
  using P = SramPimParams;
  s.param("macros", &P::macros, "compute macros working in parallel").range(1, 1 << 20);
  s.param("rows", &P::rows, "bit-cell rows per macro = inputs summed per matrix-vector product").range(1, 1 << 16);
  s.param("columns", &P::columns, "bit cells per row; holds columns / weight_bits weights").range(1, 1 << 16);
  s.param("clock", &P::clock, "macro clock: one input bit (or one row written) per cycle; period rounded to whole ps").min(1);
  s.param("bit_op_energy", &P::bit_op_energy, "energy of one 1-bit x 1-bit product and its accumulation").min(0);
  s.param("write_energy", &P::write_energy, "energy per weight bit written into a macro").min(0);
  s.param("static_power", &P::static_power, "leakage of the macros").min(0);
}

SramGemmCost sram_gemm_cost(const SramPimParams& p, std::uint64_t m, std::uint64_t k, std::uint64_t n,
                            unsigned weight_bits, unsigned input_bits, bool write_weights) {
  SramGemmCost c;
  if (k == 0 || n == 0 || weight_bits == 0 || weight_bits > p.columns) return c;
  c.weights_per_row = p.columns / weight_bits;
  c.tiles = ceil_div(k, p.rows) * ceil_div(n, c.weights_per_row);
  c.rounds = ceil_div(c.tiles, p.macros);
  c.write_cycles = write_weights ? c.rounds * p.rows : 0;
  c.compute_cycles = c.rounds * m * input_bits;
  c.time_ps = (c.write_cycles + c.compute_cycles) * p.clock.period();
  c.bit_ops = m * k * n * weight_bits * input_bits;
  c.written_bits = write_weights ? k * n * weight_bits : 0;
  return c;
}

SramPim::SramPim(const ComponentContext& ctx)
    : Component(ctx),
      p_(ctx.params<SramPimParams>()),
      ctrl_(&port("ctrl")),
      e_compute_(p_.bit_op_energy),
      e_write_(p_.write_energy) {
  set_static_power(p_.static_power);
  ctrl_->on_receive<&SramPim::on_request>(this);
  stat("requests", requests_);
  stat("gemms", gemms_);
  stat("loads", loads_);
  stat("unsupported", unsupported_);
  stat("capacity_errors", capacity_errors_);
  stat("busy", busy_);
  stat("write_time", write_time_);
  stat("macs", macs_);
  stat("written_bits", written_bits_);
  stat("queue_wait", queue_wait_);
  stat("service", service_);
  stat("macro_use", macro_use_);
  stat("utilisation", utilisation_);
  energy("compute", e_compute_);
  energy("write", e_write_);
}

void SramPim::finish() {
  utilisation_.add(now() > 0 ? static_cast<double>(busy_.value()) / static_cast<double>(now()) : 0.0);
}

void SramPim::on_request(TxnPtr<> t) {
  auto r = std::move(t).as<ComputeRequest>();
  ++requests_;
  const Time start = std::max(now(), free_at_);
  auto answer = [&](Status s, Time duration, double joules) {
    r->status = s;
    r->started_at = start;
    r->finished_at = start + duration;
    r->energy_j = joules;
    free_at_ = start + duration;
    busy_ += duration;
    if (s == Status::ok) {
      queue_wait_.add(static_cast<double>(start - now()));
      service_.add(static_cast<double>(duration));
    }
    if (tracing() && s == Status::ok)
      trace(r->op.empty() ? "sram" : std::string_view(r->op), start, start + duration, "sram",
            "{\"m\":" + std::to_string(r->m) + ",\"k\":" + std::to_string(r->k) + ",\"n\":" + std::to_string(r->n) +
                "}");
    ctrl_->send(std::move(r), start + duration - now());
  };
  if (r->kind == ComputeRequest::Kind::vector || r->weight_bits == 0 || r->weight_bits > p_.columns) {
    ++unsupported_;
    answer(Status::unsupported, 0, 0);
    return;
  }
  if (r->kind == ComputeRequest::Kind::load_weights) {
    const SramGemmCost c = sram_gemm_cost(p_, 0, r->k, r->n, r->weight_bits, r->input_bits, true);
    if (c.rounds > 1) {  // a resident matrix must fit the macros at once
      ++capacity_errors_;
      answer(Status::capacity_error, 0, 0);
      return;
    }
    resident_[r->weight_id] = c.tiles;
    const double j = static_cast<double>(c.written_bits) * p_.write_energy.joules;
    e_write_.add_joules(j, c.written_bits);
    written_bits_ += c.written_bits;
    write_time_ += c.time_ps;
    ++loads_;
    answer(Status::ok, c.time_ps, j);
    return;
  }
  const bool resident = r->static_weights && resident_.count(r->weight_id);
  const SramGemmCost c = sram_gemm_cost(p_, r->m, r->k, r->n, r->weight_bits, r->input_bits, !resident);
  const double jc = static_cast<double>(c.bit_ops) * p_.bit_op_energy.joules;
  const double jw = static_cast<double>(c.written_bits) * p_.write_energy.joules;
  e_compute_.add_joules(jc, c.bit_ops);
  if (c.written_bits) e_write_.add_joules(jw, c.written_bits);
  written_bits_ += c.written_bits;
  write_time_ += c.write_cycles * p_.clock.period();
  macs_ += r->m * r->k * r->n;
  macro_use_.add(static_cast<double>(std::min<std::uint64_t>(c.tiles, p_.macros)));
  ++gemms_;
  answer(Status::ok, c.time_ps, jc + jw);
}

}  // namespace strata::sram_pim

STRATA_PLUGIN(
    "sram_pim", "1.0", "Digital in-SRAM compute macros (compute-in-memory)",
    strata::component<strata::sram_pim::SramPim, strata::sram_pim::SramPimParams>("sram.pim")
        .summary("SRAM CIM macros: bit-serial MVMs of rows inputs x columns/weight_bits outputs per macro")
        .description(
            "A GEMM m x k x n tiles its k x n matrix into ceil(k / rows) x ceil(n / (columns / weight_bits)) tiles, "
            "`macros` at a time; each round writes its tiles (rows cycles, skipped when the matrix was stored by "
            "load_weights) and runs m matrix-vector products of input_bits cycles each: t = rounds x (write + m x "
            "input_bits) / clock. One request at a time, in arrival order. Energy: m k n x weight_bits x input_bits "
            "bit operations at bit_op_energy, written bits at write_energy. load_weights of a matrix larger than "
            "the macros answers capacity_error; vector ops and weights wider than a row answer unsupported.")
        .port("ctrl", strata::PortDir::inout, "compute", "ComputeRequests in, the same objects back when done")
        .counter("requests", "count", "ComputeRequests received")
        .counter("gemms", "count", "GEMMs computed")
        .counter("loads", "count", "load_weights served (resident matrices)")
        .counter("unsupported", "count", "requests answered unsupported")
        .counter("capacity_errors", "count", "load_weights larger than the macros")
        .counter("busy", "ps", "time serving requests")
        .counter("write_time", "ps", "part of busy spent writing weights into the macros")
        .counter("macs", "count", "multiply-accumulates (m k n per GEMM)")
        .counter("written_bits", "bit", "weight bits written into the macros")
        .accumulator("queue_wait", "ps", "arrival to start per request")
        .accumulator("service", "ps", "service time per request")
        .accumulator("macro_use", "count", "per GEMM: macros busy in a full round")
        .accumulator("utilisation", "ratio", "one sample at the end: busy / run time")
        .energy("compute")
        .energy("write"))
