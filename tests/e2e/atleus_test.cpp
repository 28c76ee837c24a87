// The Atleus chip, its baselines and the paper's experiments (topologies/, experiments/,
// plugins/gpu, `strata report`): every file checks; the chip has the published structure
// (counts from closed forms); tiny runs of every design complete; the GPU roofline equals
// its closed form; the report's normalisation equals ratios computed here.
#include "harness.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using json = nlohmann::json;
using strata::testing::Harness;
using strata::testing::source_dir;

namespace {

strata::testing::CommandResult cli(const std::string& args) { return strata::testing::run_strata(args); }

struct TempDir : strata::testing::TempDir {
  TempDir() : strata::testing::TempDir("strata-atleus") {}
};

json read_json(const fs::path& p) {
  std::ifstream f(p);
  return json::parse(f);
}

fs::path topo(const std::string& name) { return fs::absolute(source_dir() / "topologies" / name); }

// Build a topology file through the builder (the real plugins) and classify its links.
struct Structure {
  std::map<std::string, int> types;  // component type -> count
  int planar = 0, vertical = 0, skip = 0, other_router_links = 0;
  int unit_planar = 0;               // planar router links of one grid step
  std::map<int, int> planar_by_tier;
};

Structure structure(const std::string& file) {
  Harness h;
  auto engine = h.build("include = [\"" + topo(file).string() + "\"]\n");
  const auto& sys = engine->system();
  Structure s;
  for (const auto& c : sys.components) s.types[c.type]++;
  for (const auto& l : sys.links) {
    const auto* a = sys.find(l.a.component);
    const auto* b = sys.find(l.b.component);
    if (!a || !b || a->type != "noc.router" || b->type != "noc.router") continue;
    std::vector<int> ia = a->index, ib = b->index;
    ia.resize(3, 0), ib.resize(3, 0);
    const int dx = std::abs(ia[0] - ib[0]), dy = std::abs(ia[1] - ib[1]), dz = std::abs(ia[2] - ib[2]);
    if (dz == 0) {
      ++s.planar;
      ++s.planar_by_tier[ia[2]];
      if (dx + dy == 1) ++s.unit_planar;
    } else if (dx == 0 && dy == 0 && dz == 1) {
      ++s.vertical;
    } else if (dx == 0 && dy == 0) {
      ++s.skip;
    } else {
      ++s.other_router_links;
    }
  }
  return s;
}

}  // namespace

TEST_CASE("atleus: every topology and experiment file passes strata check", "[atleus][e2e]") {
  int n = 0;
  std::vector<fs::path> files;
  for (auto& e : fs::directory_iterator(source_dir() / "topologies"))
    if (e.path().extension() == ".toml") files.push_back(e.path());
  for (auto& e : fs::recursive_directory_iterator(source_dir() / "experiments"))
    if (e.path().extension() == ".toml") files.push_back(e.path());
  for (const auto& f : files) {
    auto r = cli("check " + f.string());
    INFO(f.string() << "\n" << r.out);
    CHECK(r.rc == 0);
    ++n;
  }
  CHECK(n >= 16);
}

