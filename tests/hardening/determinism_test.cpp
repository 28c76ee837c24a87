// Determinism (issue 11): the same experiment and seed give a byte-identical stats.json
// across runs and at 2, 3 and 4 threads (every component type, every example);
// and, when STRATA_COMPARE_BUILD_DIR names a second build tree (a Debug build
// beside a Release one, say), across the two builds. tests/hardening/README.md records
// which pairs were compared and where floating point could make them differ.
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "cli.hpp"

namespace fs = std::filesystem;

namespace {

using strata::testing::build_dir;
using strata::testing::slurp;
using strata::testing::source_dir;

strata::testing::CommandResult run(const fs::path& build, const std::string& args) {
  return strata::testing::run_strata(args, "", 300, build);
}

struct TempDir : strata::testing::TempDir {
  TempDir() : strata::testing::TempDir("strata-det") {}
};

// Every runnable example: topologies/examples, the workloads' examples and the default
// experiment. PHOLD and traffic examples run until stopped, so every run has an event
// budget (it takes effect at a window boundary: the same point at any thread count).
std::vector<fs::path> inputs() {
  std::vector<fs::path> v;
  auto add = [&](const fs::path& dir) {
    for (const auto& e : fs::directory_iterator(dir))
      // fake_chip.toml is an include (the fake cores and NIs of bert_base_lora.toml)
      if (e.path().extension() == ".toml" && e.path().filename() != "fake_chip.toml") v.push_back(e.path());
  };
  add(source_dir() / "topologies" / "examples");
  for (const auto& w : fs::directory_iterator(source_dir() / "workloads"))
    if (fs::is_directory(w.path() / "examples")) add(w.path() / "examples");
  std::sort(v.begin(), v.end());
  v.push_back(source_dir() / "experiments" / "default.toml");
  return v;
}

std::string stats_of(const fs::path& build, const fs::path& file, const fs::path& out, const std::string& extra) {
  auto r = run(build, "run " + file.string() + " -q --seed 12345 --set stop.max_events=400000 --out " + out.string() +
                          " " + extra);
  INFO(file.string() << " " << extra << ":\n" << r.out);
  REQUIRE(r.rc == 0);
  REQUIRE(fs::exists(out / "stats.json"));
  return slurp(out / "stats.json");
}

}  // namespace

TEST_CASE("determinism: every example gives byte-identical stats.json twice, and at 2, 3 and 4 threads") {
  TempDir t;
  for (const auto& f : inputs()) {
    SECTION(f.filename().string()) {
      const std::string name = f.stem().string();
      std::string a = stats_of(build_dir(), f, t.path / (name + "-a"), "");
      std::string b = stats_of(build_dir(), f, t.path / (name + "-b"), "");
      INFO(f.string());
      CHECK(a == b);
      CHECK(a.find("\"seed\": 12345") != std::string::npos);
      // partitions: every component type must give the same bytes when its neighbours
      // run on other threads (cross-partition events are delivered at window boundaries)
      for (int threads : {2, 3, 4}) {
        std::string c = stats_of(build_dir(), f, t.path / (name + "-t" + std::to_string(threads)),
                                 "--threads " + std::to_string(threads));
        CHECK(a == c);
      }
      if (const char* other = std::getenv("STRATA_COMPARE_BUILD_DIR"); other && *other) {
        std::string d = stats_of(other, f, t.path / (name + "-other"), "");
        CHECK(a == d);
      }
    }
  }
}
