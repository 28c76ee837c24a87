// Every model of the library in every mode, at reduced size (2 layers, 16 tokens, 2 decode
// steps, 2 micro-batches), runs to completion on a small chip of fakes; the modes a model's
// family cannot do are refused with the reason. `strata run` of the example experiment with
// --set overrides does the same from the command line.
#include "test_util.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>

using namespace tf_test;

TEST_CASE("every model x every mode runs at reduced size on a chip of fakes", "[transformer][models]") {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(models_dir()))
    if (e.path().extension() == ".toml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 8);
  const std::vector<og::Mode> modes{og::Mode::inference, og::Mode::prefill, og::Mode::decode, og::Mode::lora_finetune,
                                    og::Mode::full_finetune};
  Chip chip{.pim = 16, .sa = 4};  // 16 PIM + 4 SA cores of fakes; what does not fit overflows to SA
  int runs = 0, refused = 0;
  for (const auto& file : files) {
    og::ModelConfig model = og::load_model_config(file);
    const bool autoregressive = model.family == og::Family::decoder || model.family == og::Family::llama;
    const bool vit = model.family == og::Family::vit;
    for (const auto mode : modes) {
      const std::string mode_name(og::to_string(mode));
      INFO(model.name << " " << mode_name);
      const std::string params =
          fmt::format(R"(model = "{}", mode = "{}", layers = 2, batch = 2, micro_batches = 2, seq_len = {}, decode_tokens = 2)",
                      model.name, mode_name, vit ? 0 : 16);
      const bool valid = autoregressive || (mode != og::Mode::prefill && mode != og::Mode::decode);
      strata::testing::Harness h;
      if (!valid) {
        CHECK_THAT(h.errors(chip_toml(chip, params)), Catch::Contains("needs a decoder or llama model"));
        ++refused;
        continue;
      }
      // The graph one micro-batch replays: the model cut to 2 layers.
      og::ModelConfig cut = model;
      cut.layers = 2;
      og::WorkloadSpec w;
      w.mode = mode;
      w.batch = 1;
      w.seq_len = vit ? 0 : 16;
      w.decode_tokens = mode == og::Mode::decode ? 2 : 0;
      const og::Graph g = og::generate(cut, w);
      std::uint64_t expected = 0;
      for (const auto& op : g.ops) expected += op.phase == og::Phase::update ? 1 : 2;
      const auto r = h.run(chip_toml(chip, params));
      const auto& s = wl_stats(r);
      CHECK(r.result.reason == strata::detail::StopReason::requested);
      CHECK(s["ops"].get<std::uint64_t>() == expected);
      CHECK(s["ops_issued"].get<std::uint64_t>() == expected);
      CHECK(s["latency"].get<std::uint64_t>() > 0);
      CHECK(s["layer.1.forward.latency"]["count"].get<std::uint64_t>() ==
            (mode == og::Mode::decode ? 4u : 2u));  // per micro-batch (and decode step)
      CHECK(s.contains("layer.2.forward.latency") == false);
      ++runs;
    }
  }
  CHECK(runs == 4 * 5 + 4 * 3);  // decoders and llama: all modes; encoders and vit: three
  CHECK(refused == 4 * 2);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  WARN(fmt::format("{} runs in {:.2f} s", runs, seconds));
  CHECK(seconds < 20.0);
}

TEST_CASE("strata run: the example experiment with --set overrides, for a decoder in decode and a ViT",
          "[transformer][models][cli]") {
  TempDir tmp;
  const auto example = source_dir() / "workloads" / "transformer" / "examples" / "bert_base_lora.toml";
  for (const std::string sets :
       {"--set wl.model=gpt2-small --set wl.mode=decode --set wl.layers=2 --set wl.seq_len=16 --set wl.decode_tokens=2",
        "--set wl.model=vit-b16 --set wl.mode=inference --set wl.layers=1 --set wl.seq_len=0"}) {
    INFO(sets);
    const auto out = tmp.path / "out";
    const auto r = strata_cli(fmt::format("run {} {} --out {} -q", example.string(), sets, out.string()));
    INFO(r.out);
    CHECK(r.status == 0);
    std::ifstream f(out / "run.json");
    REQUIRE(f);
    CHECK(nlohmann::json::parse(f)["status"] == "ok");
    std::ifstream st(out / "stats.json");
    const auto stats = nlohmann::json::parse(st);
    CHECK(stats["components"]["wl"]["stats"]["ops"].get<std::uint64_t>() > 0);
  }
}
