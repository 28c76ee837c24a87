// GEMM on a systolic array: SCALE-Sim v2 folds and cycles, a double-buffered SRAM that
// either captures an operand's reuse or re-fetches it from DRAM, and per-fold overlap of
// DRAM transfers with compute. Formulas are stated where they are used.
#include "strata/systolic/model.hpp"

#include "strata/models_common/units.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace strata::systolic {
namespace {

using models::ceil_div;
using models::packed_bytes;

void require_valid(const SystolicParams& p) {
  const auto errors = validate(p);
  if (!errors.empty()) {
    throw std::invalid_argument(fmt::format("systolic params: {}", fmt::join(errors, "; ")));
  }
}

// Cycles to move `bytes` at `per_cycle` bytes per cycle; 0 when the port is unlimited.
std::uint64_t transfer_cycles(std::uint64_t bytes, double per_cycle) {
  if (bytes == 0 || per_cycle <= 0.0) return 0;
  if (std::floor(per_cycle) == per_cycle && per_cycle < 0x1p63) {
    return ceil_div(bytes, static_cast<std::uint64_t>(per_cycle));
  }
  return static_cast<std::uint64_t>(
      std::ceil(static_cast<long double>(bytes) / static_cast<long double>(per_cycle)));
}

}  // namespace

// SCALE-Sim v2's compute modules build one demand matrix per fold whose rows are cycles
// (scalesim/compute/systolic_compute_{os,ws,is}.py):
//  * OS: the ofmap demand is T - 1 cycles of streaming before the first output, R rows of
//    outputs drained, then skewed across the C columns (C - 1): T + R + C - 2. The ifmap
//    (T + C - 1, skewed over R) and filter (T + R - 1, skewed over C) demands agree.
//    Outputs stay in the PEs, so no weights are preloaded.
//  * WS: R cycles to preload the weights, T rows of inputs, C - 1 to drain, skewed over R:
//    2R + C + T - 2 (filter: R preload rows + R + C + T - 2 gap rows; ofmap: 2R - 1 + T,
//    skewed over C).
//  * IS: the same with the inputs preloaded and the filter streamed: 2R + C + T - 2.
std::uint64_t cycles_per_fold(Dataflow dataflow, std::uint64_t rows, std::uint64_t cols, std::uint64_t t) {
  const std::uint64_t preload = dataflow == Dataflow::output_stationary ? 0 : rows;
  return preload + rows + cols + t - 2;
}

FoldMapping map_gemm(const SystolicParams& p, const GemmShape& g) {
  FoldMapping m;
  const Dataflow df = dataflow(p);
  switch (df) {
    case Dataflow::output_stationary: m.sr = g.m; m.sc = g.n; m.t = g.k; break;
    case Dataflow::weight_stationary: m.sr = g.k; m.sc = g.n; m.t = g.m; break;
    case Dataflow::input_stationary: m.sr = g.k; m.sc = g.m; m.t = g.n; break;
  }
  if (g.m == 0 || g.k == 0 || g.n == 0 || p.rows == 0 || p.cols == 0) {
    return FoldMapping{m.sr, m.sc, m.t, 0, 0, 0, 0};
  }
  m.row_folds = ceil_div(m.sr, p.rows);
  m.col_folds = ceil_div(m.sc, p.cols);
  m.folds = m.row_folds * m.col_folds;
  m.cycles_per_fold = cycles_per_fold(df, p.rows, p.cols, m.t);
  return m;
}

std::uint64_t GemmPlan::if_bytes(std::uint64_t n) const { return packed_bytes(n, g_.ifmap_bits); }
std::uint64_t GemmPlan::f_bytes(std::uint64_t n) const { return packed_bytes(n, g_.filter_bits); }
std::uint64_t GemmPlan::of_bytes(std::uint64_t n) const { return packed_bytes(n, g_.ofmap_bits); }
std::uint64_t GemmPlan::acc_bytes(std::uint64_t n) const { return packed_bytes(n, p_.accumulator_bits); }

