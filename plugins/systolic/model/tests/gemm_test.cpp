// Every expected number is derived here from the parameters (SCALE-Sim's closed forms),
// never copied from the model's output.
#include "strata/systolic/model.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

using namespace strata::systolic;
using u64 = std::uint64_t;

namespace {

u64 cdiv(u64 a, u64 b) { return (a + b - 1) / b; }

// Compute-only array: unlimited DRAM, SRAM large enough for any operand used here.
SystolicParams ideal(Dataflow df, std::uint32_t rows = 128, std::uint32_t cols = 32) {
  SystolicParams p;
  p.rows = rows;
  p.cols = cols;
  p.dataflow = std::string(to_string(df));
  p.ideal_dram = true;
  p.ifmap_sram_size = p.filter_sram_size = p.ofmap_sram_size = strata::Bytes{u64{1} << 40};
  return p;
}

// SCALE-Sim v2 counts a fold's cycles as the rows of its demand matrices
// (scalesim/compute/systolic_compute_{os,ws,is}.py, create_*_demand_mat): null rows before
// and after the operand rows, then skew_matrix() adds (columns - 1) rows. The three
// operands' matrices have the same length (SCALE-Sim asserts it); each is written out here
// from those functions.
struct ScaleSimFold {
  u64 ifmap, filter, ofmap;
};
ScaleSimFold scalesim_fold(Dataflow df, u64 R, u64 C, u64 T) {
  switch (df) {
    case Dataflow::output_stationary:
      return {T + (C - 1) + (R - 1),   // T input rows, C - 1 gap rows, skewed over R columns
              T + (R - 1) + (C - 1),   // T filter rows, R - 1 gap rows, skewed over C columns
              (T - 1) + R + (C - 1)};  // T - 1 rows before outputs, R output rows, skewed over C
    case Dataflow::weight_stationary:
      return {R + T + (C - 1) + (R - 1),  // R weight-load rows, T inputs, C - 1 drain, skew over R
              R + (R + C + T - 2),        // R weight rows then R + C + T - 2 gap rows, no skew
              (2 * R - 1) + T + (C - 1)}; // 2R - 1 rows before outputs, T output rows, skew over C
    case Dataflow::input_stationary:
      return {R + (R + C + T - 2),        // R input rows then R + C + T - 2 gap rows, no skew
              R + T + (C - 1) + (R - 1),  // R load rows, T filter rows, C - 1 drain, skew over R
              (2 * R - 1) + T + (C - 1)};
  }
  return {};
}
// SCALE-Sim's operand dimensions (set_params): OS Sr = M, Sc = N, T = K; WS Sr = K, Sc = N,
// T = M; IS Sr = K, Sc = M, T = N.
u64 scalesim_cycles(Dataflow df, u64 R, u64 C, const GemmShape& g) {
  const u64 sr = df == Dataflow::output_stationary ? g.m : g.k;
  const u64 sc = df == Dataflow::input_stationary ? g.m : g.n;
  const u64 t = df == Dataflow::output_stationary ? g.k : df == Dataflow::weight_stationary ? g.m : g.n;
  const ScaleSimFold f = scalesim_fold(df, R, C, t);
  REQUIRE(f.ifmap == f.filter);
  REQUIRE(f.filter == f.ofmap);
  return cdiv(sr, R) * cdiv(sc, C) * f.ofmap;
}

u64 per_fold(const SystolicParams& p, u64 t) { return scalesim_fold(dataflow(p), p.rows, p.cols, t).ofmap; }

}  // namespace

