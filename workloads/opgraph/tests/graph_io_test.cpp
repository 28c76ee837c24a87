#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <strata/opgraph/graph_io.hpp>

#include "test_support.hpp"

using namespace opg_test;
using json = nlohmann::json;

namespace {
// A small graph with every feature the format carries (LoRA fine-tuning of a tiny Llama).
Graph sample_graph() {
  WorkloadSpec w;
  w.mode = Mode::lora_finetune;
  w.batch = 2;
  w.seq_len = 6;
  w.lora_rank = 4;
  w.lora_targets = {"q", "v", "down"};
  return generate(tiny_llama(), w);
}

json sample_json() { return json::parse(write_graph_string(sample_graph())); }

// Writes a (broken) file and returns the reader's message.
std::string read_error(const TempDir& dir, const std::string& text, fs::path* path_out = nullptr) {
  const fs::path path = dir.write("broken.json", text);
  if (path_out) *path_out = path;
  try {
    read_graph(path);
  } catch (const GraphFormatError& e) {
    CHECK(e.file() == path.string());
    return e.what();
  }
  return "(no error)";
}

std::string read_error(const TempDir& dir, const json& j) { return read_error(dir, j.dump(1)); }

std::size_t first_gemm(const json& j) {
  for (std::size_t i = 0; i < j["ops"].size(); ++i)
    if (j["ops"][i]["kind"] == "gemm") return i;
  FAIL("no gemm");
  return 0;
}
}  // namespace

TEST_CASE("graph file: write then read gives an identical graph", "[opgraph][io]") {
  TempDir dir;
  const Graph g = sample_graph();
  const fs::path path = dir.path / "g.json";
  write_graph(g, path);
  const Graph back = read_graph(path);
  CHECK(back.info == g.info);
  CHECK(back.parameters == g.parameters);
  CHECK(back.edges == g.edges);
  REQUIRE(back.ops.size() == g.ops.size());
  for (std::size_t i = 0; i < g.ops.size(); ++i) REQUIRE(back.ops[i] == g.ops[i]);
  CHECK(back == g);
  CHECK(write_graph_string(back) == write_graph_string(g));  // the text is stable too
}

TEST_CASE("graph file: decode graphs round-trip as well", "[opgraph][io]") {
  WorkloadSpec w;
  w.mode = Mode::decode;
  w.seq_len = 3;
  w.decode_tokens = 2;
  const Graph g = generate(tiny_llama(), w);
  CHECK(read_graph_string(write_graph_string(g)) == g);
}

TEST_CASE("graph file: not JSON is reported at line:column", "[opgraph][io]") {
  TempDir dir;
  fs::path path;
  const std::string msg = read_error(dir, "{\n  \"format\": \"strata-opgraph\",\n  oops: 1\n}\n", &path);
  CHECK_THAT(msg, Catch::StartsWith(path.string() + ":3:3: error: not valid JSON"));
}

TEST_CASE("graph file: wrong format or version", "[opgraph][io]") {
  TempDir dir;
  json j = sample_json();
  j["format"] = "onnx";
  CHECK_THAT(read_error(dir, j), Catch::Contains("/format") && Catch::Contains("wrong format: \"onnx\""));
  j = sample_json();
  j["version"] = 2;
  CHECK_THAT(read_error(dir, j), Catch::Contains("/version") && Catch::Contains("unsupported version 2"));
  j = sample_json();
  j.erase("version");
  CHECK_THAT(read_error(dir, j), Catch::Contains("missing required key \"version\""));
}

TEST_CASE("graph file: missing fields name the op", "[opgraph][io]") {
  TempDir dir;
  json j = sample_json();
  const std::size_t i = first_gemm(j);
  const std::string name = j["ops"][i]["name"];
  j["ops"][i].erase("kind");
  const std::string msg = read_error(dir, j);
  CHECK_THAT(msg, Catch::Contains(fmt::format("/ops/{} (op {} \"{}\")", i, i, name)));
  CHECK_THAT(msg, Catch::Contains("missing required key \"kind\""));
  j = sample_json();
  j["ops"][i]["shape"].erase("k");
  CHECK_THAT(read_error(dir, j), Catch::Contains(fmt::format("/ops/{}/shape", i)) &&
                                     Catch::Contains("missing required key \"k\""));
  j = sample_json();
  j.erase("edges");
  CHECK_THAT(read_error(dir, j), Catch::Contains("missing required key \"edges\""));
}

TEST_CASE("graph file: wrong types", "[opgraph][io]") {
  TempDir dir;
  json j = sample_json();
  const std::size_t i = first_gemm(j);
  j["ops"][i]["shape"]["m"] = "big";
  CHECK_THAT(read_error(dir, j), Catch::Contains(fmt::format("/ops/{}/shape/m", i)) &&
                                     Catch::Contains("wrong type: expected an integer, got a string"));
  j = sample_json();
  j["ops"][i]["shape"]["m"] = 2.5;
  CHECK_THAT(read_error(dir, j), Catch::Contains("got a float"));
  j = sample_json();
  j["ops"] = json::object();
  CHECK_THAT(read_error(dir, j), Catch::Contains("/ops") && Catch::Contains("expected an array, got an object"));
  j = sample_json();
  j["ops"][i]["b"]["static"] = 1;
  CHECK_THAT(read_error(dir, j), Catch::Contains(fmt::format("/ops/{}/b/static", i)) &&
                                     Catch::Contains("expected a boolean"));
}

