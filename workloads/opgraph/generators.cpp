// Graph generators: forward blocks per family, then a reverse-mode pass over the forward
// graph that emits exactly the backward ops the trainable parameters need.
#include "strata/opgraph/generators.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <map>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

namespace strata::opgraph {
namespace {

constexpr std::array<std::string_view, 5> mode_names{"inference", "prefill", "decode", "lora_finetune",
                                                     "full_finetune"};
constexpr std::uint32_t token_id_bits = 32;

// A tensor: the op that produced it and how many elements of that output it is.
struct Val {
  OpId op = -1;
  std::uint64_t elements = 0;
};

// One forward input of an op: which producer, which slice of its output (key -1 = all of
// it; otherwise a head or KV-group index), and how much crosses.
struct Input {
  OpId src = -1;
  int key = -1;
  std::uint64_t elements = 0;
  std::uint64_t bytes = 0;
};

// A gradient tensor as the ops whose outputs, concatenated, make it up.
struct Piece {
  OpId op;
  std::uint64_t bytes;
};
using GradVal = std::vector<Piece>;

struct Contribution {
  GradVal val;
  int key;
  std::uint64_t elements;
};

bool is_finetune(Mode m) { return m == Mode::lora_finetune || m == Mode::full_finetune; }

class Generator {
 public:
  Generator(const ModelConfig& c, const WorkloadSpec& w) : c_(c), w_(w), p_(w.precision) {}

  Graph run() {
    fill_info();
    const std::uint64_t B = w_.batch;
    if (w_.mode == Mode::decode) {
      Val prev;
      for (std::uint64_t t = 0; t < w_.decode_tokens; ++t) {
        prefix_ = fmt::format("T{}.", t);
        prev = forward(B, 1, w_.seq_len + t + 1, true, prev);
      }
    } else {
      const std::uint64_t S = c_.family == Family::vit ? c_.patches() + 1 : w_.seq_len;
      const Val out = forward(B, S, S, w_.mode == Mode::prefill, Val{});
      if (is_finetune(w_.mode)) backward(out);
    }
    return std::move(g_);
  }

 private:
  const ModelConfig& c_;
  const WorkloadSpec& w_;
  const Precision& p_;
  Graph g_;
  std::string prefix_;                   // "T3." for decode steps
  std::vector<std::vector<Input>> ins_;  // forward inputs per op
  std::map<std::string, ParamId> param_by_name_;

  bool train_all() const { return w_.mode == Mode::full_finetune; }
  bool lora() const { return w_.mode == Mode::lora_finetune; }
  bool targeted(std::string_view t) const {
    return lora() && std::find(w_.lora_targets.begin(), w_.lora_targets.end(), t) != w_.lora_targets.end();
  }

  void fill_info() {
    auto& i = g_.info;
    i.model = c_.name;
    i.family = std::string(to_string(c_.family));
    i.layers = c_.layers;
    i.hidden = c_.hidden;
    i.heads = c_.heads;
    i.kv_heads = c_.kv_heads;
    i.ffn = c_.ffn;
    i.vocab = c_.vocab;
    i.mode = std::string(to_string(w_.mode));
    i.precision = to_string(p_);
    i.batch = w_.batch;
    i.seq_len = c_.family == Family::vit ? c_.patches() + 1 : w_.seq_len;
    i.decode_tokens = w_.decode_tokens;
    if (lora()) {
      i.lora_rank = w_.lora_rank;
      i.lora_targets = w_.lora_targets;
    }
  }

  // ---- building blocks ---------------------------------------------------------------
  ParamId param(const std::string& name, std::uint64_t elements, std::uint32_t bits, bool trainable) {
    if (auto it = param_by_name_.find(name); it != param_by_name_.end()) return it->second;
    const ParamId id = g_.add_parameter({name, elements, bits, trainable});
    param_by_name_.emplace(name, id);
    return id;
  }

  Input in(Val v, std::uint64_t elements, int key = -1) const {
    if (v.op < 0) return {-1, key, elements, 0};
    return {v.op, key, elements, bytes_of(elements, g_.ops[static_cast<std::size_t>(v.op)].out_bits)};
  }
  Input in(Val v) const { return in(v, v.elements); }

  OpId emit(Op op, std::vector<Input> inputs) {
    const OpId id = g_.add_op(std::move(op));
    for (const auto& i : inputs) g_.add_edge(i.src, id, i.bytes);
    ins_.resize(g_.ops.size());
    ins_[static_cast<std::size_t>(id)] = std::move(inputs);
    return id;
  }

