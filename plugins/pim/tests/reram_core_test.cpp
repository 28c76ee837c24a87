// pim.reram_core through the harness, driven by workload.ops. Expected numbers are derived
// here from the Atleus/ISAAC parameters (the model's atleus_reram() fields) with the
// closed forms of plugins/pim/model/include/strata/pim/model.hpp.
#include "compute_driver.hpp"

#include <strata/pim/model.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace {

using u64 = std::uint64_t;
using strata::testing::Harness;

constexpr u64 kNs = 1000;
constexpr u64 kLink = 1 * kNs;

u64 cdiv(u64 a, u64 b) { return (a + b - 1) / b; }
u64 clog2(u64 x) {
  u64 b = 0;
  while ((u64{1} << b) < x) ++b;
  return b;
}

std::string core(const std::string& params = "") {
  return R"(
[[component]]
name = "pim"
type = "pim.reram_core"
preset = "atleus"
params = { )" + params + R"( }
)";
}

std::string driver(const std::string& params) { return strata::testing::ops_driver(params, "pim.ctrl"); }

// One byte per ns, 10 ns access latency: reading B bytes takes 1 ns + B ns + 10 ns + 1 ns.
std::string slow_memory() { return strata::testing::one_byte_per_ns_memory("pim.mem"); }

const auto& stats(const strata::testing::Run& r, const std::string& c) { return strata::testing::component_stats(r, c); }

// A K x N matrix of 8-bit weights on the Atleus tile (128 x 128 crossbars, 2 bits/cell).
struct Layout {
  u64 k, n;
  u64 slices = 8 / 2;
  u64 per_row = 128 / slices;
  u64 row_tiles = cdiv(k, 128);
  u64 col_tiles = cdiv(n, per_row);
  u64 crossbars = row_tiles * col_tiles;
};

// Programming: the crossbars of a tile write one row at a time, all 96 at once.
u64 program_ps(const Layout& w, u64 copies) {
  const u64 rows = std::min<u64>(w.k, 128);
  const u64 waves = cdiv(std::min<u64>(w.crossbars * copies, 96), 96);
  return waves * rows * 85'700;
}

