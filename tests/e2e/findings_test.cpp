// `strata report --findings`: claims evaluated against run and sweep folders written by the
// test itself, so every expected number follows from the statistics in closed form.
#include "../support/cli.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>

namespace fs = std::filesystem;
using namespace strata::testing;

namespace {

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// A run with a workload `wl` (latency in ps) and two cores booking the given energies.
std::string stats(double latency_ps, double pim_macs, double sa_macs, double reram_j, double sa_j) {
  return fmt::format(R"JSON({{"simulation": {{"end_time_ps": {0}, "events": 10}},
 "totals": {{"energy_j": {5}, "dynamic_j": {5}, "static_j": 0}},
 "components": {{
  "wl": {{"type": "workload.transformer", "stats": {{"latency": {{"count": 1, "sum": {0}, "mean": {0}}},
          "pim_macs": {1}, "sa_macs": {2}, "throughput": {{"count": 1, "sum": 4, "mean": 4}}}}}},
  "reram[0,0,0]": {{"type": "pim.reram_core", "stats": {{}}, "energy": {{"dynamic_j": {3}, "static_j": 0, "total_j": {3}}}}},
  "reram[1,0,0]": {{"type": "pim.reram_core", "stats": {{}}, "energy": {{"dynamic_j": {3}, "static_j": 0, "total_j": {3}}}}},
  "sa[0,0]": {{"type": "systolic.array", "stats": {{}}, "energy": {{"dynamic_j": {4}, "static_j": 0, "total_j": {4}}}}}
 }}}})JSON",
                     latency_ps, pim_macs, sa_macs, reram_j, sa_j, 2 * reram_j + sa_j);
}

// A sweep folder: axis wl.model over the given models, latencies in ps.
void sweep(const fs::path& dir, const std::vector<std::pair<std::string, double>>& points) {
  std::string csv = "point,wl.model,status\n";
  for (std::size_t i = 0; i < points.size(); ++i) {
    csv += fmt::format("{},{},ok\n", i, points[i].first);
    write(dir / "points" / fmt::format("p{:04}", i) / "stats.json", stats(points[i].second, 1, 1, 1, 1));
  }
  write(dir / "sweep.csv", csv);
}

}  // namespace

TEST_CASE("findings: values, vectors paired by sweep point, holds, and the cost functions in closed form") {
  strata::testing::TempDir t("strata-findings");
  write(t.path / "share" / "stats.json", stats(2e9, 3e6, 1e6, 0.5, 2.0));
  sweep(t.path / "fast", {{"bert-base", 1e9}, {"gpt2", 4e9}});
  sweep(t.path / "slow", {{"bert-base", 3e9}, {"gpt2", 8e9}});
  const std::string f = (t.path / "findings.toml").string();
  write(f, fmt::format(R"TOML(title = "test"
[runs]
share = "{0}/share"
fast = "{0}/fast"
slow = "{0}/slow"
missing = "{0}/never_run"
[constants]
wafer = 300.0
d0 = 0.1
[[finding]]
name = "MAC share on ReRAM"
paper = "about 92%"
value = "{{share:wl.pim_macs}} / ({{share:wl.pim_macs}} + {{share:wl.sa_macs}})"
format = "percent"
holds = "abs(value - 0.92) < 0.05"
note = "fewer MACs on ReRAM here"
[[finding]]
name = "energy share on ReRAM"
paper = "about 33%"
value = "{{share:reram*.energy.total_j}} / {{share:totals.energy_j}}"
format = "percent"
holds = "value > 0.3 && value < 0.4"
[[finding]]
name = "speed-up per model"
paper = "> 1"
value = "{{slow:@latency}} / {{fast:@latency}}"
format = "ratio"
holds = "min(value) > 1"
[[finding]]
name = "geomean speed-up"
paper = "2x"
value = "geomean({{slow:@latency}} / {{fast:@latency}})"
format = "ratio"
[[finding]]
name = "one point"
paper = "-"
value = "{{fast[wl.model=gpt2]:wl.latency}} * 1e-12"
unit = "s"
[[finding]]
name = "die cost ratio"
paper = "1.67"
value = "(1 / (dies_per_wafer(wafer, 400) * yield_nb(400, d0, 3))) / (4 / (dies_per_wafer(wafer, 100) * yield_nb(100, d0, 3)))"
format = "ratio"
[[finding]]
name = "missing run"
paper = "1"
value = "{{missing:@latency}}"
)TOML",
                       t.path.string()));
  const fs::path out = t.path / "r" / "findings.md";
  auto r = run_strata("report --findings " + f + " --out " + out.string());
  INFO(r.out);
  REQUIRE(r.rc == 0);
  const std::string md = slurp(out);
  INFO(md);
  // 3e6 / 4e6 = 75%: does not hold (|0.75 - 0.92| >= 0.05)
  CHECK(md.find("| 1 | MAC share on ReRAM | about 92% | 75.0% | **no** |") != std::string::npos);
  // 2 x 0.5 J of 3 J: 33.3%
  CHECK(md.find("| 2 | energy share on ReRAM | about 33% | 33.3% | yes |") != std::string::npos);
  // per model: 3/1 and 8/4, keyed by the varying axis
  CHECK(md.find("| 3 | speed-up per model | > 1 | bert-base: 3x; gpt2: 2x | yes |") != std::string::npos);
  CHECK(md.find(fmt::format("| 4 | geomean speed-up | 2x | {:.4g}x | - |", std::sqrt(6.0))) != std::string::npos);
  CHECK(md.find("| 5 | one point | - | 0.004 s | - |") != std::string::npos);
  auto dies = [](double die) {
    return std::floor(std::numbers::pi * 150 * 150 / die - std::numbers::pi * 300 / std::sqrt(2 * die));
  };
  auto yield = [](double die) { return std::pow(1 + die / 100 * 0.1 / 3, -3); };
  const double cost_ratio = (1 / (dies(400) * yield(400))) / (4 / (dies(100) * yield(100)));
  CHECK(md.find(fmt::format("| 6 | die cost ratio | 1.67 | {:.4g}x | - |", cost_ratio)) != std::string::npos);
  CHECK(md.find("| 7 | missing run | 1 | not run | ? |") != std::string::npos);
  CHECK(md.find("1. fewer MACs on ReRAM here") != std::string::npos);
  CHECK(md.find("2 of 6 findings evaluated hold; 1 not evaluated") != std::string::npos);
  CHECK(fs::exists(t.path / "r" / "findings_findings.csv"));

  SECTION("with report inputs, the findings table comes first") {
    auto r2 = run_strata("report fast=" + (t.path / "fast").string() + " slow=" + (t.path / "slow").string() +
                         " --findings " + f + " --out " + (t.path / "r2.md").string());
    INFO(r2.out);
    REQUIRE(r2.rc == 0);
    const std::string md2 = slurp(t.path / "r2.md");
    const auto at_findings = md2.find("## Findings"), at_inputs = md2.find("## Inputs");
    CHECK(at_findings != std::string::npos);
    CHECK(at_inputs > at_findings);
    CHECK(md2.find("## Normalised to fast") > at_inputs);
  }
}