GemmPlan::GemmPlan(const SystolicParams& p, const GemmShape& g)
    : p_(p), g_(g), df_(dataflow(p)), sram_per_cycle_(sram_bytes_per_cycle(p)) {
  require_valid(p);
  map_ = map_gemm(p, g);
  if (map_.folds == 0) return;
  const std::uint64_t tile_cols = std::min<std::uint64_t>(p.cols, map_.sc);
  // Reuse rules (loop order: column folds outer, row folds inner):
  //  * the operand indexed by the row fold alone is needed whole on every column fold;
  //    it is fetched once when it fits its whole buffer, else once per column fold;
  //  * OS's filter tile (K x C) serves every row fold of its column fold; it must fit half
  //    the filter buffer (the other half prefetches the next tile), else it is re-fetched
  //    every fold;
  //  * WS / IS partial-sum tiles (M x C, resp. C x N, at accumulator width) stay in half
  //    the ofmap buffer across the row folds, else they spill to DRAM and come back.
  //  With a single fold along the reuse direction there is nothing to re-fetch.
  switch (df_) {
    case Dataflow::output_stationary:
      ifmap_fits_ = map_.col_folds == 1 || if_bytes(g.m * g.k) <= p.ifmap_sram_size.count;
      filter_fits_ = map_.row_folds == 1 || f_bytes(g.k * tile_cols) <= p.filter_sram_size.count / 2;
      break;
    case Dataflow::weight_stationary:
      ifmap_fits_ = map_.col_folds == 1 || if_bytes(g.m * g.k) <= p.ifmap_sram_size.count;
      ofmap_fits_ = map_.row_folds == 1 || acc_bytes(g.m * tile_cols) <= p.ofmap_sram_size.count / 2;
      break;
    case Dataflow::input_stationary:
      filter_fits_ = map_.col_folds == 1 || f_bytes(g.k * g.n) <= p.filter_sram_size.count;
      ofmap_fits_ = map_.row_folds == 1 || acc_bytes(tile_cols * g.n) <= p.ofmap_sram_size.count / 2;
      break;
  }
}

FoldTraffic GemmPlan::fold(std::uint64_t f) const {
  const std::uint64_t fc = f / map_.row_folds;
  const std::uint64_t fr = f % map_.row_folds;
  const std::uint64_t sr_len = std::min<std::uint64_t>(p_.rows, map_.sr - fr * p_.rows);
  const std::uint64_t sc_len = std::min<std::uint64_t>(p_.cols, map_.sc - fc * p_.cols);
  const bool first_pass = fc == 0;  // first time through the outer-reused operand
  const bool first_row = fr == 0;
  const bool last_row = fr + 1 == map_.row_folds;
  FoldTraffic t;
  switch (df_) {
    case Dataflow::output_stationary: {  // sr_len rows of M, sc_len columns of N
      const std::uint64_t m_i = sr_len, n_j = sc_len, k = g_.k;
      t.ifmap_array = if_bytes(m_i * k);
      t.filter_array = f_bytes(k * n_j);
      t.ofmap_array_write = of_bytes(m_i * n_j);
      t.ifmap_load = (first_pass || !ifmap_fits_) ? t.ifmap_array : 0;
      t.filter_load = (first_row || !filter_fits_) ? t.filter_array : 0;
      t.ofmap_store = t.ofmap_array_write;  // outputs complete inside the PEs
      break;
    }
    case Dataflow::weight_stationary:  // sr_len rows of K, sc_len columns of N
    case Dataflow::input_stationary: {  // sr_len rows of K, sc_len columns of M
      const bool ws = df_ == Dataflow::weight_stationary;
      const std::uint64_t k_i = sr_len;
      // Streamed operand rows (T) and the partial-sum tile produced this fold.
      const std::uint64_t psums = ws ? g_.m * sc_len : sc_len * g_.n;
      const std::uint64_t reused = ws ? if_bytes(g_.m * k_i) : f_bytes(k_i * g_.n);
      const std::uint64_t unique = ws ? f_bytes(k_i * sc_len) : if_bytes(k_i * sc_len);
      const bool reused_fits = ws ? ifmap_fits_ : filter_fits_;
      const std::uint64_t reused_load = (first_pass || !reused_fits) ? reused : 0;
      (ws ? t.ifmap_array : t.filter_array) = reused;
      (ws ? t.filter_array : t.ifmap_array) = unique;
      (ws ? t.ifmap_load : t.filter_load) = reused_load;
      (ws ? t.filter_load : t.ifmap_load) = unique;
      // Partial sums accumulate over the row folds of one column fold; the last row
      // fold writes the finished outputs at ofmap precision.
      t.ofmap_array_write = last_row ? of_bytes(psums) : acc_bytes(psums);
      t.ofmap_array_read = first_row ? 0 : acc_bytes(psums);
      if (ofmap_fits_) {
        t.ofmap_store = last_row ? t.ofmap_array_write : 0;
      } else {  // spill: every fold writes its sums out, every later one reads them back
        t.ofmap_store = t.ofmap_array_write;
        t.ofmap_load = t.ofmap_array_read;
      }
      break;
    }
  }
  return t;
}

