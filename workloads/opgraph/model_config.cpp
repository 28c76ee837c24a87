// Model-library loader: one schema table drives parsing, defaults, validation and docs.
#include "strata/opgraph/model_config.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace strata::opgraph {
namespace {

constexpr std::array<std::string_view, 4> family_names{"encoder", "decoder", "vit", "llama"};
constexpr std::array<std::string_view, 2> activation_names{"gelu", "swiglu"};
constexpr std::array<std::string_view, 2> norm_names{"layernorm", "rmsnorm"};
constexpr std::array<std::string_view, 2> norm_position_names{"pre", "post"};
constexpr std::array<std::string_view, 3> positional_names{"learned", "rotary", "alibi"};

std::string_view type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    default: return "a date/time";
  }
}

// A setter returns an error message, or nothing when the value was accepted.
using Setter = std::function<std::optional<std::string>(const toml::node&, ModelConfig&)>;

struct KeySpec {
  ConfigKeyDoc doc;
  bool required;
  Setter set;
  std::vector<std::string_view> choices;  // enums: for "did you mean"
};

Setter uint_setter(std::uint32_t ModelConfig::*member, std::int64_t min) {
  return [member, min](const toml::node& n, ModelConfig& c) -> std::optional<std::string> {
    const auto* v = n.as_integer();
    if (!v) return fmt::format("expected an integer, got {}", type_name(n));
    const std::int64_t x = v->get();
    if (x < min) return fmt::format("{} is below the minimum {}", x, min);
    if (x > (std::int64_t{1} << 31)) return fmt::format("{} is above the limit 2^31", x);
    c.*member = static_cast<std::uint32_t>(x);
    return std::nullopt;
  };
}

Setter bool_setter(bool ModelConfig::*member) {
  return [member](const toml::node& n, ModelConfig& c) -> std::optional<std::string> {
    const auto* v = n.as_boolean();
    if (!v) return fmt::format("expected a boolean, got {}", type_name(n));
    c.*member = v->get();
    return std::nullopt;
  };
}

Setter string_setter(std::string ModelConfig::*member) {
  return [member](const toml::node& n, ModelConfig& c) -> std::optional<std::string> {
    const auto* v = n.as_string();
    if (!v) return fmt::format("expected a string, got {}", type_name(n));
    if (v->get().empty()) return std::string("must not be empty");
    c.*member = v->get();
    return std::nullopt;
  };
}

template <typename E, std::size_t N>
Setter enum_setter(E ModelConfig::*member, const std::array<std::string_view, N>& names) {
  return [member, &names](const toml::node& n, ModelConfig& c) -> std::optional<std::string> {
    const auto* v = n.as_string();
    if (!v) return fmt::format("expected a string, got {}", type_name(n));
    for (std::size_t i = 0; i < N; ++i)
      if (names[i] == v->get()) {
        c.*member = static_cast<E>(i);
        return std::nullopt;
      }
    std::string list;
    for (auto s : names) list += fmt::format("{}\"{}\"", list.empty() ? "" : ", ", s);
    return fmt::format("\"{}\" is not one of {}", v->get(), list);
  };
}

template <std::size_t N>
std::vector<std::string_view> choices(const std::array<std::string_view, N>& names) {
  return {names.begin(), names.end()};
}