TEST_CASE("systolic: SCALE-Sim v2 golden vectors: compute cycles of each dataflow = folds x the length of "
          "SCALE-Sim's per-fold demand matrices, LoRA-sized small-K GEMMs included",
          "[systolic][gemm][scalesim]") {
  // (M, K, N): LoRA rank-32 projections of a BERT-base layer at 128 tokens (128x32x768 is
  // the small-K up-projection, 128x768x32 the down-projection), a full 768-wide projection,
  // shapes one past the array in every dimension, and a GEMM smaller than the array.
  const GemmShape shapes[] = {{128, 32, 768}, {128, 768, 32}, {128, 768, 768}, {512, 64, 512},
                              {129, 257, 33}, {16, 16, 8},    {1024, 32, 4096}};
  const std::pair<std::uint32_t, std::uint32_t> arrays[] = {{128, 32}, {32, 32}, {128, 128}, {8, 4}};
  for (auto df : {Dataflow::output_stationary, Dataflow::weight_stationary, Dataflow::input_stationary})
    for (auto [R, C] : arrays)
      for (const auto& g : shapes) {
        CAPTURE(to_string(df), R, C, g.m, g.k, g.n);
        auto p = ideal(df, R, C);
        // Cycles do not depend on the power (a 128 x 128 array needs more than 2.13 W to be
        // valid); SCALE-Sim's compute cycles have no SRAM port stall, so the ports are wide.
        p.power = strata::Power{100.0};
        p.sram_bandwidth = strata::Bandwidth{double(1 << 20) * p.frequency.hz};
        const auto r = evaluate_gemm(p, g);
        CHECK(r.cycles.total() == scalesim_cycles(df, R, C, g));
      }
}

TEST_CASE("systolic: OS takes R + C + K - 2 cycles per fold (no weight preload); WS and IS 2R + C + T - 2: "
          "a small-K LoRA GEMM is (2R + C + K - 2) / (R + C + K - 2) faster in OS than the WS fill charged",
          "[systolic][gemm][scalesim]") {
  const auto p = ideal(Dataflow::output_stationary);  // Atleus SA: 128 x 32
  const GemmShape lora{128, 32, 768};
  const auto r = evaluate_gemm(p, lora);
  CHECK(r.mapping.cycles_per_fold == 128 + 32 + 32 - 2);
  CHECK(r.mapping.folds == 768 / 32);
  CHECK(r.cycles.total() == 24 * 190);
  CHECK(cycles_per_fold(Dataflow::weight_stationary, 128, 32, 32) == 2 * 128 + 32 + 32 - 2);
  CHECK(cycles_per_fold(Dataflow::input_stationary, 128, 32, 32) == 2 * 128 + 32 + 32 - 2);
}

TEST_CASE("systolic: OS cycles = R + C + K - 2 per fold", "[systolic][gemm]") {
  const auto p = ideal(Dataflow::output_stationary);
  const GemmShape g{256, 100, 64};  // exact multiples of R = 128 and C = 32
  const auto r = evaluate_gemm(p, g);
  const u64 folds = (g.m / p.rows) * (g.n / p.cols);
  CHECK(r.mapping.sr == g.m);
  CHECK(r.mapping.sc == g.n);
  CHECK(r.mapping.t == g.k);
  CHECK(r.mapping.folds == folds);
  CHECK(r.mapping.cycles_per_fold == u64{p.rows} + p.cols + g.k - 2);
  CHECK(r.cycles.total() == folds * per_fold(p, g.k));
  CHECK(r.cycles.compute == folds * g.k);
  CHECK(r.cycles.fill_drain == folds * (u64{p.rows} + p.cols - 2));
  CHECK(r.cycles.stall_dram() == 0);
  CHECK(r.cycles.stall_sram == 0);
  CHECK(r.mapping_efficiency == Approx(1.0));
}

TEST_CASE("systolic: folds = ceil(Sr/R) * ceil(Sc/C) at remainders, per dataflow",
          "[systolic][gemm]") {
  const GemmShape g{129, 257, 33};  // one past a multiple in every dimension
  struct Case {
    Dataflow df;
    u64 sr, sc, t;
  };
  const Case c = GENERATE_COPY(Case{Dataflow::output_stationary, g.m, g.n, g.k},
                               Case{Dataflow::weight_stationary, g.k, g.n, g.m},
                               Case{Dataflow::input_stationary, g.k, g.m, g.n});
  CAPTURE(to_string(c.df));
  const auto p = ideal(c.df);
  const auto r = evaluate_gemm(p, g);
  const u64 row_folds = cdiv(c.sr, p.rows);
  const u64 col_folds = cdiv(c.sc, p.cols);
  CHECK(r.mapping.sr == c.sr);
  CHECK(r.mapping.sc == c.sc);
  CHECK(r.mapping.t == c.t);
  CHECK(r.mapping.row_folds == row_folds);
  CHECK(r.mapping.col_folds == col_folds);
  CHECK(r.mapping.folds == row_folds * col_folds);
  // A partial fold still pays the whole array's fill and drain (SCALE-Sim).
  CHECK(r.cycles.total() == row_folds * col_folds * per_fold(p, c.t));
  CHECK(r.mapping_efficiency ==
        Approx(double(c.sr) * double(c.sc) / double(row_folds * col_folds * p.rows * p.cols)));
}