  Op base_op(OpKind kind, std::string name, int layer, int head = -1) const {
    Op op;
    op.kind = kind;
    op.name = prefix_ + std::move(name);
    op.layer = layer;
    op.head = head;
    return op;
  }

  Val vec(OpKind kind, std::string name, int layer, std::uint64_t elements, std::vector<Input> inputs,
          std::vector<ParamId> params = {}, int head = -1) {
    Op op = base_op(kind, std::move(name), layer, head);
    op.shape.elements = elements;
    op.a = {p_.act_bits, false, false};
    if (kind_info(kind).b_mult) op.b = {p_.act_bits, false, false};
    op.out_bits = p_.act_bits;
    op.params = std::move(params);
    return {emit(std::move(op), std::move(inputs)), elements * kind_info(kind).out_mult};
  }

  // x[M][K] times a stored weight[K][N].
  Val linear(OpKind kind, std::string name, int layer, std::vector<Input> inputs, std::uint64_t M,
             std::uint64_t K, std::uint64_t N, std::vector<ParamId> params) {
    Op op = base_op(kind, std::move(name), layer);
    op.shape = {1, M, K, N, 0};
    op.a = {p_.act_bits, false, false};
    op.b = {g_.parameters[static_cast<std::size_t>(params.front())].bits, true, false};
    op.out_bits = p_.act_bits;
    op.acc_bits = p_.acc_bits;
    op.params = std::move(params);
    return {emit(std::move(op), std::move(inputs)), M * N};
  }

  // A projection with its weight, optional bias and, when targeted, a LoRA adapter whose
  // output is merged into the projection's.
  Val proj(int layer, const std::string& base, std::string_view target, std::vector<Input> inputs,
           std::uint64_t M, std::uint64_t K, std::uint64_t N) {
    const std::string pname = fmt::format("L{}.{}", layer, base);
    std::vector<ParamId> params{param(pname + ".weight", K * N, p_.weight_bits, train_all())};
    if (c_.bias) params.push_back(param(pname + ".bias", N, p_.acc_bits, train_all()));
    const Val y = linear(OpKind::gemm, pname, layer, inputs, M, K, N, params);
    if (!targeted(target)) return y;
    const std::uint64_t r = w_.lora_rank;
    const ParamId A = param(pname + ".lora_A", K * r, p_.adapter_bits, true);
    const ParamId Bm = param(pname + ".lora_B", r * N, p_.adapter_bits, true);
    const Val down = linear(OpKind::lora_down, pname + ".lora_down", layer, std::move(inputs), M, K, r, {A});
    const Val up = linear(OpKind::lora_up, pname + ".lora_up", layer, {in(down)}, M, r, N, {Bm});
    return vec(OpKind::residual_add, pname + ".lora_merge", layer, M * N, {in(y), in(up)});
  }

  Val norm(int layer, const std::string& pname, Val x) {
    const std::uint64_t h = c_.hidden;
    std::vector<ParamId> params{param(pname + ".weight", h, p_.acc_bits, train_all())};
    if (c_.norm == Norm::layernorm) params.push_back(param(pname + ".bias", h, p_.acc_bits, train_all()));
    const OpKind kind = c_.norm == Norm::layernorm ? OpKind::layernorm : OpKind::rmsnorm;
    return vec(kind, pname, layer, x.elements, {in(x)}, std::move(params));
  }

  Val attention_gemm(OpKind kind, std::string name, int layer, int head, std::uint64_t B, std::uint64_t m,
                     std::uint64_t k, std::uint64_t n, Input a, Input b) {
    Op op = base_op(kind, std::move(name), layer, head);
    op.shape = {B, m, k, n, 0};
    op.a = {p_.act_bits, false, false};
    op.b = {p_.act_bits, false, kind == OpKind::attention_score};  // K is read transposed
    op.out_bits = p_.act_bits;
    op.acc_bits = p_.acc_bits;
    return {emit(std::move(op), {a, b}), B * m * n};
  }