// MVM of M 8-bit vectors through `copies` copies: read + ADC + (steps - 1) x interval + tail.
u64 mvm_ps(const Layout& w, u64 m, u64 copies) {
  const u64 input_cycles = 8;  // 8-bit inputs, 1-bit DACs
  const u64 columns = std::min<u64>(w.n, w.per_row) * w.slices;
  const u64 adc_ps = cdiv(columns * 96 / 96 * 1'000'000'000'000ull, 1'280'000'000ull);  // 96 ADCs
  const u64 interval = std::max<u64>(100'000, adc_ps);
  const u64 steps = cdiv(m, copies) * input_cycles;
  const u64 tail = cdiv((2 + clog2(w.row_tiles)) * 1'000'000'000'000ull, 1'200'000'000ull);
  return 100'000 + adc_ps + (steps - 1) * interval + tail;
}

}  // namespace

TEST_CASE("pim.reram_core: load_weights programs row by row, then gemm time = read + ADC + (M*8 - 1) x 100 ns + tail",
          "[pim][plugin]") {
  const Layout w{256, 128};
  const u64 M = 4;
  Harness h;
  auto r = h.run(core() + driver("m = [4], k = [256], n = [128], preload = true, mode = \"serial\""));
  const u64 program = program_ps(w, 1);
  const u64 mvm = mvm_ps(w, M, 1);
  CHECK(program == 128 * 85'700);
  CHECK(mvm == 100'000 + 100'000 + 31 * 100'000 + 2'500);  // ADC time = 128 columns / 1.28 GS/s
  const auto& pim = stats(r, "pim");
  CHECK(pim["loads"] == 1);
  CHECK(pim["gemms"] == 1);
  CHECK(pim["service"]["min"] == Approx(double(mvm)));
  CHECK(pim["service"]["max"] == Approx(double(program)));
  CHECK(pim["busy"] == program + mvm);
  CHECK(r.result.end_time == program + mvm + 4 * kLink);  // serial: load answered, then gemm
  CHECK(pim["crossbar_utilisation"]["mean"] == Approx(double(w.crossbars) / 96.0));
}

TEST_CASE("pim.reram_core: gemm action counts per vector and input step; energy = counts x per-action energy",
          "[pim][plugin][energy]") {
  const Layout w{256, 128};
  const u64 M = 4, ic = 8;
  const strata::pim::TileParams t = strata::pim::atleus_reram();
  Harness h;
  auto r = h.run(core() + driver("m = [4], k = [256], n = [128], preload = true, mode = \"serial\""));
  const u64 xbar = M * ic * w.crossbars;
  const u64 adc = M * ic * w.row_tiles * w.n * w.slices;
  const u64 dac = M * ic * w.k * w.col_tiles;
  const u64 shift = adc + M * w.n * (w.row_tiles - 1);
  const u64 dequant = M * w.n * w.row_tiles;
  const u64 edram_read = M * w.k, edram_written = M * w.n;  // 8-bit inputs in, 8-bit outputs out
  const u64 edram = edram_read + edram_written;
  const auto& c = r.stats["components"]["pim"];
  CHECK(c["stats"]["crossbar_reads"] == xbar);
  CHECK(c["stats"]["adc_conversions"] == adc);
  CHECK(c["stats"]["dac_activations"] == dac);
  CHECK(c["stats"]["shift_adds"] == shift);
  CHECK(c["stats"]["dequant_ops"] == dequant);
  CHECK(c["stats"]["edram_read"] == edram_read);
  CHECK(c["stats"]["edram_written"] == edram_written);
  const double gemm_j = double(xbar) * t.xbar_read_energy.joules + double(adc) * t.adc_conversion_energy.joules +
                        double(dac) * t.dac_energy.joules + double(shift) * t.shift_add_energy.joules +
                        double(edram) * t.edram_energy_per_byte.joules + double(dequant) * t.dequant_energy.joules;
  const u64 cells = w.k * w.n * w.slices;
  const double load_j = double(cells) * t.cell_write_energy.joules;
  CHECK(c["stats"]["cells_written"] == cells);
  CHECK(c["energy"]["dynamic_j"] == Approx(gemm_j + load_j));
  CHECK(stats(r, "drv")["energy"]["max"] == Approx(std::max(gemm_j, load_j)));
  // Static: what the full-activity dynamic power leaves of 0.345 W, for every tile.
  const double reads_per_s = 96.0 / 100e-9;
  const double full = reads_per_s * (t.xbar_read_energy.joules + 128 * t.dac_energy.joules) +
                      96 * 1.28e9 * (t.adc_conversion_energy.joules + t.shift_add_energy.joules) + 38.4e9 * t.edram_energy_per_byte.joules;
  CHECK(c["energy"]["static_power_w"] == Approx(16 * (0.345 - full)));
}

TEST_CASE("pim.reram_core: a load asking for m copies gets min(m, free crossbars / crossbars per copy); gemm takes "
          "ceil(M / copies) rounds",
          "[pim][plugin]") {
  const Layout w{256, 128};
  const u64 M = 4;
  Harness h;
  auto r = h.run(core() + driver("m = [4], k = [256], n = [128], preload = true, duplicate = true, mode = \"serial\""));
  const auto& pim = stats(r, "pim");
  CHECK(pim["duplication"]["mean"] == Approx(double(M)));  // 16 x 96 / 8 = 192 copies would fit
  CHECK(pim["cells_written"] == w.k * w.n * w.slices * M);
  CHECK(pim["service"]["min"] == Approx(double(mvm_ps(w, M, M))));
  CHECK(pim["busy"] == program_ps(w, M) + mvm_ps(w, M, M));
}

TEST_CASE("pim.reram_core: a matrix that needs more tiles than are free answers capacity_error", "[pim][plugin]") {
  const Layout w{1024, 1024};
  CHECK(cdiv(w.crossbars, 96) == 3);  // 8 x 32 crossbars: 3 tiles
  Harness h;
  auto r = h.run(core("tiles = 2") + driver("m = [4], k = [1024], n = [1024], preload = true, mode = \"serial\""));
  CHECK(stats(r, "drv")["capacity_error"] == 1);
  CHECK(stats(r, "pim")["capacity_errors"] == 1);
  CHECK(stats(r, "pim")["weights_programmed"] == 0);
  CHECK(stats(r, "drv")["unsupported"] == 1);  // the gemm then names a matrix never stored
}

TEST_CASE("pim.reram_core: loads fill free tiles; the one that no longer fits answers capacity_error",
          "[pim][plugin]") {
  // 768 x 768: 6 x 24 = 144 crossbars = 2 tiles per matrix; 3 tiles hold one matrix only.
  Harness h;
  auto r = h.run(core("tiles = 3") +
                 driver("op = \"load_weights\", m = [0, 0], k = [768, 768], n = [768, 768], mode = \"serial\""));
  CHECK(stats(r, "drv")["ok"] == 1);
  CHECK(stats(r, "drv")["capacity_error"] == 1);
  CHECK(stats(r, "pim")["capacity_used_peak"] == 2);
}

TEST_CASE("pim.reram_core: gemm on an unknown weight_id, dynamic operands and vector ops answer unsupported",
          "[pim][plugin]") {
  const std::string params = GENERATE(std::string("static_weights = true, weight_id = 7"),
                                      std::string("static_weights = false"), std::string("op = \"softmax\""));
  CAPTURE(params);
  Harness h;
  auto r = h.run(core() + driver("m = [4], k = [256], n = [128], " + params));
  CHECK(stats(r, "drv")["unsupported"] == 1);
  CHECK(stats(r, "pim")["unsupported"] == 1);
  CHECK(stats(r, "pim")["crossbar_reads"] == 0);
}

TEST_CASE("pim.reram_core: N reloads of one matrix rewrite its cells N times (endurance counter)",
          "[pim][plugin][endurance]") {
  const Layout w{256, 128};
  const u64 N = 5;
  Harness h;
  auto r = h.run(core("cell_endurance = 3") +
                 driver("op = \"load_weights\", m = [0], k = [256], n = [128], repeat = 5, mode = \"serial\""));
  const auto& pim = stats(r, "pim");
  CHECK(pim["weights_programmed"] == N);
  CHECK(pim["max_writes_per_cell"] == N);
  CHECK(pim["cells_written"] == N * w.k * w.n * w.slices);
  CHECK(pim["capacity_used_peak"] == 1);  // a reload replaces the copy in place
  CHECK(pim["worn_tiles"] == 1);          // its tile passed 3 writes
  CHECK(pim["busy"] == N * program_ps(w, 1));
}

TEST_CASE("pim.reram_core: with mem linked, load_weights first reads k x n x bits / 8 bytes from memory",
          "[pim][plugin][dram]") {
  const Layout w{64, 32};
  const u64 bytes = w.k * w.n;  // 8-bit weights
  Harness h;
  auto r = h.run(core() + driver("op = \"load_weights\", m = [0], k = [64], n = [32]") + slow_memory());
  const u64 read = kLink + bytes * kNs + 10 * kNs + kLink;  // 1 B/ns, 10 ns access
  CHECK(stats(r, "hbm")["bytes_read"] == bytes);
  CHECK(stats(r, "pim")["dram_read"] == bytes);
  CHECK(stats(r, "pim")["busy"] == read + program_ps(w, 1));
}

// ---- fit policies ---------------------------------------------------------------------

TEST_CASE("pim.reram_core: fit = error places one copy whatever m asks; fit = duplicate places min(m, free)",
          "[pim][plugin][fit]") {
  const Layout w{256, 128};
  const u64 M = 4;
  Harness h;
  const std::string drv = "m = [4], k = [256], n = [128], preload = true, duplicate = true, mode = \"serial\"";
  auto one = h.run(core("fit = \"error\"") + driver(drv));
  CHECK(stats(one, "pim")["copies"] == 1);
  CHECK(stats(one, "pim")["duplicated_loads"] == 0);
  CHECK(stats(one, "pim")["duplication"]["mean"] == Approx(1.0));
  CHECK(stats(one, "pim")["cells_written"] == w.k * w.n * w.slices);
  CHECK(stats(one, "pim")["service"]["min"] == Approx(double(mvm_ps(w, M, 1))));  // M rounds through one copy
  auto dup = h.run(core("fit = \"duplicate\"") + driver(drv));
  CHECK(stats(dup, "pim")["copies"] == M);
  CHECK(stats(dup, "pim")["duplicated_loads"] == 1);
  CHECK(stats(dup, "pim")["cells_written"] == M * w.k * w.n * w.slices);
  CHECK(stats(dup, "pim")["service"]["min"] == Approx(double(mvm_ps(w, M, M))));
  CHECK(stats(dup, "pim")["evictions"] == 0);
  // Without the policy set, the core duplicates (the historical behaviour).
  auto dflt = h.run(core() + driver(drv));
  CHECK(stats(dflt, "pim")["copies"] == M);
}

TEST_CASE("pim.reram_core: fit = reprogram evicts the least-recently-used matrix and reprograms it on demand, "
          "counting every write",
          "[pim][plugin][fit]") {
  // Two tiles; three 256 x 128 matrices of 8 crossbars = 1 tile each. The script:
  //   load A, load B, gemm A (A is now most recent), load C (evicts B: least recently
  //   used, though A was loaded first), gemm A (resident), gemm B (evicted: reprogram it,
  //   evicting C, now the least recently used).
  const Layout w{256, 128};
  const u64 M = 4;
  const u64 cells = w.k * w.n * w.slices;
  Harness h;
  auto r = h.run(core("tiles = 2, fit = \"reprogram\"") +
                 driver("m = [4], k = [256], n = [128], ids = [0, 1, 0, 2, 0, 1], loads = [1, 1, 0, 1, 0, 0], "
                        "static_weights = true, mode = \"serial\""));
  const auto& pim = stats(r, "pim");
  CHECK(stats(r, "drv")["ok"] == 6);
  CHECK(pim["loads"] == 3);
  CHECK(pim["gemms"] == 3);
  CHECK(pim["evictions"] == 2);    // B by C's load, C by B's reprogram
  CHECK(pim["reprograms"] == 1);   // B only: A stayed resident because it was used
  CHECK(pim["weights_programmed"] == 4);
  CHECK(pim["cells_written"] == 4 * cells);
  CHECK(pim["reprogram_cells"] == cells);
  CHECK(pim["rows_written"] == 4 * w.k * w.col_tiles);
  CHECK(pim["reprogram_time"] == program_ps(w, 1));
  CHECK(pim["capacity_errors"] == 0);
  CHECK(pim["capacity_used_peak"] == 2);
  // Tile 0 held A throughout; tile 1 held B, C, then B again: three writes per cell.
  CHECK(pim["max_writes_per_cell"] == 3);
  // Every request served in turn: 4 programmings and 3 MVMs, the reprogram inside its gemm.
  CHECK(pim["busy"] == 4 * program_ps(w, 1) + 3 * mvm_ps(w, M, 1));
  CHECK(pim["service"]["max"] == Approx(double(program_ps(w, 1) + mvm_ps(w, M, 1))));
  // The gemm that reprogrammed reports the write energy with its MVM energy.
  const strata::pim::TileParams t = strata::pim::atleus_reram();
  CHECK(r.stats["components"]["pim"]["energy"]["dynamic"]["cell_write"]["joules"].get<double>() ==
        Approx(double(4 * cells) * t.cell_write_energy.joules));
}

TEST_CASE("pim.reram_core: fit = reprogram still refuses a matrix larger than the core; fit = error never evicts",
          "[pim][plugin][fit]") {
  Harness h;
  // 1024 x 1024: 8 x 32 crossbars = 3 tiles > 2.
  auto big = h.run(core("tiles = 2, fit = \"reprogram\"") +
                   driver("op = \"load_weights\", m = [0], k = [1024], n = [1024]"));
  CHECK(stats(big, "pim")["capacity_errors"] == 1);
  CHECK(stats(big, "pim")["evictions"] == 0);
  // Three 1-tile matrices on two tiles: the third load fails under fit = error.
  auto err = h.run(core("tiles = 2, fit = \"error\"") +
                   driver("op = \"load_weights\", m = [0], k = [256, 256, 256], n = [128, 128, 128], "
                          "mode = \"serial\""));
  CHECK(stats(err, "drv")["capacity_error"] == 1);
  CHECK(stats(err, "pim")["evictions"] == 0);
  auto rep = h.run(core("tiles = 2, fit = \"reprogram\"") +
                   driver("op = \"load_weights\", m = [0], k = [256, 256, 256], n = [128, 128, 128], "
                          "mode = \"serial\""));
  CHECK(stats(rep, "drv")["ok"] == 3);
  CHECK(stats(rep, "pim")["evictions"] == 1);
}

TEST_CASE("pim.reram_core: fit = reprogram with mem linked re-reads an evicted matrix before reprogramming it",
          "[pim][plugin][fit][dram]") {
  const Layout w{64, 32};
  const u64 bytes = w.k * w.n;  // 8-bit weights
  Harness h;
  // tiles = 1: A, then B (evicts A), then gemm A (reads A again, evicts B).
  auto r = h.run(core("tiles = 1, fit = \"reprogram\"") +
                 driver("m = [1], k = [64], n = [32], ids = [0, 1, 0], loads = [1, 1, 0], static_weights = true, "
                        "mode = \"serial\"") +
                 slow_memory());
  CHECK(stats(r, "pim")["reprograms"] == 1);
  CHECK(stats(r, "pim")["dram_read"] == 3 * bytes);
  CHECK(stats(r, "hbm")["bytes_read"] == 3 * bytes);
  const u64 read = kLink + bytes * kNs + 10 * kNs + kLink;
  CHECK(stats(r, "pim")["busy"] == 3 * (read + program_ps(w, 1)) + mvm_ps(w, 1, 1));
}

// ---- transposed products ----------------------------------------------------------------

TEST_CASE("pim.reram_core: op = gemm_t runs y = W x through the stored matrix: slices reads per input step, rows "
          "sensed",
          "[pim][plugin][transposed]") {
  const Layout w{256, 128};  // stored K x N; gemm_t takes vectors of N = 128, returns K = 256
  const u64 M = 4, ic = 8;
  const strata::pim::TileParams t = strata::pim::atleus_reram();
  Harness h;
  auto r = h.run(core() + driver("op = \"gemm_t\", m = [4], k = [256], n = [128], preload = true, mode = \"serial\""));
  const auto& pim = stats(r, "pim");
  CHECK(pim["gemms"] == 1);
  CHECK(pim["transposed_gemms"] == 1);
  // Time: one read per slice position per input step; each ADC converts its share of the
  // used rows (min(K, 128) rows x 96 crossbars / 96 ADCs at 1.28 GS/s = 100 ns per read).
  const u64 rows = std::min<u64>(w.k, 128);
  const u64 adc_ps = cdiv(rows * 96 / 96 * 1'000'000'000'000ull, 1'280'000'000ull);
  const u64 interval = std::max<u64>(100'000, adc_ps);
  const u64 steps = M * ic * w.slices;
  const u64 tail = cdiv((2 + clog2(w.col_tiles)) * 1'000'000'000'000ull, 1'200'000'000ull);
  const u64 expect = 100'000 + adc_ps + (steps - 1) * interval + tail;
  CHECK(pim["service"]["max"] == Approx(double(expect)));  // longer than the load's programming
  // ... slices times the forward product's steps (the fixed read, ADC and tail aside).
  CHECK(double(expect) / double(mvm_ps(w, M, 1)) == Approx(double(w.slices)).epsilon(0.05));
  const u64 xbar = M * ic * w.slices * w.crossbars;
  const u64 adc = M * ic * w.slices * w.col_tiles * w.k;
  const u64 dac = M * ic * w.row_tiles * w.n * w.slices;
  const u64 shift = adc + M * w.k * (w.col_tiles - 1);
  const u64 dequant = M * w.k * w.col_tiles;
  CHECK(pim["crossbar_reads"] == xbar);
  CHECK(pim["adc_conversions"] == adc);
  CHECK(pim["dac_activations"] == dac);
  CHECK(pim["shift_adds"] == shift);
  CHECK(pim["dequant_ops"] == dequant);
  CHECK(pim["edram_read"] == M * w.n);     // gradients in: M x N bytes
  CHECK(pim["edram_written"] == M * w.k);  // M x K out
  const double gemm_j = double(xbar) * t.xbar_read_energy.joules + double(adc) * t.adc_conversion_energy.joules +
                        double(dac) * t.dac_energy.joules + double(shift) * t.shift_add_energy.joules +
                        double(M * (w.n + w.k)) * t.edram_energy_per_byte.joules + double(dequant) * t.dequant_energy.joules;
  CHECK(stats(r, "drv")["energy"]["max"] == Approx(gemm_j));  // the load's writes cost less
  // k and n name the stored matrix, as in the forward gemm: the swapped shape is refused.
  auto bad = h.run(core() + driver("op = \"gemm_t\", m = [4], k = [256, 128], n = [128, 256], ids = [0, 0], "
                                   "loads = [1, 0], static_weights = true, mode = \"serial\""));
  CHECK(stats(bad, "drv")["ok"] == 1);
  CHECK(stats(bad, "drv")["refused"] == 1);
  CHECK(stats(bad, "pim")["transposed_gemms"] == 0);
}

// ---- precision per request --------------------------------------------------------------

TEST_CASE("pim.reram_core: 4-bit weights use half the cells, crossbars and crossbar energy of 8-bit weights",
          "[pim][plugin][precision]") {
  const u64 K = 256, N = 256, M = 4, ic = 8;
  const strata::pim::TileParams t = strata::pim::atleus_reram();
  Harness h;
  struct Got {
    u64 slices, crossbars, cells, reads, adc;
    double util, gemm_j, load_j;
  };
  auto run = [&](u64 bits) {
    auto r = h.run(core() + driver("m = [4], k = [256], n = [256], preload = true, mode = \"serial\", weight_bits = " +
                                   std::to_string(bits)));
    const auto& s = stats(r, "pim");
    Got g{};
    g.slices = cdiv(bits, 2);
    const u64 per_row = 128 / g.slices;
    g.crossbars = cdiv(K, 128) * cdiv(N, per_row);
    g.cells = s["cells_written"].get<u64>();
    g.reads = s["crossbar_reads"].get<u64>();
    g.adc = s["adc_conversions"].get<u64>();
    g.util = s["crossbar_utilisation"]["mean"].get<double>();
    g.gemm_j = stats(r, "drv")["energy"]["min"].get<double>();
    g.load_j = stats(r, "drv")["energy"]["max"].get<double>();
    CHECK(g.cells == K * N * g.slices);
    CHECK(g.reads == M * ic * g.crossbars);
    CHECK(g.adc == M * ic * cdiv(K, 128) * N * g.slices);
    CHECK(g.util == Approx(double(g.crossbars) / 96.0));
    CHECK(g.load_j == Approx(double(g.cells) * t.cell_write_energy.joules));
    return g;
  };
  const Got w4 = run(4), w8 = run(8);
  CHECK(w4.slices == 2);
  CHECK(w8.slices == 4);
  CHECK(w8.crossbars == 2 * w4.crossbars);
  CHECK(w8.cells == 2 * w4.cells);
  CHECK(w8.reads == 2 * w4.reads);
  CHECK(w8.adc == 2 * w4.adc);
  CHECK(w8.gemm_j > 1.5 * w4.gemm_j);  // DAC and eDRAM terms do not scale with the slices
  CHECK(w8.load_j == Approx(2 * w4.load_j));
}

// ---- utilisation ----------------------------------------------------------------------

TEST_CASE("pim.reram_core: utilisation = crossbars of the used copies x MVM time / (all crossbars x run time)",
          "[pim][plugin]") {
  const Layout w{256, 128};
  const u64 M = 4;
  Harness h;
  auto r = h.run(core() + driver("m = [4], k = [256], n = [128], preload = true, duplicate = true, mode = \"serial\""));
  const double end = double(r.result.end_time);
  CHECK(stats(r, "pim")["utilisation"]["mean"] ==
        Approx(double(w.crossbars * M) * double(mvm_ps(w, M, M)) / (16.0 * 96.0 * end)));
}

// ---- bad parameter combinations -------------------------------------------------------

TEST_CASE("pim.reram_core: bad parameter combinations are errors naming the parameter", "[pim][plugin][errors]") {
  Harness h;
  const std::string drv = driver("m = [4], k = [256], n = [128], preload = true");
  SECTION("zero-size arrays are out of range") {
    const std::string p = GENERATE(std::string("xbar_rows"), std::string("xbar_cols"), std::string("crossbars"),
                                   std::string("tiles"), std::string("adcs"));
    CAPTURE(p);
    CHECK_THAT(h.errors(core(p + " = 0") + drv), Catch::Contains(p));
  }
  SECTION("an ADC narrower than a column sum needs") {
    // 128 rows x 1-bit inputs x 2-bit cells sum to 384: 9 bits, 8 with ISAAC's flipped
    // encoding; 7 bits cannot resolve it.
    CHECK_THROWS_WITH(h.run(core("adc_bits = 7") + drv), Catch::Contains("adc_bits") && Catch::Contains("needs 9"));
    // 4-bit cells: 128 x 1 x 15 = 1920 needs 11 bits.
    CHECK_THROWS_WITH(h.run(core("bits_per_cell = 4") + drv), Catch::Contains("adc_bits") && Catch::Contains("needs 11"));
    // 2-bit DACs: 128 x 3 x 3 = 1152 needs 11 bits.
    CHECK_THROWS_WITH(h.run(core("dac_bits = 2") + drv), Catch::Contains("adc_bits"));
    CHECK_NOTHROW(h.run(core("dac_bits = 2, adc_bits = 10") + drv));
  }
  SECTION("a tile power below its full-activity dynamic power") {
    CHECK_THROWS_WITH(h.run(core("tile_power = \"0.01W\"") + drv), Catch::Contains("tile_power"));
  }
  SECTION("an unknown fit policy") {
    CHECK_THAT(h.errors(core("fit = \"spill\"") + drv), Catch::Contains("fit"));
  }
}

TEST_CASE("pim.reram_core: idle = gated draws the cores' static power only while on: static_j = P x (wakes x "
          "wake_latency + busy); the weights survive gating (non-volatile cells)",
          "[pim][plugin][serving][power]") {
  const Layout w{256, 128};
  const u64 M = 4, wake = 50 * kNs;
  const strata::pim::TileParams t = strata::pim::atleus_reram();
  Harness h;
  // Serial: the load is answered, then the gemm is sent; the core is gated in between.
  auto r = h.run(core(R"(idle = "gated", wake_latency = "50ns", break_even = "0ns", wake_energy = "2nJ")") +
                 driver("m = [4], k = [256], n = [128], preload = true, mode = \"serial\""));
  const u64 busy = program_ps(w, 1) + mvm_ps(w, M, 1);
  const double full = 96.0 / 100e-9 * (t.xbar_read_energy.joules + 128 * t.dac_energy.joules) +
                      96 * 1.28e9 * (t.adc_conversion_energy.joules + t.shift_add_energy.joules) + 38.4e9 * t.edram_energy_per_byte.joules;
  const double p_static = 16 * (0.345 - full);
  const auto& c = r.stats["components"]["pim"];
  CHECK(c["stats"]["gemms"] == 1);  // the gemm found its matrix after a gate/wake cycle
  CHECK(c["stats"]["wakeups"] == 2);
  CHECK(c["stats"]["on_time"] == 2 * wake + busy);
  CHECK(r.result.end_time == busy + 2 * wake + 4 * kLink);
  CHECK(c["energy"]["static_j"] == Approx(p_static * double(2 * wake + busy) * 1e-12));
  CHECK(c["energy"]["dynamic"]["wake"]["joules"] == Approx(2 * 2e-9));
  CHECK(c["stats"]["always_on_static"]["sum"] == Approx(p_static * double(r.result.end_time) * 1e-12));
}

TEST_CASE("pim.reram_core: oldest_first serves loads and gemms by age (ties by arrival); each starts when the one "
          "before it ends",
          "[pim][plugin][serving]") {
  // Three matrices, preloaded, everything sent at once: load j and gemm j carry age[j].
  // Load 0 finds the core idle; then age 0 (load 2, gemm 2), age 1 (load 1, gemm 1), age 2
  // (gemm 0), each pair in arrival order, so every gemm follows its own load.
  const Layout w{256, 128};
  const u64 M = 4;
  Harness h;
  const auto spans = strata::testing::traced_spans(
      h,
      core(R"(arbitration = "oldest_first")") +
          driver("m = [4], k = [256], n = [128], ages = [2, 1, 0], preload = true, mode = \"all\""),
      "pim_oldest");
  const u64 program = program_ps(w, 1), mvm = mvm_ps(w, M, 1);
  const std::vector<std::pair<u64, u64>> expected{{2, program}, {0, program}, {0, mvm},
                                                  {1, program}, {1, mvm},     {2, mvm}};  // (age, service)
  REQUIRE(spans.size() == expected.size());
  u64 t = kLink;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    CAPTURE(i);
    CHECK(spans[i].age == expected[i].first);
    CHECK(spans[i].start == t);
    CHECK(spans[i].end == t + expected[i].second);
    t += expected[i].second;
  }
}
