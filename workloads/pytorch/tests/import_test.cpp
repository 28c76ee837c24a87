// The PyTorch execution trace and the ONNX export of BERT-Tiny (fixtures/, made by
// record_trace.py and export_onnx.py) against Strata's own graph of the same layer
// configuration (bert_tiny.toml): the GEMM FLOPs agree; what differs is listed here and in
// workloads/opgraph/FORMAT.md ("PyTorch execution traces", "ONNX models").
#include <catch2/catch.hpp>

#include <map>

#include <strata/opgraph/generators.hpp>
#include <strata/opgraph/importers.hpp>
#include <strata/opgraph/model_config.hpp>

namespace fs = std::filesystem;
using namespace strata::opgraph;

namespace {

const fs::path fixtures = STRATA_PYTORCH_FIXTURES;
constexpr std::uint64_t kSeq = 32;  // record_trace.py / export_onnx.py defaults

ModelConfig bert_tiny() {
  return load_model_config(fs::path(STRATA_OPGRAPH_SOURCE_DIR) / "workloads" / "pytorch" / "bert_tiny.toml");
}

Graph strata_graph(Mode mode) {
  WorkloadSpec w;
  w.mode = mode;
  w.batch = 1;
  w.seq_len = kSeq;
  return generate(bert_tiny(), w);
}

struct Totals {
  std::uint64_t gemm_flops[3] = {0, 0, 0};  // by phase
  std::map<OpKind, std::uint64_t> vector_flops;
};

Totals totals(const Graph& g) {
  Totals t;
  for (const auto& op : g.ops) {
    if (kind_info(op.kind).gemm_like) t.gemm_flops[static_cast<int>(op.phase)] += op.flops();
    else t.vector_flops[op.kind] += op.flops();
  }
  return t;
}

}  // namespace

TEST_CASE("pytorch trace: GEMM FLOPs of a recorded training step equal Strata's full fine-tuning graph",
          "[pytorch][import]") {
  ImportReport rep;
  const Graph trace = read_pytorch_et(fixtures / "bert_tiny_train_et.json", {}, &rep);
  const Graph own = strata_graph(Mode::full_finetune);
  const Totals t = totals(trace), s = totals(own);
  const ModelConfig m = bert_tiny();
  const std::uint64_t H = m.hidden, F = m.ffn, L = m.layers, T = kSeq;
  // Closed form, forward: per layer Q, K, V, O (T x H x H), FF1, FF2 (T x H x F), QK^T and PV
  // over all heads (T x T x H each); the pooler on the first token (1 x H x H).
  const std::uint64_t fwd = L * (4 * 2 * T * H * H + 2 * 2 * T * H * F + 2 * 2 * T * T * H) + 2 * H * H;
  CHECK(s.gemm_flops[0] == fwd);
  CHECK(t.gemm_flops[0] == fwd);
  // Backward: dX and dW of every linear layer, two GEMMs for each attention product: twice
  // the forward, as in both graphs (PyTorch computes dX of layer 0's projections too: the
  // embeddings it feeds are trainable).
  CHECK(s.gemm_flops[1] == 2 * fwd);
  CHECK(t.gemm_flops[1] == 2 * fwd);
  CHECK(t.gemm_flops[2] == 0);
  // Differences, listed (not GEMMs): PyTorch's embedding backward writes a dense gradient of
  // every table (vocab x H and more), Strata's scatters dY rows; PyTorch's optimizer updates
  // the tables' every row too (SGD: one add_ per parameter, Strata's AdamW-like estimate
  // costs 12 FLOPs per element); the embedding sums are two aten::add of their own in
  // PyTorch, inside Strata's embedding op.
  CHECK(t.vector_flops.at(OpKind::embedding_grad) > s.vector_flops.at(OpKind::embedding_grad));
  CHECK(t.vector_flops.at(OpKind::residual_add) > s.vector_flops.at(OpKind::residual_add));
  // Each layer's norms and activations are there, one op per call.
  CHECK(t.vector_flops.at(OpKind::layernorm) == s.vector_flops.at(OpKind::layernorm));
  CHECK(t.vector_flops.at(OpKind::gelu) == s.vector_flops.at(OpKind::gelu));
  CHECK(t.vector_flops.at(OpKind::softmax) == s.vector_flops.at(OpKind::softmax));
  // The report says what was not imported (views, copies, autograd bookkeeping).
  CHECK(rep.skipped_count() > 0);
  CHECK(rep.skipped.count("aten::view") == 1);
  CHECK(rep.recovered_gemms == 13 + 4 + 26 + 8);  // linear + matmul forward; mm + bmm backward
}

