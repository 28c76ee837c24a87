// ReRAM tile model: params, weight mapping, MVM timing and counts, programming. The
// formulas are stated in model.hpp beside each result; this file only evaluates them.
#include "strata/pim/model.hpp"

#include "strata/models_common/units.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <stdexcept>

namespace strata::pim {
namespace {

using models::ceil_div;
using models::ceil_log2;

void require_valid(const TileParams& p) {
  const auto errors = validate(p);
  if (!errors.empty()) {
    throw std::invalid_argument(fmt::format("pim params: {}", fmt::join(errors, "; ")));
  }
}

double per_second(std::uint64_t ps) { return 1.0 / models::ps_to_seconds(ps); }

// What a product's result carries over from its mapping and input before it is costed.
MvmResult mapped_result(const TileParams& p, const WeightMapping& w, const MvmInput& in) {
  MvmResult r;
  r.fits = w.fits;
  r.cell_utilisation = w.cell_utilisation;
  r.crossbar_utilisation = w.crossbar_utilisation;
  r.input_cycles = static_cast<std::uint32_t>(ceil_div(in.activation_bits, p.dac_bits));
  return r;
}

// The timing evaluate_mvm and evaluate_mvm_transposed share (model.hpp states it for each):
// every ADC converts `lines_per_adc` sensed lines per input step, steps pipeline at the
// slower of a crossbar read and that conversion, `steps_per_vector` steps per input vector
// on each of ceil(M / duplication) rounds, then a digital tail reduces `reduced_tiles`
// partial sums; eDRAM traffic (`inputs` elements read, `outputs` written per vector) at the
// used tiles' bandwidth bounds it from below. The two directions differ only in these arguments.
void time_pipeline(MvmResult& r, const TileParams& p, const WeightMapping& w, const MvmInput& in,
                   std::uint64_t lines_per_adc, std::uint64_t steps_per_vector, std::uint64_t reduced_tiles,
                   std::uint64_t inputs, std::uint64_t outputs) {
  r.adc_time_ps = models::duration_ps(lines_per_adc, p.adc_sample_rate.hz);
  r.interval_ps = std::max(p.xbar_read_latency.ps, r.adc_time_ps);
  r.adc_bound = r.adc_time_ps > p.xbar_read_latency.ps;

  r.rounds = ceil_div(in.m, w.duplication);
  const std::uint64_t steps = r.rounds * steps_per_vector;
  const std::uint64_t tail_ps =
      models::cycles_to_ps(p.digital_tail_cycles + ceil_log2(reduced_tiles), p.logic_frequency.hz);
  const std::uint64_t pipeline_ps =
      p.xbar_read_latency.ps + r.adc_time_ps + (steps - 1) * r.interval_ps + tail_ps;

  r.edram_bytes_read = in.m * models::packed_bytes(inputs, in.activation_bits);
  r.edram_bytes_written = in.m * models::packed_bytes(outputs, in.output_bits);
  const std::uint64_t edram_ps =
      models::bytes_to_ps(r.edram_bytes_read + r.edram_bytes_written,
                          p.edram_bandwidth.bytes_per_s * static_cast<double>(w.tiles_used));
  r.edram_bound = edram_ps > pipeline_ps;
  r.time_ps = std::max(pipeline_ps, edram_ps);
}

// Energy of the counts and time already in `r`, at the tile's per-action energies (both
// directions price the same actions the same way).
void price(MvmResult& r, const TileParams& p, const WeightMapping& w) {
  r.energy.crossbar = static_cast<double>(r.crossbar_reads) * p.xbar_read_energy.joules;
  r.energy.adc = static_cast<double>(r.adc_conversions) * p.adc_conversion_energy.joules;
  r.energy.dac = static_cast<double>(r.dac_activations) * p.dac_energy.joules;
  r.energy.shift_add = static_cast<double>(r.shift_adds) * p.shift_add_energy.joules;
  r.energy.edram = static_cast<double>(r.edram_bytes_read + r.edram_bytes_written) *
                   p.edram_energy_per_byte.joules;
  r.energy.dequant = static_cast<double>(r.dequant_ops) * p.dequant_energy.joules;
  r.energy.static_energy = static_power(p) * static_cast<double>(w.tiles_used) *
                           models::ps_to_seconds(r.time_ps);
}

}  // namespace

TileParams atleus_reram() { return TileParams{}; }

std::optional<TileParams> pim_preset(std::string_view name) {
  if (name == "atleus_reram") return atleus_reram();
  return std::nullopt;
}

std::uint32_t adc_bits_required(const TileParams& p) noexcept {
  if (p.dac_bits == 0 || p.bits_per_cell == 0 || p.dac_bits > 16 || p.bits_per_cell > 16) return 0;
  const std::uint64_t max_sum =
      std::uint64_t{p.xbar_rows} * ((1ULL << p.dac_bits) - 1) * ((1ULL << p.bits_per_cell) - 1);
  return ceil_log2(max_sum + 1);
}

double full_activity_dynamic_power(const TileParams& p) noexcept {
  if (p.xbar_read_latency.ps == 0) return 0.0;
  const double reads = static_cast<double>(p.crossbars) * per_second(p.xbar_read_latency.ps);
  const double conversions = static_cast<double>(p.adcs) * p.adc_sample_rate.hz;
  return reads * p.xbar_read_energy.joules +
         reads * static_cast<double>(p.xbar_rows) * p.dac_energy.joules +
         conversions * (p.adc_conversion_energy.joules + p.shift_add_energy.joules) +
         p.edram_bandwidth.bytes_per_s * p.edram_energy_per_byte.joules;
}

double static_power(const TileParams& p) noexcept {
  return p.tile_power.watts - full_activity_dynamic_power(p);
}

std::vector<std::string> validate(const TileParams& p) {
  std::vector<std::string> errors;
  auto require = [&](bool ok, std::string message) {
    if (!ok) errors.push_back(std::move(message));
  };
  require(p.crossbars > 0, "crossbars: must be > 0");
  require(p.xbar_rows > 0 && p.xbar_cols > 0, "xbar_rows, xbar_cols: must be > 0");
  require(p.bits_per_cell >= 1 && p.bits_per_cell <= 16, "bits_per_cell: must be in 1..16");
  require(p.dac_bits >= 1 && p.dac_bits <= 16, "dac_bits: must be in 1..16");
  require(p.adcs > 0, "adcs: must be > 0");
  require(p.adc_sample_rate.hz > 0.0, "adc_sample_rate: must be > 0");
  require(p.xbar_read_latency.ps > 0, "xbar_read_latency: must be > 0");
  require(p.logic_frequency.hz > 0.0, "logic_frequency: must be > 0");
  require(p.edram_bandwidth.bytes_per_s > 0.0, "edram_bandwidth: must be > 0");
  require(p.write_parallel_crossbars > 0, "write_parallel_crossbars: must be > 0");
  require(p.cell_endurance > 0, "cell_endurance: must be > 0");
  require(p.tiles_per_core > 0, "tiles_per_core: must be > 0");
  require(p.xbar_read_energy.joules >= 0.0 && p.adc_conversion_energy.joules >= 0.0 && p.dac_energy.joules >= 0.0 &&
              p.shift_add_energy.joules >= 0.0 && p.edram_energy_per_byte.joules >= 0.0 &&
              p.dequant_energy.joules >= 0.0 && p.cell_write_energy.joules >= 0.0,
          "energies: must be >= 0");
  if (errors.empty()) {
    const std::uint32_t needed = adc_bits_required(p);
    require(p.adc_bits + 1 >= needed,
            fmt::format("adc_bits: {} bits cannot resolve a column sum of {} rows x {}-bit inputs "
                        "x {}-bit cells (needs {}, or {} with ISAAC's flipped encoding)",
                        p.adc_bits, p.xbar_rows, p.dac_bits, p.bits_per_cell, needed, needed - 1));
    require(static_power(p) >= 0.0,
            fmt::format("tile_power: {} W is below the dynamic power at full activity ({} W)",
                        p.tile_power.watts, full_activity_dynamic_power(p)));
  }
  return errors;
}

WeightMapping map_weights(const TileParams& p, const WeightShape& w,
                          std::uint64_t tiles_available, std::uint64_t max_duplication) {
  require_valid(p);
  if (w.weight_bits == 0) throw std::invalid_argument("map_weights: weight_bits must be > 0");
  WeightMapping m;
  m.shape = w;
  m.tiles_available = tiles_available;
  m.slices = static_cast<std::uint32_t>(ceil_div(w.weight_bits, p.bits_per_cell));
  if (m.slices > p.xbar_cols) {
    throw std::invalid_argument(fmt::format(
        "map_weights: a {}-bit weight needs {} cells, more than a crossbar row's {}",
        w.weight_bits, m.slices, p.xbar_cols));
  }
  m.weights_per_xbar_row = p.xbar_cols / m.slices;
  if (w.k == 0 || w.n == 0) {
    m.fits = true;
    return m;
  }
  m.row_tiles = ceil_div(w.k, p.xbar_rows);
  m.col_tiles = ceil_div(w.n, m.weights_per_xbar_row);
  m.crossbars = m.row_tiles * m.col_tiles;
  m.tiles = ceil_div(m.crossbars, p.crossbars);
  m.fits = m.tiles <= tiles_available;
  m.duplication = 1;
  if (m.fits) {
    m.duplication = (tiles_available * p.crossbars) / m.crossbars;
    if (max_duplication > 0) m.duplication = std::min(m.duplication, max_duplication);
  }
  m.crossbars_used = m.crossbars * m.duplication;
  m.tiles_used = ceil_div(m.crossbars_used, p.crossbars);
  m.columns_used_max = std::min(w.n, m.weights_per_xbar_row) * m.slices;
  m.cell_utilisation = static_cast<double>(w.k) * static_cast<double>(w.n) * m.slices /
                       (static_cast<double>(m.crossbars) * p.xbar_rows * p.xbar_cols);
  m.crossbar_utilisation = static_cast<double>(m.crossbars_used) /
                           (static_cast<double>(m.tiles_used) * p.crossbars);
  return m;
}

MvmResult evaluate_mvm(const TileParams& p, const WeightMapping& w, const MvmInput& in) {
  require_valid(p);
  if (in.activation_bits == 0) throw std::invalid_argument("evaluate_mvm: activation_bits must be > 0");
  MvmResult r = mapped_result(p, w, in);
  if (in.m == 0 || w.crossbars == 0) return r;

  const std::uint64_t k = w.shape.k;
  const std::uint64_t n = w.shape.n;
  const std::uint64_t ic = r.input_cycles;

  // Each ADC converts its share of the used columns once per input step (ISAAC: 128
  // columns / 1.28 GS/s = 100 ns, exactly one crossbar read).
  const std::uint64_t cols_per_adc = ceil_div(w.columns_used_max * p.crossbars, p.adcs);
  time_pipeline(r, p, w, in, cols_per_adc, ic, w.row_tiles, k, n);

  // Counts per vector and input step, over one copy of the mapping.
  r.crossbar_reads = in.m * ic * w.crossbars;
  r.adc_conversions = in.m * ic * w.row_tiles * n * w.slices;  // every used column
  r.dac_activations = in.m * ic * k * w.col_tiles;             // every used row
  r.shift_adds = r.adc_conversions + in.m * n * (w.row_tiles - 1);  // + row-tile reduction
  r.dequant_ops = in.m * n * w.row_tiles;  // one scale per crossbar, per weight output

  price(r, p, w);
  return r;
}

std::uint32_t adc_bits_required_transposed(const TileParams& p, const WeightMapping& w) noexcept {
  if (p.dac_bits == 0 || p.bits_per_cell == 0 || p.dac_bits > 16 || p.bits_per_cell > 16) return 0;
  const std::uint64_t max_sum =
      w.weights_per_xbar_row * ((1ULL << p.dac_bits) - 1) * ((1ULL << p.bits_per_cell) - 1);
  return ceil_log2(max_sum + 1);
}

MvmResult evaluate_mvm_transposed(const TileParams& p, const WeightMapping& w, const MvmInput& in) {
  require_valid(p);
  if (in.activation_bits == 0) throw std::invalid_argument("evaluate_mvm_transposed: activation_bits must be > 0");
  if (const auto need = adc_bits_required_transposed(p, w); p.adc_bits + 1 < need) {
    throw std::invalid_argument(fmt::format(
        "evaluate_mvm_transposed: adc_bits {} cannot resolve a row sum of {} weights (needs {})", p.adc_bits,
        w.weights_per_xbar_row, need - 1));
  }
  MvmResult r = mapped_result(p, w, in);
  if (in.m == 0 || w.crossbars == 0) return r;

  const std::uint64_t k = w.shape.k;
  const std::uint64_t n = w.shape.n;
  const std::uint64_t ic = r.input_cycles;
  const std::uint64_t slices = w.slices;

  const std::uint64_t rows_used_max = std::min<std::uint64_t>(k, p.xbar_rows);
  const std::uint64_t rows_per_adc = ceil_div(rows_used_max * p.crossbars, p.adcs);
  time_pipeline(r, p, w, in, rows_per_adc, ic * slices, w.col_tiles, n, k);

  r.crossbar_reads = in.m * ic * slices * w.crossbars;
  r.adc_conversions = in.m * ic * slices * w.col_tiles * k;  // every used row, per slice read
  r.dac_activations = in.m * ic * w.row_tiles * n * slices;  // every used column, once per step
  r.shift_adds = r.adc_conversions + in.m * k * (w.col_tiles - 1);
  r.dequant_ops = in.m * k * w.col_tiles;

  price(r, p, w);
  return r;
}

ProgramResult program_weights(const TileParams& p, const WeightMapping& w) {
  require_valid(p);
  ProgramResult r;
  if (w.crossbars_used == 0) return r;
  const std::uint64_t rows_per_xbar = std::min<std::uint64_t>(w.shape.k, p.xbar_rows);
  const std::uint64_t xbars_per_tile = std::min<std::uint64_t>(w.crossbars_used, p.crossbars);
  const std::uint64_t waves = ceil_div(xbars_per_tile, p.write_parallel_crossbars);
  r.time_ps = waves * rows_per_xbar * p.row_write_latency.ps;
  r.cells_written = w.shape.k * w.shape.n * w.slices * w.duplication;
  r.rows_written = w.shape.k * w.col_tiles * w.duplication;
  r.writes_per_cell = 1;
  r.energy = static_cast<double>(r.cells_written) * p.cell_write_energy.joules;
  return r;
}

}  // namespace strata::pim
