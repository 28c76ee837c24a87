// Operation-graph IR: kind table, size helpers, validation, topological order.
#include "strata/opgraph/op_graph.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <limits>
#include <queue>

#include <fmt/format.h>

namespace strata::opgraph {
namespace {

__extension__ typedef unsigned __int128 u128;
constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();

std::uint64_t saturate(u128 v) { return v > u64_max ? u64_max : static_cast<std::uint64_t>(v); }

// FLOPs per element of vector ops are estimates (documented in GENERATORS.md): they only
// matter for vector-unit timing, which is dominated by bytes on every published design.
constexpr std::array<KindInfo, op_kind_count> kinds{{
    {"gemm", true, 1, 1, 1, 0},
    {"attention_score", true, 1, 1, 1, 0},
    {"attention_value", true, 1, 1, 1, 0},
    {"lora_down", true, 1, 1, 1, 0},
    {"lora_up", true, 1, 1, 1, 0},
    {"softmax", false, 1, 0, 1, 5},         // max, subtract, exp, sum, divide
    {"layernorm", false, 1, 0, 1, 8},       // mean, centre, square, sum, scale x2, affine x2
    {"rmsnorm", false, 1, 0, 1, 4},         // square, sum, scale, gain
    {"gelu", false, 1, 0, 1, 8},            // tanh approximation
    {"swiglu", false, 1, 1, 1, 5},          // x*sigmoid(x) (4) times up (1)
    {"residual_add", false, 1, 1, 1, 1},
    {"embedding", false, 1, 0, 1, 1},       // gather rows, sum the tables
    {"rotary", false, 1, 0, 1, 3},          // x*cos + rot(x)*sin
    {"kv_cache_append", false, 1, 0, 1, 0},
    {"loss", false, 1, 0, 1, 6},            // softmax (5) + subtract the one-hot target
    {"grad_gemm_dx", true, 1, 1, 1, 0},
    {"grad_gemm_dw", true, 1, 1, 1, 0},
    {"attention_score_grad", true, 1, 1, 1, 0},
    {"attention_value_grad", true, 1, 1, 1, 0},
    {"softmax_grad", false, 1, 1, 1, 4},    // dP*P, row sum, subtract, multiply
    {"layernorm_grad", false, 1, 1, 1, 12},
    {"rmsnorm_grad", false, 1, 1, 1, 8},
    {"gelu_grad", false, 1, 1, 1, 12},
    {"swiglu_grad", false, 1, 2, 2, 10},    // b = saved gate and up, out = d gate and d up
    {"rotary_grad", false, 1, 0, 1, 3},
    {"embedding_grad", false, 1, 0, 1, 1},
    {"weight_update", false, 1, 1, 1, 12},  // AdamW: moments, bias correction, sqrt, decay
}};

constexpr std::array<std::string_view, 3> phases{"forward", "backward", "update"};

std::string op_label(const Graph& g, OpId id) {
  if (id < 0 || id >= static_cast<OpId>(g.ops.size())) return fmt::format("op {}", id);
  return fmt::format("op {} \"{}\"", id, g.ops[static_cast<std::size_t>(id)].name);
}

[[noreturn]] void fail_op(const Graph& g, OpId id, std::string reason) {
  std::string what = fmt::format("{}: {}", op_label(g, id), reason);
  throw GraphError(std::move(what), std::move(reason), id);
}

}  // namespace

GraphError::GraphError(std::string what, std::string reason, OpId op, std::int64_t edge)
    : std::runtime_error(std::move(what)), reason_(std::move(reason)), op_(op), edge_(edge) {}

const KindInfo& kind_info(OpKind kind) { return kinds.at(static_cast<std::size_t>(kind)); }
std::string_view to_string(OpKind kind) { return kind_info(kind).name; }
std::string_view to_string(Phase phase) { return phases.at(static_cast<std::size_t>(phase)); }

std::optional<OpKind> parse_op_kind(std::string_view name) {
  for (std::size_t i = 0; i < kinds.size(); ++i)
    if (kinds[i].name == name) return static_cast<OpKind>(i);
  return std::nullopt;
}

std::optional<Phase> parse_phase(std::string_view name) {
  for (std::size_t i = 0; i < phases.size(); ++i)
    if (phases[i] == name) return static_cast<Phase>(i);
  return std::nullopt;
}

std::uint64_t bytes_of(std::uint64_t elements, std::uint32_t bits) {
  return saturate((static_cast<u128>(elements) * bits + 7) / 8);
}

std::uint64_t Op::flops() const {
  const auto& k = kind_info(kind);
  if (k.gemm_like)
    return saturate(u128{2} * shape.batch * shape.m * shape.k * static_cast<u128>(shape.n));
  return saturate(static_cast<u128>(shape.elements) * k.flops_per_element);
}

std::uint64_t Op::a_elements() const {
  const auto& k = kind_info(kind);
  if (k.gemm_like) return saturate(static_cast<u128>(shape.batch) * shape.m * shape.k);
  return saturate(static_cast<u128>(shape.elements) * k.a_mult);
}

std::uint64_t Op::b_elements() const {
  const auto& k = kind_info(kind);
  if (k.gemm_like) {
    const u128 per = static_cast<u128>(shape.k) * shape.n;
    return saturate(b.is_static ? per : per * shape.batch);
  }
  return saturate(static_cast<u128>(shape.elements) * k.b_mult);
}

std::uint64_t Op::out_elements() const {
  const auto& k = kind_info(kind);
  if (k.gemm_like) return saturate(static_cast<u128>(shape.batch) * shape.m * shape.n);
  return saturate(static_cast<u128>(shape.elements) * k.out_mult);
}

std::uint64_t Op::a_bytes() const { return bytes_of(a_elements(), a.bits); }
std::uint64_t Op::b_bytes() const { return b.bits ? bytes_of(b_elements(), b.bits) : 0; }
std::uint64_t Op::out_bytes() const { return bytes_of(out_elements(), out_bits); }

std::uint64_t Parameter::bytes() const { return bytes_of(elements, bits); }

ParamId Graph::add_parameter(Parameter p) {
  parameters.push_back(std::move(p));
  return static_cast<ParamId>(parameters.size() - 1);
}

OpId Graph::add_op(Op op) {
  op.id = static_cast<OpId>(ops.size());
  ops.push_back(std::move(op));
  return ops.back().id;
}

void Graph::add_edge(OpId src, OpId dst, std::uint64_t bytes) {
  if (src < 0) return;
  // Producers are usually among the last few edges into dst: scan backwards briefly.
  for (auto it = edges.rbegin(); it != edges.rend() && it->dst == dst; ++it)
    if (it->src == src) {
      it->bytes += bytes;
      return;
    }
  edges.push_back({src, dst, bytes});
}

std::uint64_t Graph::parameter_count() const {
  std::uint64_t n = 0;
  for (const auto& p : parameters) n += p.elements;
  return n;
}

std::uint64_t Graph::trainable_parameter_count() const {
  std::uint64_t n = 0;
  for (const auto& p : parameters)
    if (p.trainable) n += p.elements;
  return n;
}

std::uint64_t Graph::total_flops() const {
  u128 n = 0;
  for (const auto& op : ops) n += op.flops();
  return saturate(n);
}

Adjacency Graph::adjacency() const {
  Adjacency adj;
  adj.in.resize(ops.size());
  adj.out.resize(ops.size());
  for (std::size_t e = 0; e < edges.size(); ++e) {
    const auto& edge = edges[e];
    if (edge.src < 0 || edge.dst < 0 || edge.src >= static_cast<OpId>(ops.size()) ||
        edge.dst >= static_cast<OpId>(ops.size()))
      throw GraphError(fmt::format("edge {}: dangling edge {} -> {}", e, edge.src, edge.dst),
                       fmt::format("dangling edge {} -> {}", edge.src, edge.dst), -1, static_cast<std::int64_t>(e));
    adj.out[static_cast<std::size_t>(edge.src)].push_back(e);
    adj.in[static_cast<std::size_t>(edge.dst)].push_back(e);
  }
  return adj;
}

std::vector<OpId> Graph::topological_order() const {
  const Adjacency adj = adjacency();
  const std::size_t n = ops.size();
  std::vector<std::size_t> indegree(n);
  for (std::size_t i = 0; i < n; ++i) indegree[i] = adj.in[i].size();
  std::priority_queue<OpId, std::vector<OpId>, std::greater<>> ready;
  for (std::size_t i = 0; i < n; ++i)
    if (indegree[i] == 0) ready.push(static_cast<OpId>(i));
  std::vector<OpId> order;
  order.reserve(n);
  while (!ready.empty()) {
    const OpId id = ready.top();
    ready.pop();
    order.push_back(id);
    for (std::size_t e : adj.out[static_cast<std::size_t>(id)]) {
      const auto dst = static_cast<std::size_t>(edges[e].dst);
      if (--indegree[dst] == 0) ready.push(static_cast<OpId>(dst));
    }
  }
  if (order.size() == n) return order;

  // Every op left has a predecessor that is also left; walking predecessors must repeat,
  // and the repeated stretch is a cycle.
  OpId start = -1;
  for (std::size_t i = 0; i < n && start < 0; ++i)
    if (indegree[i] > 0) start = static_cast<OpId>(i);
  std::vector<OpId> walk;
  std::vector<std::int64_t> seen_at(n, -1);
  OpId cur = start;
  while (seen_at[static_cast<std::size_t>(cur)] < 0) {
    seen_at[static_cast<std::size_t>(cur)] = static_cast<std::int64_t>(walk.size());
    walk.push_back(cur);
    OpId next = -1;
    for (std::size_t e : adj.in[static_cast<std::size_t>(cur)])
      if (indegree[static_cast<std::size_t>(edges[e].src)] > 0) {
        next = edges[e].src;
        break;
      }
    cur = next;
  }
  std::vector<OpId> cycle(walk.begin() + seen_at[static_cast<std::size_t>(cur)], walk.end());
  std::reverse(cycle.begin(), cycle.end());  // walked backwards along edges
  std::string path;
  for (OpId id : cycle) path += op_label(*this, id) + " -> ";
  path += op_label(*this, cycle.front());
  fail_op(*this, cycle.front(), "is on a cycle: " + path);
}

void Graph::validate() const {
  const auto n_ops = static_cast<OpId>(ops.size());
  const auto n_params = static_cast<ParamId>(parameters.size());
  auto check_bits = [&](OpId id, std::string_view what, std::uint32_t bits) {
    if (bits < 1 || bits > 64)
      fail_op(*this, id, fmt::format("{} is {}, expected 1..64", what, bits));
  };
  for (ParamId p = 0; p < n_params; ++p) {
    const auto& par = parameters[static_cast<std::size_t>(p)];
    auto fail = [&](std::string reason) -> void {
      throw GraphError(fmt::format("parameter {} \"{}\": {}", p, par.name, reason), reason);
    };
    if (par.name.empty()) fail("has an empty name");
    if (par.elements == 0 || par.elements > max_bytes)
      fail(fmt::format("elements {} outside 1..2^50", par.elements));
    if (par.bits < 1 || par.bits > 64) fail(fmt::format("bits is {}, expected 1..64", par.bits));
  }
  for (OpId id = 0; id < n_ops; ++id) {
    const Op& op = ops[static_cast<std::size_t>(id)];
    if (op.id != id) fail_op(*this, id, fmt::format("has id {} but sits at index {}", op.id, id));
    if (op.name.empty()) fail_op(*this, id, "has an empty name");
    const auto& k = kind_info(op.kind);
    const Shape& s = op.shape;
    if (k.gemm_like) {
      for (auto [what, v] : {std::pair{"batch", s.batch}, {"m", s.m}, {"k", s.k}, {"n", s.n}})
        if (v < 1 || v > max_dimension)
          fail_op(*this, id, fmt::format("shape.{} is {}, expected 1..2^31", what, v));
      if (s.elements != 0) fail_op(*this, id, "GEMM-like op has shape.elements set");
      if (op.acc_bits == 0) fail_op(*this, id, "GEMM-like op needs acc_bits");
    } else {
      if (s.elements < 1 || s.elements > max_bytes)
        fail_op(*this, id, fmt::format("shape.elements is {}, expected 1..2^50", s.elements));
      if (s.batch != 1 || s.m || s.k || s.n)
        fail_op(*this, id, fmt::format("{} op takes shape.elements, not batch/m/k/n", k.name));
    }
    check_bits(id, "a.bits", op.a.bits);
    if (k.b_mult) check_bits(id, "b.bits", op.b.bits);
    else if (op.b.bits) fail_op(*this, id, fmt::format("{} op has no b operand", k.name));
    check_bits(id, "out_bits", op.out_bits);
    if (op.acc_bits > 64) fail_op(*this, id, fmt::format("acc_bits is {}, expected 0..64", op.acc_bits));
    for (auto [what, v] : {std::pair{"a", op.a_bytes()}, {"b", op.b_bytes()}, {"out", op.out_bytes()}})
      if (v > max_bytes) fail_op(*this, id, fmt::format("{} operand is {} bytes, above 2^50", what, v));
    if (op.flops() > max_op_flops) fail_op(*this, id, "FLOPs above 2^62");
    if (op.layer < -1) fail_op(*this, id, fmt::format("layer is {}, expected >= -1", op.layer));
    if (op.head < -1) fail_op(*this, id, fmt::format("head is {}, expected >= -1", op.head));
    for (ParamId p : op.params)
      if (p < 0 || p >= n_params)
        fail_op(*this, id, fmt::format("reads parameter {}, but the graph has {} parameters", p, n_params));
    if (op.grad_of < -1 || op.grad_of >= n_ops)
      fail_op(*this, id, fmt::format("grad_of {} names no op", op.grad_of));
  }
  for (std::size_t e = 0; e < edges.size(); ++e) {
    const Edge& edge = edges[e];
    for (auto [what, v] : {std::pair{"src", edge.src}, {"dst", edge.dst}})
      if (v < 0 || v >= n_ops) {
        std::string reason =
            fmt::format("dangling edge: {} {} names no op (the graph has {} ops)", what, v, n_ops);
        throw GraphError(fmt::format("edge {}: {}", e, reason), reason, -1, static_cast<std::int64_t>(e));
      }
    if (edge.bytes > max_bytes) {
      std::string reason = fmt::format("absurd size: bytes {} above 2^50", edge.bytes);
      throw GraphError(fmt::format("edge {}: {}", e, reason), reason, -1, static_cast<std::int64_t>(e));
    }
  }
  (void)topological_order();
}

}  // namespace strata::opgraph