TEST_CASE("onnx: GEMM FLOPs of the exported model equal Strata's inference graph; the rest is listed",
          "[onnx][import]") {
  ImportReport rep;
  const Graph onnx = read_onnx(fixtures / "bert_tiny.onnx", {}, &rep);
  const Graph own = strata_graph(Mode::inference);
  const Totals t = totals(onnx), s = totals(own);
  CHECK(t.gemm_flops[0] == s.gemm_flops[0]);
  CHECK(t.vector_flops.at(OpKind::layernorm) == s.vector_flops.at(OpKind::layernorm));
  CHECK(t.vector_flops.at(OpKind::softmax) == s.vector_flops.at(OpKind::softmax));
  CHECK(t.vector_flops.at(OpKind::gelu) == s.vector_flops.at(OpKind::gelu));
  // Weights are initializers: stored, frozen parameters (Atleus puts their GEMMs on ReRAM).
  std::uint64_t static_gemms = 0;
  for (const auto& op : onnx.ops) static_gemms += op.kind == OpKind::gemm && op.b.is_static && !op.params.empty();
  CHECK(static_gemms == 6 * bert_tiny().layers + 1);  // Q, K, V, O, FF1, FF2 per layer; pooler
  // Layers come from the node names torch.onnx writes ("/layers.1/...").
  int max_layer = -1;
  for (const auto& op : onnx.ops) max_layer = std::max(max_layer, op.layer);
  CHECK(max_layer == static_cast<int>(bert_tiny().layers) - 1);
  // Unmodelled operators: listed with count and FLOPs; a small share here.
  REQUIRE(rep.skipped.count("Mul (not modelled)") == 1);
  CHECK(rep.skipped.at("Mul (not modelled)").count > 0);
  CHECK(rep.skipped_flops() * 100 < rep.imported_flops());
  CHECK(rep.render_text().find("Mul (not modelled)") != std::string::npos);
}

TEST_CASE("chakra: a trace converted from the PyTorch trace (et_to_chakra.py) imports to the same GEMMs and vector ops",
          "[pytorch][chakra][import]") {
  ImportReport pt_rep, et_rep;
  const Graph pt = read_pytorch_et(fixtures / "bert_tiny_train_et.json", {}, &pt_rep);
  const Graph et = read_chakra(fixtures / "bert_tiny_train.et", {}, &et_rep);
  // Chakra nodes carry no phase: compare totals over phases.
  std::uint64_t pt_gemm = 0, et_gemm = 0;
  std::map<OpKind, std::uint64_t> pt_vec, et_vec;
  for (const auto& op : pt.ops) (kind_info(op.kind).gemm_like ? pt_gemm : pt_vec[op.kind]) += op.flops();
  for (const auto& op : et.ops) (kind_info(op.kind).gemm_like ? et_gemm : et_vec[op.kind]) += op.flops();
  CHECK(et_rep.recovered_gemms == pt_rep.recovered_gemms);  // every GEMM's shape from inputs.shapes
  CHECK(et_gemm == pt_gemm);
  for (OpKind k : {OpKind::softmax, OpKind::softmax_grad, OpKind::layernorm, OpKind::layernorm_grad, OpKind::gelu,
                   OpKind::gelu_grad, OpKind::embedding, OpKind::embedding_grad})
    CHECK(et_vec[k] == pt_vec[k]);
  // Operators without a kernel are CPU operators in the converted trace: skipped, counted.
  CHECK(et_rep.skipped.at("COMP_NODE (is_cpu_op: host side)").count > 0);
  // What the Chakra path cannot tell apart (adds, multiplies, optimizer steps: no operator
  // semantics in a COMP node) is replayed by its operand elements as 1-FLOP vector ops.
  CHECK(et_rep.imported.count("COMP_NODE -> residual_add (by op/byte count)") == 1);
}