TEST_CASE("graph file: unknown op kind and unknown keys", "[opgraph][io]") {
  TempDir dir;
  json j = sample_json();
  const std::size_t i = first_gemm(j);
  j["ops"][i]["kind"] = "gemmm";
  CHECK_THAT(read_error(dir, j), Catch::Contains(fmt::format("/ops/{}/kind", i)) &&
                                     Catch::Contains("unknown op kind \"gemmm\" (did you mean \"gemm\"?)"));
  j = sample_json();
  j["ops"][i]["colour"] = "red";
  CHECK_THAT(read_error(dir, j), Catch::Contains(fmt::format("/ops/{}/colour", i)) &&
                                     Catch::Contains("unknown key \"colour\""));
}

TEST_CASE("graph file: dangling edges and parameter references", "[opgraph][io]") {
  TempDir dir;
  json j = sample_json();
  const std::size_t n = j["ops"].size();
  j["edges"][3]["dst"] = n + 5;
  CHECK_THAT(read_error(dir, j), Catch::Contains("/edges/3/dst") && Catch::Contains("dangling edge") &&
                                     Catch::Contains(fmt::format("{}", n + 5)));
  j = sample_json();
  const std::size_t i = first_gemm(j);
  j["ops"][i]["params"] = {9999};
  CHECK_THAT(read_error(dir, j), Catch::Contains(fmt::format("/ops/{}/params/0", i)) &&
                                     Catch::Contains("dangling parameter reference 9999"));
}

TEST_CASE("graph file: a cycle names an op on it", "[opgraph][io]") {
  TempDir dir;
  json j = sample_json();
  // Close a loop: the last op feeds back into the first op's consumer chain.
  const json& e0 = j["edges"][0];
  const std::size_t src = e0["src"], dst = e0["dst"];
  j["edges"].push_back({{"src", dst}, {"dst", src}, {"bytes", 1}});
  const std::string msg = read_error(dir, j);
  CHECK_THAT(msg, Catch::Contains("cycle"));
  const std::string a = j["ops"][src]["name"], b = j["ops"][dst]["name"];
  CHECK_THAT(msg, Catch::Contains("\"" + a + "\"") && Catch::Contains("\"" + b + "\""));
}

TEST_CASE("graph file: absurd sizes and negative numbers", "[opgraph][io]") {
  TempDir dir;
  json j = sample_json();
  const std::size_t i = first_gemm(j);
  j["ops"][i]["shape"]["n"] = (1ull << 31) + 1;
  CHECK_THAT(read_error(dir, j), Catch::Contains(fmt::format("/ops/{}/shape/n", i)) &&
                                     Catch::Contains("absurd size") && Catch::Contains("2^31"));
  j = sample_json();
  j["edges"][0]["bytes"] = 1ull << 51;
  CHECK_THAT(read_error(dir, j), Catch::Contains("/edges/0/bytes") && Catch::Contains("absurd size"));
  j = sample_json();
  j["ops"][i]["shape"]["m"] = -4;
  CHECK_THAT(read_error(dir, j), Catch::Contains(fmt::format("/ops/{}/shape/m", i)) &&
                                     Catch::Contains("negative number -4"));
  j = sample_json();
  // Each dimension in range, but the operand is not: 2^31 x 2^31 x 64 bits.
  j["ops"][i]["shape"]["m"] = 1ull << 31;
  j["ops"][i]["shape"]["k"] = 1ull << 31;
  j["ops"][i]["a"]["bits"] = 64;
  CHECK_THAT(read_error(dir, j), Catch::Contains("absurd size: operand a"));
  j = sample_json();
  j["ops"][i]["a"]["bits"] = 65;
  CHECK_THAT(read_error(dir, j), Catch::Contains(fmt::format("/ops/{}/a/bits", i)) && Catch::Contains("absurd"));
  j = sample_json();
  j["edges"][0]["bytes"] = 1e300;
  CHECK_THAT(read_error(dir, j), Catch::Contains("absurd size"));
}

TEST_CASE("graph file: ids must match positions; a missing file is named", "[opgraph][io]") {
  TempDir dir;
  json j = sample_json();
  j["ops"][2]["id"] = 7;
  CHECK_THAT(read_error(dir, j), Catch::Contains("/ops/2/id") && Catch::Contains("must equal its position 2"));
  CHECK_THROWS_WITH(read_graph(dir.path / "nope.json"), Catch::Contains("nope.json: error: cannot open"));
}

TEST_CASE("graph file: a mapping_table is kept verbatim, in file order; a wrong type is named", "[opgraph][io]") {
  TempDir dir;
  Graph g = sample_graph();
  // Keys out of alphabetical order: the order is the rules' priority and must survive.
  g.mapping_table = R"({"kind:softmax":"pim","L0.*":"sa","kind:gelu":3})";
  const fs::path path = dir.path / "g.json";
  write_graph(g, path);
  const Graph back = read_graph(path);
  CHECK(back.mapping_table == g.mapping_table);
  CHECK(back == g);
  CHECK(read_graph_string(write_graph_string(sample_graph())).mapping_table.empty());

  json j = sample_json();
  j["mapping_table"] = "sa";
  CHECK_THAT(read_error(dir, j), Catch::Contains("/mapping_table") && Catch::Contains("expected an object or an array"));
  j["mapping_table"] = json::array({json{{"kind", "softmax"}, {"core", "sa"}}});
  const fs::path p2 = dir.write("arr.json", j.dump());
  CHECK(read_graph(p2).mapping_table == R"([{"core":"sa","kind":"softmax"}])");  // nlohmann::json sorts this test's keys
}
