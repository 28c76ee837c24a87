// Shared by the foreign-format readers (chakra_io.cpp, pytorch_et.cpp, onnx_io.cpp): file
// loading, located errors, the op-kind guess from an operator name, and the bridge that
// keeps dependencies through nodes that do not become ops. Private to strata_opgraph.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/opgraph/importers.hpp"

namespace strata::opgraph::detail {

// The report a reader fills: the caller's `report`, or `local` when the caller passed none;
// reset and stamped with the file's format and source name before reading starts.
ImportReport& start_report(ImportReport* report, ImportReport& local, GraphFileFormat format,
                           std::string_view source_name);

// The whole file; GraphFormatError "<file>: error: cannot open ..." if it cannot be read.
std::string read_file_bytes(const std::filesystem::path& path);

[[noreturn]] void fail_at(std::string_view file, std::string where, std::string reason);

std::string lower(std::string_view s);

// An elementwise Strata kind for a framework operator name ("aten::softmax",
// "aten::native_layer_norm_backward", "Softmax"), or nullopt. Backward variants map to the
// *_grad kinds.
std::optional<OpKind> vector_kind_for_name(std::string_view name);

// An elementwise op of `kind` doing about `flops` operations (elements = flops / the kind's
// FLOPs per element, at least 1) or, when flops is 0, reading `bytes` bytes (its a operand).
Op make_vector_op(std::string name, OpKind kind, Phase phase, std::uint64_t flops, std::uint64_t bytes,
                  const ImportOptions& opt);
Op make_gemm_op(std::string name, OpKind kind, Phase phase, std::uint64_t batch, std::uint64_t m, std::uint64_t k,
                std::uint64_t n, bool b_static, bool b_transposed, const ImportOptions& opt);

// A GEMM recovered from a framework operator and its input shapes (PyTorch operator names:
// aten::mm, addmm, bmm, baddbmm, matmul, linear; ONNX MatMul/Gemm go through onnx_io.cpp).
struct GemmShape {
  std::uint64_t batch = 1, m = 0, k = 0, n = 0;
  bool b_transposed = false;
  bool b_is_weight = false;  // linear: b is the layer's weight
  std::size_t b_input = 1;   // which input is b (its tensor, for parameter detection)
};
std::optional<GemmShape> gemm_from_operator(std::string_view name,
                                            const std::vector<std::vector<std::int64_t>>& input_shapes);
// The transformer layer an op name says it belongs to ("/layers.3/attn/MatMul",
// "encoder.layer.3.", "h.3/"), or -1.
std::int32_t layer_from_name(std::string_view name);
// Phase from an operator name: "...backward..." -> backward, optimizer steps -> update.
Phase phase_for_name(std::string_view name);

// Dependencies through foreign nodes that are not ops. Nodes are numbered 0..n-1 by the
// caller and added in a topological order; each is an op or skipped. A skipped node hands
// its producers on to its consumers, with its own payload (a collective's comm_size) when
// it has one, else with the bytes its producers sent it.
class DependencyBridge {
 public:
  explicit DependencyBridge(std::size_t nodes) : op_(nodes, -1), reach_(nodes), pass_(nodes) {}
  struct Dep {
    std::size_t node;
    bool data;  // false: a control dependency (ordering only)
  };
  // Node `node` became op `op`: add its input edges to g (in dep order, one per producer).
  void add_op(Graph& g, std::size_t node, OpId op, const std::vector<Dep>& deps);
  // Node `node` is skipped; payload = bytes it carries to its consumers, if it says.
  void add_skipped(const Graph& g, std::size_t node, const std::vector<Dep>& deps,
                   std::optional<std::uint64_t> payload);

 private:
  std::vector<std::pair<OpId, std::uint64_t>> inputs(const Graph& g, const std::vector<Dep>& deps) const;
  std::vector<OpId> op_;
  std::vector<std::vector<std::pair<OpId, std::uint64_t>>> reach_;
  std::vector<std::optional<std::uint64_t>> pass_;
};

// Graph::validate(), with a GraphError turned into a GraphFormatError at the foreign node
// the op came from (where_of(op id)).
template <typename WhereOf>
void validate_imported(const Graph& g, std::string_view file, WhereOf&& where_of);

}  // namespace strata::opgraph::detail

#include <fmt/format.h>

template <typename WhereOf>
void strata::opgraph::detail::validate_imported(const Graph& g, std::string_view file, WhereOf&& where_of) {
  try {
    g.validate();
  } catch (const GraphError& e) {
    fail_at(file, e.op() >= 0 ? where_of(e.op()) : std::string("graph"), e.reason());
  }
}
