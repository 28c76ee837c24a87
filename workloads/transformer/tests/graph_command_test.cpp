// `strata graph`: the workload_transformer plugin's command (workloads/transformer/graph_command.cpp).
#include "test_util.hpp"

#include <strata/opgraph/graph_io.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <sys/wait.h>

using namespace tf_test;

TEST_CASE("strata graph: prints the summary and writes a graph that reads back equal to the generator's",
          "[transformer][cli]") {
  TempDir tmp;
  const auto out = tmp.path / "g.json";
  const auto r = strata_cli("graph bert-base --mode lora_finetune --seq 64 --batch 2 --lora-rank 16 --out " +
                            out.string());
  INFO(r.out);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Catch::Contains("model bert-base (encoder), mode lora_finetune, batch 2, seq_len 64") &&
                        Catch::Contains("LoRA rank 16") && Catch::Contains("parameters 110") &&
                        Catch::Contains("backward  grad_gemm_dx") && Catch::Contains("wrote "));
  og::WorkloadSpec w;
  w.mode = og::Mode::lora_finetune;
  w.seq_len = 64;
  w.batch = 2;
  w.lora_rank = 16;
  CHECK(og::read_graph(out) == og::generate(og::load_model_config(models_dir() / "bert-base.toml"), w));

  const auto again = strata_cli("graph " + out.string() + " --json");
  REQUIRE(again.status == 0);
  const auto j = nlohmann::json::parse(again.out);
  CHECK(j["model"] == "bert-base");
  CHECK(j["mode"] == "lora_finetune");
}

TEST_CASE("strata graph: bad input exits with status 2 and says why", "[transformer][cli]") {
  auto r = strata_cli("graph bert-bse");
  CHECK(r.status == 2);
  CHECK_THAT(r.out, Catch::Contains("no model named \"bert-bse\"") && Catch::Contains("did you mean \"bert-base\""));
  r = strata_cli("graph bert-base --mode training");
  CHECK(r.status == 2);
  CHECK_THAT(r.out, Catch::Contains("unknown mode \"training\""));
  r = strata_cli("graph bert-base --precision 8bit");
  CHECK(r.status == 2);
  CHECK_THAT(r.out, Catch::Contains("precision \"8bit\""));
  r = strata_cli("graph bert-base --mode decode");
  CHECK(r.status == 2);
  CHECK_THAT(r.out, Catch::Contains("needs a decoder or llama model"));
  TempDir tmp;
  const auto bad = tmp.write("bad.json", "{\"format\": \"strata-opgraph\", \"version\": 2}");
  r = strata_cli("graph " + bad.string());
  CHECK(r.status == 2);
  CHECK_THAT(r.out, Catch::Contains("bad.json") && Catch::Contains("version"));
  r = strata_cli("graph");
  CHECK(r.status == 2);
}
