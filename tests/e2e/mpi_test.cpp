// End-to-end: `mpirun -n 2 strata sweep` gives the serial sweep's table byte for byte,
// reports a rank's failing points and exits non-zero; without mpirun nothing MPI shows.
// Skipped (with a warning) when strata was built without MPI (STRATA_MPI=OFF).
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.hpp"

namespace fs = std::filesystem;

namespace {

using Result = strata::testing::CommandResult;
using strata::testing::run_shell;
using strata::testing::slurp;
Result shell(const std::string& cmd) { return run_shell(cmd); }
std::string strata_bin() { return strata::testing::strata_binary(); }

// CI runs as root in a container: Open MPI refuses root without these, and its shared-memory
// transport's single-copy mechanism (CMA) needs ptrace rights containers do not grant. No
// ssh/rsh agent is needed for local ranks. Sanitizer builds: MPI's own allocations are not
// leaks of ours.
const char* kMpiEnv =
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none "
    "OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_plm_rsh_agent= ASAN_OPTIONS=detect_leaks=0 ";

Result mpirun(int n, const std::string& args) {
#ifdef STRATA_MPIEXEC
  std::string exe = STRATA_MPIEXEC;
#else
  std::string exe = "mpirun";
#endif
  return shell(std::string(kMpiEnv) + exe + " -n " + std::to_string(n) + " --oversubscribe --allow-run-as-root " +
               strata_bin() + " " + args);
}

Result cli(const std::string& args) { return shell(strata_bin() + " " + args); }

struct TempDir : strata::testing::TempDir {
  TempDir() : strata::testing::TempDir("strata-mpi") {}
};

const char* const kRing = strata::testing::kSmallPholdRing;

bool have_mpi() {
#ifdef STRATA_HAVE_MPI
  return true;
#else
  WARN("skipped: strata was built without MPI (STRATA_MPI=OFF or no MPI found at configure time)");
  return false;
#endif
}

}  // namespace

