// import_bench - how fast a 100,000-op graph is read and validated from each format the
// importers read (workloads/opgraph/importers.hpp), beside Strata's own JSON reader:
//   * Json:    read_graph_string (strata-opgraph JSON, FORMAT.md)
//   * Chakra:  read_chakra_bytes of the same graph as Strata writes it (strata.* attributes:
//              the exact graph back)
//   * ChakraForeign: the same nodes with a GlobalMetadata that does not say Strata wrote it:
//              the foreign-trace path (operation counts, dependency bridge, report)
// The graph: GPT-2 small decoding 173 tokens after a 16-token prompt (every step's layers,
// heads, KV appends: a real graph's structure), about 100k ops. Serialising is outside the
// timed region; every read ends in Graph::validate(). items_per_second = ops read per second.
#include <benchmark/benchmark.h>

#include <strata/opgraph/generators.hpp>
#include <strata/opgraph/graph_io.hpp>
#include <strata/opgraph/importers.hpp>
#include <strata/opgraph/model_config.hpp>

#include <sstream>
#include <stdexcept>
#include <string>

namespace {

using namespace strata::opgraph;

const Graph& graph() {
  static const Graph g = [] {
    const ModelConfig m = load_model_config(std::string(STRATA_SOURCE_DIR_DEFAULT) + "/workloads/models/gpt2-small.toml");
    WorkloadSpec w;
    w.mode = Mode::decode;
    w.seq_len = 16;
    w.decode_tokens = 173;
    return generate(m, w);
  }();
  return g;
}

const std::string& json_text() {
  static const std::string s = write_graph_string(graph());
  return s;
}

const std::string& chakra_bytes() {
  static const std::string s = [] {
    std::ostringstream o;
    write_chakra(graph(), o);
    return o.str();
  }();
  return s;
}

// The same nodes after a plain GlobalMetadata (version only): read as a foreign trace.
const std::string& chakra_foreign() {
  static const std::string s = [] {
    const std::string& et = chakra_bytes();
    std::size_t p = 0;
    std::uint64_t len = 0;
    for (int shift = 0;; shift += 7) {
      const auto b = static_cast<unsigned char>(et[p++]);
      len |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    return std::string("\x07\x0a\x05" "0.0.4", 8) + et.substr(p + len);
  }();
  return s;
}

void report(benchmark::State& st, std::size_t bytes) {
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * graph().ops.size()));
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * bytes));
  st.counters["ops"] = static_cast<double>(graph().ops.size());
  st.counters["file_MB"] = static_cast<double>(bytes) / 1e6;
}

void BM_ReadJson(benchmark::State& st) {
  for (auto _ : st) {
    Graph g = read_graph_string(json_text(), "g.json");
    benchmark::DoNotOptimize(g.ops.data());
  }
  report(st, json_text().size());
}

void BM_ReadChakra(benchmark::State& st) {
  for (auto _ : st) {
    Graph g = read_chakra_bytes(chakra_bytes(), "g.et");
    benchmark::DoNotOptimize(g.ops.data());
  }
  report(st, chakra_bytes().size());
}

void BM_ReadChakraForeign(benchmark::State& st) {
  for (auto _ : st) {
    ImportReport rep;
    Graph g = read_chakra_bytes(chakra_foreign(), "f.et", {}, &rep);
    benchmark::DoNotOptimize(g.ops.data());
  }
  report(st, chakra_foreign().size());
}

}  // namespace

BENCHMARK(BM_ReadJson)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_ReadChakra)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_ReadChakraForeign)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK_MAIN();
