// Operation-graph IR: what a transformer workload asks of the hardware, independent of
// any simulator. Nodes are operations (GEMMs, attention, vector ops, gradient GEMMs,
// optimizer updates) with shapes and per-operand precisions; edges are tensors between
// operations, with bytes. A Graph owns its parameters (stored weights) so that tied
// weights are counted once and every weight update names the tensor it writes.
//
// Not modelled here: time, placement, memory addresses. Those belong to mapping policies
// and the replay engine (see DESIGN.md, "Workloads"). File format: FORMAT.md beside this
// library; generator choices: GENERATORS.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace strata::opgraph {

using OpId = std::int64_t;     // index into Graph::ops; -1 = none
using ParamId = std::int64_t;  // index into Graph::parameters

// Op kinds. GEMM-like kinds carry a (batch, m, k, n) shape: out[batch][m][n] =
// a[batch][m][k] * b[batch or 1][k][n]. The others carry an element count.
enum class OpKind : std::uint8_t {
  // forward
  gemm,             // a dynamic activation times b (a stored weight when b.is_static)
  attention_score,  // S = Q K^T for one head: m = query tokens, k = head dim, n = key length
  attention_value,  // O = P V for one head: m = query tokens, k = key length, n = head dim
  lora_down,        // x A: m = tokens, k = in features, n = rank
  lora_up,          // (x A) B: m = tokens, k = rank, n = out features
  softmax,
  layernorm,
  rmsnorm,
  gelu,
  swiglu,           // silu(gate) * up; a = gate, b = up
  residual_add,     // a + b (residual connections, LoRA merge, gradient accumulation)
  embedding,        // table lookup (+ sum of tables); a = gathered rows
  rotary,           // rotary position embedding applied to Q or K
  kv_cache_append,  // write this step's K and V to the cache
  // backward
  loss,                  // loss and its gradient w.r.t. the logits: seeds backward
  grad_gemm_dx,          // dX = dY W^T (b is the stored weight, transposed)
  grad_gemm_dw,          // dW = X^T dY (trainable weights only)
  attention_score_grad,  // dQ = dS K or dK = dS^T Q
  attention_value_grad,  // dP = dO V^T or dV = P^T dO
  softmax_grad,
  layernorm_grad,
  rmsnorm_grad,
  gelu_grad,
  swiglu_grad,           // out = d gate and d up (2 x elements)
  rotary_grad,
  embedding_grad,        // scatter-add of dY into the table rows
  // update
  weight_update,         // optimizer step for one parameter tensor (AdamW-like)
};
inline constexpr int op_kind_count = static_cast<int>(OpKind::weight_update) + 1;

enum class Phase : std::uint8_t { forward, backward, update };

// Per-kind constants: the single source for names, shape class, operand multiplicities
// and FLOPs per element. Multiplicities apply to elementwise kinds only (operand element
// count = mult * shape.elements); b_mult == 0 means the kind has no b operand.
struct KindInfo {
  std::string_view name;
  bool gemm_like;
  std::uint8_t a_mult, b_mult, out_mult;
  std::uint32_t flops_per_element;  // elementwise kinds; GEMM-like use 2*batch*m*k*n
};
const KindInfo& kind_info(OpKind kind);
std::string_view to_string(OpKind kind);
std::string_view to_string(Phase phase);
std::optional<OpKind> parse_op_kind(std::string_view name);
std::optional<Phase> parse_phase(std::string_view name);

struct Operand {
  std::uint32_t bits = 0;   // 0 = operand absent
  bool is_static = false;   // a stored parameter (pretrained or trainable), not produced at run time
  bool transposed = false;  // read transposed (e.g. the stored weight in a dX GEMM)
  bool operator==(const Operand&) const = default;
};

struct Shape {
  std::uint64_t batch = 1, m = 0, k = 0, n = 0;  // GEMM-like kinds
  std::uint64_t elements = 0;                    // elementwise kinds
  bool operator==(const Shape&) const = default;
};

struct Op {
  OpId id = -1;
  std::string name;  // e.g. "L3.attn.q_proj"; unique within generated graphs
  OpKind kind = OpKind::gemm;
  Phase phase = Phase::forward;
  std::int32_t layer = -1;   // transformer layer, -1 for embeddings, heads, loss
  std::int32_t head = -1;    // attention head, -1 if the op spans all heads
  Shape shape;
  Operand a, b;              // b.bits == 0 when the kind has no b operand
  std::uint32_t out_bits = 0;
  std::uint32_t acc_bits = 0;  // accumulator width of GEMM-like ops; 0 = not applicable
  std::vector<ParamId> params;  // parameters this op reads (or, for weight_update, writes)
  OpId grad_of = -1;            // backward/update ops: the forward op they differentiate

