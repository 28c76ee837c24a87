// End-to-end: the strata binary on real TOML files. Exit status, messages in compiler
// format, outputs written (or not) as promised.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "cli.hpp"

namespace fs = std::filesystem;

namespace {

using strata::testing::build_dir;
using strata::testing::source_dir;
using strata::testing::TempDir;

strata::testing::CommandResult cli(const std::string& args, const std::string& env = "") {
  return strata::testing::run_strata(args, env);
}

const char* const kRing = strata::testing::kSmallPholdRing;

}  // namespace

TEST_CASE("cli: run writes stats, summary and a completion marker, and prints the summary") {
  TempDir t;
  auto out = t.path / "out";
  auto r = cli("run " + (source_dir() / "experiments/default.toml").string() + " --out " + out.string());
  INFO(r.out);
  REQUIRE(r.rc == 0);
  CHECK_THAT(r.out, Catch::Contains("experiment   default (seed 42)"));
  // the default experiment is the Atleus chip fine-tuning BERT-base: the workload ends the
  // run when its last operation completes
  CHECK_THAT(r.out, Catch::Contains("stopped by requested"));
  for (auto f : {"stats.json", "stats.csv", "summary.txt", "config.toml", "run.json"}) CHECK(fs::exists(out / f));
  auto run = nlohmann::json::parse(std::ifstream(out / "run.json"));
  CHECK(run["status"] == "ok");
  auto stats = nlohmann::json::parse(std::ifstream(out / "stats.json"));
  CHECK(stats["simulation"]["stop_reason"] == "requested");
  // 48 ReRAM + 16 SA cores, 64 routers, 64 NIs, the HBM stack and the workload driver
  CHECK(stats["components"].size() == 48 + 16 + 64 + 64 + 1 + 1);
  const auto& wl = stats["components"]["wl"]["stats"];
  CHECK(wl["latency"].get<double>() > 0);
  CHECK(wl["latency"].get<double>() <= stats["simulation"]["end_time_ps"].get<double>());
  // the CSV has a header and one row per scalar statistic field: at least one per component
  std::ifstream csv(out / "stats.csv");
  std::string header;
  std::getline(csv, header);
  CHECK(header == "component,type,group,name,field,value");
  std::set<std::string> seen;
  for (std::string l; std::getline(csv, l);)  // grid names such as "sa[1,2]" are quoted
    seen.insert(l[0] == '"' ? l.substr(1, l.find('"', 1) - 1) : l.substr(0, l.find(',')));
  CHECK(seen.count("sa[3,3]") == 1);
  CHECK(seen.size() == stats["components"].size());
}