  // ---- forward -----------------------------------------------------------------------
  // S query tokens per sequence attending over T keys; cache = write K/V to the KV cache
  // (prefill, decode). prev: the previous decode step's output, for ordering.
  Val forward(std::uint64_t B, std::uint64_t S, std::uint64_t T, bool cache, Val prev) {
    const std::uint64_t M = B * S, h = c_.hidden;
    Val x = embeddings(B, S, prev);
    for (std::uint32_t l = 0; l < c_.layers; ++l) x = block(static_cast<int>(l), x, B, S, T, cache);
    if (c_.norm_position == NormPosition::pre) x = norm(-1, "final_norm", x);
    if (!w_.include_lm_head) return x;
    const bool last_token_only = w_.mode == Mode::prefill;
    switch (c_.family) {
      case Family::decoder:
      case Family::llama: {
        const std::uint64_t Mh = last_token_only ? B : M;
        const ParamId W = c_.tie_embeddings
                              ? param("embed.word", std::uint64_t{c_.vocab} * h, p_.weight_bits, train_all())
                              : param("lm_head.weight", h * c_.vocab, p_.weight_bits, train_all());
        return linear(OpKind::gemm, "lm_head", -1, {in(x, Mh * h)}, Mh, h, c_.vocab, {W});
      }
      case Family::encoder: {
        if (!c_.pooler) return x;
        std::vector<ParamId> params{param("pooler.weight", h * h, p_.weight_bits, train_all())};
        if (c_.bias) params.push_back(param("pooler.bias", h, p_.acc_bits, train_all()));
        return linear(OpKind::gemm, "pooler", -1, {in(x, B * h)}, B, h, h, params);
      }
      case Family::vit: {
        if (!c_.num_classes) return x;
        std::vector<ParamId> params{param("head.weight", h * c_.num_classes, p_.weight_bits, train_all())};
        if (c_.bias) params.push_back(param("head.bias", c_.num_classes, p_.acc_bits, train_all()));
        return linear(OpKind::gemm, "head", -1, {in(x, B * h)}, B, h, c_.num_classes, params);
      }
    }
    return x;
  }

  Val embeddings(std::uint64_t B, std::uint64_t S, Val prev) {
    const std::uint64_t M = B * S, h = c_.hidden;
    if (!w_.include_embeddings) return prev.op >= 0 ? Val{prev.op, M * h} : Val{-1, M * h};
    std::vector<Input> deps;
    if (prev.op >= 0) {
      // The next token id comes from the previous step's LM head (sampling is not modelled);
      // without a head the previous hidden state stands in as the dependency.
      const bool ids = w_.include_lm_head;
      deps.push_back({prev.op, -1, ids ? B : M * h, ids ? bytes_of(B, token_id_bits) : bytes_of(M * h, p_.act_bits)});
    }
    Val x;
    if (c_.family == Family::vit) {
      const std::uint64_t P = c_.patches(), patch_in = std::uint64_t{c_.channels} * c_.patch_size * c_.patch_size;
      std::vector<ParamId> params{param("embed.patch.weight", patch_in * h, p_.weight_bits, train_all())};
      if (c_.bias) params.push_back(param("embed.patch.bias", h, p_.acc_bits, train_all()));
      const Val patches = linear(OpKind::gemm, "embed.patch", -1, {}, B * P, patch_in, h, params);
      std::vector<ParamId> tables{param("embed.cls", h, p_.acc_bits, train_all()),
                                  param("embed.position", (P + 1) * h, p_.weight_bits, train_all())};
      x = vec(OpKind::embedding, "embed", -1, M * h, {in(patches)}, tables);
    } else {
      std::vector<ParamId> tables{param("embed.word", std::uint64_t{c_.vocab} * h, p_.weight_bits, train_all())};
      if (c_.positional == Positional::learned)
        tables.push_back(param("embed.position", std::uint64_t{c_.max_positions} * h, p_.weight_bits, train_all()));
      if (c_.type_vocab)
        tables.push_back(param("embed.token_type", std::uint64_t{c_.type_vocab} * h, p_.weight_bits, train_all()));
      x = vec(OpKind::embedding, "embed", -1, M * h, std::move(deps), tables);
    }
    auto& op = g_.ops[static_cast<std::size_t>(x.op)];
    op.a = {p_.weight_bits, true, false};  // the gathered table rows
    if (c_.embedding_norm) x = norm(-1, "embed.norm", x);
    return x;
  }

