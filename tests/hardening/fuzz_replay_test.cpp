// Replays every committed fuzz input through the fuzz target bodies (fuzz/src), in the
// ordinary build: the seed corpora fuzz/corpus/<target>/ and the inputs that once made a
// target fail, fuzz/regressions/<target>/. A target "fails" by throwing anything but its
// documented rejection, or by a sanitizer report when the build has STRATA_SANITIZE=ON.
// Crashes found by fuzzing also get a named TEST_CASE below with the input inline.
#include "fuzz_targets.hpp"
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::vector<fs::path> inputs(const std::string& target) {
  std::vector<fs::path> v;
  for (auto sub : {"corpus", "regressions"}) {
    fs::path d = strata::testing::source_dir() / "fuzz" / sub / target;
    if (!fs::is_directory(d)) continue;
    for (const auto& e : fs::directory_iterator(d))
      if (e.is_regular_file()) v.push_back(e.path());
  }
  std::sort(v.begin(), v.end());
  return v;
}

void feed(const std::string& target, const std::string& data) {
  strata::fuzz::run_target(target, reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
}

struct PluginDirEnv {
  PluginDirEnv() { setenv("STRATA_FUZZ_PLUGIN_DIR", strata::testing::plugin_dir().c_str(), 0); }
} const g_env;

}  // namespace

TEST_CASE("fuzz replay: every committed input of every target is handled") {
  for (const std::string target : {"units", "builder", "opgraph", "manifest", "chakra", "pytorch", "onnx"}) {
    auto files = inputs(target);
    INFO("target " << target);
    CHECK(!files.empty());
    for (const auto& f : files) {
      INFO("input " << f.string());
      CHECK_NOTHROW(feed(target, slurp(f)));
    }
  }
}
