// Results the workload publishes beside the end-to-end latency: per-layer and per-phase
// latency spans, per-step latency of decode, the PIM/SA shares of requests, FLOPs and
// energy, transfers by core class, ReRAM writes. Expected values are derived here from the
// graph and the fakes' closed forms.
#include "test_util.hpp"

#include "mapping.hpp"

#include <strata/opgraph/graph_io.hpp>

#include <catch2/catch.hpp>

#include <set>

using namespace tf_test;
using strata::Time;
using strata::transformer::is_frozen_static_gemm;

namespace {

double acc_sum(const nlohmann::ordered_json& s, const std::string& name) { return s.at(name).at("sum").get<double>(); }
std::uint64_t acc_count(const nlohmann::ordered_json& s, const std::string& name) {
  return s.at(name).at("count").get<std::uint64_t>();
}

// Six ops in a chain on one SA core: two layers forward, the same two backward, an update.
constexpr const char* kChain = R"({
  "format": "strata-opgraph", "version": 1, "model": {"name": "chain"},
  "parameters": [{"name": "w", "elements": 100, "bits": 8, "trainable": true}],
  "ops": [
    {"id": 0, "name": "L0.a", "kind": "softmax", "phase": "forward", "layer": 0, "shape": {"elements": 1000}, "a": {"bits": 8}, "out": {"bits": 8}},
    {"id": 1, "name": "L0.b", "kind": "softmax", "phase": "forward", "layer": 0, "shape": {"elements": 2000}, "a": {"bits": 8}, "out": {"bits": 8}},
    {"id": 2, "name": "L1.a", "kind": "softmax", "phase": "forward", "layer": 1, "shape": {"elements": 500}, "a": {"bits": 8}, "out": {"bits": 8}},
    {"id": 3, "name": "L1.g", "kind": "layernorm_grad", "phase": "backward", "layer": 1, "shape": {"elements": 300}, "a": {"bits": 16}, "b": {"bits": 8}, "out": {"bits": 16}},
    {"id": 4, "name": "L0.g", "kind": "layernorm_grad", "phase": "backward", "layer": 0, "shape": {"elements": 200}, "a": {"bits": 16}, "b": {"bits": 8}, "out": {"bits": 16}},
    {"id": 5, "name": "upd", "kind": "weight_update", "phase": "update", "shape": {"elements": 100}, "a": {"bits": 16}, "b": {"bits": 8, "static": true}, "out": {"bits": 8}, "params": [0]}
  ],
  "edges": [{"src": 0, "dst": 1, "bytes": 1000}, {"src": 1, "dst": 2, "bytes": 2000}, {"src": 2, "dst": 3, "bytes": 500},
            {"src": 3, "dst": 4, "bytes": 600}, {"src": 4, "dst": 5, "bytes": 200}]
})";

}  // namespace

