// thermal.grid in a built system: it reads exactly the energy the mapped components book,
// conserves it, and refuses non-physical parameters as located configuration errors.
#include "harness.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace {

using strata::testing::Harness;

// Four small systolic arrays on one tier (a 2x2 grid), busy with GEMMs, and a thermal model
// with one cell per array.
std::string chip(const std::string& thermal_params) {
  return R"(
[[component]]
name = "sa"
type = "systolic.array"
grid = [2, 2]
params = { rows = 32, cols = 32, clock = "1GHz", ideal_dram = true, ifmap_sram = "1GiB", filter_sram = "1GiB", ofmap_sram = "1GiB", sram_bandwidth = "1TB/s" }

[[component]]
name = "drv"
type = "workload.ops"
params = { m = [256, 64], k = [256, 512], n = [256, 128], repeat = 3, mode = "serial", target = "every", end_run = true }

[[generate]]
kind = "fanout"
from = "drv.cores"
to = "sa.ctrl"
latency = "1ns"

[[component]]
name = "heat"
type = "thermal.grid"
params = { cols = 2, rows = 2, map = "sa:0", cores = "sa", interval = "1us" )" +
         thermal_params + R"( }
)";
}

const auto& stats(const strata::testing::Run& r, const std::string& c) { return r.stats["components"][c]["stats"]; }

}  // namespace

TEST_CASE("thermal.grid: heat in = the mapped components' booked energy = heat stored + heat out",
          "[thermal][plugin]") {
  const std::string method = GENERATE("implicit", "explicit", "auto");
  CAPTURE(method);
  Harness h;
  auto r = h.run(chip(", tiers = 1, method = \"" + method + "\""));
  double booked = 0;
  for (const auto& [name, c] : r.stats["components"].items())
    if (name.rfind("sa[", 0) == 0) booked += c["energy"]["total_j"].get<double>();
  const auto& s = stats(r, "heat");
  REQUIRE(booked > 0);
  CHECK(s["heat_in"]["sum"].get<double>() == Approx(booked).epsilon(1e-9));
  CHECK(s["heat_stored"]["sum"].get<double>() + s["heat_out"]["sum"].get<double>() ==
        Approx(booked).epsilon(1e-3));
  // one sample per interval, plus the part-interval before the end
  const auto end = r.result.end_time;
  CHECK(s["samples"].get<std::uint64_t>() == (end + 999'999) / 1'000'000);
  // steady state at the mean power: the mean power is the booked energy over the run
  CHECK(s["steady.power"]["sum"].get<double>() == Approx(booked / (static_cast<double>(end) * 1e-12)));
  CHECK(s["steady.max"]["sum"].get<double>() > 45.0);
  CHECK(s["max"]["max"].get<double>() > 45.0);  // it warmed from ambient
  CHECK(s.contains("core.3.temperature"));
  CHECK_FALSE(s.contains("core.4.temperature"));
}

TEST_CASE("thermal.grid: the tier next to the sink runs cooler than the far tier under equal power",
          "[thermal][plugin]") {
  // Two tiers, the same arrays mapped to both ends in turn: the far tier must be hotter.
  Harness h;
  auto at_sink = h.run(chip(R"(, tiers = 2, sink_at = "first_tier")"));  // sa on tier 0, next to the sink
  Harness h2;
  auto away = h2.run(chip(R"(, tiers = 2, sink_at = "last_tier")"));  // tier 0 is now the far end
  CHECK(stats(away, "heat")["steady.max"]["sum"].get<double>() >
        stats(at_sink, "heat")["steady.max"]["sum"].get<double>());
}

TEST_CASE("thermal.grid: negative conductivity and zero thickness are located errors", "[thermal][plugin]") {
  Harness h;
  auto e = h.errors(chip(", k_silicon = -100.0"));
  CHECK(e.find("test.toml:") != std::string::npos);
  CHECK(e.find("k_silicon") != std::string::npos);
  e = h.errors(chip(", bond_thickness = 0.0"));
  CHECK(e.find("test.toml:") != std::string::npos);
  CHECK(e.find("bond_thickness") != std::string::npos);
  CHECK(h.errors(chip(", tiers = 1")).empty());  // the same file with valid values builds
  e = h.errors(chip(", map = \"sa\""));
  CHECK(e.find("map") != std::string::npos);
  // and through the CLI: exit status 2, nothing run
  const auto dir = std::filesystem::temp_directory_path() / "strata_thermal_bad";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "bad.toml") << chip(", k_sink = -400.0");
  auto res = strata::testing::run_shell(strata::testing::strata_binary() + " check " + (dir / "bad.toml").string());
  CHECK(res.rc == 2);
  CHECK(res.out.find("bad.toml:") != std::string::npos);
}

TEST_CASE("thermal.grid: the trace has one counter sample per core per step, heat maps land in the output folder",
          "[thermal][plugin]") {
  const auto dir = std::filesystem::temp_directory_path() / "strata_thermal_trace";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "chip.toml") << chip(", tiers = 1");
  auto res = strata::testing::run_shell(strata::testing::strata_binary() + " run " + (dir / "chip.toml").string() +
                                        " --trace -q --out " + (dir / "out").string());
  REQUIRE(res.rc == 0);
  std::ifstream stats_file(dir / "out" / "stats.json"), trace_file(dir / "out" / "trace.json");
  const auto stats = nlohmann::json::parse(stats_file);
  const auto trace = nlohmann::json::parse(trace_file);  // valid JSON with the counters in it
  const auto samples = stats["components"]["heat"]["stats"]["samples"].get<std::size_t>();
  std::size_t counters = 0, core0 = 0;
  double last_ts = -1;
  bool ordered = true;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] != "C") continue;
    ++counters;
    if (e["name"] == "heat sa[0,0] C") {
      ++core0;
      ordered = ordered && e["ts"].get<double>() > last_ts;
      last_ts = e["ts"].get<double>();
      CHECK(e["args"]["value"].get<double>() >= 45.0);
    }
  }
  CHECK(counters == 4 * samples);
  CHECK(core0 == samples);
  CHECK(ordered);
  for (int t = 0; t < 1; ++t) CHECK(std::filesystem::exists(dir / "out" / ("heatmap.heat.tier" + std::to_string(t) + ".svg")));
  std::ifstream js(dir / "out" / "thermal.heat.json");
  const auto j = nlohmann::json::parse(js);
  CHECK(j["cores"].size() == 4);
  CHECK(j["cores"][3]["name"] == "sa[1,1]");
  // strata report copies them beside the report and shows them
  auto rep = strata::testing::run_shell(strata::testing::strata_binary() + " report " + (dir / "out").string() +
                                        " --out " + (dir / "rep" / "r.md").string());
  REQUIRE(rep.rc == 0);
  std::ifstream md_file(dir / "rep" / "r.md");
  const std::string md((std::istreambuf_iterator<char>(md_file)), std::istreambuf_iterator<char>());
  CHECK(md.find("## Heat maps") != std::string::npos);
  CHECK(md.find("heatmap.heat.tier0.svg)") != std::string::npos);
  bool copied = false;
  for (const auto& e : std::filesystem::directory_iterator(dir / "rep"))
    copied = copied || e.path().filename().string().find("heatmap.heat.tier0.svg") != std::string::npos;
  CHECK(copied);
}