TEST_CASE("atleus: the chip as published, link counts from closed forms", "[atleus][e2e]") {
  const int X = 4, Y = 4, T = 4, R = 3;  // 4x4 cores per tier, 4 tiers, 3 of them ReRAM
  const int per_tier = X * Y;
  const int chain = R * (per_tier - 1);                // Hilbert chain: N - 1 links per ReRAM tier
  const int sa_mesh = (X - 1) * Y + X * (Y - 1);       // 2D mesh of the SA tier
  const int tsv = (T - 1) * per_tier;                  // adjacent tiers at every (x, y)
  const int skip = per_tier;                           // SA tier -> far ReRAM tier
  SECTION("atleus.toml") {
    auto s = structure("atleus.toml");
    CHECK(s.types["pim.reram_core"] == 48);
    CHECK(s.types["systolic.array"] == 16);
    CHECK(s.types["pim.reram_core"] + s.types["systolic.array"] == 64);
    CHECK(s.types["noc.router"] == 64);
    CHECK(s.types["noc.ni"] == 64);
    CHECK(s.types["memory.hbm"] == 1);
    CHECK(s.types["workload.transformer"] == 1);
    CHECK(chain == 45);
    CHECK(s.planar_by_tier[0] == per_tier - 1);
    CHECK(s.planar_by_tier[1] == per_tier - 1);
    CHECK(s.planar_by_tier[2] == per_tier - 1);
    CHECK(s.planar_by_tier[3] == sa_mesh);
    CHECK(s.planar == chain + sa_mesh);
    CHECK(s.unit_planar == s.planar);  // a Hilbert curve steps to a neighbour
    CHECK(s.vertical == 48);
    CHECK(s.vertical == tsv);
    CHECK(s.skip == 16);
    CHECK(s.skip == skip);
    CHECK(s.other_router_links == 0);
  }
  SECTION("atleus_mesh3d.toml: a full 3D mesh, no skip TSVs") {
    auto s = structure("atleus_mesh3d.toml");
    CHECK(s.planar == T * 2 * (X - 1) * Y);
    CHECK(s.vertical == tsv);
    CHECK(s.skip == 0);
  }
  SECTION("atleus_mesh3d_skip.toml: 3D mesh + 16 skip TSVs") {
    auto s = structure("atleus_mesh3d_skip.toml");
    CHECK(s.planar == T * 2 * (X - 1) * Y);
    CHECK(s.vertical == tsv);
    CHECK(s.skip == skip);
  }
  SECTION("tpu3d.toml: 16 cores of 128x128, 2x2 per tier, 3D torus") {
    auto s = structure("tpu3d.toml");
    CHECK(s.types["systolic.array"] == 16);
    CHECK(s.types.count("pim.reram_core") == 0);
    // 2-rings are single links: x and y are meshes (1 link per row of 2), z a ring of 4
    CHECK(s.planar == 2 * (1 * 2) * 4);
    CHECK(s.vertical == 3 * 4);
    CHECK(s.skip == 4);  // the z wrap links 3 -> 0
  }
  SECTION("planar.toml: the 64 Atleus cores on an 8x8 mesh") {
    auto s = structure("planar.toml");
    CHECK(s.types["pim.reram_core"] == 48);
    CHECK(s.types["systolic.array"] == 16);
    CHECK(s.planar == 2 * 7 * 8);
    CHECK(s.vertical + s.skip == 0);
  }
}

