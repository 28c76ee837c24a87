// Operation-graph generators for the model library: inference (full forward, prefill,
// KV-cached decode) and fine-tuning (LoRA as in Atleus, and full). Every choice the
// papers leave open is listed in GENERATORS.md beside this library.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/opgraph/model_config.hpp"
#include "strata/opgraph/op_graph.hpp"

namespace strata::opgraph {

enum class Mode : std::uint8_t {
  inference,      // one forward pass over batch x seq_len tokens
  prefill,        // decoder/llama: forward over the prompt, writing the KV cache
  decode,         // decoder/llama: decode_tokens steps, one token each, KV length growing
  lora_finetune,  // forward + backward + update; only LoRA adapters train
  full_finetune,  // forward + backward + update; every parameter trains
};
std::string_view to_string(Mode mode);
std::optional<Mode> parse_mode(std::string_view name);

struct Precision {
  std::uint32_t weight_bits = 8;   // stored frozen weights (ReRAM cells hold these)
  std::uint32_t act_bits = 8;      // activations between ops
  std::uint32_t acc_bits = 32;     // GEMM accumulators; also 1-D parameters (biases, norm gains)
  std::uint32_t grad_bits = 16;    // gradients in the backward pass
  std::uint32_t adapter_bits = 16; // trainable LoRA matrices
  bool operator==(const Precision&) const = default;
};
// "W8A8", "W4A8", "w4a16": weight and activation bits; the rest keep their defaults.
std::optional<Precision> parse_precision(std::string_view text);
std::string to_string(const Precision& p);  // "W8A8"

struct WorkloadSpec {
  Mode mode = Mode::inference;
  std::uint64_t batch = 1;
  // Tokens per sequence. vit: 0 or patches + 1 (the class token). decode: the prompt
  // length already in the KV cache when the first generated token is computed.
  std::uint64_t seq_len = 128;
  std::uint64_t decode_tokens = 0;  // decode: tokens generated (>= 1)
  Precision precision;
  std::uint32_t lora_rank = 32;
  // Projections that get an adapter: q, k, v, o, and ff1/ff2 (gelu) or gate/up/down (swiglu).
  std::vector<std::string> lora_targets{"q", "v"};
  bool include_embeddings = true;
  // The model's own output head: LM head (decoder, llama), pooler (encoder with pooler),
  // classifier (vit with num_classes). Fine-tuning puts the loss after it.
  bool include_lm_head = true;
};

// Throws std::invalid_argument naming the field when the spec does not fit the model
// (decode on an encoder, unknown LoRA target, sequence beyond max_positions, ...).
void validate(const ModelConfig& model, const WorkloadSpec& spec);

// Builds the graph; the result passes Graph::validate(). Ops are emitted in a
// topological order, forward ops first, then backward, then updates.
Graph generate(const ModelConfig& model, const WorkloadSpec& spec);

}  // namespace strata::opgraph
