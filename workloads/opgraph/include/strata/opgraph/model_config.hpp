// Model configurations: the architectural dimensions a generator needs, read from the
// model library (workloads/models/*.toml). Schema and sources: MODELS.md beside this
// library. Unknown keys, wrong types and inconsistent dimensions are errors reported in
// compiler format (file:line:col: error: ...), all of them at once.
#pragma once

#include <strata/suggest.hpp>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace strata::opgraph {

enum class Family : std::uint8_t { encoder, decoder, vit, llama };
enum class Activation : std::uint8_t { gelu, swiglu };
enum class Norm : std::uint8_t { layernorm, rmsnorm };
enum class NormPosition : std::uint8_t { pre, post };
enum class Positional : std::uint8_t { learned, rotary, alibi };

std::string_view to_string(Family);
std::string_view to_string(Activation);
std::string_view to_string(Norm);
std::string_view to_string(NormPosition);
std::string_view to_string(Positional);

struct ModelConfig {
  std::string name;
  std::string source;  // provenance of the numbers (paper, model card); informational
  Family family = Family::encoder;
  std::uint32_t layers = 0, hidden = 0, heads = 0;
  std::uint32_t kv_heads = 0;       // grouped-query attention; the loader sets it to heads if absent
  std::uint32_t ffn = 0;            // intermediate size of the feed-forward block
  std::uint32_t vocab = 0;          // 0 for vit
  std::uint32_t max_positions = 0;  // learned position table size; 0 = unbounded (rotary/alibi)
  std::uint32_t type_vocab = 0;     // token-type (segment) embeddings, BERT: 2
  Activation activation = Activation::gelu;
  Norm norm = Norm::layernorm;
  NormPosition norm_position = NormPosition::pre;  // pre-LN models also have a final norm
  Positional positional = Positional::learned;
  bool bias = true;             // biases on every linear layer
  bool tie_embeddings = false;  // LM head reuses the word-embedding table
  bool embedding_norm = false;  // a norm right after the embeddings (BERT, BLOOM)
  bool pooler = false;          // encoder pooler (dense h x h on the first token)
  // vit only
  std::uint32_t image_size = 0, patch_size = 0, channels = 0, num_classes = 0;

  std::uint32_t head_dim() const { return hidden / heads; }
  std::uint32_t kv_dim() const { return kv_heads * head_dim(); }
  std::uint32_t patches() const;  // vit: (image_size / patch_size)^2, else 0
  bool operator==(const ModelConfig&) const = default;
};

// All problems found in one file, each a compiler-format line (file:line:col: error: ...)
// possibly followed by a note line. what() joins them with newlines.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<std::string> diagnostics);
  const std::vector<std::string>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<std::string> diagnostics_;
};

// Reads and validates one model file. Throws ConfigError (also for unreadable files and
// TOML syntax errors).
ModelConfig load_model_config(const std::filesystem::path& path);
// Same, from text; source_name is used in diagnostics.
ModelConfig parse_model_config(std::string_view toml_text, std::string_view source_name);
// Dimension consistency checks for a config built in code; throws ConfigError.
void validate(const ModelConfig& config);

// One line of the schema: the same table drives parsing, validation and MODELS.md.
struct ConfigKeyDoc {
  std::string_view key, type, default_value, doc;
};
const std::vector<ConfigKeyDoc>& model_config_schema();

// "bert-base" -> <dir>/bert-base.toml from the first dir that has it; a name with a '/'
// or ending in ".toml" is taken as a path. Throws ConfigError listing the models found
// (with a did-you-mean note) and the folders searched.
std::filesystem::path find_model_file(std::string_view name_or_path,
                                      const std::vector<std::filesystem::path>& dirs);

// Where the model library is looked for, in order: each folder of $STRATA_MODELS_PATH
// (colon-separated), $STRATA_SOURCE_DIR/workloads/models, the installed library
// (<prefix>/share/strata/models), and the source tree this library was built from.
std::vector<std::filesystem::path> default_model_dirs();

// "Did you mean" notes: the SDK's suggestion (shared with the kernel and the graph reader).
using strata::closest_match;

}  // namespace strata::opgraph