TEST_CASE("results: per-layer and per-phase latency spans of a hand-made chain", "[transformer][results]") {
  TempDir tmp;
  const auto file = tmp.write("chain.json", kChain);
  const og::Graph g = og::read_graph(file);
  Chip chip{.pim = 0};  // one FIFO SA core: 3 ps per element, 1 ns control links
  strata::testing::Harness h;
  const auto r = h.run(chip_toml(chip, fmt::format(R"(graph_file = "{}", mapping = "sa_only", offchip = "")", file.string())));
  const auto& s = wl_stats(r);
  // Op i of the chain is issued when op i-1 answered: done_i = done_{i-1} + 1 ns + 3 ps x elements + 1 ns.
  const Time Lc = 1000, e = 3;
  std::vector<Time> done;
  Time t = 0;
  for (const auto& op : g.ops) done.push_back(t = t + Lc + e * op.shape.elements + Lc);
  REQUIRE(done.back() == 24300);
  CHECK(s["latency"].get<Time>() == done[5]);
  // A span runs from the first issue of its ops to the last answer.
  CHECK(acc_sum(s, "layer.0.forward.latency") == done[1] - 0);
  CHECK(acc_sum(s, "layer.1.forward.latency") == done[2] - done[1]);
  CHECK(acc_sum(s, "layer.1.backward.latency") == done[3] - done[2]);
  CHECK(acc_sum(s, "layer.0.backward.latency") == done[4] - done[3]);
  CHECK(acc_count(s, "layer.0.forward.latency") == 1);
  CHECK(acc_sum(s, "phase.forward.latency") == done[2]);
  CHECK(acc_sum(s, "phase.backward.latency") == done[4] - done[2]);
  CHECK(acc_sum(s, "phase.update.latency") == done[5] - done[4]);
  CHECK(acc_count(s, "layer_latency") == 4);
  CHECK(acc_sum(s, "layer_latency") == done[4]);  // the four spans above tile [0, done[4])
  CHECK_FALSE(s.contains("layer.0.update.latency"));  // the update op belongs to no layer
  CHECK(acc_count(s, "step_latency") == 0);          // not a decode graph
  // Energy per layer: the fake books 1 pJ per vector element.
  CHECK(acc_sum(s, "layer.0.forward.energy") == Approx(3000e-12));
  CHECK(acc_sum(s, "layer.1.backward.energy") == Approx(300e-12));
  // All on SA.
  std::uint64_t flops = 0;
  for (const auto& op : g.ops) flops += op.flops();
  CHECK(s["sa.requests"].get<std::uint64_t>() == 6);
  CHECK(s["pim.requests"].get<std::uint64_t>() == 0);
  CHECK(s["sa.flops"].get<std::uint64_t>() == flops);
  CHECK(acc_sum(s, "sa.request_share") == 1.0);
  CHECK(acc_sum(s, "pim.flop_share") == 0.0);
  CHECK(acc_sum(s, "sa.energy_share") == 1.0);
}