TEST_CASE("thermal.grid: leakage feedback adds static power x (I(T)/I(T_ref) - 1), booked and heated",
          "[thermal][plugin]") {
  Harness h0, h1;
  auto off = h0.run(chip(", tiers = 1"));
  auto on = h1.run(chip(", tiers = 1, leakage_feedback = true"));
  double booked = 0;
  for (const auto& [name, c] : on.stats["components"].items())
    if (name.rfind("sa[", 0) == 0) booked += c["energy"]["total_j"].get<double>();
  const auto& s = stats(on, "heat");
  const double extra = on.stats["components"]["heat"]["energy"]["total_j"].get<double>();
  CHECK(extra > 0);  // the chip runs above the 45 C reference, so it leaks more
  CHECK(s["heat_in"]["sum"].get<double>() == Approx(booked + extra).epsilon(1e-9));
  CHECK(s["steady.runaway"] == 0);
  CHECK(s["steady.max"]["sum"].get<double>() > stats(off, "heat")["steady.max"]["sum"].get<double>());
  CHECK(s["steady.power"]["sum"].get<double>() > stats(off, "heat")["steady.power"]["sum"].get<double>());
  // the extra is bounded by the fit between the reference and the hottest cell: static power
  // x (I(T_max) / I(45 C) - 1) x run time (Liao, He, Lepak 2005, 65 nm, 1.0 V)
  auto current = [](double c) {
    const double k = c + 273.15;
    return 1.1432e-12 * k * k * std::exp((466.4029 * 1.0 - 1224.74083) / k) + 1.0126e-14 * std::exp(6.28153 + 6.9094);
  };
  double static_j = 0;
  for (const auto& [name, c] : on.stats["components"].items())
    if (name.rfind("sa[", 0) == 0) static_j += c["energy"]["static_j"].get<double>();
  CHECK(extra <= static_j * (current(s["max"]["max"].get<double>()) / current(45.0) - 1) * (1 + 1e-9));
}