TEST_CASE("systolic: WS cycles = 2R + C + M - 2 per fold over ceil(K/R)*ceil(N/C) folds; "
          "IS cycles = 2R + C + N - 2 per fold over ceil(K/R)*ceil(M/C) folds",
          "[systolic][gemm]") {
  // Both map K onto the array's rows; WS puts N across the columns and streams M, IS the reverse.
  struct Case {
    Dataflow df;
    GemmShape g;
  };
  const Case c = GENERATE(Case{Dataflow::weight_stationary, GemmShape{512, 256, 64}},
                          Case{Dataflow::input_stationary, GemmShape{64, 256, 512}});
  CAPTURE(to_string(c.df));
  const auto p = ideal(c.df);
  const auto r = evaluate_gemm(p, c.g);
  const bool ws = c.df == Dataflow::weight_stationary;
  const u64 across_cols = ws ? c.g.n : c.g.m, streamed = ws ? c.g.m : c.g.n;
  const u64 folds = (c.g.k / p.rows) * (across_cols / p.cols);
  CHECK(r.cycles.total() == folds * (2 * u64{p.rows} + p.cols + streamed - 2));
}

TEST_CASE("systolic: a GEMM smaller than the array has utilisation MKN/(RC(R+C+K-2)) < 1",
          "[systolic][gemm]") {
  const auto p = ideal(Dataflow::output_stationary);
  const GemmShape g{16, 16, 8};
  const auto r = evaluate_gemm(p, g);
  const u64 cycles = per_fold(p, g.k);
  CHECK(r.mapping.folds == 1);
  CHECK(r.macs == g.m * g.k * g.n);
  CHECK(r.utilisation == Approx(double(g.m * g.k * g.n) / double(u64{p.rows} * p.cols * cycles)));
  CHECK(r.utilisation < 1.0);
  CHECK(r.mapping_efficiency == Approx(double(g.m * g.n) / double(p.rows * p.cols)));
}

TEST_CASE("systolic: time = total cycles / frequency, in ps", "[systolic][gemm]") {
  const auto p = ideal(Dataflow::output_stationary);  // 800 MHz: 1250 ps per cycle
  const auto r = evaluate_gemm(p, GemmShape{128, 64, 32});
  CHECK(r.time_ps == r.cycles.total() * 1250);
}

TEST_CASE("systolic: a GEMM with a zero dimension costs nothing", "[systolic][gemm]") {
  const auto r = evaluate_gemm(atleus_sa(), GemmShape{0, 64, 64});
  CHECK(r.mapping.folds == 0);
  CHECK(r.cycles.total() == 0);
  CHECK(r.time_ps == 0);
  CHECK(r.energy.total() == 0.0);
}

TEST_CASE("systolic: OS traffic when everything fits: each operand crosses DRAM once",
          "[systolic][gemm][sram]") {
  const auto p = ideal(Dataflow::output_stationary);
  const GemmShape g{256, 64, 96};  // 8-bit operands and outputs
  const auto r = evaluate_gemm(p, g);
  const u64 rf = g.m / p.rows, cf = g.n / p.cols;
  // Array side: the ifmap is streamed once per column fold, the filter once per row fold.
  CHECK(r.ifmap.sram_read == g.m * g.k * cf);
  CHECK(r.filter.sram_read == g.k * g.n * rf);
  CHECK(r.ofmap.sram_write == g.m * g.n);
  // DRAM side: initial fill of both inputs, final write-back of the outputs.
  CHECK(r.ifmap.dram_read == g.m * g.k);
  CHECK(r.filter.dram_read == g.k * g.n);
  CHECK(r.ofmap.dram_write == g.m * g.n);
  CHECK(r.ofmap.sram_read == g.m * g.n);  // read out for the write-back
  CHECK(r.ifmap.sram_write == g.m * g.k);  // written by the fill
  CHECK(r.dram_bytes_read == g.m * g.k + g.k * g.n);
  CHECK(r.dram_bytes_written == g.m * g.n);
  CHECK((r.ifmap.fits && r.filter.fits && r.ofmap.fits));
}