TEST_CASE("findings: a malformed expression or file is a located error, exit 2") {
  strata::testing::TempDir t("strata-findings");
  const std::string f = (t.path / "bad.toml").string();
  SECTION("unknown run label: line and column of the reference") {
    write(f, "[runs]\na = \"x\"\n[[finding]]\nname = \"n\"\npaper = \"p\"\nvalue = \"1 + {b:@latency}\"\n");
    auto r = run_strata("report --findings " + f + " --out " + (t.path / "o.md").string());
    CHECK(r.rc == 2);
    CHECK(r.out.find(f + ":6:14: error: unknown run 'b'") != std::string::npos);
  }
  SECTION("syntax error in an expression") {
    write(f, "[[finding]]\nname = \"n\"\npaper = \"p\"\nvalue = \"(1 + 2\"\n");
    auto r = run_strata("report --findings " + f + " --out " + (t.path / "o.md").string());
    CHECK(r.rc == 2);
    CHECK(r.out.find(f + ":4:") != std::string::npos);
    CHECK(r.out.find("expected ')'") != std::string::npos);
  }
  SECTION("unknown key") {
    write(f, "[[finding]]\nname = \"n\"\npaper = \"p\"\nvalue = \"1\"\nhold = \"value > 0\"\n");
    auto r = run_strata("report --findings " + f + " --out " + (t.path / "o.md").string());
    CHECK(r.rc == 2);
    CHECK(r.out.find(f + ":5:1: error: unknown key 'hold'") != std::string::npos);
  }
  SECTION("TOML syntax") {
    write(f, "[[finding]\n");
    auto r = run_strata("report --findings " + f + " --out " + (t.path / "o.md").string());
    CHECK(r.rc == 2);
    CHECK(r.out.find(f + ":1:") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(t.path / "o.md"));
}

TEST_CASE("findings: strata check validates a findings file without reading any run") {
  strata::testing::TempDir t("strata-findings");
  const std::string f = (t.path / "f.toml").string();
  write(f, "[runs]\na = \"" + (t.path / "never_run").string() +
               "\"\n[[finding]]\nname = \"n\"\npaper = \"p\"\nvalue = \"2 * {a:@latency}\"\nholds = \"value > 1\"\n");
  auto ok = run_strata("check " + f);
  INFO(ok.out);
  CHECK(ok.rc == 0);
  CHECK(ok.out.find(f + ": ok (1 findings)") != std::string::npos);
  write(f, "[[finding]]\nname = \"n\"\npaper = \"p\"\nvalue = \"nosuch(1)\"\n");
  auto bad = run_strata("check " + f);
  CHECK(bad.rc == 2);
  CHECK(bad.out.find(f + ":4:") != std::string::npos);
  CHECK(bad.out.find("unknown function 'nosuch'") != std::string::npos);
}