std::uint64_t GemmPlan::busy_cycles(const FoldTraffic& t) const {
  // SRAM ports (one per buffer, in parallel): a fold cannot finish before its busiest
  // port has moved its bytes.
  const std::uint64_t port_cycles =
      std::max({transfer_cycles(t.ifmap_array, sram_per_cycle_),
                transfer_cycles(t.filter_array, sram_per_cycle_),
                transfer_cycles(t.ofmap_array_write + t.ofmap_array_read, sram_per_cycle_)});
  return std::max(port_cycles, map_.cycles_per_fold);
}

GemmResult evaluate_gemm(const SystolicParams& p, const GemmShape& g) {
  const GemmPlan plan(p, g);
  GemmResult r;
  r.mapping = plan.mapping();
  if (r.mapping.folds == 0) return r;
  const FoldMapping& map = r.mapping;
  r.ifmap.fits = plan.ifmap_fits();
  r.filter.fits = plan.filter_fits();
  r.ofmap.fits = plan.ofmap_fits();

  r.cycles.compute = map.folds * map.t;
  r.cycles.fill_drain = map.folds * (map.cycles_per_fold - map.t);

  // Double buffering: fold f's loads arrive while fold f-1 computes and fold f-1's stores
  // leave while fold f computes; one DRAM port carries both. Per fold the array takes
  // max(compute_f, transfer_f). The first fold's loads and the last fold's stores have
  // nothing to hide behind.
  const double bw = dram_bytes_per_cycle(p);
  FoldTraffic current = plan.fold(0);
  std::uint64_t prev_store = 0;
  r.cycles.stall_dram_fill = transfer_cycles(current.loads(), bw);
  for (std::uint64_t f = 0; f < map.folds; ++f) {
    const FoldTraffic next = f + 1 < map.folds ? plan.fold(f + 1) : FoldTraffic{};

    const std::uint64_t busy = plan.busy_cycles(current);
    r.cycles.stall_sram += busy - map.cycles_per_fold;
    const std::uint64_t overlapped = transfer_cycles(next.loads() + prev_store, bw);
    if (overlapped > busy) r.cycles.stall_dram_bandwidth += overlapped - busy;

    r.ifmap.sram_read += current.ifmap_array;
    r.filter.sram_read += current.filter_array;
    r.ofmap.sram_read += current.ofmap_array_read;
    r.ofmap.sram_write += current.ofmap_array_write;
    r.ifmap.dram_read += current.ifmap_load;
    r.filter.dram_read += current.filter_load;
    r.ofmap.dram_read += current.ofmap_load;
    r.ofmap.dram_write += current.ofmap_store;

    prev_store = current.ofmap_store;
    current = next;
  }
  r.cycles.stall_dram_writeback = transfer_cycles(prev_store, bw);

  // DRAM fills are SRAM writes; write-backs are SRAM reads.
  for (OperandTraffic* o : {&r.ifmap, &r.filter, &r.ofmap}) {
    o->sram_write += o->dram_read;
    o->sram_read += o->dram_write;
    r.sram_bytes_read += o->sram_read;
    r.sram_bytes_written += o->sram_write;
    r.dram_bytes_read += o->dram_read;
    r.dram_bytes_written += o->dram_write;
  }

  const std::uint64_t total = r.cycles.total();
  const double pes = static_cast<double>(p.rows) * static_cast<double>(p.cols);
  r.macs = g.m * g.k * g.n;
  r.time_ps = models::cycles_to_ps(total, p.frequency.hz);
  r.utilisation = static_cast<double>(r.macs) / (pes * static_cast<double>(total));
  r.mapping_efficiency = static_cast<double>(map.sr) * static_cast<double>(map.sc) /
                         (static_cast<double>(map.folds) * pes);

  r.energy.mac = static_cast<double>(r.macs) * p.mac_energy.joules;
  r.energy.sram = static_cast<double>(r.sram_bytes_read) * p.sram_read_energy_per_byte.joules +
                  static_cast<double>(r.sram_bytes_written) * p.sram_write_energy_per_byte.joules;
  r.energy.dram_interface = static_cast<double>(r.dram_bytes_read + r.dram_bytes_written) *
                            p.dram_interface_energy_per_byte.joules;
  r.energy.static_energy = static_power(p) * models::ps_to_seconds(r.time_ps);
  return r;
}

}  // namespace strata::systolic
