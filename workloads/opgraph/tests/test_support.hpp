// Shared helpers for the opgraph tests: the model library, scratch files, and the
// closed-form parameter count written from the architecture papers (not the generator).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "cli.hpp"  // tests/support: TempDir

#include <strata/opgraph/generators.hpp>
#include <strata/opgraph/model_config.hpp>

namespace opg_test {

namespace fs = std::filesystem;
using namespace strata::opgraph;

inline fs::path source_dir() {
  const char* s = std::getenv("STRATA_SOURCE_DIR");
  return s ? fs::path(s) : fs::path(STRATA_OPGRAPH_SOURCE_DIR);
}

inline fs::path models_dir() { return source_dir() / "workloads" / "models"; }

inline ModelConfig model(const std::string& name) { return load_model_config(models_dir() / (name + ".toml")); }

// A fresh directory under the system temp dir, removed when the test ends.
using TempDir = strata::testing::TempDir;

// Parameters of a transformer from its dimensions: per layer Q, K, V, O projections,
// the feed-forward block, two norms; embeddings and the model's head as published.
inline std::uint64_t closed_form_params(const ModelConfig& c, bool embeddings = true, bool head = true) {
  const std::uint64_t h = c.hidden, f = c.ffn, kvd = std::uint64_t{c.kv_heads} * (h / c.heads);
  const std::uint64_t norm = c.norm == Norm::layernorm ? 2 * h : h;
  std::uint64_t attn = 2 * h * h + 2 * h * kvd + (c.bias ? 2 * h + 2 * kvd : 0);
  std::uint64_t ffn = c.activation == Activation::gelu ? 2 * h * f + (c.bias ? f + h : 0)
                                                       : 3 * h * f + (c.bias ? 2 * f + h : 0);
  std::uint64_t total = c.layers * (attn + ffn + 2 * norm);
  if (c.norm_position == NormPosition::pre) total += norm;  // final norm
  if (embeddings) {
    if (c.family == Family::vit) {
      const std::uint64_t P = (c.image_size / c.patch_size) * (c.image_size / c.patch_size);
      total += std::uint64_t{c.channels} * c.patch_size * c.patch_size * h + (c.bias ? h : 0) + h + (P + 1) * h;
    } else {
      total += std::uint64_t{c.vocab} * h + std::uint64_t{c.type_vocab} * h;
      if (c.positional == Positional::learned) total += std::uint64_t{c.max_positions} * h;
      if (c.embedding_norm) total += norm;
    }
  }
  if (head) {
    if (c.family == Family::encoder && c.pooler) total += h * h + (c.bias ? h : 0);
    if (c.family == Family::vit && c.num_classes) total += h * c.num_classes + (c.bias ? c.num_classes : 0);
    if ((c.family == Family::decoder || c.family == Family::llama) && (!c.tie_embeddings || !embeddings))
      total += std::uint64_t{c.vocab} * h;
  }
  return total;
}

// A small decoder for fast structural tests (GQA, rotary, SwiGLU, RMSNorm).
inline ModelConfig tiny_llama() {
  return parse_model_config(R"(
name = "tiny-llama"
family = "llama"
layers = 2
hidden = 64
heads = 4
kv_heads = 2
ffn = 96
vocab = 100
max_positions = 256
activation = "swiglu"
norm = "rmsnorm"
positional = "rotary"
bias = false
)",
                            "tiny-llama.toml");
}

}  // namespace opg_test