  Val block(int l, Val x, std::uint64_t B, std::uint64_t S, std::uint64_t T, bool cache) {
    const std::uint64_t M = B * S, h = c_.hidden, d = c_.head_dim(), kvd = c_.kv_dim(), f = c_.ffn;
    const std::uint32_t H = c_.heads, group = c_.heads / c_.kv_heads;
    const bool pre = c_.norm_position == NormPosition::pre;
    const std::string L = fmt::format("L{}.", l);

    const Val attn_in = pre ? norm(l, L + "ln1", x) : x;
    Val q = proj(l, "attn.q_proj", "q", {in(attn_in)}, M, h, h);
    Val k = proj(l, "attn.k_proj", "k", {in(attn_in)}, M, h, kvd);
    Val v = proj(l, "attn.v_proj", "v", {in(attn_in)}, M, h, kvd);
    if (c_.positional == Positional::rotary) {
      q = vec(OpKind::rotary, L + "attn.q_rotary", l, M * h, {in(q)});
      k = vec(OpKind::rotary, L + "attn.k_rotary", l, M * kvd, {in(k)});
    }
    Val kc = k, vc = v;
    if (cache) {
      kc = vc = vec(OpKind::kv_cache_append, L + "attn.kv_append", l, 2 * M * kvd, {in(k), in(v)});
    }
    std::vector<Input> heads;
    for (std::uint32_t i = 0; i < H; ++i) {
      const int hi = static_cast<int>(i), g = static_cast<int>(i / group);
      const std::string hn = fmt::format("{}attn.h{}.", L, i);
      // With a cache, K and V of all T positions are read from it (the edge carries them).
      const Val s = attention_gemm(OpKind::attention_score, hn + "score", l, hi, B, S, d, T, in(q, B * S * d, hi),
                                   in(kc, B * T * d, g));
      const Val p = vec(OpKind::softmax, hn + "softmax", l, B * S * T, {in(s)}, {}, hi);
      const Val o = attention_gemm(OpKind::attention_value, hn + "value", l, hi, B, S, T, d, in(p),
                                   in(vc, B * T * d, g));
      heads.push_back(in(o));
    }
    const Val o = proj(l, "attn.o_proj", "o", std::move(heads), M, h, h);
    Val r = vec(OpKind::residual_add, L + "attn.residual", l, M * h, {in(x), in(o)});
    if (!pre) r = norm(l, L + "ln1", r);

    const Val ffn_in = pre ? norm(l, L + "ln2", r) : r;
    Val down;
    if (c_.activation == Activation::gelu) {
      const Val up = proj(l, "ffn.ff1", "ff1", {in(ffn_in)}, M, h, f);
      const Val act = vec(OpKind::gelu, L + "ffn.gelu", l, M * f, {in(up)});
      down = proj(l, "ffn.ff2", "ff2", {in(act)}, M, f, h);
    } else {
      const Val gate = proj(l, "ffn.gate", "gate", {in(ffn_in)}, M, h, f);
      const Val up = proj(l, "ffn.up", "up", {in(ffn_in)}, M, h, f);
      const Val act = vec(OpKind::swiglu, L + "ffn.swiglu", l, M * f, {in(gate), in(up)});
      down = proj(l, "ffn.down", "down", {in(act)}, M, f, h);
    }
    Val out = vec(OpKind::residual_add, L + "ffn.residual", l, M * h, {in(r), in(down)});
    if (!pre) out = norm(l, L + "ln2", out);
    return out;
  }

  // ---- backward ----------------------------------------------------------------------
  std::vector<std::vector<Contribution>> contrib_;
  std::vector<char> needs_grad_;
  std::map<ParamId, std::vector<OpId>> param_grads_;

  bool needs(OpId id) const { return id >= 0 && needs_grad_[static_cast<std::size_t>(id)]; }
  bool trainable(ParamId p) const { return g_.parameters[static_cast<std::size_t>(p)].trainable; }

  void contribute(OpId to, GradVal val, int key, std::uint64_t elements) {
    contrib_[static_cast<std::size_t>(to)].push_back({std::move(val), key, elements});
  }

  // A backward op fed by dY (clipped to the part this op needs) and saved activations.
  OpId bop(Op op, OpId of, const GradVal& dy, std::uint64_t dy_elements, const std::vector<Input>& saved) {
    op.phase = Phase::backward;
    op.grad_of = of;
    const OpId id = g_.add_op(std::move(op));
    const std::uint64_t need = bytes_of(dy_elements, p_.grad_bits);
    for (const auto& piece : dy) g_.add_edge(piece.op, id, std::min(piece.bytes, need));
    for (const auto& s : saved) g_.add_edge(s.src, id, s.bytes);
    return id;
  }

