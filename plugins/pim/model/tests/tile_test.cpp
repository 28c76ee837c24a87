// Every expected number is derived here from the parameters, never copied from output.
#include "strata/pim/model.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <stdexcept>

using namespace strata::pim;
using u64 = std::uint64_t;

namespace {

u64 cdiv(u64 a, u64 b) { return (a + b - 1) / b; }

// ceil(log2(x)) for the row-tile reduction depth.
u64 clog2(u64 x) {
  u64 bits = 0;
  while ((u64{1} << bits) < x) ++bits;
  return bits;
}

// The digital tail at 1.2 GHz: ceil(cycles * 1e12 / 1.2e9) = ceil(cycles * 1e4 / 12) ps.
u64 tail_ps(const TileParams& p, const WeightMapping& w) {
  REQUIRE(p.logic_frequency.hz == 1.2e9);
  return cdiv((p.digital_tail_cycles + clog2(w.row_tiles)) * 10000, 12);
}

}  // namespace

TEST_CASE("pim: slices = ceil(weight bits / bits per cell): 8-bit weights at 2 bits/cell -> 4",
          "[pim][mapping]") {
  const auto p = atleus_reram();
  CHECK(map_weights(p, {128, 32, 8}, 16).slices == 4);
  CHECK(map_weights(p, {128, 32, 16}, 16).slices == 8);
  CHECK(map_weights(p, {128, 32, 5}, 16).slices == 3);
  CHECK(map_weights(p, {128, 32, 1}, 16).slices == 1);
}

TEST_CASE("pim: row tiles = ceil(K/rows), col tiles = ceil(N / floor(cols/slices)), exact and "
          "at remainders",
          "[pim][mapping]") {
  const auto p = atleus_reram();
  const u64 per_row = p.xbar_cols / 4;  // 8-bit weights, 4 slices: 32 weights per row
  SECTION("exact multiples: BERT-base projection 768 x 768") {
    const auto m = map_weights(p, {768, 768, 8}, p.tiles_per_core);
    CHECK(m.weights_per_xbar_row == per_row);
    CHECK(m.row_tiles == 768 / p.xbar_rows);
    CHECK(m.col_tiles == 768 / per_row);
    CHECK(m.col_tiles == 768 * 4 / p.xbar_cols);  // = ceil(N*slices/cols) when slices | cols
    CHECK(m.crossbars == (768 / p.xbar_rows) * (768 / per_row));
    CHECK(m.tiles == cdiv(m.crossbars, p.crossbars));
    CHECK(m.cell_utilisation == Approx(1.0));
    CHECK(m.fits);
  }
  SECTION("one past a multiple in both dimensions") {
    const auto m = map_weights(p, {129, 33, 8}, p.tiles_per_core);
    CHECK(m.row_tiles == 2);
    CHECK(m.col_tiles == 2);
    CHECK(m.crossbars == 4);
    CHECK(m.tiles == 1);
    CHECK(m.columns_used_max == per_row * 4);
    CHECK(m.cell_utilisation == Approx(129.0 * 33 * 4 / (4.0 * 128 * 128)));
  }
  SECTION("slices that do not divide the row: no weight straddles two crossbars") {
    // 6-bit weights: 3 slices, floor(128/3) = 42 weights (126 columns) per crossbar row.
    const auto fit = map_weights(p, {128, 84, 6}, p.tiles_per_core);
    CHECK(fit.weights_per_xbar_row == p.xbar_cols / 3);
    CHECK(fit.col_tiles == 2);
    const auto over = map_weights(p, {128, 85, 6}, p.tiles_per_core);
    CHECK(over.col_tiles == 3);  // ceil(85*3/128) would say 2, splitting a weight
  }
}