TEST_CASE("systolic: OS re-fetches the ifmap once per column fold when it exceeds its buffer",
          "[systolic][gemm][sram]") {
  auto p = ideal(Dataflow::output_stationary);
  const GemmShape g{256, 64, 96};
  p.ifmap_sram_size = strata::Bytes{g.m * g.k - 1};  // one byte short of holding the whole ifmap
  const auto r = evaluate_gemm(p, g);
  const u64 cf = g.n / p.cols;
  CHECK_FALSE(r.ifmap.fits);
  CHECK(r.ifmap.dram_read == g.m * g.k * cf);
  CHECK(r.filter.dram_read == g.k * g.n);
  p.ifmap_sram_size = strata::Bytes{g.m * g.k};  // exactly fits
  CHECK(evaluate_gemm(p, g).ifmap.dram_read == g.m * g.k);
}

TEST_CASE("systolic: OS re-fetches the K x C filter tile every fold when half the buffer is "
          "too small",
          "[systolic][gemm][sram]") {
  auto p = ideal(Dataflow::output_stationary);
  const GemmShape g{256, 64, 96};
  p.filter_sram_size = strata::Bytes{2 * g.k * p.cols};  // the tile fits half exactly
  CHECK(evaluate_gemm(p, g).filter.dram_read == g.k * g.n);
  p.filter_sram_size.count -= 2;  // half is one byte short
  const auto r = evaluate_gemm(p, g);
  CHECK_FALSE(r.filter.fits);
  CHECK(r.filter.dram_read == g.k * g.n * (g.m / p.rows));
}

TEST_CASE("systolic: WS partial sums spill to DRAM when M x C accumulators exceed half the "
          "ofmap buffer",
          "[systolic][gemm][sram]") {
  auto p = ideal(Dataflow::weight_stationary);
  const GemmShape g{64, 384, 64, 8, 8, 16};  // 16-bit outputs, 32-bit accumulators
  const u64 rf = g.k / p.rows, cf = g.n / p.cols;
  const u64 acc = p.accumulator_bits / 8, out = g.ofmap_bits / 8;
  // Array-side partial-sum traffic, independent of DRAM: (rf-1) intermediate passes at
  // accumulator width and one final pass at output width; rf-1 read-backs.
  auto fit = evaluate_gemm(p, g);
  CHECK(fit.ofmap.fits);
  CHECK(fit.ofmap.dram_write == g.m * g.n * out);
  CHECK(fit.ofmap.dram_read == 0);
  CHECK(fit.filter.dram_read == g.k * g.n);  // WS: every weight loaded exactly once
  CHECK(fit.ifmap.sram_read == g.m * g.k * cf);

  p.ofmap_sram_size = strata::Bytes{2 * g.m * p.cols * acc - 2};
  auto spill = evaluate_gemm(p, g);
  CHECK_FALSE(spill.ofmap.fits);
  CHECK(spill.ofmap.dram_write == g.m * g.n * ((rf - 1) * acc + out));
  CHECK(spill.ofmap.dram_read == g.m * g.n * (rf - 1) * acc);
  CHECK(spill.dram_bytes_written - fit.dram_bytes_written == g.m * g.n * (rf - 1) * acc);
}

