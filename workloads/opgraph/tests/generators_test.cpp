#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "test_support.hpp"

using namespace opg_test;

namespace {
bool is_weight_gemm(const Op& op) { return op.kind == OpKind::gemm && op.layer >= 0; }
bool is_attention(const Op& op) {
  return op.kind == OpKind::attention_score || op.kind == OpKind::attention_value;
}

WorkloadSpec spec(Mode mode, std::uint64_t batch, std::uint64_t seq) {
  WorkloadSpec w;
  w.mode = mode;
  w.batch = batch;
  w.seq_len = seq;
  return w;
}

void check_topological(const Graph& g) {
  const auto order = g.topological_order();
  REQUIRE(order.size() == g.ops.size());
  std::vector<std::size_t> pos(g.ops.size());
  for (std::size_t i = 0; i < order.size(); ++i) pos[static_cast<std::size_t>(order[i])] = i;
  for (const auto& e : g.edges)
    REQUIRE(pos[static_cast<std::size_t>(e.src)] < pos[static_cast<std::size_t>(e.dst)]);
}

void check_unique_names(const Graph& g) {
  std::set<std::string> names;
  for (const auto& op : g.ops) REQUIRE(names.insert(op.name).second);
}
}  // namespace

TEST_CASE("params: BERT-base = embeddings + 12 x (attention 4h^2+4h, FFN 2h*ffn+h+ffn, 2 LNs) + pooler",
          "[opgraph][gen]") {
  const ModelConfig c = model("bert-base");
  const std::uint64_t h = c.hidden, f = c.ffn;
  const std::uint64_t emb = (std::uint64_t{c.vocab} + c.max_positions + c.type_vocab) * h + 2 * h;
  const std::uint64_t layer = (4 * h * h + 4 * h) + (2 * h * f + h + f) + 2 * (2 * h);
  const std::uint64_t pooler = h * h + h;
  const Graph g = generate(c, spec(Mode::inference, 1, 16));
  CHECK(g.parameter_count() == emb + c.layers * layer + pooler);
  CHECK(g.parameter_count() == 109'482'240);  // bert-base-uncased as released
  CHECK(g.trainable_parameter_count() == 0);
}