TEST_CASE("results: PIM/SA shares, transfers by class and ReRAM writes follow from the graph", "[transformer][results]") {
  TempDir tmp;
  const auto model = tmp.write("tiny.toml", kTinyModel);
  og::WorkloadSpec w;
  w.mode = og::Mode::lora_finetune;
  w.batch = 2;
  w.seq_len = 16;
  const og::Graph g = og::generate(og::load_model_config(model), w);
  auto on_pim = [&](const og::Op& op) {
    return is_frozen_static_gemm(g, op) || (op.kind == og::OpKind::grad_gemm_dx && op.b.is_static &&
                                            !g.parameters[static_cast<std::size_t>(op.params.front())].trainable);
  };
  // The fakes book 1 pJ per GEMM FLOP, per vector element, per weight byte loaded.
  std::uint64_t req[2] = {0, 0}, flops[2] = {0, 0};
  double energy[2] = {0, 0};
  for (const auto& op : g.ops) {
    const int c = on_pim(op) ? 0 : 1;
    ++req[c];
    flops[c] += op.flops();
    energy[c] += 1e-12 * static_cast<double>(og::kind_info(op.kind).gemm_like ? op.flops() : op.shape.elements);
  }
  std::uint64_t xc[2][2] = {{0, 0}, {0, 0}}, xb[2][2] = {{0, 0}, {0, 0}};
  for (const auto& e : g.edges) {
    const int a = on_pim(g.ops[static_cast<std::size_t>(e.src)]) ? 0 : 1, b = on_pim(g.ops[static_cast<std::size_t>(e.dst)]) ? 0 : 1;
    if (a == b || e.bytes == 0) continue;
    ++xc[a][b];
    xb[a][b] += e.bytes;
  }
  std::uint64_t weights = 0, weight_bytes = 0;
  std::set<og::ParamId> seen;
  for (const auto& op : g.ops)
    if (is_frozen_static_gemm(g, op) && seen.insert(op.params.front()).second) {
      ++weights;
      weight_bytes += og::bytes_of(op.shape.k * op.shape.n, op.b.bits);
    }

  Chip chip;
  strata::testing::Harness h;
  const auto r = h.run(chip_toml(chip, fmt::format(R"(model = "{}", mode = "lora_finetune", batch = 2, seq_len = 16, offchip = "")",
                                                   model.string())));
  const auto& s = wl_stats(r);
  const char* cls[2] = {"pim", "sa"};
  for (int c = 0; c < 2; ++c) {
    INFO(cls[c]);
    CHECK(s[fmt::format("{}.requests", cls[c])].get<std::uint64_t>() == req[c]);
    CHECK(s[fmt::format("{}.flops", cls[c])].get<std::uint64_t>() == flops[c]);
    CHECK(acc_sum(s, fmt::format("{}.energy", cls[c])) == Approx(energy[c]));
    CHECK(acc_sum(s, fmt::format("{}.request_share", cls[c])) ==
          Approx(static_cast<double>(req[c]) / static_cast<double>(req[0] + req[1])));
    CHECK(acc_sum(s, fmt::format("{}.flop_share", cls[c])) ==
          Approx(static_cast<double>(flops[c]) / static_cast<double>(flops[0] + flops[1])));
    CHECK(acc_sum(s, fmt::format("{}.energy_share", cls[c])) == Approx(energy[c] / (energy[0] + energy[1])));
    for (int d = 0; d < 2; ++d) {
      const std::string pair = fmt::format("xfer.{}_to_{}", cls[c], cls[d]);
      INFO(pair);
      CHECK(s[pair + ".count"].get<std::uint64_t>() == xc[c][d]);
      CHECK(s[pair + ".bytes"].get<std::uint64_t>() == xb[c][d]);
    }
  }
  CHECK(xc[0][1] > 0);
  CHECK(xc[1][0] > 0);
  CHECK(s["reram_writes"].get<std::uint64_t>() == weights);
  CHECK(s["reram_write_bytes"].get<std::uint64_t>() == weight_bytes);
  CHECK(acc_sum(s, "reram_write_energy") == Approx(1e-12 * static_cast<double>(weight_bytes)));
  CHECK(s["dynamic_writes"].get<std::uint64_t>() == 0);
  // Every forward and backward layer span is there; the spans of a phase fit in the run.
  const auto latency = s["latency"].get<double>();
  for (const char* ph : {"forward", "backward"}) {
    CHECK(acc_count(s, fmt::format("layer.0.{}.latency", ph)) == 1);
    CHECK(acc_sum(s, fmt::format("phase.{}.latency", ph)) <= latency);
  }
  CHECK(acc_sum(s, "phase.forward.latency") >= acc_sum(s, "layer.0.forward.latency"));
}

TEST_CASE("results: decode reports one span per generated token and micro-batch", "[transformer][results][decode]") {
  TempDir tmp;
  const auto model = tmp.write("tiny-dec.toml", kTinyDecoder);
  Chip chip{.pim = 2, .sa = 2};
  strata::testing::Harness h;
  const auto r = h.run(chip_toml(
      chip, fmt::format(R"(model = "{}", mode = "decode", batch = 2, micro_batches = 2, seq_len = 8, decode_tokens = 3)",
                        model.string())));
  const auto& s = wl_stats(r);
  CHECK(acc_count(s, "step_latency") == 6);
  CHECK(acc_count(s, "phase.forward.latency") == 6);
  CHECK(acc_count(s, "layer.1.forward.latency") == 6);
  // Token t + 1 starts from token t's LM head: within a micro-batch the steps do not overlap.
  CHECK(s["step_latency"]["max"].get<double>() <= s["latency"].get<double>());
  CHECK(acc_sum(s, "step_latency") <= 2 * s["latency"].get<double>());
  CHECK(acc_sum(s, "layer.0.forward.latency") < acc_sum(s, "step_latency"));
}