  Op grad_gemm(OpKind kind, const Op& fwd, const std::string& suffix, Shape shape, Operand a, Operand b) const {
    Op op;
    op.kind = kind;
    op.name = fwd.name + suffix;
    op.layer = fwd.layer;
    op.head = fwd.head;
    op.shape = shape;
    op.a = a;
    op.b = b;
    op.out_bits = p_.grad_bits;
    op.acc_bits = p_.acc_bits;
    return op;
  }

  Op grad_vec(OpKind kind, const Op& fwd, const std::string& suffix, std::uint64_t elements, bool has_b) const {
    Op op;
    op.kind = kind;
    op.name = fwd.name + suffix;
    op.layer = fwd.layer;
    op.head = fwd.head;
    op.shape.elements = elements;
    op.a = {p_.grad_bits, false, false};
    if (has_b) op.b = {p_.act_bits, false, false};
    op.out_bits = p_.grad_bits;
    return op;
  }

  // Sum of all gradient contributions to one forward op's output. Disjoint slices (one
  // per head) concatenate for free; anything else is summed with residual_add ops.
  GradVal accumulate(OpId id) {
    auto& cs = contrib_[static_cast<std::size_t>(id)];
    if (cs.size() == 1) return cs.front().val;
    const Op fwd = g_.ops[static_cast<std::size_t>(id)];
    std::map<int, std::vector<const Contribution*>> groups;
    for (const auto& c : cs) groups[c.key].push_back(&c);
    int adds = 0;
    auto add = [&](const GradVal& x, const GradVal& y, std::uint64_t elements) -> GradVal {
      Op op = grad_vec(OpKind::residual_add, fwd, fmt::format(".grad_acc{}", adds++), elements, false);
      op.b = {p_.grad_bits, false, false};
      GradVal both = x;
      both.insert(both.end(), y.begin(), y.end());
      return {{bop(std::move(op), id, both, elements, {}), bytes_of(elements, p_.grad_bits)}};
    };
    std::vector<GradVal> results;
    for (const auto& [key, list] : groups) {
      GradVal acc = list.front()->val;
      for (std::size_t j = 1; j < list.size(); ++j) acc = add(acc, list[j]->val, list[j]->elements);
      results.push_back(std::move(acc));
    }
    if (!groups.count(-1)) {  // disjoint slices: concatenate
      GradVal cat;
      for (const auto& r : results) cat.insert(cat.end(), r.begin(), r.end());
      return cat;
    }
    GradVal acc = results.front();  // a full gradient plus slices: sum over the whole output
    for (std::size_t j = 1; j < results.size(); ++j) acc = add(acc, results[j], fwd.out_elements());
    return acc;
  }

  void backward(Val out) {
    const auto n_fwd = static_cast<OpId>(g_.ops.size());
    needs_grad_.assign(g_.ops.size(), 0);
    for (OpId id = 0; id < n_fwd; ++id) {
      const auto& op = g_.ops[static_cast<std::size_t>(id)];
      bool need = std::any_of(op.params.begin(), op.params.end(), [&](ParamId p) { return trainable(p); });
      for (const auto& i : ins_[static_cast<std::size_t>(id)]) need = need || needs(i.src);
      needs_grad_[static_cast<std::size_t>(id)] = need;
    }
    contrib_.assign(g_.ops.size(), {});

    // Loss and its gradient over whatever the forward pass ends in (logits, pooled
    // output, class scores or hidden states).
    {
      const std::uint64_t E = out.elements;
      Op op;
      op.kind = OpKind::loss;
      op.name = "loss";
      op.phase = Phase::backward;
      op.shape.elements = E;
      op.a = {g_.ops[static_cast<std::size_t>(out.op)].out_bits, false, false};
      op.out_bits = p_.grad_bits;
      op.grad_of = out.op;
      const OpId loss = g_.add_op(std::move(op));
      g_.add_edge(out.op, loss, bytes_of(E, g_.ops[static_cast<std::size_t>(out.op)].out_bits));
      contribute(out.op, {{loss, bytes_of(E, p_.grad_bits)}}, -1, E);
    }

    for (OpId id = n_fwd - 1; id >= 0; --id) {
      if (contrib_[static_cast<std::size_t>(id)].empty()) continue;
      const GradVal dy = accumulate(id);
      const Op fwd = g_.ops[static_cast<std::size_t>(id)];  // copy: g_.ops grows below
      const std::vector<Input> ins = ins_[static_cast<std::size_t>(id)];
      backward_op(id, fwd, ins, dy);
    }

    for (const auto& [p, producers] : param_grads_) {
      const Parameter& par = g_.parameters[static_cast<std::size_t>(p)];
      Op op;
      op.kind = OpKind::weight_update;
      op.name = "update." + par.name;
      op.phase = Phase::update;
      op.shape.elements = par.elements;
      op.a = {p_.grad_bits, false, false};
      op.b = {par.bits, true, false};
      op.out_bits = par.bits;
      op.params = {p};
      const OpId id = g_.add_op(std::move(op));
      for (OpId src : producers) g_.add_edge(src, id, bytes_of(par.elements, p_.grad_bits));
    }
  }