  std::uint64_t flops() const;      // GEMM-like: 2*batch*m*k*n; else per-kind constant * elements
  std::uint64_t a_elements() const;
  std::uint64_t b_elements() const;  // static b is shared across the batch
  std::uint64_t out_elements() const;
  std::uint64_t a_bytes() const;
  std::uint64_t b_bytes() const;
  std::uint64_t out_bytes() const;
  std::uint64_t bytes() const { return a_bytes() + b_bytes() + out_bytes(); }
  bool operator==(const Op&) const = default;
};

struct Parameter {
  std::string name;  // e.g. "L3.attn.q_proj.weight"
  std::uint64_t elements = 0;
  std::uint32_t bits = 0;
  bool trainable = false;
  std::uint64_t bytes() const;
  bool operator==(const Parameter&) const = default;
};

// A tensor from producer to consumer. bytes = what crosses from src to dst (a slice of
// src's output when dst reads only part of it, e.g. one head); 0 = ordering only.
struct Edge {
  OpId src = -1, dst = -1;
  std::uint64_t bytes = 0;
  bool operator==(const Edge&) const = default;
};

// Where the graph came from. Every field is optional (0 / empty = unknown).
struct GraphInfo {
  std::string model, family;
  std::uint64_t layers = 0, hidden = 0, heads = 0, kv_heads = 0, ffn = 0, vocab = 0;
  std::string mode, precision;
  std::uint64_t batch = 0, seq_len = 0, decode_tokens = 0, lora_rank = 0;
  std::vector<std::string> lora_targets;
  bool operator==(const GraphInfo&) const = default;
};

// Thrown by validate()/topological_order(). what() names the op or edge; reason() is the
// same without it; op is the offending op (-1 if none), edge the edge index (-1 if none).
class GraphError : public std::runtime_error {
 public:
  GraphError(std::string what, std::string reason, OpId op = -1, std::int64_t edge = -1);
  const std::string& reason() const { return reason_; }
  OpId op() const { return op_; }
  std::int64_t edge() const { return edge_; }

 private:
  std::string reason_;
  OpId op_;
  std::int64_t edge_;
};

// Sanity limits (also enforced by the file reader): any dimension <= 2^31, any byte
// count or element count <= 2^50, any op's FLOPs <= 2^62, bits in 1..64.
inline constexpr std::uint64_t max_dimension = 1ULL << 31;
inline constexpr std::uint64_t max_bytes = 1ULL << 50;
inline constexpr std::uint64_t max_op_flops = 1ULL << 62;

struct Adjacency {
  std::vector<std::vector<std::size_t>> in, out;  // edge indices per op
};

struct Graph {
  GraphInfo info;
  std::vector<Parameter> parameters;
  std::vector<Op> ops;     // ops[i].id == i
  std::vector<Edge> edges;
  // Optional placement hints for a replay engine: the JSON text (compact) of a mapping
  // table, as FORMAT.md "mapping_table" describes; "" = none. Not interpreted here.
  std::string mapping_table;

  ParamId add_parameter(Parameter p);
  OpId add_op(Op op);  // sets op.id to its index
  // Adds src -> dst. If one of the edges added just before also goes to dst (as when all
  // inputs of an op are added together) and comes from src, its bytes grow instead.
  // Ignores src < 0 (a graph input: nothing to wait for).
  void add_edge(OpId src, OpId dst, std::uint64_t bytes);

  std::uint64_t parameter_count() const;
  std::uint64_t trainable_parameter_count() const;
  std::uint64_t total_flops() const;
  Adjacency adjacency() const;
  // Kahn's algorithm, smallest ready id first (deterministic). Throws GraphError naming
  // the ops of one cycle if the graph is cyclic.
  std::vector<OpId> topological_order() const;
  // ids dense and in order, edges and params reference existing items, kinds have the
  // operands their shapes need, sizes within limits, acyclic. Throws GraphError.
  void validate() const;
  bool operator==(const Graph&) const = default;
};

// ceil(elements * bits / 8), saturating at UINT64_MAX.
std::uint64_t bytes_of(std::uint64_t elements, std::uint32_t bits);

}  // namespace strata::opgraph