TEST_CASE("mpi: mpirun -n 2 strata sweep merges the same table as the serial sweep") {
  if (!have_mpi()) return;
  TempDir t;
  t.write("ring.toml", kRing);
  // 7 points: the ranks get 4 and 3, so a point order mistake in the merge would show
  auto ex = t.write("sw.toml", strata::testing::ring_experiment("sw", R"([sweep]
columns = ["lp[0].events", "lp[7].events"]
mode = "list"
points = [ { "lp.init" = 1 }, { "lp.init" = 2 }, { "lp.init" = 3, "lp.mean" = "2ns" }, { "lp.init" = 4 },
           { "lp.init" = 5 }, { "lp.init" = 6, "lp.mean" = "3ns" }, { "lp.init" = 7 } ]
)"));
  auto serial = cli("sweep " + ex.string() + " -q -j 1 --out " + (t.path / "serial").string());
  INFO(serial.out);
  REQUIRE(serial.rc == 0);
  auto par = mpirun(2, "sweep " + ex.string() + " -j 2 --out " + (t.path / "mpi").string());
  INFO(par.out);
  REQUIRE(par.rc == 0);
  // rank 0 alone prints the summary, once
  CHECK_THAT(par.out, Catch::Contains("sweep        7 points: 7 ok, 0 failed"));
  CHECK(par.out.find("7 points") == par.out.rfind("7 points"));
  auto table = slurp(t.path / "serial" / "sweep.csv");
  REQUIRE(!table.empty());
  CHECK(slurp(t.path / "mpi" / "sweep.csv") == table);
  for (int k = 0; k < 7; ++k) {
    char p[16];
    std::snprintf(p, sizeof p, "p%04d", k);
    CHECK(slurp(t.path / "mpi" / "points" / p / "stats.json") == slurp(t.path / "serial" / "points" / p / "stats.json"));
  }

  // more ranks than points: the idle ranks only wait
  auto one = t.write("one.toml", strata::testing::ring_experiment("one", R"([sweep]
mode = "list"
points = [ { "lp.init" = 3 } ]
)"));
  auto s1 = cli("sweep " + one.string() + " -q --out " + (t.path / "s1").string());
  auto m1 = mpirun(3, "sweep " + one.string() + " -q --out " + (t.path / "m1").string());
  INFO(m1.out);
  REQUIRE(s1.rc == 0);
  CHECK(m1.rc == 0);
  CHECK(slurp(t.path / "m1" / "sweep.csv") == slurp(t.path / "s1" / "sweep.csv"));
}

TEST_CASE("mpi: a point failing on rank 1 is reported and makes the job exit non-zero") {
  if (!have_mpi()) return;
  TempDir t;
  t.write("ring.toml", kRing);
  // point 1 (rank 1 of 2) fails at run time; the others still run
  auto bad = t.write("bad.toml", strata::testing::ring_experiment("bad", R"([sweep]
mode = "list"
points = [ { "lp.init" = 1 }, { "lp.init" = -5 }, { "lp.init" = 2 }, { "lp.init" = 3 } ]
)"));
  auto serial = cli("sweep " + bad.string() + " -q --out " + (t.path / "serial").string());
  CHECK(serial.rc == 1);
  auto r = mpirun(2, "sweep " + bad.string() + " --out " + (t.path / "mpi").string());
  INFO(r.out);
  CHECK(r.rc != 0);
  CHECK_THAT(r.out, Catch::Contains("point 1 (lp.init=-5) failed"));
  CHECK_THAT(r.out, Catch::Contains("4 points: 3 ok, 1 failed"));
  auto table = slurp(t.path / "mpi" / "sweep.csv");
  CHECK_THAT(table, Catch::Contains("\n1,-5,error,"));
  CHECK(table == slurp(t.path / "serial" / "sweep.csv"));
}

TEST_CASE("mpi: bad input under mpirun is reported once, exit 2, nothing runs") {
  if (!have_mpi()) return;
  TempDir t;
  t.write("ring.toml", kRing);
  auto bad = t.write("typo.toml", R"([experiment]
name = "typo"
topology = "ring.toml"
[sweep]
mdoe = "list"
[sweep.axes]
"lp.init" = [1, 2]
)");
  auto r = mpirun(2, "sweep " + bad.string() + " --out " + (t.path / "o").string());
  INFO(r.out);
  CHECK(r.rc == 2);
  auto first = r.out.find("unknown key 'mdoe'");
  REQUIRE(first != std::string::npos);
  CHECK(r.out.find("unknown key 'mdoe'", first + 1) == std::string::npos);
  CHECK(!fs::exists(t.path / "o" / "sweep.csv"));
}

TEST_CASE("mpi: without mpirun, run and sweep never initialise MPI") {
  if (!have_mpi()) return;
  TempDir t;
  auto topo = t.write("ring.toml", kRing);
  auto r = cli("run " + topo.string() + " -q --set stop.end_time=1us --out " + (t.path / "o").string());
  INFO(r.out);
  CHECK(r.rc == 0);
  CHECK(r.out.empty());  // -q: not a word, from MPI or anyone
  t.write("sw.toml", strata::testing::ring_experiment("sw", R"([sweep.axes]
"lp.init" = [1, 2]
)"));
  auto s = cli("sweep " + (t.path / "sw.toml").string() + " -q --out " + (t.path / "s").string());
  INFO(s.out);
  CHECK(s.rc == 0);
  CHECK(s.out.empty());
}

// ---- one simulation across ranks: `mpirun -n K strata run` ----

TEST_CASE("mpi: mpirun -n 2 strata run gives the serial run's stats and trace byte for byte") {
  if (!have_mpi()) return;
  TempDir t;
  const auto src = strata::testing::source_dir();
  const std::string tiny_transformer =
      " --set wl.layers=1 --set wl.batch=1 --set wl.micro_batches=1 --set wl.seq_len=32";
  struct Case {
    std::string name, file, args;
    int ranks, threads;
  };
  const std::vector<Case> cases = {
      {"noc-mesh", (src / "topologies/examples/noc_mesh4x4_uniform.toml").string(), " --set traffic.duration=\"5us\"", 2, 1},
      {"noc-atleus", (src / "topologies/examples/noc_atleus_tsv.toml").string(), " --set traffic.duration=\"5us\"", 2, 1},
      {"noc-mesh-2x2", (src / "topologies/examples/noc_mesh4x4_uniform.toml").string(), " --set traffic.duration=\"5us\"", 2, 2},
      {"transformer-lora", (src / "topologies/atleus.toml").string(), tiny_transformer + " --set wl.mode=\"lora_finetune\"", 2, 1},
      {"transformer-inference", (src / "topologies/atleus.toml").string(), tiny_transformer + " --set wl.mode=\"inference\"", 3, 1},
      {"phold", t.write("ring.toml", kRing).string(), " --set stop.end_time=\"200ns\"", 2, 1},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name, c.ranks, c.threads);
    const auto serial_dir = t.path / (c.name + "-serial"), mpi_dir = t.path / (c.name + "-mpi");
    auto serial = cli("run " + c.file + c.args + " --trace -q --out " + serial_dir.string());
    INFO(serial.out);
    REQUIRE(serial.rc == 0);
    auto par = mpirun(c.ranks, "run " + c.file + c.args + " --trace --threads " + std::to_string(c.threads) +
                                   " --out " + mpi_dir.string());
    INFO(par.out);
    REQUIRE(par.rc == 0);
    // rank 0 alone prints the summary
    CHECK(par.out.find("results      ") != std::string::npos);
    CHECK(par.out.find("results      ") == par.out.rfind("results      "));
    const auto stats = slurp(serial_dir / "stats.json");
    REQUIRE(stats.find("\"events\"") != std::string::npos);
    CHECK(slurp(mpi_dir / "stats.json") == stats);
    CHECK(slurp(mpi_dir / "stats.csv") == slurp(serial_dir / "stats.csv"));
    CHECK(slurp(mpi_dir / "trace.json") == slurp(serial_dir / "trace.json"));
  }
}

TEST_CASE("mpi: a model error on rank 1 stops every rank; rank 0 reports it and the run exits 1") {
  if (!have_mpi()) return;
  TempDir t;
  // Two routers (one per rank) and two loose NIs dealt out by name: ni1 and router[1] run on
  // rank 1, and ni1's buffers disagree with its router's, found when the router reads the
  // NI's announcement at 1 ns.
  auto file = t.write("fail.toml", R"([[component]]
name = "router"
type = "noc.router"
grid = [2]
[[component]]
name = "ni0"
type = "noc.ni"
[[component]]
name = "ni1"
type = "noc.ni"
params = { vcs = 1 }
[[component]]
name = "traffic"
type = "workload.traffic"
params = { pattern = "uniform", rate = 0.05, size = "64B", duration = "1us", warmup = "0ns" }
[[generate]]
kind = "mesh"
component = "router"
port = "port"
latency = "1ns"
[[link]]
from = "ni0.router"
to = "router[0].port[]"
latency = "1ns"
[[link]]
from = "ni1.router"
to = "router[1].port[]"
latency = "1ns"
[[link]]
from = "traffic.nis[]"
to = "ni0.ctrl"
latency = "1ns"
[[link]]
from = "traffic.nis[]"
to = "ni1.ctrl"
latency = "1ns"
)");
  auto serial = cli("run " + file.string() + " -q --out " + (t.path / "s").string());
  CHECK(serial.rc == 1);
  CHECK_THAT(serial.out, Catch::Contains("router[1].port[0]: the far end has 1 VCs"));
  auto par = mpirun(2, "run " + file.string() + " -q --out " + (t.path / "m").string());
  INFO(par.out);
  CHECK(par.rc != 0);
  CHECK_THAT(par.out, Catch::Contains("rank 1: router[1].port[0]: the far end has 1 VCs"));
  CHECK_THAT(slurp(t.path / "m" / "run.json"), Catch::Contains("\"status\": \"error\""));

  // a mistake in the file: every rank finds it, rank 0 alone reports it, exit 2
  auto bad = t.write("bad.toml", "[[component]]\nname = \"x\"\ntype = \"noc.routr\"\n");
  auto b = mpirun(2, "run " + bad.string() + " -q --out " + (t.path / "b").string());
  INFO(b.out);
  CHECK(b.rc == 2);
  const auto at = b.out.find("unknown component type");
  CHECK(at != std::string::npos);
  CHECK(b.out.find("unknown component type", at + 1) == std::string::npos);
}
