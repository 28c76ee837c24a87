// workload.transformer's weight replication (replicate) on the real ReRAM core
// (pim.reram_core): a replicated GEMM takes the core's own closed-form time for its share
// of the rows, and the replica's programming energy is the core's per-cell write energy x
// the cells it writes (strata_pim_model, the model the plugin runs). The network
// interfaces are the transformer tests' fakes (no transfers happen: one op).
#include "harness.hpp"
#include "one_gemm_graph.hpp"  // workloads/transformer/tests

#include <strata/pim/model.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <string>

namespace fs = std::filesystem;
using strata::Time;
using tf_test::one_gemm_graph;

namespace {

// Two pim.reram_core (Atleus defaults) behind the workload, 1 ns control links.
std::string chip(const fs::path& graph, const std::string& extra) {
  return fmt::format(R"(
[[component]]
name = "wl"
type = "workload.transformer"
params = {{ graph_file = "{}", offchip = "", pim_types = "pim.*", sa_types = "systolic.*"{} }}

[[component]]
name = "reram"
type = "pim.reram_core"
grid = [2]

[[generate]]
kind = "fanout"
from = "wl.cores"
to = "reram.ctrl"
latency = "1ns"

[[component]]
name = "ni"
type = "test.fake_ni"
grid = [2]

[[generate]]
kind = "fanout"
from = "wl.nis"
to = "ni.ctrl"
latency = "1ns"
)",
                     graph.string(), extra);
}

}  // namespace

TEST_CASE("transformer replication: 2 copies on pim.reram_core take the core's time for half the rows; the copy's "
          "programming energy = cell write energy x cells",
          "[transformer][replication][e2e]") {
  const strata::testing::TempDir dir("strata-repl");
  const std::uint64_t M = 128, K = 768, N = 768;
  const fs::path graph = dir.write("g.json", one_gemm_graph(M, K, N));

  strata::testing::Harness h1, h2;
  const auto off = h1.run(chip(graph, ""));
  const auto two = h2.run(chip(graph, R"(, replicate = "2")"));
  const auto& a = off.stats["components"]["wl"]["stats"];
  const auto& b = two.stats["components"]["wl"]["stats"];

  // The core's model: one copy of the matrix per load (m = 0), products of 8-bit inputs.
  namespace pm = strata::pim;
  const pm::TileParams tp = pm::atleus_reram();
  const pm::WeightMapping w = pm::map_weights(tp, {K, N, 8}, tp.tiles_per_core, 1);
  REQUIRE(w.fits);
  const pm::MvmResult whole = pm::evaluate_mvm(tp, w, {M, 8, 8});
  const pm::MvmResult half = pm::evaluate_mvm(tp, w, {M / 2, 8, 8});
  const Time Lc = 1000;
  CHECK(a["latency"].get<Time>() == Lc + whole.time_ps + Lc);
  CHECK(b["latency"].get<Time>() == Lc + half.time_ps + Lc);
  // Halved: the input steps (rows x input cycles, one interval each) split in two; the
  // pipeline's fill and the digital tail stay.
  REQUIRE_FALSE(whole.edram_bound);
  const Time fixed = whole.time_ps - whole.rounds * whole.input_cycles * whole.interval_ps;
  CHECK(half.rounds * 2 == whole.rounds);
  CHECK(half.time_ps - fixed == (whole.time_ps - fixed) / 2);

  // The copy is programmed by the core's own load_weights: cells x cell write energy.
  const std::uint64_t cells = K * N * w.slices;
  CHECK(b["replica_loads"].get<std::uint64_t>() == 1);
  CHECK(b["replica_cells"].get<std::uint64_t>() == cells);
  CHECK(b["replica_write_energy"]["sum"].get<double>() == Approx(static_cast<double>(cells) * tp.cell_write_energy.joules));
  CHECK(b["replica_load_time"]["sum"].get<double>() == static_cast<double>(pm::program_weights(tp, w).time_ps));
  CHECK(b["replica_crossbars"].get<std::uint64_t>() == w.crossbars);
  // Both cores wrote the matrix once: the core counts the cells too.
  CHECK(two.stats["components"]["reram[1]"]["stats"]["cells_written"].get<std::uint64_t>() == cells);
}