TEST_CASE("pim: a matrix larger than the tiles available is flagged, not placed",
          "[pim][mapping]") {
  const auto p = atleus_reram();
  const auto m = map_weights(p, {4096, 4096, 8}, p.tiles_per_core);
  const u64 xbars = (4096 / p.xbar_rows) * (4096 / (p.xbar_cols / 4));
  CHECK(m.crossbars == xbars);
  CHECK(m.tiles == cdiv(xbars, p.crossbars));
  CHECK(m.tiles > p.tiles_per_core);
  CHECK_FALSE(m.fits);
  CHECK(m.duplication == 1);
  CHECK_FALSE(evaluate_mvm(p, m, {4}).fits);
  // Exactly at capacity still fits.
  CHECK(map_weights(p, {4096, 4096, 8}, m.tiles).fits);
}

TEST_CASE("pim: duplication = floor(available crossbars / crossbars per copy), capped",
          "[pim][mapping]") {
  const auto p = atleus_reram();
  const WeightShape w{768, 768, 8};
  const u64 xbars = (768 / p.xbar_rows) * (768 / 32);
  const u64 available = u64{p.tiles_per_core} * p.crossbars;
  const auto m = map_weights(p, w, p.tiles_per_core);
  CHECK(m.duplication == available / xbars);
  CHECK(m.crossbars_used == xbars * (available / xbars));
  CHECK(m.tiles_used == cdiv(m.crossbars_used, p.crossbars));
  const auto capped = map_weights(p, w, p.tiles_per_core, 4);
  CHECK(capped.duplication == 4);
  CHECK(capped.tiles_used == cdiv(4 * xbars, p.crossbars));
  CHECK(capped.crossbar_utilisation == Approx(double(4 * xbars) / double(capped.tiles_used * p.crossbars)));
}

TEST_CASE("pim: input cycles = ceil(activation bits / DAC bits)", "[pim][mvm]") {
  auto p = atleus_reram();
  const auto m = map_weights(p, {128, 32, 8}, 1);
  CHECK(evaluate_mvm(p, m, {1, 8}).input_cycles == 8);
  CHECK(evaluate_mvm(p, m, {1, 7}).input_cycles == 7);
  p.dac_bits = 2;
  p.adc_bits = 10;  // 2-bit inputs widen the column sum: 128*3*3 = 1152 -> 11 bits, ISAAC 10
  CHECK(evaluate_mvm(p, m, {1, 8}).input_cycles == 4);
  CHECK(evaluate_mvm(p, m, {1, 7}).input_cycles == 4);
}

TEST_CASE("pim: MVM time = read + ADC + (ceil(M/dup)*input_cycles - 1)*interval + tail",
          "[pim][mvm]") {
  const auto p = atleus_reram();
  const WeightShape w{768, 768, 8};
  const u64 m = 40;
  const u64 ic = 8;
  auto time_for = [&](const WeightMapping& map) {
    // Full crossbars: 128 columns per ADC at 1.28 GS/s = 100 ns = one read.
    const u64 adc = p.xbar_cols * 1'000'000'000'000ULL / 1'280'000'000ULL;
    const u64 interval = std::max(p.xbar_read_latency.ps, adc);
    return p.xbar_read_latency.ps + adc + (cdiv(m, map.duplication) * ic - 1) * interval +
           tail_ps(p, map);
  };
  const auto single = map_weights(p, w, p.tiles_per_core, 1);
  const auto four = map_weights(p, w, p.tiles_per_core, 4);
  const auto r1 = evaluate_mvm(p, single, {m, 8});
  const auto r4 = evaluate_mvm(p, four, {m, 8});
  CHECK(r1.rounds == m);
  CHECK(r4.rounds == m / 4);
  CHECK(r1.time_ps == time_for(single));
  CHECK(r4.time_ps == time_for(four));
  // Duplication speeds up by the rounds it removes, at one interval per input step.
  CHECK(r1.time_ps - r4.time_ps == (m - m / 4) * ic * p.xbar_read_latency.ps);
  // Copies spread the same work: counts do not change.
  CHECK(r1.crossbar_reads == r4.crossbar_reads);
  CHECK(r1.adc_conversions == r4.adc_conversions);
}

