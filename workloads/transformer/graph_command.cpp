// `strata graph` (see graph_command.hpp): a thin front end over strata_opgraph.
#include "graph_command.hpp"

#include <strata/opgraph/generators.hpp>
#include <strata/opgraph/graph_io.hpp>
#include <strata/opgraph/importers.hpp>
#include <strata/opgraph/model_config.hpp>
#include <strata/opgraph/summary.hpp>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <filesystem>
#include <ostream>

namespace strata::transformer {

namespace og = strata::opgraph;

namespace {
constexpr const char* kSummary = "Generate a transformer op graph, print its summary, optionally write it";
}  // namespace

std::string graph_command_usage() {
  CLI::App app{kSummary, "strata graph"};
  GraphCommand cmd(app);
  return app.help();
}

int graph_command(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  CLI::App app{kSummary, "strata graph"};
  GraphCommand cmd(app);
  std::vector<std::string> words(args.rbegin(), args.rend());  // CLI11 takes them last first
  try {
    app.parse(words);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e, out, err);
    return rc == 0 ? 0 : 2;  // --help is rc 0; every other parse error is bad input
  }
  return cmd.run(out, err);
}

GraphCommand::GraphCommand(CLI::App& app) {
  sub_ = &app;
  sub_->add_option("model", model_,
                   "Model from the library (e.g. bert-base), a model TOML path, or a graph .json to summarise")
      ->required();
  sub_->add_option("--mode", mode_, "inference, prefill, decode, lora_finetune or full_finetune")->capture_default_str();
  sub_->add_option("--batch", batch_, "Sequences in the batch")->capture_default_str();
  sub_->add_option("--seq", seq_, "Tokens per sequence (decode: prompt length); 0 = 128, or patches + 1 for vit")
      ->capture_default_str();
  sub_->add_option("--decode-tokens", decode_tokens_, "Tokens generated (decode)")->capture_default_str();
  sub_->add_option("--precision", precision_, "Weight and activation bits, W<bits>A<bits>")->capture_default_str();
  sub_->add_option("--lora-rank", lora_rank_, "LoRA rank (lora_finetune)")->capture_default_str();
  sub_->add_option("--lora-targets", lora_targets_, "Comma-separated projections with adapters")->capture_default_str();
  sub_->add_flag("--no-embeddings", no_embeddings_, "Leave out the embedding ops");
  sub_->add_flag("--no-head", no_head_, "Leave out the model's head (LM head, pooler, classifier)");
  sub_->add_option("--models-dir", models_dir_, "Model-library folder searched first");
  sub_->add_option("--out", out_, "Write the graph here (--format)");
  sub_->add_option("--format", format_, "Format of --out: strata (strata-opgraph JSON) or chakra (Chakra ET, .et)")
      ->check(CLI::IsMember({"strata", "chakra"}))
      ->capture_default_str();
  sub_->add_flag("--json", json_, "Print the summary as JSON instead of a table");
}

int GraphCommand::run(std::ostream& out, std::ostream& err) const {
  og::Graph g;
  try {
    if (model_.ends_with(".json") || model_.ends_with(".et") || model_.ends_with(".onnx")) {
      og::ImportReport report;
      g = og::read_any_graph(model_, std::nullopt, {}, &report);
      if (report.format != og::GraphFileFormat::strata_json) fmt::print(err, "{}", report.render_text());
    } else {
      og::WorkloadSpec spec;
      auto mode = og::parse_mode(mode_);
      if (!mode) {
        fmt::print(err,
                   "strata graph: error: unknown mode \"{}\" (one of inference, prefill, decode, lora_finetune, "
                   "full_finetune)\n",
                   mode_);
        return 2;
      }
      spec.mode = *mode;
      auto prec = og::parse_precision(precision_);
      if (!prec) {
        fmt::print(err, "strata graph: error: precision \"{}\" is not W<bits>A<bits> (e.g. W8A8, W4A8)\n",
                   precision_);
        return 2;
      }
      spec.precision = *prec;
      spec.batch = batch_;
      spec.lora_rank = static_cast<std::uint32_t>(lora_rank_);
      spec.lora_targets.clear();
      std::string_view t = lora_targets_;
      while (!t.empty()) {
        const auto comma = t.find(',');
        if (auto one = t.substr(0, comma); !one.empty()) spec.lora_targets.emplace_back(one);
        if (comma == std::string_view::npos) break;
        t.remove_prefix(comma + 1);
      }
      spec.include_embeddings = !no_embeddings_;
      spec.include_lm_head = !no_head_;
      if (spec.mode == og::Mode::decode) spec.decode_tokens = decode_tokens_;
      std::vector<std::filesystem::path> dirs;
      if (!models_dir_.empty()) dirs.emplace_back(models_dir_);
      for (auto& d : og::default_model_dirs()) dirs.push_back(std::move(d));
      const og::ModelConfig model = og::load_model_config(og::find_model_file(model_, dirs));
      spec.seq_len = seq_ > 0 ? seq_ : model.family == og::Family::vit ? 0 : 128;
      g = og::generate(model, spec);
    }
  } catch (const og::ConfigError& e) {
    fmt::print(err, "{}\n", e.what());
    return 2;
  } catch (const og::GraphFormatError& e) {
    fmt::print(err, "{}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(err, "strata graph: error: {}\n", e.what());
    return 2;
  }
  const og::Summary s = og::summarize(g);
  fmt::print(out, "{}", json_ ? og::render_json(s) + "\n" : og::render_text(s));
  if (!out_.empty()) {
    try {
      if (format_ == "chakra")
        og::write_chakra(g, std::filesystem::path(out_));
      else
        og::write_graph(g, std::filesystem::path(out_));
    } catch (const std::exception& e) {
      fmt::print(err, "strata graph: error: {}\n", e.what());
      return 1;
    }
    if (!json_) fmt::print(out, "wrote {} ({} ops, {} edges)\n", out_, g.ops.size(), g.edges.size());
  }
  return 0;
}

}  // namespace strata::transformer