const std::vector<KeySpec>& schema() {
  using C = ModelConfig;
  static const std::vector<KeySpec> keys{
      {{"name", "string", "(required)", "model name, e.g. \"bert-base\""}, true, string_setter(&C::name), {}},
      {{"source", "string", "\"\"", "where the dimensions come from (paper, model card)"}, false,
       string_setter(&C::source), {}},
      {{"family", "encoder, decoder, vit or llama", "(required)", "architecture family"}, true,
       enum_setter(&C::family, family_names), choices(family_names)},
      {{"layers", "integer", "(required)", "transformer blocks"}, true, uint_setter(&C::layers, 1), {}},
      {{"hidden", "integer", "(required)", "model width"}, true, uint_setter(&C::hidden, 1), {}},
      {{"heads", "integer", "(required)", "attention heads; must divide hidden"}, true,
       uint_setter(&C::heads, 1), {}},
      {{"kv_heads", "integer", "heads", "key/value heads (grouped-query attention); must divide heads"}, false,
       uint_setter(&C::kv_heads, 1), {}},
      {{"ffn", "integer", "(required)", "feed-forward intermediate size"}, true, uint_setter(&C::ffn, 1), {}},
      {{"vocab", "integer", "(required except vit)", "vocabulary size"}, false, uint_setter(&C::vocab, 1), {}},
      {{"max_positions", "integer", "(required if positional = \"learned\", except vit)",
        "rows of the learned position table; for rotary/alibi the trained context (informational)"},
       false, uint_setter(&C::max_positions, 1), {}},
      {{"type_vocab", "integer", "0", "token-type (segment) embedding rows; BERT uses 2"}, false,
       uint_setter(&C::type_vocab, 0), {}},
      {{"activation", "gelu or swiglu", "(required)", "feed-forward activation; swiglu adds a gate projection"},
       true, enum_setter(&C::activation, activation_names), choices(activation_names)},
      {{"norm", "layernorm or rmsnorm", "(required)", "normalization"}, true, enum_setter(&C::norm, norm_names),
       choices(norm_names)},
      {{"norm_position", "pre or post", "\"pre\"", "pre-LN (GPT-2, BLOOM, ViT, Llama; adds a final norm) or "
        "post-LN (BERT)"}, false, enum_setter(&C::norm_position, norm_position_names), choices(norm_position_names)},
      {{"positional", "learned, rotary or alibi", "(required)", "position encoding"}, true,
       enum_setter(&C::positional, positional_names), choices(positional_names)},
      {{"bias", "boolean", "true", "biases on every linear layer (Llama: false)"}, false, bool_setter(&C::bias), {}},
      {{"tie_embeddings", "boolean", "false", "LM head shares the word-embedding table"}, false,
       bool_setter(&C::tie_embeddings), {}},
      {{"embedding_norm", "boolean", "false", "a norm right after the embeddings (BERT, BLOOM)"}, false,
       bool_setter(&C::embedding_norm), {}},
      {{"pooler", "boolean", "false", "encoder pooler: dense hidden x hidden on the first token"}, false,
       bool_setter(&C::pooler), {}},
      {{"image_size", "integer", "(required for vit)", "input image side, pixels"}, false,
       uint_setter(&C::image_size, 1), {}},
      {{"patch_size", "integer", "(required for vit)", "patch side, pixels; must divide image_size"}, false,
       uint_setter(&C::patch_size, 1), {}},
      {{"channels", "integer", "3 (vit)", "image channels"}, false, uint_setter(&C::channels, 1), {}},
      {{"num_classes", "integer", "0", "vit classifier outputs; 0 = no classifier head"}, false,
       uint_setter(&C::num_classes, 0), {}},
  };
  return keys;
}

// Location lookup: "file:line:col" of a key, or just the file when the key is absent.
using Where = std::function<std::string(std::string_view key)>;

void check_semantics(const ModelConfig& c, const Where& where, const std::set<std::string>& present,
                     std::vector<std::string>& out) {
  auto error = [&](std::string_view key, const std::string& msg) {
    out.push_back(fmt::format("{}: error: {}", where(key), msg));
  };
  auto has = [&](std::string_view k) { return present.count(std::string(k)) > 0; };
  if (c.heads && c.hidden % c.heads != 0)
    error("heads", fmt::format("hidden ({}) is not divisible by heads ({})", c.hidden, c.heads));
  if (c.kv_heads && c.heads && (c.kv_heads > c.heads || c.heads % c.kv_heads != 0))
    error("kv_heads", fmt::format("kv_heads ({}) must divide heads ({})", c.kv_heads, c.heads));
  if (c.positional == Positional::rotary && c.heads && c.hidden % c.heads == 0 && c.head_dim() % 2 != 0)
    error("positional", fmt::format("rotary needs an even head dimension, got {}", c.head_dim()));
  if (c.family == Family::vit) {
    if (!c.image_size) error("image_size", "vit needs image_size");
    if (!c.patch_size) error("patch_size", "vit needs patch_size");
    if (c.image_size && c.patch_size && c.image_size % c.patch_size != 0)
      error("patch_size", fmt::format("patch_size ({}) must divide image_size ({})", c.patch_size, c.image_size));
    if (c.vocab) error("vocab", "vit takes no vocab (its tokens are image patches)");
    if (c.max_positions) error("max_positions", "vit derives its positions from image_size and patch_size");
    if (c.positional != Positional::learned) error("positional", "vit uses learned positions");
    if (c.tie_embeddings) error("tie_embeddings", "vit has no word embeddings to tie");
  } else {
    for (auto k : {"image_size", "patch_size", "channels", "num_classes"})
      if (has(k)) error(k, fmt::format("{} applies to family \"vit\" only", k));
    if (!c.vocab) error("vocab", "missing required key \"vocab\"");
    if (c.positional == Positional::learned && !c.max_positions)
      error("max_positions", "learned positions need max_positions");
  }
  if (c.pooler && c.family != Family::encoder) error("pooler", "pooler applies to family \"encoder\" only");
  if (c.tie_embeddings && c.family == Family::encoder)
    error("tie_embeddings", "encoders get a pooler, not an LM head; tie_embeddings has no effect");
}

