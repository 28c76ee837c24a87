// Bad inputs stop the run before time zero (or at init, for wiring the constructor cannot
// see) with a message that names the problem and, where there is one, the fix.
#include "test_util.hpp"

#include <catch2/catch.hpp>

using namespace tf_test;

namespace {

std::string build_error(const std::string& wl_params, Chip chip = {}) {
  strata::testing::Harness h;
  return h.errors(chip_toml(chip, wl_params));
}

std::string init_error(const std::string& wl_params, Chip chip = {}) {
  strata::testing::Harness h;
  try {
    h.run(chip_toml(chip, wl_params));
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("errors: an unknown model lists the library and suggests the near miss", "[transformer][errors]") {
  const auto e = build_error(R"(model = "bert-bse")");
  CHECK_THAT(e, Catch::Contains("wl") && Catch::Contains("no model named \"bert-bse\"") &&
                    Catch::Contains("did you mean \"bert-base\"") && Catch::Contains("available: ") &&
                    Catch::Contains("gpt2-small"));
}

TEST_CASE("errors: a bad mode, mapping or precision is named with what is allowed", "[transformer][errors]") {
  CHECK_THAT(build_error(R"(mode = "finetune")"),
             Catch::Contains("parameter 'mode' must be one of") && Catch::Contains("lora_finetune"));
  CHECK_THAT(build_error(R"(mapping = "gpu")"), Catch::Contains("parameter 'mapping' must be one of"));
  CHECK_THAT(build_error(R"(precision = "W8X8")"),
             Catch::Contains("precision \"W8X8\" is not W<bits>A<bits>"));
}

TEST_CASE("errors: a workload that does not fit the model names the field", "[transformer][errors]") {
  CHECK_THAT(build_error(R"(model = "bert-base", mode = "decode")"),
             Catch::Contains("mode") && Catch::Contains("needs a decoder or llama model"));
  CHECK_THAT(build_error(R"(model = "bert-base", seq_len = 4096)"),
             Catch::Contains("seq_len") && Catch::Contains("exceed"));
  CHECK_THAT(build_error(R"(model = "bert-base", mode = "lora_finetune", lora_targets = "q,x")"),
             Catch::Contains("lora_targets") && Catch::Contains("unknown target \"x\""));
  CHECK_THAT(build_error(R"(batch = 3, micro_batches = 2)"), Catch::Contains("micro_batches = 2 must divide batch = 3"));
}

TEST_CASE("errors: graph file problems name the file and the JSON node", "[transformer][errors]") {
  TempDir tmp;
  CHECK_THAT(build_error(fmt::format(R"(graph_file = "{}")", (tmp.path / "missing.json").string())),
             Catch::Contains("graph_file") && Catch::Contains("missing.json"));
  const auto bad = tmp.write("bad.json", R"({"format": "strata-opgraph", "version": 1, "model": {"name": "x"},
  "ops": [{"id": 0, "name": "L0.q", "kind": "gemmm", "phase": "forward", "shape": {"m": 1, "k": 1, "n": 1},
           "a": {"bits": 8}, "b": {"bits": 8}, "out": {"bits": 8, "acc_bits": 32}}], "edges": []})");
  CHECK_THAT(build_error(fmt::format(R"(graph_file = "{}")", bad.string())),
             Catch::Contains("bad.json") && Catch::Contains("/ops/0/kind") && Catch::Contains("unknown op kind \"gemmm\""));
  const auto syntax = tmp.write("syntax.json", "{\"format\": ");
  CHECK_THAT(build_error(fmt::format(R"(graph_file = "{}")", syntax.string())),
             Catch::Contains("syntax.json:1:") && Catch::Contains("not valid JSON"));
}

TEST_CASE("errors: wiring the policy cannot use is reported at init with the fix", "[transformer][errors]") {
  Chip sa_only_chip;
  sa_only_chip.pim = 0;
  CHECK_THAT(init_error(R"(model = "bert-base", seq_len = 16)", sa_only_chip),
             Catch::Contains("none of cores[] is a PIM core") && Catch::Contains("sa_only"));
  CHECK_THAT(init_error(R"(model = "bert-base", seq_len = 16, sa_types = "systolic.*")"),
             Catch::Contains("sa[0] of type test.fake_sa, which is neither a PIM core"));
  CHECK(init_error(R"(model = "bert-base", seq_len = 16, mapping = "sa_only")", sa_only_chip).empty());
}

TEST_CASE("errors: a core that refuses a request stops the run naming the op and the core", "[transformer][errors]") {
  // check_weights: the fake PIM core refuses a stored-weight GEMM whose weights it never got.
  Chip chip;
  chip.pim_params += ", check_weights = true";
  CHECK(init_error(R"(model = "bert-base", seq_len = 16)", chip).empty());  // loaded first: fine
  CHECK_THAT(init_error(R"(model = "bert-base", seq_len = 16, load_weights = false)", chip),
             Catch::Contains("op ") && Catch::Contains("L0.attn.q_proj") && Catch::Contains("on pim[0]") &&
                 Catch::Contains("refused"));
}

TEST_CASE("errors: vector ops reach the cores under names they know (vector_aliases)", "[transformer][errors]") {
  Chip chip;  // an SA core that, like systolic.array, knows four vector ops by name
  chip.sa_params += R"(, accept_ops = "softmax,layernorm,gelu,residual_add")";
  const std::string run = R"(model = "bert-base", seq_len = 16, mode = "lora_finetune")";
  CHECK(init_error(run, chip).empty());
  CHECK_THAT(init_error(run + R"(, vector_aliases = "")", chip),
             Catch::Contains("embed") && Catch::Contains("on sa[0]") && Catch::Contains("unsupported"));
  CHECK_THAT(build_error(R"(vector_aliases = "softmx=softmax")"),
             Catch::Contains("vector_aliases: \"softmx=softmax\" is not kind=name"));
}