TEST_CASE("pim: interval = max(crossbar read, columns per ADC / ADC rate): ADC- vs "
          "crossbar-bound",
          "[pim][mvm]") {
  auto p = atleus_reram();
  const WeightShape full{128, 32, 8};  // one crossbar, all 128 columns used
  SECTION("defaults are balanced: 128 / 1.28 GS/s = 100 ns = one read") {
    const auto r = evaluate_mvm(p, map_weights(p, full, 1), {1});
    CHECK(r.adc_time_ps == p.xbar_read_latency.ps);
    CHECK(r.interval_ps == p.xbar_read_latency.ps);
    CHECK_FALSE(r.adc_bound);
  }
  SECTION("half-rate ADCs: 128 / 0.64 GS/s = 200 ns, ADC-bound") {
    p.adc_sample_rate.hz = 0.64e9;
    const auto r = evaluate_mvm(p, map_weights(p, full, 1), {1});
    CHECK(r.adc_time_ps == 200'000);
    CHECK(r.interval_ps == 200'000);
    CHECK(r.adc_bound);
  }
  SECTION("one ADC per two crossbars: 256 columns per ADC, ADC-bound") {
    p.adcs = p.crossbars / 2;
    const auto r = evaluate_mvm(p, map_weights(p, full, 1), {1});
    CHECK(r.adc_time_ps == 2 * p.xbar_cols * 1'000'000'000'000ULL / 1'280'000'000ULL);
    CHECK(r.adc_bound);
  }
  SECTION("a narrow matrix uses few columns: crossbar-bound even with slow ADCs") {
    p.adc_sample_rate.hz = 0.64e9;
    const auto r = evaluate_mvm(p, map_weights(p, {128, 8, 8}, 1), {1});  // 32 columns
    CHECK(r.adc_time_ps == cdiv(32 * 1'000'000'000'000ULL, 640'000'000ULL));
    CHECK(r.interval_ps == p.xbar_read_latency.ps);
    CHECK_FALSE(r.adc_bound);
  }
}

TEST_CASE("pim: action counts per vector and input step, and energy = sum of counts x "
          "per-action energy",
          "[pim][mvm][energy]") {
  const auto p = atleus_reram();
  const WeightShape w{300, 200, 8};  // remainders everywhere
  const auto map = map_weights(p, w, p.tiles_per_core, 2);
  const MvmInput in{17, 8, 16};
  const auto r = evaluate_mvm(p, map, in);
  const u64 ic = 8, slices = 4;
  const u64 rt = cdiv(w.k, p.xbar_rows), ct = cdiv(w.n, p.xbar_cols / slices);
  REQUIRE(map.row_tiles == rt);
  REQUIRE(map.col_tiles == ct);
  CHECK(r.crossbar_reads == in.m * ic * rt * ct);
  CHECK(r.adc_conversions == in.m * ic * rt * w.n * slices);
  CHECK(r.dac_activations == in.m * ic * w.k * ct);
  CHECK(r.shift_adds == r.adc_conversions + in.m * w.n * (rt - 1));
  CHECK(r.dequant_ops == in.m * w.n * rt);
  CHECK(r.edram_bytes_read == in.m * w.k);
  CHECK(r.edram_bytes_written == in.m * w.n * 2);
  CHECK(r.energy.crossbar == Approx(double(r.crossbar_reads) * p.xbar_read_energy.joules));
  CHECK(r.energy.adc == Approx(double(r.adc_conversions) * p.adc_conversion_energy.joules));
  CHECK(r.energy.dac == Approx(double(r.dac_activations) * p.dac_energy.joules));
  CHECK(r.energy.shift_add == Approx(double(r.shift_adds) * p.shift_add_energy.joules));
  CHECK(r.energy.dequant == Approx(double(r.dequant_ops) * p.dequant_energy.joules));
  CHECK(r.energy.edram == Approx(double(r.edram_bytes_read + r.edram_bytes_written) *
                                 p.edram_energy_per_byte.joules));
  CHECK(r.energy.static_energy ==
        Approx(static_power(p) * double(map.tiles_used) * double(r.time_ps) * 1e-12));
  CHECK(r.energy.total() == Approx(r.energy.dynamic() + r.energy.static_energy));
}

TEST_CASE("pim: eDRAM bandwidth bounds the time when it is slower than the pipeline",
          "[pim][mvm]") {
  auto p = atleus_reram();
  p.edram_bandwidth.bytes_per_s = 1e8;  // 0.1 GB/s: 10'000 ps per byte
  const auto map = map_weights(p, {128, 32, 8}, 1, 1);
  const MvmInput in{100, 8, 16};
  const auto r = evaluate_mvm(p, map, in);
  const u64 bytes = in.m * 128 + in.m * 32 * 2;  // 8-bit inputs in, 16-bit outputs out
  const u64 pipeline = in.m * 8 * p.xbar_read_latency.ps;  // lower bound on the pipeline
  REQUIRE(bytes * 10'000 > pipeline + p.xbar_read_latency.ps * 2 + 10'000);
  CHECK(r.edram_bound);
  CHECK(r.time_ps == bytes * 10'000);
}

TEST_CASE("pim: an empty batch costs nothing", "[pim][mvm]") {
  const auto p = atleus_reram();
  const auto r = evaluate_mvm(p, map_weights(p, {128, 32, 8}, 1), {0});
  CHECK(r.time_ps == 0);
  CHECK(r.energy.total() == 0.0);
}

TEST_CASE("pim: defaults reproduce the published tile power: ISAAC components + static = "
          "0.345 W, dequantiser +1.5 %",
          "[pim][params]") {
  const auto p = atleus_reram();
  CHECK(p.crossbars == 96);
  CHECK(p.adcs == 96);
  CHECK(p.tiles_per_core == 16);
  // ISAAC Table I per IMA (x12 per tile): crossbars 2.4 mW, ADCs 16 mW, DACs 4 mW,
  // shift-and-add 0.2 mW; plus the tile's eDRAM 20.7 mW.
  const double isaac_dynamic = 12 * (2.4e-3 + 16e-3 + 4e-3 + 0.2e-3) + 20.7e-3;
  CHECK(full_activity_dynamic_power(p) == Approx(isaac_dynamic));
  CHECK(static_power(p) == Approx(0.345 - isaac_dynamic));
  // Dequantiser at its reference activity: 8-bit weights (32 per crossbar row), 8-bit
  // inputs through 1-bit DACs, one output per weight per 8 reads.
  const double outputs_per_second =
      double(p.crossbars) * (p.xbar_cols / 4) / (8 * double(p.xbar_read_latency.ps) * 1e-12);
  CHECK(outputs_per_second * p.dequant_energy.joules == Approx(0.015 * p.tile_power.watts));
  CHECK(validate(p).empty());
  CHECK(pim_preset("atleus_reram").has_value());
  CHECK_FALSE(pim_preset("nope").has_value());
}

TEST_CASE("pim: ADC resolution needed = ceil(log2(rows*(2^dac-1)*(2^cell-1)+1)), one less with "
          "ISAAC's encoding",
          "[pim][params]") {
  auto p = atleus_reram();
  CHECK(adc_bits_required(p) == 9);  // 128 * 1 * 3 = 384
  CHECK(validate(p).empty());        // 8-bit ADC, ISAAC encoding
  p.adc_bits = 7;
  CHECK(validate(p).size() == 1);
  CHECK_THROWS_AS(map_weights(p, {1, 1, 8}, 1), std::invalid_argument);
}

TEST_CASE("pim: programming writes every cell of every copy, one row per crossbar at a time",
          "[pim][program]") {
  auto p = atleus_reram();
  const WeightShape w{300, 200, 8};
  const auto map = map_weights(p, w, p.tiles_per_core, 2);
  SECTION("all crossbars of a tile in parallel: one wave of min(K, rows) rows") {
    const auto r = program_weights(p, map);
    CHECK(r.time_ps == std::min<u64>(w.k, p.xbar_rows) * p.row_write_latency.ps);
    CHECK(r.cells_written == w.k * w.n * 4 * 2);
    CHECK(r.rows_written == w.k * map.col_tiles * 2);
    CHECK(r.energy == Approx(double(r.cells_written) * p.cell_write_energy.joules));
    CHECK(r.writes_per_cell == 1);
  }
  SECTION("write drivers for 4 crossbars at a time: ceil(crossbars per tile / 4) waves") {
    p.write_parallel_crossbars = 4;
    const u64 per_tile = std::min<u64>(map.crossbars_used, p.crossbars);
    const auto r = program_weights(p, map);
    CHECK(r.time_ps == cdiv(per_tile, 4) * p.xbar_rows * p.row_write_latency.ps);
  }
}

TEST_CASE("pim: endurance counter wears out after cell_endurance rewrites", "[pim][program]") {
  auto p = atleus_reram();
  p.cell_endurance = 3;
  EnduranceCounter wear(p.cell_endurance);
  const auto once = program_weights(p, map_weights(p, {128, 32, 8}, 1));
  wear.record(once.writes_per_cell);
  wear.record(once.writes_per_cell);
  CHECK(wear.writes() == 2);
  CHECK(wear.remaining() == 1);
  CHECK_FALSE(wear.worn_out());
  wear.record(once.writes_per_cell);
  CHECK(wear.worn_out());
  CHECK(wear.remaining() == 0);
  CHECK(EnduranceCounter(atleus_reram().cell_endurance).remaining() == 1'000'000);
}

TEST_CASE("pim: transposed MVM = slices reads per input step, rows sensed, reduction across column tiles",
          "[pim][mvm][transposed]") {
  const auto p = atleus_reram();
  // 300 x 100 of 8-bit weights: 4 slices, 32 weights per row: 3 row tiles x 4 column tiles.
  const auto w = map_weights(p, {300, 100, 8}, 16, 1);
  REQUIRE(w.row_tiles == 3);
  REQUIRE(w.col_tiles == 4);
  const MvmInput in{5, 8, 16};
  const auto f = evaluate_mvm(p, w, in);
  const auto t = evaluate_mvm_transposed(p, w, in);
  const u64 ic = 8, slices = 4;
  // Rows sensed per crossbar: min(K, 128) = 128, 96 crossbars over 96 ADCs at 1.28 GS/s: 100 ns.
  CHECK(t.adc_time_ps == cdiv(128 * 96 / 96 * 1'000'000'000'000ull, 1'280'000'000ull));
  CHECK(t.interval_ps == 100'000);
  const u64 steps = in.m * ic * slices;
  const u64 tail = cdiv((p.digital_tail_cycles + clog2(w.col_tiles)) * 10000, 12);
  CHECK(t.time_ps == 100'000 + t.adc_time_ps + (steps - 1) * t.interval_ps + tail);
  CHECK(t.crossbar_reads == slices * f.crossbar_reads);
  CHECK(t.adc_conversions == in.m * ic * slices * w.col_tiles * 300);
  CHECK(t.dac_activations == in.m * ic * w.row_tiles * 100 * slices);
  CHECK(t.shift_adds == t.adc_conversions + in.m * 300 * (w.col_tiles - 1));
  CHECK(t.dequant_ops == in.m * 300 * w.col_tiles);
  CHECK(t.edram_bytes_read == in.m * 100);       // inputs of N bytes
  CHECK(t.edram_bytes_written == in.m * 300 * 2);  // outputs of K 16-bit values
  // A row sum adds 32 products of 1-bit inputs and 2-bit cells: 96 -> 7 bits.
  CHECK(adc_bits_required_transposed(p, w) == 7);
}

TEST_CASE("pim: a transposed MVM whose row sums exceed the ADC is refused", "[pim][mvm][transposed]") {
  // Short, wide crossbars: 64 rows, 256 columns, 2-bit weights in one 2-bit cell. Columns
  // sum 64 x 3 = 192 (8 bits: the 8-bit ADC is fine); rows sum 256 x 3 = 768 (10 bits).
  auto p = atleus_reram();
  p.xbar_rows = 64;
  p.xbar_cols = 256;
  REQUIRE(validate(p).empty());
  const auto w = map_weights(p, {64, 256, 2}, 16, 1);
  CHECK(adc_bits_required_transposed(p, w) == 10);
  CHECK_NOTHROW(evaluate_mvm(p, w, {1, 8, 8}));
  CHECK_THROWS_AS(evaluate_mvm_transposed(p, w, {1, 8, 8}), std::invalid_argument);
}