std::string region(const toml::source_region& r, std::string_view fallback) {
  const std::string_view path = r.path ? std::string_view(*r.path) : fallback;
  return fmt::format("{}:{}:{}", path, r.begin.line, r.begin.column);
}

ModelConfig from_table(const toml::table& tbl, std::string_view source_name) {
  ModelConfig c;
  std::vector<std::string> diags;
  std::map<std::string, std::string, std::less<>> key_where;
  std::set<std::string> present;
  std::vector<std::string_view> known;
  for (const auto& k : schema()) known.push_back(k.doc.key);

  for (auto&& [key, node] : tbl) {
    const std::string loc = region(key.source(), source_name);
    key_where[std::string(key.str())] = loc;
    const std::string_view key_text = key.str();  // clang < 16 cannot capture a structured binding
    const auto spec = std::find_if(schema().begin(), schema().end(),
                                   [&](const KeySpec& s) { return s.doc.key == key_text; });
    if (spec == schema().end()) {
      diags.push_back(fmt::format("{}: error: unknown key \"{}\"", loc, key.str()));
      if (auto m = closest_match(key.str(), known); !m.empty())
        diags.push_back(fmt::format("{}: note: did you mean \"{}\"?", loc, m));
      continue;
    }
    present.insert(std::string(key.str()));
    if (auto err = spec->set(node, c)) {
      diags.push_back(fmt::format("{}: error: {}: {}", region(node.source(), source_name), key.str(), *err));
      if (const auto* s = node.as_string(); s && !spec->choices.empty())
        if (auto m = closest_match(s->get(), spec->choices); !m.empty())
          diags.push_back(fmt::format("{}: note: did you mean \"{}\"?", region(node.source(), source_name), m));
    }
  }
  const std::string file_loc = fmt::format("{}:1:1", source_name);
  for (const auto& k : schema())
    if (k.required && !present.count(std::string(k.doc.key)))
      diags.push_back(fmt::format("{}: error: missing required key \"{}\"", file_loc, k.doc.key));
  if (!c.kv_heads) c.kv_heads = c.heads;
  if (c.family == Family::vit && !c.channels) c.channels = 3;
  if (diags.empty()) {
    Where where = [&](std::string_view key) {
      auto it = key_where.find(key);
      return it != key_where.end() ? it->second : file_loc;
    };
    check_semantics(c, where, present, diags);
  }
  if (!diags.empty()) throw ConfigError(std::move(diags));
  return c;
}

}  // namespace

std::string_view to_string(Family v) { return family_names.at(static_cast<std::size_t>(v)); }
std::string_view to_string(Activation v) { return activation_names.at(static_cast<std::size_t>(v)); }
std::string_view to_string(Norm v) { return norm_names.at(static_cast<std::size_t>(v)); }
std::string_view to_string(NormPosition v) { return norm_position_names.at(static_cast<std::size_t>(v)); }
std::string_view to_string(Positional v) { return positional_names.at(static_cast<std::size_t>(v)); }

std::uint32_t ModelConfig::patches() const {
  if (family != Family::vit || !patch_size) return 0;
  const std::uint32_t side = image_size / patch_size;
  return side * side;
}

namespace {
std::string join_lines(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += (s.empty() ? "" : "\n") + l;
  return s;
}
}  // namespace

ConfigError::ConfigError(std::vector<std::string> diagnostics)
    : std::runtime_error(join_lines(diagnostics)), diagnostics_(std::move(diagnostics)) {}

ModelConfig parse_model_config(std::string_view toml_text, std::string_view source_name) {
  toml::table tbl;
  try {
    tbl = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    throw ConfigError({fmt::format("{}: error: {}", region(e.source(), source_name), e.description())});
  }
  return from_table(tbl, source_name);
}