  void record_param_grads(const Op& fwd, OpId grad_op) {
    for (ParamId p : fwd.params)
      if (trainable(p)) param_grads_[p].push_back(grad_op);
  }

  // The gradient of one operand `wrt` of an attention product (both operands are
  // activations): when `wrt` needs one, a batched GEMM of `shape` reading dY and the `other`
  // operand, contributed to `wrt`'s producer. Score and value products differ only in
  // their shapes and operand layouts.
  void operand_grad(OpKind kind, OpId id, const Op& fwd, const GradVal& dy, const Input& wrt, const Input& other,
                    const std::string& suffix, Shape shape, Operand a, Operand b) {
    if (!needs(wrt.src)) return;
    Op op = grad_gemm(kind, fwd, suffix, shape, a, b);
    const OpId d = bop(std::move(op), id, dy, fwd.out_elements(), {other});
    contribute(wrt.src, {{d, bytes_of(wrt.elements, p_.grad_bits)}}, wrt.key, wrt.elements);
  }

  void backward_op(OpId id, const Op& fwd, const std::vector<Input>& ins, const GradVal& dy) {
    const std::uint64_t E = fwd.out_elements();
    const Operand grad{p_.grad_bits, false, false}, grad_t{p_.grad_bits, false, true};
    const Operand act{p_.act_bits, false, false}, act_t{p_.act_bits, false, true};
    const Shape& s = fwd.shape;
    switch (fwd.kind) {
      case OpKind::gemm:
      case OpKind::lora_down:
      case OpKind::lora_up: {
        const ParamId W = fwd.params.front();
        const auto wbits = g_.parameters[static_cast<std::size_t>(W)].bits;
        if (std::any_of(ins.begin(), ins.end(), [&](const Input& i) { return needs(i.src); })) {
          // Backward through the stored weight: dX[M][K] = dY[M][N] W^T[N][K].
          Op op = grad_gemm(OpKind::grad_gemm_dx, fwd, ".dx", {1, s.m, s.n, s.k, 0}, grad, {wbits, true, true});
          op.params = {W};
          const OpId dx = bop(std::move(op), id, dy, E, {});
          for (const auto& i : ins)
            if (needs(i.src)) contribute(i.src, {{dx, bytes_of(i.elements, p_.grad_bits)}}, i.key, i.elements);
        }
        if (std::any_of(fwd.params.begin(), fwd.params.end(), [&](ParamId p) { return trainable(p); })) {
          // dW[K][N] = X^T[K][M] dY[M][N]; the bias gradient (a row sum of dY) rides along.
          Op op = grad_gemm(OpKind::grad_gemm_dw, fwd, ".dw", {1, s.k, s.m, s.n, 0}, act_t, grad);
          for (ParamId p : fwd.params)
            if (trainable(p)) op.params.push_back(p);
          const OpId dw = bop(std::move(op), id, dy, E, ins);
          record_param_grads(fwd, dw);
        }
        break;
      }
      case OpKind::attention_score: {  // S[S][T] = Q[S][d] K^T[d][T] per sequence
        const Input& q = ins.at(0);
        const Input& k = ins.at(1);
        operand_grad(OpKind::attention_score_grad, id, fwd, dy, q, k, ".dq", {s.batch, s.m, s.n, s.k, 0}, grad, act);
        operand_grad(OpKind::attention_score_grad, id, fwd, dy, k, q, ".dk", {s.batch, s.n, s.m, s.k, 0}, grad_t, act);
        break;
      }
      case OpKind::attention_value: {  // O[S][d] = P[S][T] V[T][d] per sequence
        const Input& pr = ins.at(0);
        const Input& v = ins.at(1);
        operand_grad(OpKind::attention_value_grad, id, fwd, dy, pr, v, ".dp", {s.batch, s.m, s.n, s.k, 0}, grad, act_t);
        operand_grad(OpKind::attention_value_grad, id, fwd, dy, v, pr, ".dv", {s.batch, s.k, s.m, s.n, 0}, act_t, grad);
        break;
      }
      case OpKind::softmax:
      case OpKind::gelu:
      case OpKind::rotary: {
        const Input& x = ins.at(0);
        if (!needs(x.src)) break;
        const OpKind kind = fwd.kind == OpKind::softmax ? OpKind::softmax_grad
                            : fwd.kind == OpKind::gelu  ? OpKind::gelu_grad
                                                        : OpKind::rotary_grad;
        const bool has_b = kind_info(kind).b_mult != 0;
        // softmax_grad needs its own output P; gelu_grad the pre-activation.
        std::vector<Input> saved;
        if (kind == OpKind::softmax_grad) saved.push_back({id, -1, E, bytes_of(E, fwd.out_bits)});
        if (kind == OpKind::gelu_grad) saved.push_back(x);
        const OpId gx = bop(grad_vec(kind, fwd, ".grad", s.elements, has_b), id, dy, E, saved);
        contribute(x.src, {{gx, bytes_of(x.elements, p_.grad_bits)}}, x.key, x.elements);
        break;
      }
      case OpKind::layernorm:
      case OpKind::rmsnorm: {
        const Input& x = ins.at(0);
        const bool train = std::any_of(fwd.params.begin(), fwd.params.end(), [&](ParamId p) { return trainable(p); });
        if (!needs(x.src) && !train) break;
        Op op = grad_vec(fwd.kind == OpKind::layernorm ? OpKind::layernorm_grad : OpKind::rmsnorm_grad, fwd, ".grad",
                         s.elements, true);
        for (ParamId p : fwd.params)
          if (trainable(p)) op.params.push_back(p);
        const OpId gx = bop(std::move(op), id, dy, E, {x});
        if (needs(x.src)) contribute(x.src, {{gx, bytes_of(x.elements, p_.grad_bits)}}, x.key, x.elements);
        record_param_grads(fwd, gx);
        break;
      }
      case OpKind::swiglu: {
        Op op = grad_vec(OpKind::swiglu_grad, fwd, ".grad", s.elements, true);
        const OpId gx = bop(std::move(op), id, dy, E, ins);
        for (const auto& i : ins)
          if (needs(i.src)) contribute(i.src, {{gx, bytes_of(i.elements, p_.grad_bits)}}, i.key, i.elements);
        break;
      }
      case OpKind::residual_add:
      case OpKind::kv_cache_append:
        for (const auto& i : ins)
          if (needs(i.src)) contribute(i.src, dy, i.key, i.elements);
        break;
      case OpKind::embedding: {
        // Position/class tables are added to the input: the gradient passes through.
        for (const auto& i : ins)
          if (needs(i.src)) contribute(i.src, dy, i.key, i.elements);
        if (std::any_of(fwd.params.begin(), fwd.params.end(), [&](ParamId p) { return trainable(p); })) {
          Op op = grad_vec(OpKind::embedding_grad, fwd, ".grad", s.elements, false);
          for (ParamId p : fwd.params)
            if (trainable(p)) op.params.push_back(p);
          const OpId ge = bop(std::move(op), id, dy, E, {});
          record_param_grads(fwd, ge);
        }
        break;
      }
      default:
        throw std::logic_error(fmt::format("opgraph: no backward rule for {} op \"{}\"", to_string(fwd.kind), fwd.name));
    }
  }
};

}  // namespace

std::string_view to_string(Mode mode) { return mode_names.at(static_cast<std::size_t>(mode)); }

std::optional<Mode> parse_mode(std::string_view name) {
  for (std::size_t i = 0; i < mode_names.size(); ++i)
    if (mode_names[i] == name) return static_cast<Mode>(i);
  return std::nullopt;
}

std::optional<Precision> parse_precision(std::string_view text) {
  // W<bits>A<bits>, case-insensitive.
  auto number = [&](std::size_t& pos, std::uint32_t& out) {
    const char* first = text.data() + pos;
    const char* last = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(first, last, out);
    if (ec != std::errc() || ptr == first) return false;
    pos += static_cast<std::size_t>(ptr - first);
    return out >= 1 && out <= 64;
  };
  Precision p;
  std::size_t pos = 0;
  if (text.empty() || std::toupper(static_cast<unsigned char>(text[pos++])) != 'W') return std::nullopt;
  if (!number(pos, p.weight_bits)) return std::nullopt;
  if (pos >= text.size() || std::toupper(static_cast<unsigned char>(text[pos++])) != 'A') return std::nullopt;
  if (!number(pos, p.act_bits) || pos != text.size()) return std::nullopt;
  return p;
}

std::string to_string(const Precision& p) { return fmt::format("W{}A{}", p.weight_bits, p.act_bits); }

void validate(const ModelConfig& c, const WorkloadSpec& w) {
  auto fail = [&](std::string_view field, const std::string& msg) {
    throw std::invalid_argument(fmt::format("workload for model \"{}\": {}: {}", c.name, field, msg));
  };
  validate(c);
  const bool generative = c.family == Family::decoder || c.family == Family::llama;
  if ((w.mode == Mode::prefill || w.mode == Mode::decode) && !generative)
    fail("mode", fmt::format("{} needs a decoder or llama model, \"{}\" is {}", to_string(w.mode), c.name,
                             to_string(c.family)));
  if (w.batch < 1 || w.batch > max_dimension) fail("batch", fmt::format("{} outside 1..2^31", w.batch));
  if (c.family == Family::vit) {
    if (w.seq_len != 0 && w.seq_len != c.patches() + 1)
      fail("seq_len", fmt::format("vit sequence length is patches + 1 = {}; set 0 or {}", c.patches() + 1,
                                  c.patches() + 1));
  } else {
    if (w.mode != Mode::decode && w.seq_len < 1) fail("seq_len", "must be at least 1");
    if (w.seq_len > max_dimension) fail("seq_len", fmt::format("{} above 2^31", w.seq_len));
    const std::uint64_t longest = w.seq_len + (w.mode == Mode::decode ? w.decode_tokens : 0);
    if (c.positional == Positional::learned && longest > c.max_positions)
      fail("seq_len", fmt::format("{} positions exceed the model's learned table of {}", longest, c.max_positions));
  }
  if (w.mode == Mode::decode && (w.decode_tokens < 1 || w.decode_tokens > (1u << 20)))
    fail("decode_tokens", fmt::format("{} outside 1..2^20", w.decode_tokens));
  if (w.mode != Mode::decode && w.decode_tokens != 0) fail("decode_tokens", "applies to mode \"decode\" only");
  const auto& p = w.precision;
  for (auto [name, bits] : {std::pair{"weight_bits", p.weight_bits}, {"act_bits", p.act_bits},
                            {"acc_bits", p.acc_bits}, {"grad_bits", p.grad_bits}, {"adapter_bits", p.adapter_bits}})
    if (bits < 1 || bits > 64) fail(fmt::format("precision.{}", name), fmt::format("{} outside 1..64", bits));
  if (w.mode == Mode::lora_finetune) {
    if (w.lora_rank < 1 || w.lora_rank > std::min(c.hidden, c.kv_dim()))
      fail("lora_rank", fmt::format("{} outside 1..{}", w.lora_rank, std::min(c.hidden, c.kv_dim())));
    if (w.lora_targets.empty()) fail("lora_targets", "no projection targeted");
    std::vector<std::string_view> valid{"q", "k", "v", "o"};
    if (c.activation == Activation::gelu) valid.insert(valid.end(), {"ff1", "ff2"});
    else valid.insert(valid.end(), {"gate", "up", "down"});
    std::set<std::string> seen;
    for (const auto& t : w.lora_targets) {
      if (std::find(valid.begin(), valid.end(), t) == valid.end()) {
        std::string list;
        for (auto v : valid) list += fmt::format("{}\"{}\"", list.empty() ? "" : ", ", v);
        fail("lora_targets", fmt::format("unknown target \"{}\" for a {} model (one of {})", t,
                                         to_string(c.activation), list));
      }
      if (!seen.insert(t).second) fail("lora_targets", fmt::format("\"{}\" listed twice", t));
    }
  }
}

Graph generate(const ModelConfig& model, const WorkloadSpec& spec) {
  validate(model, spec);
  return Generator(model, spec).run();
}

}  // namespace strata::opgraph
