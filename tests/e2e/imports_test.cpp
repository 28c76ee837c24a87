// Graphs of other tools on the Atleus chip (experiments/imports/, workloads/opgraph
// importers): a Chakra trace exported by `strata graph` replays with the same statistics as
// the native graph; the shipped Chakra, PyTorch and ONNX experiments complete on
// topologies/atleus.toml and say what they imported; broken files stop with exit 2.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;
using strata::testing::run_strata;
using strata::testing::source_dir;

namespace {

struct TempDir : strata::testing::TempDir {
  TempDir() : strata::testing::TempDir("strata-imports") {}
};

json read_json(const fs::path& p) {
  std::ifstream f(p);
  return json::parse(f);
}

std::string atleus() { return fs::absolute(source_dir() / "topologies" / "atleus.toml").string(); }

// `strata run` of Atleus replaying `graph`; returns stats.json.
json run_graph(const fs::path& graph, const fs::path& out, const std::string& extra = "") {
  auto r = run_strata("run " + atleus() + " -q --set wl.graph_file=" + graph.string() +
                      " --set wl.micro_batches=1 --out " + out.string() + extra, "", 300);
  INFO(r.out);
  REQUIRE(r.rc == 0);
  return read_json(out / "stats.json");
}

}  // namespace

TEST_CASE("imports: a Chakra trace exported by strata graph replays exactly like the native graph",
          "[imports][chakra][e2e]") {
  TempDir dir;
  const std::string model = (source_dir() / "workloads" / "pytorch" / "bert_tiny.toml").string();
  for (const char* fmt : {"strata", "chakra"}) {
    auto r = run_strata("graph " + model + " --mode lora_finetune --seq 16 --lora-rank 4 --format " + fmt + " --out " +
                        (dir.path / (std::string("g.") + (fmt[0] == 'c' ? "et" : "json"))).string());
    INFO(r.out);
    REQUIRE(r.rc == 0);
  }
  json native = run_graph(dir.path / "g.json", dir.path / "native");
  json imported = run_graph(dir.path / "g.et", dir.path / "imported");
  json wn = native["components"]["wl"]["stats"], wi = imported["components"]["wl"]["stats"];
  // The import's own counters exist only for a foreign file; everything else is equal.
  CHECK(wi["import_nodes"] == wn["ops"]);
  CHECK(wi["import_skipped_nodes"] == 0);
  for (auto it = wi.begin(); it != wi.end();)
    it = it.key().rfind("import_", 0) == 0 ? wi.erase(it) : std::next(it);
  CHECK(wi == wn);
  CHECK(imported["totals"] == native["totals"]);
  CHECK(imported["simulation"]["end_time"] == native["simulation"]["end_time"]);
}

TEST_CASE("imports: the shipped Chakra, PyTorch and ONNX workloads complete on Atleus and say what they imported",
          "[imports][e2e]") {
  TempDir dir;
  struct Case {
    fs::path file;
    std::string format;
    int nodes, ops;
  };
  // Node counts: the files' own (113 nodes of Strata's Chakra export; the PyTorch trace's
  // 1570 recorded calls and their 350 outermost ones as a foreign Chakra trace; the ONNX
  // graph's 102 nodes); ops: what the importers make of them (unit tests beside them).
  const fs::path fx = source_dir() / "workloads" / "pytorch" / "fixtures";
  for (const Case& c : {Case{source_dir() / "experiments" / "imports" / "bert_tiny_lora.et", "chakra", 113, 113},
                        Case{fx / "bert_tiny_train_et.json", "pytorch", 1570, 128},
                        Case{fx / "bert_tiny_train.et", "chakra", 350, 155}, Case{fx / "bert_tiny.onnx", "onnx", 102, 35}}) {
    const fs::path f = fs::absolute(c.file);
    const fs::path out = dir.path / c.format;
    auto r = run_strata("run " + atleus() + " --set wl.graph_file=" + f.string() + " --set wl.micro_batches=1 --out " +
                        out.string(), "", 300);
    INFO(r.out);
    REQUIRE(r.rc == 0);
    CHECK(r.out.find(fmt::format("import {} ({}): {} nodes -> {} ops", f.string(), c.format, c.nodes, c.ops)) !=
          std::string::npos);
    json s = read_json(out / "stats.json")["components"]["wl"]["stats"];
    CHECK(s["ops"] == c.ops);
    CHECK(s["import_nodes"] == c.nodes);
    CHECK(s["import_ops"] == c.ops);
    if (c.ops != c.nodes) {  // views, reshapes, bias adds, CPU operators...: skipped, and listed
      CHECK(s["import_skipped_nodes"].get<int>() > 0);
      CHECK(r.out.find("skipped ") != std::string::npos);
    }
  }
}

TEST_CASE("imports: a broken trace stops the run with exit 2 naming the byte", "[imports][chakra][e2e]") {
  TempDir dir;
  const fs::path et = dir.path / "broken.et";
  {
    std::ifstream in(source_dir() / "experiments" / "imports" / "bert_tiny_lora.et", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(et, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  auto r = run_strata("run " + atleus() + " -q --set wl.graph_file=" + et.string() + " --out " + (dir.path / "o").string());
  INFO(r.out);
  CHECK(r.rc == 2);
  CHECK(r.out.find("broken.et: error: byte ") != std::string::npos);
}