ModelConfig load_model_config(const std::filesystem::path& path) {
  toml::table tbl;
  try {
    tbl = toml::parse_file(path.string());
  } catch (const toml::parse_error& e) {
    throw ConfigError({fmt::format("{}: error: {}", region(e.source(), path.string()), e.description())});
  }
  return from_table(tbl, path.string());
}

void validate(const ModelConfig& c) {
  std::vector<std::string> diags;
  const std::string name = c.name.empty() ? std::string("<model config>") : c.name;
  auto error = [&](const std::string& msg) { diags.push_back(fmt::format("{}: error: {}", name, msg)); };
  for (auto [key, v] : {std::pair{"layers", c.layers}, {"hidden", c.hidden}, {"heads", c.heads},
                        {"kv_heads", c.kv_heads}, {"ffn", c.ffn}})
    if (v == 0) error(fmt::format("{} must be positive", key));
  if (diags.empty()) {
    std::set<std::string> present;
    if (c.image_size) present.insert("image_size");
    if (c.patch_size) present.insert("patch_size");
    if (c.num_classes) present.insert("num_classes");
    check_semantics(c, [&](std::string_view) { return name; }, present, diags);
  }
  if (!diags.empty()) throw ConfigError(std::move(diags));
}

const std::vector<ConfigKeyDoc>& model_config_schema() {
  static const std::vector<ConfigKeyDoc> docs = [] {
    std::vector<ConfigKeyDoc> d;
    for (const auto& k : schema()) d.push_back(k.doc);
    return d;
  }();
  return docs;
}

std::filesystem::path find_model_file(std::string_view name_or_path,
                                      const std::vector<std::filesystem::path>& dirs) {
  namespace fs = std::filesystem;
  const std::string s(name_or_path);
  if (s.find('/') != std::string::npos || (s.size() > 5 && s.ends_with(".toml"))) {
    if (fs::is_regular_file(s)) return s;
    throw ConfigError({fmt::format("{}: error: no such model file", s)});
  }
  std::set<std::string> found;
  std::string searched;
  for (const auto& dir : dirs) {
    if (dir.empty()) continue;
    const fs::path p = dir / (s + ".toml");
    if (fs::is_regular_file(p)) return p;
    searched += (searched.empty() ? "" : ", ") + dir.string();
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec))
      if (entry.path().extension() == ".toml") found.insert(entry.path().stem().string());
  }
  std::string list;
  std::vector<std::string_view> names;
  for (const auto& f : found) {
    list += (list.empty() ? "" : ", ") + f;
    names.push_back(f);
  }
  std::vector<std::string> diags{fmt::format("{}: error: no model named \"{}\" in the model library", s, s)};
  if (auto guess = closest_match(s, names); !guess.empty())
    diags.push_back(fmt::format("{}: note: did you mean \"{}\"?", s, guess));
  diags.push_back(fmt::format("{}: note: available: {}", s, list.empty() ? "(none)" : list));
  diags.push_back(fmt::format("{}: note: searched: {}", s, searched.empty() ? "(no folders)" : searched));
  throw ConfigError(std::move(diags));
}

std::vector<std::filesystem::path> default_model_dirs() {
  std::vector<std::filesystem::path> dirs;
  auto add_list = [&](std::string_view text) {
    while (!text.empty()) {
      const auto colon = text.find(':');
      const std::string_view one = text.substr(0, colon);
      if (!one.empty()) dirs.emplace_back(std::string(one));
      if (colon == std::string_view::npos) break;
      text.remove_prefix(colon + 1);
    }
  };
  if (const char* env = std::getenv("STRATA_MODELS_PATH")) add_list(env);
  if (const char* src = std::getenv("STRATA_SOURCE_DIR"))
    dirs.push_back(std::filesystem::path(src) / "workloads" / "models");
#ifdef STRATA_OPGRAPH_INSTALLED_MODELS_DIR
  dirs.emplace_back(STRATA_OPGRAPH_INSTALLED_MODELS_DIR);
#endif
#ifdef STRATA_OPGRAPH_BUILD_MODELS_DIR
  dirs.emplace_back(STRATA_OPGRAPH_BUILD_MODELS_DIR);
#endif
  // The same folder named twice is searched once.
  std::vector<std::filesystem::path> unique;
  for (auto& d : dirs)
    if (std::find(unique.begin(), unique.end(), d.lexically_normal()) == unique.end())
      unique.push_back(d.lexically_normal());
  return unique;
}

}  // namespace strata::opgraph
