// graph_command.hpp - `strata graph`, a command of the workload_transformer plugin (declared
// in its manifest, workload.cpp): generate (or read) a transformer op graph, print its
// summary, optionally write it as a strata-opgraph JSON file. No simulation.
//
//   strata graph bert-base --mode lora_finetune --seq 128 --out bert_lora.json
//   strata graph gpt2-small --mode decode --seq 64 --decode-tokens 16 --json
//   strata graph bert_lora.json              (a graph file: summarise it)
//
// Exit status: 0 success; 2 bad input (unknown model, bad mode/precision, a workload the
// model cannot run, an unreadable or invalid graph file); 1 the output could not be written.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata::transformer {

/// The command's entry point (strata::CommandEntry): parses `args` and runs.
int graph_command(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);
/// `strata help graph`: the usage line and options.
std::string graph_command_usage();

class GraphCommand {
 public:
  /// Declares the command's options on `app` (the command's own CLI11 app).
  explicit GraphCommand(CLI::App& app);
  /// Runs the command after `app` parsed; returns the exit status. Errors go to `err`.
  int run(std::ostream& out, std::ostream& err) const;

 private:
  CLI::App* sub_;
  std::string model_, mode_ = "inference", precision_ = "W8A8", lora_targets_ = "q,v", out_, models_dir_;
  std::string format_ = "strata";  // of --out: strata or chakra
  std::uint64_t batch_ = 1, seq_ = 0, decode_tokens_ = 1, lora_rank_ = 32;
  bool no_embeddings_ = false, no_head_ = false, json_ = false;
};

}  // namespace strata::transformer
