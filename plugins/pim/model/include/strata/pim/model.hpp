// ReRAM PIM tile and core, ISAAC-style, closed form at transaction level: weights sliced
// over multi-level cells and tiled over crossbars, bit-serial DAC inputs, shared ADCs,
// shift-and-add, per-crossbar dequantisation, programming and wear. Sources: ISAAC (Shafiee
// et al., ISCA 2016, Table I, Sec. 4-5), Atleus (arXiv 2501.09588; DESIGN.md "The reference
// chip"), PUMA (Ankit et al., ASPLOS 2019) for writes. Not modelled: analog noise, IR drop,
// signed-weight encoding overheads, eDRAM capacity, the tile's bus and router.
#pragma once

#include <strata/units.hpp>  // SDK unit types (header only): one struct serves the model and the TOML declaration

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::pim {

// One ReRAM tile (and the core that groups tiles_per_core of them). Defaults: the Atleus
// ReRAM tile = ISAAC's tile (12 IMAs x 8 crossbars, 8 ADCs per IMA). Per-action energies
// are ISAAC Table I component powers divided by the rate at which that component acts
// (derivations beside each number). This struct is the only copy of each default, and the
// only declaration: pim.reram_core's parameters derive from it and bind its fields, so its
// quantities carry the SDK's unit types (the model reads .hz, .ps, .joules, ...).
struct TileParams {
  std::uint32_t crossbars = 96;      // per tile
  std::uint32_t xbar_rows = 128;
  std::uint32_t xbar_cols = 128;
  std::uint32_t bits_per_cell = 2;
  std::uint32_t dac_bits = 1;        // input bits applied per crossbar read
  std::uint32_t adc_bits = 8;
  std::uint32_t adcs = 96;           // per tile; columns of all crossbars share them evenly
  Frequency adc_sample_rate{1.28e9};  // conversions per second per ADC (128 columns / 100 ns)
  Duration xbar_read_latency{100'000};  // one crossbar read (ISAAC: 100 ns)
  Frequency logic_frequency{1.2e9};    // shift-and-add, dequantiser, output register
  // Digital stages after the last conversion: shift-and-add, dequantise (logic cycles);
  // the reduction across row tiles adds ceil(log2(row tiles)) more.
  std::uint32_t digital_tail_cycles = 2;
  Bytes edram_size{64 * 1024};   // informative: capacity is not checked
  Bandwidth edram_bandwidth{38.4e9};  // ISAAC's 256-bit eDRAM bus at 1.2 GHz

  // Published tile power at full activity (Atleus: 0.345 W, dequantiser excluded; the
  // dequantiser adds 1.5 %). Static power is what the per-action energies leave of it.
  Power tile_power{0.345};

  // ISAAC, per IMA: 8 crossbars 2.4 mW, each read every 100 ns: 0.3 mW x 100 ns = 30 pJ.
  Energy xbar_read_energy{30e-12};
  // 8 ADCs 16 mW at 1.28 GS/s each: 2 mW / 1.28e9 = 1.5625 pJ per conversion.
  Energy adc_conversion_energy{1.5625e-12};
  // 8 x 128 1-bit DACs 4 mW, each driven once per 100 ns read: 3.90625 uW x 100 ns = 0.39 pJ.
  Energy dac_energy{0.390625e-12};
  // 4 shift-and-add units 0.2 mW, one operation per conversion (8 ADCs x 1.28 GS/s):
  // 0.2 mW / 10.24e9 = 0.01953125 pJ.
  Energy shift_add_energy{0.01953125e-12};
  // eDRAM 20.7 mW at its 38.4 GB/s bus: 0.5390625 pJ per byte.
  Energy edram_energy_per_byte{0.5390625e-12};
  // Atleus: the per-crossbar dequantiser adds 1.5 % of tile power. It scales each
  // crossbar's per-weight output once per vector. Reference activity: 8-bit weights (4
  // slices, 32 weights per crossbar row) and 8-bit inputs (8 reads of 100 ns): a tile
  // makes 96 x 32 / 800 ns = 3.84e9 outputs/s, so 0.015 x 0.345 W / 3.84e9 = 1.3477 pJ.
  Energy dequant_energy{1.34765625e-12};

  // Programming. PUMA's crossbar constants: a 128 x 128 array written in 10.97 us for
  // 21.1 nJ, i.e. 85.7 ns per row (write-and-verify included) and 1.29 pJ per cell.
  Duration row_write_latency{85'700};
  Energy cell_write_energy{1.29e-12};
  std::uint32_t write_parallel_crossbars = 96;  // crossbars per tile programmed at once
  // Writes a cell survives. Multi-level ReRAM endurance is commonly quoted 1e6..1e12;
  // 1e6 is the conservative end (assumed; not published for Atleus).
  std::uint64_t cell_endurance = 1'000'000;

  std::uint32_t tiles_per_core = 16;
};

TileParams atleus_reram();  // the defaults above
std::optional<TileParams> pim_preset(std::string_view name);

// Every problem with `p`, one message each; empty when valid.
std::vector<std::string> validate(const TileParams& p);

// Bits one column sum needs: ceil(log2(rows * (2^dac - 1) * (2^cell - 1) + 1)). ISAAC's
// weight-flipping encoding saves one (Sec. 5.2), so an ADC of adc_bits_required - 1 bits
// is exact; validate() rejects fewer. Defaults: 128 x 1 x 3 = 384 -> 9 bits -> 8-bit ADC.
std::uint32_t adc_bits_required(const TileParams& p) noexcept;

// Dynamic tile power with every crossbar read every interval, every ADC converting at its
// rate (one shift-and-add per conversion) and the eDRAM bus busy; dequantiser excluded.
double full_activity_dynamic_power(const TileParams& p) noexcept;
// Background power per occupied tile: tile_power - full_activity_dynamic_power.
double static_power(const TileParams& p) noexcept;

// ---- weight mapping -------------------------------------------------------------------

// A K x N weight matrix (K inputs, N outputs) of weight_bits per weight.
struct WeightShape {
  std::uint64_t k = 0;
  std::uint64_t n = 0;
  std::uint32_t weight_bits = 8;
};

// Layout: a weight's `slices` cells sit side by side in one crossbar row (ISAAC Sec. 5),
// never straddling two crossbars, so a crossbar row holds floor(cols / slices) weights.
//   slices     = ceil(weight_bits / bits_per_cell)
//   row_tiles  = ceil(K / xbar_rows)
//   col_tiles  = ceil(N / floor(xbar_cols / slices))   (= ceil(N*slices/cols) when
//                                                        slices divides cols)
//   crossbars  = row_tiles * col_tiles;  tiles = ceil(crossbars / crossbars per tile)
// Copies pack densely; duplication = floor(available crossbars / crossbars), capped.
struct WeightMapping {
  WeightShape shape;
  std::uint32_t slices = 0;
  std::uint64_t weights_per_xbar_row = 0;
  std::uint64_t row_tiles = 0;
  std::uint64_t col_tiles = 0;
  std::uint64_t crossbars = 0;        // one copy
  std::uint64_t tiles = 0;            // one copy
  std::uint64_t tiles_available = 0;
  bool fits = false;                  // tiles <= tiles_available
  std::uint64_t duplication = 0;      // copies; 1 when it does not fit (costed as if it did)
  std::uint64_t crossbars_used = 0;   // crossbars * duplication
  std::uint64_t tiles_used = 0;       // ceil(crossbars_used / crossbars per tile)
  std::uint64_t columns_used_max = 0; // most columns used in one crossbar
  double cell_utilisation = 0.0;      // K*N*slices / (crossbars * rows * cols)
  double crossbar_utilisation = 0.0;  // crossbars_used / (tiles_used * crossbars per tile)
};

// tiles_available: tiles this matrix may occupy (a core: tiles_per_core).
// max_duplication: cap on copies (0 = as many as fit; e.g. the number of input vectors).
// An empty matrix (K or N zero) maps to nothing and fits.
WeightMapping map_weights(const TileParams& p, const WeightShape& w,
                          std::uint64_t tiles_available, std::uint64_t max_duplication = 0);

// ---- matrix-vector products -----------------------------------------------------------

// M input vectors (rows of the activation matrix, e.g. B*S tokens) of activation_bits.
struct MvmInput {
  std::uint64_t m = 0;
  std::uint32_t activation_bits = 8;
  std::uint32_t output_bits = 16;  // written back to eDRAM after dequantisation
};

struct PimEnergy {  // joules
  double crossbar = 0.0;
  double adc = 0.0;
  double dac = 0.0;
  double shift_add = 0.0;
  double edram = 0.0;
  double dequant = 0.0;
  double static_energy = 0.0;  // static_power() x tiles_used x time
  double dynamic() const noexcept { return crossbar + adc + dac + shift_add + edram + dequant; }
  double total() const noexcept { return dynamic() + static_energy; }
};

struct MvmResult {
  bool fits = false;                 // the mapping's capacity flag, carried through
  std::uint32_t input_cycles = 0;    // ceil(activation_bits / dac_bits)
  std::uint64_t adc_time_ps = 0;     // one ADC converting its columns: cols_per_adc / rate
  std::uint64_t interval_ps = 0;     // one input step: max(crossbar read, ADC time)
  bool adc_bound = false;            // the ADCs, not the crossbar read, set the interval
  bool edram_bound = false;          // eDRAM traffic, not the pipeline, sets the time
  std::uint64_t rounds = 0;          // ceil(M / duplication)
  std::uint64_t time_ps = 0;
  std::uint64_t crossbar_reads = 0;
  std::uint64_t adc_conversions = 0;
  std::uint64_t dac_activations = 0;
  std::uint64_t shift_adds = 0;
  std::uint64_t dequant_ops = 0;
  std::uint64_t edram_bytes_read = 0;
  std::uint64_t edram_bytes_written = 0;
  double cell_utilisation = 0.0;
  double crossbar_utilisation = 0.0;
  PimEnergy energy;
};

// Cost of M products y = x W on a mapping. Pipeline: crossbar read -> ADC, one input
// step (dac_bits of every input) per interval; copies take vectors round-robin.
//   steps  = ceil(M / duplication) * input_cycles
//   time   = max(read + adc_time + (steps - 1) * interval + tail,  eDRAM bytes / bandwidth)
// Throws std::invalid_argument when validate(p) is not empty.
MvmResult evaluate_mvm(const TileParams& p, const WeightMapping& w, const MvmInput& in);

// Transposed products y = W x for M vectors x of length N (e.g. activation gradients
// dX = dY W^T through frozen weights), on the same mapping as the forward y = x W; the
// result has K elements. Cost model (ASSUMPTION: bidirectional crossbars as in PipeLayer,
// Song et al., HPCA 2017, and ReRAM training accelerators: inputs can drive the bit lines
// and the word-line currents can be sensed, the tile's drivers and ADCs serving both):
//   * the inputs drive the columns, the rows are sensed; a weight's `slices` cells sit in
//     adjacent columns of different significance, so one input step is `slices` reads, one
//     per slice position (drive that column of every weight, sense every used row,
//     shift-and-add by slice), instead of one;
//   * steps  = ceil(M / duplication) * input_cycles * slices
//   * rows sensed per crossbar = min(K, xbar_rows), shared by the ADCs like columns are
//     in the forward pass: adc_time = ceil(rows * crossbars / adcs) / adc_sample_rate,
//     interval = max(read, adc_time); tail = digital_tail_cycles + ceil(log2(col_tiles))
//     (partial sums reduce across column tiles);
//   * time = max(read + adc_time + (steps - 1) * interval + tail, eDRAM bytes / bandwidth);
//   * counts: crossbar_reads = M * ic * slices * crossbars; adc_conversions =
//     M * ic * slices * col_tiles * K; dac_activations = M * ic * row_tiles * N * slices;
//     shift_adds = adc_conversions + M * K * (col_tiles - 1); dequant_ops = M * K * col_tiles;
//     eDRAM reads M * N inputs, writes M * K outputs.
// A row sum adds weights_per_xbar_row products, so the ADC needs
// adc_bits_required_transposed(); throws std::invalid_argument when adc_bits + 1 is less
// (ISAAC's flipped-encoding allowance, as in validate()).
std::uint32_t adc_bits_required_transposed(const TileParams& p, const WeightMapping& w) noexcept;
MvmResult evaluate_mvm_transposed(const TileParams& p, const WeightMapping& w, const MvmInput& in);

// ---- programming and wear -------------------------------------------------------------

struct ProgramResult {
  std::uint64_t time_ps = 0;   // waves * rows per crossbar * row_write_latency
  std::uint64_t cells_written = 0;
  std::uint64_t rows_written = 0;
  std::uint64_t writes_per_cell = 0;  // 1 for a mapped matrix; feed EnduranceCounter
  double energy = 0.0;         // cells_written * cell_write_energy
};

// Writing every copy of a mapping: crossbars program one row at a time, up to
// write_parallel_crossbars per tile at once, tiles in parallel.
ProgramResult program_weights(const TileParams& p, const WeightMapping& w);

// Wear of one region whose cells are always rewritten together (a mapped matrix).
class EnduranceCounter {
 public:
  explicit EnduranceCounter(std::uint64_t endurance) noexcept : endurance_(endurance) {}
  void record(std::uint64_t writes_per_cell = 1) noexcept { writes_ += writes_per_cell; }
  std::uint64_t writes() const noexcept { return writes_; }
  std::uint64_t remaining() const noexcept {
    return writes_ >= endurance_ ? 0 : endurance_ - writes_;
  }
  bool worn_out() const noexcept { return writes_ >= endurance_; }

 private:
  std::uint64_t endurance_;
  std::uint64_t writes_ = 0;
};

}  // namespace strata::pim