TEST_CASE("cli: same experiment and seed give byte-identical stats.json; --seed changes it") {
  TempDir t;
  auto topo = t.write("ring.toml", kRing);
  auto run = [&](const std::string& dir, const std::string& extra) {
    auto r = cli("run " + topo.string() + " -q --out " + (t.path / dir).string() + " --set stop.end_time=5us " + extra);
    REQUIRE(r.rc == 0);
    std::ifstream f(t.path / dir / "stats.json");
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  auto a = run("a", ""), b = run("b", ""), c = run("c", "--seed 9");
  CHECK(a == b);
  CHECK(a != c);
}

TEST_CASE("cli: --trace writes a Chrome trace; --set overrides a parameter") {
  TempDir t;
  auto topo = t.write("ring.toml", kRing);
  auto r = cli("run " + topo.string() + " -q --trace --out " + (t.path / "o").string() +
                  " --set lp.init=0 --set stop.end_time=1us");
  REQUIRE(r.rc == 0);
  REQUIRE(fs::exists(t.path / "o" / "trace.json"));
  auto trace = nlohmann::json::parse(std::ifstream(t.path / "o" / "trace.json"));
  CHECK(trace.contains("traceEvents"));
  auto stats = nlohmann::json::parse(std::ifstream(t.path / "o" / "stats.json"));
  CHECK(stats["simulation"]["events"] == 0);  // init = 0: nothing to do
}

TEST_CASE("cli: --profile counts every event by component type and port, prints the table, changes no result") {
  TempDir t;
  auto topo = t.write("ring.toml", kRing);
  auto run = [&](const std::string& dir, const std::string& extra) {
    auto r = cli("run " + topo.string() + " --out " + (t.path / dir).string() + " --set stop.end_time=5us " + extra);
    REQUIRE(r.rc == 0);
    return r.out;
  };
  auto plain = run("plain", ""), profiled = run("prof", "--profile");
  CHECK(!fs::exists(t.path / "plain" / "profile.json"));
  CHECK_THAT(plain, !Catch::Contains("by receiving port"));
  CHECK_THAT(profiled, Catch::Contains("by receiving port"));
  auto text = [](const fs::path& f) {
    std::ifstream in(f);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  CHECK(text(t.path / "plain" / "stats.json") == text(t.path / "prof" / "stats.json"));
  REQUIRE(fs::exists(t.path / "prof" / "profile.json"));
  auto prof = nlohmann::json::parse(std::ifstream(t.path / "prof" / "profile.json"));
  auto run_json = nlohmann::json::parse(std::ifstream(t.path / "prof" / "run.json"));
  const auto events = run_json["events"].get<std::uint64_t>();
  REQUIRE(events > 0);
  CHECK(prof["events"] == events);
  // the ring's LPs receive on their port[] elements (folded into "port") and on @self
  std::uint64_t by_port = 0, by_type = 0;
  std::set<std::string> ports;
  for (const auto& row : prof["by_port"]) {
    by_port += row["events"].get<std::uint64_t>();
    ports.insert(row["type"].get<std::string>() + " " + row["port"].get<std::string>());
  }
  for (const auto& row : prof["by_type"]) by_type += row["events"].get<std::uint64_t>();
  CHECK(by_port == events);
  CHECK(by_type == events);
  CHECK(ports == std::set<std::string>{"bench.phold_lp port", "bench.phold_lp @self"});
  CHECK(!prof.contains("events_per_gemm"));  // no compute cores here
}

TEST_CASE("cli: configuration errors are reported together in compiler format, exit 2, nothing written") {
  TempDir t;
  auto bad = t.write("bad.toml", R"([[component]]
name = "lp"
type = "bench.phold_lp"
grid = [4]
params = { mean = 3, init = "many", nit = 2 }

[[component]]
name = "lp"
type = "bench.phold_lq"

[[link]]
from = "lp[0].prt"
to = "lp[1].port"
latncy = "1ns"
)");
  auto out = t.path / "never";
  auto r = cli("run " + bad.string() + " --out " + out.string());
  INFO(r.out);
  CHECK(r.rc == 2);
  const std::string f = bad.string();
  CHECK_THAT(r.out, Catch::Contains(f + ":5:19: error: parameter 'mean' is a time and needs a unit"));
  CHECK_THAT(r.out, Catch::Contains(f + ":5:19: note: e.g. mean = \"1.5ns\""));
  CHECK_THAT(r.out, Catch::Contains(f + ":5:29: error: parameter 'init' expects integer, got a string"));
  CHECK_THAT(r.out, Catch::Contains(f + ":5:37: error: type 'bench.phold_lp' has no parameter 'nit'"));
  CHECK_THAT(r.out, Catch::Contains("note: did you mean 'init'?"));
  CHECK_THAT(r.out, Catch::Contains(f + ":7:1: error: duplicate component name 'lp'"));
  CHECK_THAT(r.out, Catch::Contains(f + ":9:8: error: unknown component type 'bench.phold_lq'"));
  CHECK_THAT(r.out, Catch::Contains(f + ":14:1: error: unknown key 'latncy' in [[link]]"));
  CHECK_FALSE(fs::exists(out));
}

TEST_CASE("cli: wiring errors: unknown port, single port used twice, zero latency, bad endpoint") {
  TempDir t;
  auto bad = t.write("wire.toml", std::string(kRing) + R"(
[[link]]
from = "lp[0].prt"
to = "lp[1].port"
latency = "1ns"

[[link]]
from = "lp[0].port"
to = "lp[1].port"
latency = "0ns"

[[link]]
from = "nodot"
to = "lp[1].port"
latency = "1ns"
)");
  auto r = cli("check " + bad.string());
  INFO(r.out);
  CHECK(r.rc == 2);
  CHECK_THAT(r.out, Catch::Contains("component 'lp[0]' (type bench.phold_lp) has no port 'prt' (did you mean 'port'?)"));
  CHECK_THAT(r.out, Catch::Contains("latency: link latency must be > 0"));
  CHECK_THAT(r.out, Catch::Contains("'nodot' is not an endpoint"));
}

TEST_CASE("cli: syntax errors, missing files, include cycles") {
  TempDir t;
  auto syntax = t.write("syntax.toml", "[[component]\nname = 1\n");
  auto r = cli("check " + syntax.string());
  CHECK(r.rc == 2);
  CHECK_THAT(r.out, Catch::Contains(syntax.string() + ":1:"));
  r = cli("check " + (t.path / "nope.toml").string());
  CHECK(r.rc == 2);
  CHECK_THAT(r.out, Catch::Contains("nope.toml: error: no such file"));
  t.write("a.toml", "include = [\"b.toml\"]\n");
  t.write("b.toml", "include = [\"a.toml\"]\n");
  r = cli("check " + (t.path / "a.toml").string());
  CHECK(r.rc == 2);
  CHECK_THAT(r.out, Catch::Contains("include cycle"));
}

TEST_CASE("cli: an experiment includes its topology; out-of-range values name the range") {
  TempDir t;
  t.write("ring.toml", kRing);
  auto ex = t.write("ex.toml", R"([experiment]
name = "e1"
topology = "ring.toml"
seed = 3

[stop]
end_time = "2us"

[output]
dir = "unused"
formats = ["json"]
)");
  auto r = cli("run " + ex.string() + " -q --out " + (t.path / "o").string());
  INFO(r.out);
  REQUIRE(r.rc == 0);
  CHECK(fs::exists(t.path / "o" / "stats.json"));
  CHECK_FALSE(fs::exists(t.path / "o" / "stats.csv"));
  r = cli("run " + ex.string() + " --set lp.init=-1");
  CHECK(r.rc == 2);
  CHECK_THAT(r.out, Catch::Contains("parameter 'init' = -1 is out of range"));
  CHECK_THAT(r.out, Catch::Contains("allowed: 0 to 1048576"));
  r = cli("run " + ex.string() + " --set lq.init=1");
  CHECK(r.rc == 2);
  CHECK_THAT(r.out, Catch::Contains("no component or experiment setting named 'lq'"));
  CHECK_THAT(r.out, Catch::Contains("did you mean 'lp'?"));
}

TEST_CASE("cli: bad flags exit 2; --help exits 0") {
  CHECK(cli("run").rc == 2);
  CHECK(cli("frobnicate").rc == 2);
  CHECK(cli("run x.toml --seed notanumber").rc == 2);
  auto h = cli("run --help");
  CHECK(h.rc == 0);
  CHECK_THAT(h.out, Catch::Contains("--set"));
}

TEST_CASE("cli: info documents a type from its manifest; --markdown writes pages") {
  auto r = cli("info bench.phold_lp");
  REQUIRE(r.rc == 0);
  CHECK_THAT(r.out, Catch::Contains("mean") && Catch::Contains("\"1ns\"") && Catch::Contains("port[]"));
  r = cli("info bench.phold_lq");
  CHECK(r.rc == 2);
  CHECK_THAT(r.out, Catch::Contains("did you mean 'bench.phold_lp'?"));
  TempDir t;
  r = cli("info --markdown " + (t.path / "md").string());
  REQUIRE(r.rc == 0);
  std::ifstream md(t.path / "md" / "bench.phold_lp.md");
  std::string text((std::istreambuf_iterator<char>(md)), {});
  CHECK_THAT(text, Catch::Contains("| `mean` | time | `\"1ns\"` |"));
}

TEST_CASE("cli: plugins lists what was found; a broken plugin on the path is named, exit 2") {
  auto r = cli("plugins");
  CHECK(r.rc == 0);
  CHECK_THAT(r.out, Catch::Contains("bench.phold_lp"));
  auto dir = build_dir() / "tests" / "broken" / "abi_mismatch";
  r = cli("plugins", "STRATA_PLUGIN_PATH=" + dir.string());
  CHECK(r.rc == 2);
  CHECK_THAT(r.out, Catch::Contains("broken_abi_mismatch.so: error: built for SDK ABI 999"));
  // a broken plugin nobody needs does not stop a run
  TempDir t;
  auto topo = t.write("ring.toml", kRing);
  r = cli("run " + topo.string() + " -q --set stop.end_time=1us --out " + (t.path / "o").string(),
             "STRATA_PLUGIN_PATH=" + dir.string());
  CHECK(r.rc == 0);
  r = cli("plugins", "STRATA_PLUGIN_PATH=/no/such/folder");
  CHECK(r.rc == 2);
  CHECK_THAT(r.out, Catch::Contains("/no/such/folder: error: STRATA_PLUGIN_PATH names a folder that does not exist"));
}

TEST_CASE("cli: sweep runs every point, -j 1 and -j 2 give identical tables, failures are reported") {
  TempDir t;
  t.write("ring.toml", kRing);
  auto ex = t.write("sw.toml", strata::testing::ring_experiment("sw", R"([sweep]
columns = ["lp[0].events"]
[sweep.axes]
"lp.init" = [1, 2, 3]
"lp.mean" = ["1ns", "2ns"]
)"));
  auto r1 = cli("sweep " + ex.string() + " -q -j 1 --out " + (t.path / "a").string());
  auto r2 = cli("sweep " + ex.string() + " -q -j 2 --out " + (t.path / "b").string());
  INFO(r1.out << r2.out);
  REQUIRE(r1.rc == 0);
  REQUIRE(r2.rc == 0);
  auto slurp = [](const fs::path& p) {
    std::ifstream f(p);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  auto table = slurp(t.path / "a" / "sweep.csv");
  CHECK(table == slurp(t.path / "b" / "sweep.csv"));
  CHECK_THAT(table, Catch::StartsWith("point,lp.init,lp.mean,status,end_time_ps,events,energy_j,dynamic_j,static_j,lp[0].events\n"));
  CHECK_THAT(table, Catch::Contains("\n5,3,2ns,ok,1000000,"));
  // each point equals the same experiment run alone with those values
  auto single = cli("run " + ex.string() + " -q --set lp.init=3 --set lp.mean=2ns --out " + (t.path / "one").string());
  REQUIRE(single.rc == 0);
  CHECK(slurp(t.path / "one" / "stats.json") == slurp(t.path / "a" / "points" / "p0005" / "stats.json"));

  // resume: a point without a complete result is rerun, the others are kept
  fs::remove(t.path / "a" / "points" / "p0002" / "run.json");
  auto r3 = cli("sweep " + ex.string() + " --resume --out " + (t.path / "a").string());
  CHECK(r3.rc == 0);
  CHECK_THAT(r3.out, Catch::Contains("6 points: 6 ok, 0 failed (5 reused)"));
  CHECK(slurp(t.path / "a" / "sweep.csv") == table);

  // a failing point does not stop the others; exit status 1
  auto bad = t.write("bad.toml", strata::testing::ring_experiment("bad", R"([sweep]
mode = "list"
points = [ { "lp.init" = 1 }, { "lp.init" = -5 }, { "lp.init" = 2 } ]
)"));
  auto r4 = cli("sweep " + bad.string() + " --out " + (t.path / "c").string());
  CHECK(r4.rc == 1);
  CHECK_THAT(r4.out, Catch::Contains("point 1 (lp.init=-5) failed"));
  CHECK_THAT(r4.out, Catch::Contains("3 points: 2 ok, 1 failed"));
  auto ct = slurp(t.path / "c" / "sweep.csv");
  CHECK_THAT(ct, Catch::Contains("\n1,-5,error,"));
  CHECK_THAT(ct, Catch::Contains("\n2,2,ok,"));
}

TEST_CASE("cli: config.toml holds the resolved configuration and reproduces the run") {
  TempDir t;
  auto topo = t.write("ring.toml", kRing);
  REQUIRE(cli("run " + topo.string() + " -q --set stop.end_time=3us --set lp.mean=2ns --out " +
                 (t.path / "a").string()).rc == 0);
  auto cfg = t.path / "a" / "config.toml";
  REQUIRE(fs::exists(cfg));
  std::ifstream f(cfg);
  std::string text((std::istreambuf_iterator<char>(f)), {});
  CHECK_THAT(text, Catch::Contains("mean = \"2ns\"") && Catch::Contains("init = 2") &&
                       Catch::Contains("from = \"lp[0].port[0]\""));
  REQUIRE(cli("run " + cfg.string() + " -q --out " + (t.path / "b").string()).rc == 0);
  auto a = nlohmann::json::parse(std::ifstream(t.path / "a" / "stats.json"));
  auto b = nlohmann::json::parse(std::ifstream(t.path / "b" / "stats.json"));
  a["experiment"].erase("name");
  b["experiment"].erase("name");
  CHECK(a == b);
}

TEST_CASE("cli: every broken file in tests/broken_toml fails with its expected message, exit 2") {
  int n = 0;
  for (auto& e : fs::directory_iterator(source_dir() / "tests" / "broken_toml")) {
    if (e.path().extension() != ".toml") continue;
    std::ifstream f(e.path());
    std::string first;
    std::getline(f, first);
    REQUIRE(first.rfind("# expect: ", 0) == 0);
    std::string expect = first.substr(10);
    auto r = cli("check " + e.path().string());
    INFO(e.path().filename().string() << "\n" << r.out);
    CHECK(r.rc == 2);
    CHECK_THAT(r.out, Catch::Contains(expect));
    ++n;
  }
  CHECK(n >= 10);
}

TEST_CASE("cli: every shipped topology and experiment passes strata check") {
  int n = 0;
  for (auto dir : {"topologies", "experiments"}) {
    for (auto& e : fs::recursive_directory_iterator(source_dir() / dir)) {
      if (e.path().extension() != ".toml") continue;
      auto r = cli("check " + e.path().string());
      INFO(r.out);
      CHECK(r.rc == 0);
      ++n;
    }
  }
  CHECK(n >= 2);
}

TEST_CASE("cli: an experiment's [set] table sets parameters as --set does; the command line wins") {
  TempDir t;
  std::ofstream(t.path / "ring.toml") << kRing;
  const auto exp = t.path / "exp.toml";
  std::ofstream(exp) << "[experiment]\nname = \"set\"\ntopology = \"ring.toml\"\n[stop]\nend_time = \"20ns\"\n"
                        "[set]\n\"lp.init\" = 1\n\"output.dir\" = \"" << (t.path / "from_set").string() << "\"\n";
  auto r = cli("run " + exp.string() + " -q");
  INFO(r.out);
  REQUIRE(r.rc == 0);
  // the string setting chose the folder; the number reached every element of the grid
  const std::string config = strata::testing::slurp(t.path / "from_set" / "config.toml");
  CHECK_THAT(config, Catch::Contains("init = 1"));
  CHECK_THAT(config, !Catch::Contains("init = 2"));
  auto r2 = cli("run " + exp.string() + " -q --set lp.init=3 --out " + (t.path / "cli").string());
  REQUIRE(r2.rc == 0);
  CHECK_THAT(strata::testing::slurp(t.path / "cli" / "config.toml"), Catch::Contains("init = 3"));
  // a [set] entry naming nothing is a located error
  std::ofstream(exp) << "[experiment]\nname = \"set\"\ntopology = \"ring.toml\"\n[set]\n\"lpp.init\" = 1\n";
  auto bad = cli("check " + exp.string());
  CHECK(bad.rc == 2);
  CHECK_THAT(bad.out, Catch::Contains(exp.string() + ":5:") && Catch::Contains("[set] lpp.init: no component"));
}
