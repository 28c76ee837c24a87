// harness.hpp - build and run small systems from TOML text in tests, with the real
// plugins of the build tree (loaded through the real loader).
//
//   strata::testing::Harness h;
//   auto r = h.run(R"(
//     [[component]]
//     name = "a"
//     type = "bench.phold_lp"
//   )");
//   CHECK(r.stats["components"]["a"]["stats"]["events"] == 0);
//
// Errors in the TOML throw std::runtime_error carrying the compiler-style diagnostics.
#pragma once

#include "cli.hpp"  // build_dir(), source_dir()

#include "builder.hpp"
#include "engine.hpp"
#include "plugin_registry.hpp"
#include "results.hpp"
#include "trace_writer.hpp"

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace strata::testing {

/// Folder of the build tree's plugins (set by ctest through STRATA_BUILD_DIR).
inline std::filesystem::path plugin_dir() {
  const char* b = std::getenv("STRATA_BUILD_DIR");
  return std::filesystem::path(b ? b : "build") / "lib" / "strata" / "plugins";
}

struct Run {
  detail::RunResult result;
  nlohmann::ordered_json stats;
  std::unique_ptr<detail::Engine> engine;  // kept alive for white-box inspection
};

class Harness {
 public:
  Harness() {
    registry.add_search_dir(plugin_dir());
    registry.scan();
  }
  /// Build a system from TOML text; throws with the diagnostics on any error.
  std::unique_ptr<detail::Engine> build(const std::string& toml, const std::vector<std::string>& sets = {}) {
    detail::Diagnostics diag;
    detail::Builder b(registry, diag);
    auto s = b.load_text(toml, "test.toml", sets);
    if (!s) throw std::runtime_error(diag.str());
    spec = std::move(*s);
    auto e = b.build(spec);
    if (!e) throw std::runtime_error(diag.str());
    return e;
  }
  /// Diagnostics text for TOML that is expected to fail ("" if it builds).
  std::string errors(const std::string& toml, const std::vector<std::string>& sets = {}) {
    detail::Diagnostics diag;
    detail::Builder b(registry, diag);
    auto s = b.load_text(toml, "test.toml", sets);
    if (s) b.build(*s);
    return diag.str();
  }
  /// Build, init, run to the stop conditions (or `end`), finish; stats as stats.json has them.
  Run run(const std::string& toml, Time end = kTimeMax, const std::vector<std::string>& sets = {}) {
    Run r;
    r.engine = build(toml, sets);
    r.engine->init();
    detail::StopConditions stop = spec.stop;
    if (end != kTimeMax) stop.end_time = end;
    r.result = r.engine->run(stop);
    r.engine->finish();
    r.stats = detail::stats_json(*r.engine, r.result, spec);
    return r;
  }

  detail::PluginRegistry registry;
  detail::ExperimentSpec spec;
};

}  // namespace strata::testing