TEST_CASE("systolic: IS re-fetches the filter once per column fold of M when it exceeds its "
          "buffer",
          "[systolic][gemm][sram]") {
  auto p = ideal(Dataflow::input_stationary);
  const GemmShape g{96, 256, 64};
  const u64 cf = g.m / p.cols;
  CHECK(evaluate_gemm(p, g).filter.dram_read == g.k * g.n);
  CHECK(evaluate_gemm(p, g).ifmap.dram_read == g.m * g.k);  // IS: every input once
  p.filter_sram_size = strata::Bytes{g.k * g.n - 1};
  const auto r = evaluate_gemm(p, g);
  CHECK_FALSE(r.filter.fits);
  CHECK(r.filter.dram_read == g.k * g.n * cf);
  CHECK(r.filter.sram_read == g.k * g.n * cf);
}

// A 4 x 4 array, OS, M = 8, K = 64, N = 4: two row folds of one column fold. Per fold the
// ifmap tile is R*K bytes, the filter tile K*C, the output tile R*C; each fold lasts
// R + C + K - 2 cycles. With the filter buffer too small the filter tile comes again
// for the second fold.
TEST_CASE("systolic: DRAM-bound folds stall by transfer - compute; fill and write-back are "
          "exposed",
          "[systolic][gemm][dram]") {
  auto p = ideal(Dataflow::output_stationary, 4, 4);
  const GemmShape g{8, 64, 4};
  p.filter_sram_size = strata::Bytes{g.k * p.cols};  // half of it is too small for the K x C tile
  const u64 fold = per_fold(p, g.k);
  const u64 ifmap_tile = u64{p.rows} * g.k, filter_tile = g.k * p.cols, out_tile = u64{p.rows} * p.cols;

  SECTION("1 B/cycle: the second fold's operands take longer than the first fold computes") {
    p.ideal_dram = false;
    p.dram_bandwidth = strata::Bandwidth{1.0 * p.frequency.hz};  // 1 B per cycle
    const auto r = evaluate_gemm(p, g);
    const u64 fill = ifmap_tile + filter_tile;        // fold 0's loads
    const u64 overlap0 = ifmap_tile + filter_tile;    // fold 1's loads during fold 0
    const u64 overlap1 = out_tile;                    // fold 0's store during fold 1
    REQUIRE(overlap0 > fold);
    REQUIRE(overlap1 < fold);
    CHECK(r.cycles.stall_dram_fill == fill);
    CHECK(r.cycles.stall_dram_bandwidth == overlap0 - fold);
    CHECK(r.cycles.stall_dram_writeback == out_tile);
    CHECK(r.cycles.total() == 2 * fold + fill + (overlap0 - fold) + out_tile);
    CHECK(r.utilisation < evaluate_gemm(ideal(Dataflow::output_stationary, 4, 4), g).utilisation);
  }
  SECTION("16 B/cycle: transfers hide behind compute; only fill and write-back remain") {
    p.ideal_dram = false;
    p.dram_bandwidth = strata::Bandwidth{16.0 * p.frequency.hz};  // 16 B per cycle
    const auto r = evaluate_gemm(p, g);
    CHECK(r.cycles.stall_dram_fill == cdiv(ifmap_tile + filter_tile, 16));
    CHECK(r.cycles.stall_dram_bandwidth == 0);
    CHECK(r.cycles.stall_dram_writeback == cdiv(out_tile, 16));
  }
  SECTION("unlimited DRAM (0): no DRAM stall at all") {
    p.ideal_dram = false;
    p.dram_bandwidth = strata::Bandwidth{0.0};
    CHECK(evaluate_gemm(p, g).cycles.stall_dram() == 0);
  }
}

TEST_CASE("systolic: SRAM port stall = max over buffers of ceil(bytes / port) - fold cycles",
          "[systolic][gemm][sram]") {
  auto p = ideal(Dataflow::output_stationary, 4, 4);
  p.sram_bandwidth = strata::Bandwidth{1.0 * p.frequency.hz};  // 1 B per cycle
  const GemmShape g{8, 64, 4};
  const u64 fold = per_fold(p, g.k);
  const u64 busiest = u64{p.rows} * g.k;  // ifmap tile (= filter tile here)
  REQUIRE(busiest > fold);
  const auto r = evaluate_gemm(p, g);
  CHECK(r.cycles.stall_sram == 2 * (busiest - fold));
  CHECK(r.cycles.total() == 2 * fold + 2 * (busiest - fold));
}

