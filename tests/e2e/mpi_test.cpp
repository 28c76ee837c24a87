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
  auto ex = t.write("sw.toml", R"([experiment]
name = "sw"
topology = "ring.toml"
[stop]
end_time = "1us"
[sweep]
columns = ["lp[0].events", "lp[7].events"]
mode = "list"
points = [ { "lp.init" = 1 }, { "lp.init" = 2 }, { "lp.init" = 3, "lp.mean" = "2ns" }, { "lp.init" = 4 },
           { "lp.init" = 5 }, { "lp.init" = 6, "lp.mean" = "3ns" }, { "lp.init" = 7 } ]
)");
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
  auto one = t.write("one.toml", R"([experiment]
name = "one"
topology = "ring.toml"
[stop]
end_time = "1us"
[sweep]
mode = "list"
points = [ { "lp.init" = 3 } ]
)");
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
  auto bad = t.write("bad.toml", R"([experiment]
name = "bad"
topology = "ring.toml"
[stop]
end_time = "1us"
[sweep]
mode = "list"
points = [ { "lp.init" = 1 }, { "lp.init" = -5 }, { "lp.init" = 2 }, { "lp.init" = 3 } ]
)");
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
  t.write("sw.toml", R"([experiment]
name = "sw"
topology = "ring.toml"
[stop]
end_time = "1us"
[sweep.axes]
"lp.init" = [1, 2]
)");
  auto s = cli("sweep " + (t.path / "sw.toml").string() + " -q --out " + (t.path / "s").string());
  INFO(s.out);
  CHECK(s.rc == 0);
  CHECK(s.out.empty());
}
