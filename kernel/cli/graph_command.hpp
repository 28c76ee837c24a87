// graph_command.hpp - `strata graph`: generate (or read) a transformer op graph, print its
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
#include <string>
#include <vector>

namespace strata::cli {

class GraphCommand {
 public:
  /// Registers the `graph` subcommand and its options on `app`.
  explicit GraphCommand(CLI::App& app);
  bool selected() const { return sub_->parsed(); }
  /// Runs the command; returns the exit status. Prints errors to stderr.
  int run() const;

 private:
  CLI::App* sub_;
  std::string model_, mode_ = "inference", precision_ = "W8A8", lora_targets_ = "q,v", out_, models_dir_;
  std::string format_ = "strata";  // of --out: strata or chakra
  std::uint64_t batch_ = 1, seq_ = 0, decode_tokens_ = 1, lora_rank_ = 32;
  bool no_embeddings_ = false, no_head_ = false, json_ = false;
};

}  // namespace strata::cli