TEST_CASE("systolic: energy = counts x per-action energies + static power x time",
          "[systolic][gemm][energy]") {
  auto p = atleus_sa();
  p.dram_interface_energy_per_byte = strata::Energy{2e-12};  // exercise the term
  const GemmShape g{300, 200, 100};
  const auto r = evaluate_gemm(p, g);
  CHECK(r.energy.mac == Approx(double(g.m * g.k * g.n) * p.mac_energy.joules));
  CHECK(r.energy.sram == Approx(double(r.sram_bytes_read) * p.sram_read_energy_per_byte.joules +
                                double(r.sram_bytes_written) * p.sram_write_energy_per_byte.joules));
  CHECK(r.energy.dram_interface ==
        Approx(double(r.dram_bytes_read + r.dram_bytes_written) * 2e-12));
  CHECK(r.energy.static_energy == Approx(static_power(p) * double(r.time_ps) * 1e-12));
  CHECK(r.energy.vector == 0.0);
  CHECK(r.energy.total() == Approx(r.energy.mac + r.energy.sram + r.energy.dram_interface +
                                   r.energy.static_energy));
  // Buffer totals are the sums of the three operands.
  CHECK(r.sram_bytes_read == r.ifmap.sram_read + r.filter.sram_read + r.ofmap.sram_read);
  CHECK(r.dram_bytes_read == r.ifmap.dram_read + r.filter.dram_read + r.ofmap.dram_read);
}

TEST_CASE("systolic: Atleus preset is 128x32 OS at 800 MHz with 1 Mb SRAM; power splits into "
          "full-activity dynamic + static",
          "[systolic][params]") {
  const auto p = atleus_sa();
  CHECK(p.rows == 128);
  CHECK(p.cols == 32);
  CHECK(dataflow(p) == Dataflow::output_stationary);
  CHECK(p.frequency.hz == 800e6);
  CHECK(p.ifmap_sram_size.count + p.filter_sram_size.count + p.ofmap_sram_size.count == (u64{1} << 20) / 8);
  CHECK(p.power.watts == 2.13);
  CHECK(sram_bytes_per_cycle(p) == 256.0);
  CHECK(dram_bytes_per_cycle(p) == 20.0);
  const double dyn =
      128.0 * 32 * 800e6 * p.mac_energy.joules + (128.0 + 32) * 800e6 * p.sram_read_energy_per_byte.joules;
  CHECK(full_activity_dynamic_power(p) == Approx(dyn));
  CHECK(static_power(p) == Approx(2.13 - dyn));
  CHECK(static_power(p) > 0.0);
  CHECK(validate(p).empty());

  const auto tpu = tpu_128x128();
  CHECK(tpu.rows == 128);
  CHECK(tpu.cols == 128);
  CHECK(dataflow(tpu) == Dataflow::weight_stationary);
  CHECK(validate(tpu).empty());
  CHECK(systolic_preset("tpu_128x128").has_value());
  CHECK_FALSE(systolic_preset("nope").has_value());
}

TEST_CASE("systolic: invalid params are all reported, and evaluate refuses them",
          "[systolic][params]") {
  SystolicParams p;
  p.rows = 0;
  p.frequency = strata::Frequency{0.0};
  CHECK(validate(p).size() == 2);
  SystolicParams named;
  named.dataflow = "rs";  // not a SCALE-Sim dataflow
  CHECK(validate(named).size() == 1);
  CHECK_THROWS_AS(evaluate_gemm(p, GemmShape{1, 1, 1}), std::invalid_argument);
  SystolicParams hot;
  hot.power = strata::Power{0.5};  // below the dynamic power at full activity
  CHECK(validate(hot).size() == 1);
}

TEST_CASE("systolic: dataflow names round-trip", "[systolic][params]") {
  for (auto df : {Dataflow::output_stationary, Dataflow::weight_stationary, Dataflow::input_stationary}) {
    CHECK(parse_dataflow(to_string(df)) == df);
  }
  CHECK(parse_dataflow("weight_stationary") == Dataflow::weight_stationary);
  CHECK_FALSE(parse_dataflow("rs").has_value());
}
