#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace opg_test;

TEST_CASE("model library: every file loads and is named after its file", "[opgraph][models]") {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(models_dir())) {
    if (entry.path().extension() != ".toml") continue;
    INFO(entry.path());
    const ModelConfig c = load_model_config(entry.path());
    CHECK(c.name == entry.path().stem().string());
    CHECK_NOTHROW(validate(c));
    ++n;
  }
  CHECK(n >= 8);
  for (auto name : {"bert-base", "bert-large", "roberta-base", "gpt2-small", "gpt2-medium", "bloom-560m", "vit-b16",
                    "tinyllama-1.1b"})
    CHECK(fs::exists(find_model_file(name, {models_dir()})));
}

TEST_CASE("model library: TinyLlama dimensions as published", "[opgraph][models]") {
  const ModelConfig c = model("tinyllama-1.1b");
  CHECK(c.family == Family::llama);
  CHECK(c.layers == 22);
  CHECK(c.hidden == 2048);
  CHECK(c.heads == 32);
  CHECK(c.kv_heads == 4);
  CHECK(c.ffn == 5632);
  CHECK(c.vocab == 32000);
  CHECK(c.head_dim() == 64);
  CHECK(c.kv_dim() == 256);
}

TEST_CASE("model config: kv_heads defaults to heads, vit channels to 3", "[opgraph][models]") {
  CHECK(model("bert-base").kv_heads == 12);
  const ModelConfig vit = model("vit-b16");
  CHECK(vit.patches() == 196);
  CHECK(vit.channels == 3);
}

namespace {
const char* const base_toml = R"(name = "m"
family = "encoder"
layers = 2
hidden = 64
heads = 4
ffn = 128
vocab = 100
max_positions = 32
activation = "gelu"
norm = "layernorm"
positional = "learned"
)";

std::string load_error(const TempDir& dir, const std::string& text) {
  const auto path = dir.write("m.toml", text);
  try {
    load_model_config(path);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

TEST_CASE("model config: unknown key is an error at its file:line:col with a suggestion", "[opgraph][models]") {
  TempDir dir;
  const std::string msg = load_error(dir, std::string(base_toml) + "hiden = 64\n");
  const std::string file = (dir.path / "m.toml").string();
  CHECK_THAT(msg, Catch::Contains(file + ":12:1: error: unknown key \"hiden\""));
  CHECK_THAT(msg, Catch::Contains("note: did you mean \"hidden\"?"));
}

TEST_CASE("model config: hidden must be divisible by heads, reported at heads", "[opgraph][models]") {
  TempDir dir;
  std::string text = base_toml;
  text.replace(text.find("heads = 4"), 9, "heads = 5");
  const std::string msg = load_error(dir, text);
  CHECK_THAT(msg, Catch::Contains("m.toml:5:1: error:") && Catch::Contains("not divisible by heads"));
}

TEST_CASE("model config: wrong types, bad enums, missing keys, all reported together", "[opgraph][models]") {
  TempDir dir;
  std::string text = base_toml;
  text.replace(text.find("layers = 2"), 10, "layers = \"two\"");
  text.replace(text.find("\"gelu\""), 6, "\"gelu2\"");
  text.erase(text.find("ffn = 128\n"), 10);
  const std::string msg = load_error(dir, text);
  CHECK_THAT(msg, Catch::Contains(":3:10: error: layers: expected an integer, got a string"));
  CHECK_THAT(msg, Catch::Contains("\"gelu2\" is not one of") && Catch::Contains("did you mean \"gelu\"?"));
  CHECK_THAT(msg, Catch::Contains("missing required key \"ffn\""));
}

TEST_CASE("model config: TOML syntax errors carry file:line:col", "[opgraph][models]") {
  TempDir dir;
  const std::string msg = load_error(dir, std::string(base_toml) + "heads = = 3\n");
  CHECK_THAT(msg, Catch::Contains((dir.path / "m.toml").string() + ":12:"));
  CHECK_THAT(msg, Catch::Contains("error:"));
}

TEST_CASE("model config: GQA and vit consistency rules", "[opgraph][models]") {
  CHECK_THROWS_WITH(parse_model_config(std::string(base_toml) + "kv_heads = 3\n", "x.toml"),
                    Catch::Contains("x.toml:12:1: error: kv_heads (3) must divide heads (4)"));
  CHECK_THROWS_WITH(parse_model_config(std::string(base_toml) + "patch_size = 16\n", "x.toml"),
                    Catch::Contains("applies to family \"vit\" only"));
  CHECK_THROWS_WITH(parse_model_config(std::string(base_toml) + "type_vocab = -1\n", "x.toml"),
                    Catch::Contains("below the minimum"));
}

TEST_CASE("model config: an unknown model name lists the library", "[opgraph][models]") {
  CHECK_THROWS_WITH(find_model_file("bert-bse", {models_dir()}),
                    Catch::Contains("no model named \"bert-bse\"") && Catch::Contains("bert-base"));
}

TEST_CASE("model config: a near miss suggests the model and names the folders searched", "[opgraph][models]") {
  CHECK_THROWS_WITH(find_model_file("bert-bse", {models_dir()}),
                    Catch::Contains("did you mean \"bert-base\"?") && Catch::Contains("searched: "));
}

TEST_CASE("model config: the default search path finds the library", "[opgraph][models]") {
  const auto dirs = default_model_dirs();
  REQUIRE_FALSE(dirs.empty());
  CHECK(fs::exists(find_model_file("gpt2-small", dirs)));
}

TEST_CASE("model config: every schema key is documented in MODELS.md", "[opgraph][models]") {
  std::ifstream f(source_dir() / "workloads" / "opgraph" / "MODELS.md");
  REQUIRE(f);
  const std::string doc((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  for (const auto& k : model_config_schema()) CHECK_THAT(doc, Catch::Contains("`" + std::string(k.key) + "`"));
}