TEST_CASE("atleus: tiny runs of every design complete, and the report normalises them", "[atleus][e2e]") {
  TempDir tmp;
  // one layer, one sequence of 32 tokens: seconds, not minutes
  const std::string tiny = " --set wl.layers=1 --set wl.batch=1 --set wl.micro_batches=1 --set wl.seq_len=32 -q";
  std::map<std::string, json> stats;
  for (std::string d : {"atleus", "tpu3d", "planar", "gpu", "atleus_mesh3d", "atleus_mesh3d_skip"}) {
    for (std::string mode : {"lora_finetune", "inference"}) {
      if (mode == "inference" && d != "atleus") continue;
      fs::path out = tmp.path / (d + "_" + mode);
      auto r = cli("run " + topo(d + ".toml").string() + tiny + " --set wl.mode=" + mode + " --out " + out.string());
      INFO(d << " " << mode << "\n" << r.out);
      REQUIRE(r.rc == 0);
      CHECK(read_json(out / "run.json")["status"] == "ok");
      auto s = read_json(out / "stats.json");
      const auto& w = s["components"]["wl"]["stats"];
      CHECK(w["ops"].get<std::uint64_t>() > 0);
      CHECK(w["ops"] == w["ops_issued"]);
      CHECK(w["latency"].get<std::uint64_t>() > 0);
      if (d == "atleus" || d == "planar") {
        CHECK(w["pim_cores_used"].get<int>() > 0);  // frozen weights on ReRAM
        CHECK(w["overflow_ops"] == 0);
      }
      if (mode == "lora_finetune") stats[d] = s;
    }
  }
  // The report: speedup = latency(baseline) / latency, energy gain = E(baseline) / E with the
  // replay's energy = dynamic - setup + static x latency / end_time, computed here.
  auto energy = [](const json& s) {
    const auto& w = s["components"]["wl"]["stats"];
    const double lat = w["latency"].get<double>(), end = s["simulation"]["end_time_ps"].get<double>();
    return s["totals"]["dynamic_j"].get<double>() - w["setup_energy"]["sum"].get<double>() +
           s["totals"]["static_j"].get<double>() * lat / end;
  };
  auto r = cli("report atleus=" + (tmp.path / "atleus_lora_finetune").string() +
                  " tpu3d=" + (tmp.path / "tpu3d_lora_finetune").string() +
                  " gpu=" + (tmp.path / "gpu_lora_finetune").string() + " --baseline tpu3d --out " +
                  (tmp.path / "rep" / "report.md").string());
  INFO(r.out);
  REQUIRE(r.rc == 0);
  const auto table = strata::testing::read_csv(tmp.path / "rep" / "report.csv");
  REQUIRE_FALSE(table.empty());
  CHECK(strata::testing::slurp(tmp.path / "rep" / "report.csv").rfind("group,design,status,latency_s", 0) == 0);
  std::map<std::string, std::vector<std::string>> rows;  // by design
  for (std::size_t i = 1; i < table.size(); ++i) rows[table[i].at(1)] = table[i];
  REQUIRE(rows.size() == 3);
  const double lat_base = stats["tpu3d"]["components"]["wl"]["stats"]["latency"].get<double>();
  const double e_base = energy(stats["tpu3d"]);
  for (std::string d : {"atleus", "tpu3d", "gpu"}) {
    const auto& row = rows[d];
    const double lat = stats[d]["components"]["wl"]["stats"]["latency"].get<double>();
    CHECK(std::stod(row.at(3)) == Approx(lat * 1e-12).epsilon(1e-8));
    CHECK(std::stod(row.at(7)) == Approx(energy(stats[d])).epsilon(1e-8));
    CHECK(std::stod(row.at(12)) == Approx(lat_base / lat).epsilon(1e-8));                              // speedup
    CHECK(std::stod(row.at(13)) == Approx(e_base / energy(stats[d])).epsilon(1e-8));                   // energy gain
    CHECK(std::stod(row.at(14)) == Approx(e_base * lat_base / (energy(stats[d]) * lat)).epsilon(1e-8));  // EDP gain
  }
  CHECK(std::stod(rows["tpu3d"].at(12)) == 1.0);
  // the Markdown names the baseline and links its charts, which are SVG files
  std::ifstream md(tmp.path / "rep" / "report.md");
  std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  CHECK(text.find("Normalised to tpu3d") != std::string::npos);
  CHECK(text.find("](report_speedup.svg)") != std::string::npos);
  std::ifstream svg(tmp.path / "rep" / "report_speedup.svg");
  std::string s((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
  CHECK(s.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  CHECK(s.find("</svg>") != std::string::npos);
  // bad input: an unknown baseline is exit 2
  CHECK(cli("report " + (tmp.path / "gpu_lora_finetune").string() + " --baseline nope --out " +
               (tmp.path / "x.md").string())
            .rc == 2);
}

TEST_CASE("atleus: report of a sweep folder groups by the swept axes and normalises per group", "[atleus][e2e]") {
  TempDir tmp;
  // Two hand-made sweeps (design A and B) over one axis "wl.model" = m1, m2: the numbers are
  // chosen here, so every ratio is known exactly.
  auto make = [&](const std::string& name, const std::vector<double>& lat_ps, const std::vector<double>& dyn) {
    fs::path d = tmp.path / name;
    std::string csv = "point,wl.model,status,end_time_ps,events,energy_j,dynamic_j,static_j\n";
    for (std::size_t k = 0; k < lat_ps.size(); ++k) {
      fs::path p = d / "points" / ("p000" + std::to_string(k));
      fs::create_directories(p);
      const double end = lat_ps[k] * 2, stat = 0.5;
      json s = {{"simulation", {{"end_time_ps", end}}},
                {"totals", {{"energy_j", dyn[k] + stat}, {"dynamic_j", dyn[k]}, {"static_j", stat}}},
                {"components",
                 {{"wl",
                   {{"stats",
                     {{"latency", lat_ps[k]},
                      {"setup_time", lat_ps[k]},
                      {"setup_energy", {{"sum", 0.1}, {"count", 1}}},
                      {"throughput", {{"mean", 4.0 / (lat_ps[k] * 1e-12)}}}}}}}}}};
      std::ofstream(p / "stats.json") << s.dump();
      std::ofstream(p / "run.json") << R"({"status":"ok"})";
      csv += std::to_string(k) + ",m" + std::to_string(k + 1) + ",ok," + std::to_string(end) + ",1,0,0,0\n";
    }
    std::ofstream(d / "sweep.csv") << csv;
  };
  make("A", {1e9, 4e9}, {1.1, 2.1});
  make("B", {2e9, 1e9}, {3.1, 1.1});
  auto r = cli("report " + (tmp.path / "A").string() + " " + (tmp.path / "B").string() + " --baseline A --out " +
                  (tmp.path / "r.md").string());
  INFO(r.out);
  REQUIRE(r.rc == 0);
  const auto table = strata::testing::read_csv(tmp.path / "r.csv");
  std::map<std::string, std::vector<std::string>> rows;  // by group/design
  for (std::size_t i = 1; i < table.size(); ++i) rows[table[i].at(0) + "/" + table[i].at(1)] = table[i];
  REQUIRE(rows.size() == 4);
  // energy of a point = (dyn - 0.1) + 0.5 x latency / (2 latency) = dyn + 0.15
  CHECK(std::stod(rows["m1/B"].at(7)) == Approx(3.25));
  CHECK(std::stod(rows["m1/B"].at(12)) == Approx(0.5));           // 1 ms / 2 ms
  CHECK(std::stod(rows["m2/B"].at(12)) == Approx(4.0));           // 4 ms / 1 ms
  CHECK(std::stod(rows["m1/B"].at(13)) == Approx(1.25 / 3.25));   // energy gain
  CHECK(std::stod(rows["m2/B"].at(13)) == Approx(2.25 / 1.25));
  CHECK(std::stod(rows["m2/B"].at(15)) == Approx(2.0 / 1.0));     // dynamic-energy gain
  CHECK(std::stod(rows["m1/A"].at(12)) == 1.0);
  CHECK(std::stod(rows["m2/A"].at(9)) == Approx(4.0 / 2.25));     // sequences per joule
  // the geometric mean of the speedups (0.5 and 4) is sqrt(2)
  std::ifstream md(tmp.path / "r.md");
  std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  CHECK(text.find("| **geometric mean** | **1** | **1.414** |") != std::string::npos);
}

TEST_CASE("atleus: the GPU baseline's roofline equals its closed form", "[atleus][e2e]") {
  // One BERT-base projection of 4 x 128 tokens (W8A8) on the V100 preset of gpu.toml:
  // t = 5 us + max(2 m k n / (125 TFLOP/s x 0.6), (mk + kn + mn) B / (900 GB/s x 0.83)).
  Harness h;
  auto r = h.run(R"(
[[component]]
name = "gpu"
type = "gpu.roofline"
preset = "v100"

[[component]]
name = "drv"
type = "workload.ops"
params = { op = "gemm", m = [512, 512], k = [768, 3072], n = [768, 768], mode = "serial" }

[[link]]
from = "drv.cores[]"
to = "gpu.ctrl"
latency = "1ns"
)");
  auto t = [](double m, double k, double n) {
    const double c = 2 * m * k * n / (125e12 * 0.6), b = (m * k + k * n + m * n) / (900e9 * 0.83);
    return 5'000'000 + static_cast<std::uint64_t>(std::ceil(std::max(c, b) * 1e12));
  };
  CHECK(r.stats["components"]["gpu"]["stats"]["busy"] == t(512, 768, 768) + t(512, 3072, 768));
  CHECK(r.stats["components"]["drv"]["stats"]["makespan"] == t(512, 768, 768) + t(512, 3072, 768) + 4000);
}