TEST_CASE("params: the model library matches the published totals", "[opgraph][gen]") {
  // Totals of the released checkpoints (embeddings and each model's own head included).
  const std::map<std::string, std::uint64_t> published{
      {"bert-base", 109'482'240},  {"bert-large", 335'141'888},  {"roberta-base", 124'645'632},
      {"gpt2-small", 124'439'808}, {"gpt2-medium", 354'823'168}, {"bloom-560m", 559'214'592},
      {"vit-b16", 86'567'656},     {"tinyllama-1.1b", 1'100'048'384},
  };
  for (const auto& [name, total] : published) {
    INFO(name);
    const ModelConfig c = model(name);
    WorkloadSpec w = spec(Mode::inference, 1, c.family == Family::vit ? 0 : 4);
    const Graph g = generate(c, w);
    CHECK(g.parameter_count() == closed_form_params(c));
    CHECK(g.parameter_count() == total);
  }
}

TEST_CASE("params: without embeddings and head only the blocks (and final norm) remain", "[opgraph][gen]") {
  const ModelConfig c = model("gpt2-small");
  WorkloadSpec w = spec(Mode::inference, 1, 8);
  w.include_embeddings = false;
  w.include_lm_head = false;
  CHECK(generate(c, w).parameter_count() == closed_form_params(c, false, false));
  w.include_lm_head = true;  // the tied table now belongs to the LM head alone
  CHECK(generate(c, w).parameter_count() == closed_form_params(c, false, true));
}

TEST_CASE("flops: forward GEMMs per layer = 2BS(4h^2 + 2h*ffn) + attention 4BS^2h", "[opgraph][gen]") {
  const ModelConfig c = model("bert-base");
  const std::uint64_t B = 2, S = 64, h = c.hidden, f = c.ffn;
  const Graph g = generate(c, spec(Mode::inference, B, S));
  std::vector<std::uint64_t> gemm(c.layers), attn(c.layers);
  for (const auto& op : g.ops) {
    if (op.layer < 0) continue;
    if (is_weight_gemm(op)) gemm[static_cast<std::size_t>(op.layer)] += op.flops();
    if (is_attention(op)) attn[static_cast<std::size_t>(op.layer)] += op.flops();
  }
  for (std::uint32_t l = 0; l < c.layers; ++l) {
    CHECK(gemm[l] == 2 * B * S * (4 * h * h + 2 * h * f));
    CHECK(attn[l] == 2 * 2 * B * S * S * h);
  }
}

TEST_CASE("flops: GQA shrinks K/V projections, not attention; SwiGLU has three FFN GEMMs", "[opgraph][gen]") {
  const ModelConfig c = tiny_llama();
  const std::uint64_t B = 3, S = 10, M = B * S, h = c.hidden, f = c.ffn, kvd = c.kv_dim();
  const Graph g = generate(c, spec(Mode::inference, B, S));
  std::uint64_t gemm = 0, attn = 0;
  int score_ops = 0;
  for (const auto& op : g.ops)
    if (op.layer == 1) {
      if (is_weight_gemm(op)) gemm += op.flops();
      if (is_attention(op)) attn += op.flops();
      score_ops += op.kind == OpKind::attention_score;
    }
  CHECK(gemm == 2 * M * (2 * h * h + 2 * h * kvd + 3 * h * f));
  CHECK(attn == 4 * B * S * S * h);
  CHECK(score_ops == static_cast<int>(c.heads));
}

TEST_CASE("LoRA: trainable params = layers * targets * rank * (h + h) for q, v", "[opgraph][gen]") {
  const ModelConfig c = model("bert-base");
  WorkloadSpec w = spec(Mode::lora_finetune, 1, 32);
  const Graph g = generate(c, w);
  const std::uint64_t h = c.hidden, r = w.lora_rank;
  CHECK(r == 32);
  CHECK(g.trainable_parameter_count() == c.layers * 2 * r * (h + h));
  CHECK(g.parameter_count() == closed_form_params(c) + g.trainable_parameter_count());
  g.validate();
  check_topological(g);
  check_unique_names(g);
}

TEST_CASE("LoRA backward: dX through frozen weights, dW and updates only for adapters", "[opgraph][gen]") {
  const ModelConfig c = model("bert-base");
  const std::uint64_t B = 1, S = 32, h = c.hidden, f = c.ffn;
  const Graph g = generate(c, spec(Mode::lora_finetune, B, S));
  std::map<int, std::uint64_t> frozen_dx;
  int updates = 0, lora_fwd = 0;
  for (const auto& op : g.ops) {
    if (op.kind == OpKind::lora_down || op.kind == OpKind::lora_up) ++lora_fwd;
    if (op.phase == Phase::forward) continue;
    if (op.kind == OpKind::grad_gemm_dw) {
      const Op& fwd = g.ops.at(static_cast<std::size_t>(op.grad_of));
      CHECK((fwd.kind == OpKind::lora_down || fwd.kind == OpKind::lora_up));
      for (auto p : op.params) CHECK(g.parameters[static_cast<std::size_t>(p)].trainable);
    }
    if (op.kind == OpKind::grad_gemm_dx) {
      const Op& fwd = g.ops.at(static_cast<std::size_t>(op.grad_of));
      CHECK(op.b.is_static);
      CHECK(op.b.transposed);
      CHECK(op.params == std::vector<ParamId>{fwd.params.front()});
      CHECK(op.flops() == fwd.flops());
      if (fwd.kind == OpKind::gemm) frozen_dx[op.layer] += op.flops();
    }
    if (op.kind == OpKind::weight_update) {
      ++updates;
      REQUIRE(op.params.size() == 1);
      CHECK(g.parameters[static_cast<std::size_t>(op.params[0])].trainable);
      CHECK(op.phase == Phase::update);
    }
  }
  CHECK(lora_fwd == static_cast<int>(c.layers) * 2 * 2);
  CHECK(updates == static_cast<int>(c.layers) * 2 * 2);  // A and B of q and v per layer
  // Every frozen weight GEMM above layer 0 passes a gradient down (BERT: post-LN, so the
  // layer-0 Q/K/V inputs, the embeddings, need none; its O and FFN GEMMs do).
  for (int l = 1; l < static_cast<int>(c.layers); ++l) CHECK(frozen_dx[l] == 2 * B * S * (4 * h * h + 2 * h * f));
  CHECK(frozen_dx[0] == 2 * B * S * (h * h + 2 * h * f));
  // Nothing differentiates the embeddings: they are frozen and feed nothing trainable.
  for (const auto& op : g.ops)
    if (op.grad_of >= 0) CHECK(g.ops[static_cast<std::size_t>(op.grad_of)].name.rfind("embed", 0) != 0);
}

TEST_CASE("full fine-tune: dW for every weight GEMM, one update per parameter", "[opgraph][gen]") {
  const ModelConfig c = tiny_llama();
  const std::uint64_t B = 2, S = 8, M = B * S, h = c.hidden, f = c.ffn, kvd = c.kv_dim();
  const Graph g = generate(c, spec(Mode::full_finetune, B, S));
  g.validate();
  check_topological(g);
  check_unique_names(g);
  CHECK(g.trainable_parameter_count() == g.parameter_count());
  std::map<ParamId, int> updated;
  std::uint64_t dw_flops_l1 = 0, fwd_attn_l1 = 0, bwd_attn_l1 = 0;
  for (const auto& op : g.ops) {
    if (op.kind == OpKind::weight_update) ++updated[op.params.at(0)];
    if (op.layer != 1) continue;
    if (op.kind == OpKind::grad_gemm_dw) dw_flops_l1 += op.flops();
    if (is_attention(op)) fwd_attn_l1 += op.flops();
    if (op.kind == OpKind::attention_score_grad || op.kind == OpKind::attention_value_grad)
      bwd_attn_l1 += op.flops();
  }
  CHECK(updated.size() == g.parameters.size());
  for (const auto& [p, n] : updated) CHECK(n == 1);  // tied or shared tensors still get one update
  CHECK(dw_flops_l1 == 2 * M * (2 * h * h + 2 * h * kvd + 3 * h * f));
  CHECK(bwd_attn_l1 == 2 * fwd_attn_l1);  // dQ, dK, dP, dV: two GEMMs per forward GEMM
  // GQA: the heads sharing a KV group sum their dK (and dV) slices; distinct groups and
  // Q heads concatenate. heads/kv_heads heads per group -> (heads/kv_heads - 1) sums each.
  const int per_group_sums = static_cast<int>(c.heads / c.kv_heads) - 1;
  int k_sums = 0, v_sums = 0, q_sums = 0;
  for (const auto& op : g.ops) {
    if (op.kind != OpKind::residual_add || op.phase != Phase::backward) continue;
    k_sums += op.name.rfind("L1.attn.k_rotary.grad_acc", 0) == 0;
    v_sums += op.name.rfind("L1.attn.v_proj.grad_acc", 0) == 0;
    q_sums += op.name.rfind("L1.attn.q_rotary.grad_acc", 0) == 0;
  }
  CHECK(k_sums == static_cast<int>(c.kv_heads) * per_group_sums);
  CHECK(v_sums == static_cast<int>(c.kv_heads) * per_group_sums);
  CHECK(q_sums == 0);
}

TEST_CASE("decode: attention K-length grows by one per generated token", "[opgraph][gen]") {
  const ModelConfig c = tiny_llama();
  WorkloadSpec w = spec(Mode::decode, 2, 10);
  w.decode_tokens = 5;
  const Graph g = generate(c, w);
  g.validate();
  check_topological(g);
  check_unique_names(g);
  std::vector<std::uint64_t> score_n, value_k;
  for (const auto& op : g.ops) {
    if (op.layer != 0 || op.head != 0) continue;
    if (op.kind == OpKind::attention_score) {
      CHECK(op.shape.m == 1);
      score_n.push_back(op.shape.n);
    }
    if (op.kind == OpKind::attention_value) value_k.push_back(op.shape.k);
  }
  REQUIRE(score_n.size() == w.decode_tokens);
  for (std::size_t t = 0; t < score_n.size(); ++t) {
    CHECK(score_n[t] == w.seq_len + t + 1);
    CHECK(value_k[t] == w.seq_len + t + 1);
  }
  // The KV cache read of each head crosses from the cache-append op with all T positions.
  const std::uint64_t d = c.head_dim();
  for (const auto& e : g.edges) {
    const Op& src = g.ops[static_cast<std::size_t>(e.src)];
    const Op& dst = g.ops[static_cast<std::size_t>(e.dst)];
    if (src.kind == OpKind::kv_cache_append && dst.kind == OpKind::attention_score)
      CHECK(e.bytes == bytes_of(w.batch * dst.shape.n * d, w.precision.act_bits));
  }
}

TEST_CASE("decode and prefill need a generative model; ViT sequence is patches + 1", "[opgraph][gen]") {
  WorkloadSpec w = spec(Mode::decode, 1, 8);
  w.decode_tokens = 2;
  CHECK_THROWS_WITH(generate(model("bert-base"), w), Catch::Contains("decoder or llama"));
  const ModelConfig vit = model("vit-b16");
  CHECK_THROWS_WITH(generate(vit, spec(Mode::inference, 1, 128)), Catch::Contains("patches + 1 = 197"));
  const Graph g = generate(vit, spec(Mode::inference, 1, 0));
  for (const auto& op : g.ops)
    if (op.kind == OpKind::attention_score) CHECK((op.shape.m == 197 && op.shape.n == 197));
}

TEST_CASE("workload validation names the field", "[opgraph][gen]") {
  const ModelConfig c = model("gpt2-small");
  CHECK_THROWS_WITH(generate(c, spec(Mode::inference, 1, 2048)), Catch::Contains("seq_len"));
  WorkloadSpec w = spec(Mode::lora_finetune, 1, 8);
  w.lora_targets = {"q", "gate"};
  CHECK_THROWS_WITH(generate(c, w), Catch::Contains("lora_targets") && Catch::Contains("\"gate\""));
  CHECK(parse_precision("W4A8") == Precision{4, 8});
  CHECK_FALSE(parse_precision("W4").has_value());
  CHECK(parse_mode("lora_finetune") == Mode::lora_finetune);
}

TEST_CASE("prefill writes the KV cache and runs the LM head on the last token only", "[opgraph][gen]") {
  const ModelConfig c = model("gpt2-small");
  const std::uint64_t B = 2, S = 16;
  const Graph g = generate(c, spec(Mode::prefill, B, S));
  int appends = 0;
  for (const auto& op : g.ops) {
    appends += op.kind == OpKind::kv_cache_append;
    if (op.name == "lm_head") {
      CHECK(op.shape.m == B);
      CHECK(op.shape.n == c.vocab);
    }
  }
  CHECK(appends == static_cast<int>(c.layers));
}

TEST_CASE("every generated graph is valid, acyclic and uniquely named", "[opgraph][gen]") {
  for (auto name : {"bert-base", "gpt2-small", "bloom-560m", "vit-b16", "tinyllama-1.1b"}) {
    const ModelConfig c = model(name);
    for (Mode m : {Mode::inference, Mode::lora_finetune, Mode::full_finetune}) {
      INFO(name << " " << to_string(m));
      const Graph g = generate(c, spec(m, 1, c.family == Family::vit ? 0 : 8));
      g.validate();
      check_topological(g);
      check_unique_names(g);
      if (m != Mode::inference) {
        std::set<ParamId> updated;
        for (const auto& op : g.ops)
          if (op.kind == OpKind::weight_update) updated.insert(op.params.at(0));
        std::set<ParamId> trainable;
        for (std::size_t p = 0; p < g.parameters.size(); ++p)
          if (g.parameters[p].trainable) trainable.insert(static_cast<ParamId>(p));
        CHECK(updated == trainable);
      }
    }
  }
}
