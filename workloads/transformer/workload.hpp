// workload.transformer - replays a transformer operation graph on a chip's cores.
//
// Transaction level: every op (or op shard) is one ComputeRequest to one core; every
// tensor edge between different cores is one TransferRequest through the source core's
// network interface; same-core edges are free. Dependency driven: an op issues when all
// its input tensors have arrived at its core; the cores queue what they get (FIFO).
// Before the run, frozen weights are written into the PIM cores (load_weights), a setup
// phase reported on its own. Graph: generated from the model library (strata_opgraph) or
// read from a graph file. Mapping and pipelining rules: README.md beside this file.
// Not modelled here: the cores' and network's timing (theirs), sampling, data values.
#pragma once

#include "mapping.hpp"

#include <strata/opgraph/op_graph.hpp>
#include <strata/strata.hpp>

#include <array>
#include <string>
#include <vector>

namespace strata::transformer {

struct TransformerParams {
  std::string model = "bert-base";
  std::string models_dir = "";
  std::string mode = "inference";
  std::int64_t batch = 1;
  std::int64_t seq_len = 0;
  std::int64_t decode_tokens = 1;
  std::string precision = "W8A8";
  std::int64_t lora_rank = 32;
  std::string lora_targets = "q,v";
  bool embeddings = true;
  bool lm_head = true;
  std::string graph_file = "";
  std::int64_t micro_batches = 1;
  std::string mapping = "atleus";
  std::int64_t pim_tiles = 16;
  std::int64_t tile_crossbars = 96;
  std::int64_t crossbar_rows = 128;
  std::int64_t crossbar_cols = 128;
  std::int64_t cell_bits = 2;
  std::string overflow = "sa";
  std::string frozen_dx = "pim";
  std::int64_t attention_cores = 1;
  std::string pim_order = "ports";
  bool load_weights = true;
  std::string pim_types = "pim.*";
  std::string sa_types = "systolic.*";
  std::string vector_aliases =
      "rmsnorm=layernorm,swiglu=gelu,embedding=residual_add,rotary=residual_add,kv_cache_append=residual_add,"
      "loss=softmax,softmax_grad=softmax,layernorm_grad=layernorm,rmsnorm_grad=layernorm,gelu_grad=gelu,"
      "swiglu_grad=gelu,rotary_grad=residual_add,embedding_grad=residual_add,weight_update=residual_add";

  static void declare(ParamSpec<TransformerParams>& s);
};

class TransformerWorkload final : public Component {
 public:
  explicit TransformerWorkload(const ComponentContext& ctx);
  void init() override;

  static constexpr int kPhases = 3;

 private:
  struct Transfer {
    std::uint64_t node;   // destination node
    std::uint64_t src_node;
    std::uint32_t src_core, dst_core;
    std::uint64_t bytes;
    Time issued;
    bool delivered = false;
  };

  void on_core(Port& port, TxnPtr<> t);
  void on_ni(Port& port, TxnPtr<> t);
  void start_replay();
  void issue(std::uint64_t node);
  void deliver(std::uint64_t node);
  void node_done(std::uint64_t node, Time seen);
  bool is_update(opgraph::OpId op) const {
    return graph_.ops[static_cast<std::size_t>(op)].phase == opgraph::Phase::update;
  }
  std::uint64_t node_of(std::uint64_t instance, opgraph::OpId op, std::size_t shard) const {
    return instance * shards_total_ + shard_base_[static_cast<std::size_t>(op)] + shard;
  }
  std::string core_name(std::uint32_t core) const { return cores_info_[core].name; }

  TransformerParams p_;
  opgraph::Graph graph_;
  opgraph::Adjacency adj_;
  MappingOptions mopt_;
  Mapping map_;
  std::uint64_t instances_ = 1;
  std::uint64_t sequences_ = 1;  // sequences in all instances together
  std::uint64_t tokens_ = 1;     // tokens processed (decode: generated) in all instances
  std::array<std::string, opgraph::op_kind_count> request_op_;  // ComputeRequest::op per kind
  std::vector<std::uint64_t> vector_rows_;                       // per op: rows of a vector op, 0 = unknown

  // nodes = (instance, op, shard)
  std::vector<std::uint64_t> shard_base_;
  std::uint64_t shards_total_ = 0;
  std::vector<std::uint32_t> node_op_;      // op of each shard slot (within one instance)
  std::vector<std::uint32_t> node_shard_;   // shard index of each slot
  std::vector<std::uint32_t> pending_;      // per node: input pieces still to arrive
  std::vector<std::uint32_t> shards_left_;  // per (instance, op): shards still running
  std::vector<Time> issued_at_;             // per node
  std::vector<std::uint64_t> instance_left_;
  std::uint64_t nodes_total_ = 0, nodes_left_ = 0;
  std::vector<Transfer> transfers_;

  std::vector<CoreInfo> cores_info_;
  std::vector<std::uint32_t> endpoint_;  // NI endpoint id per core index
  std::span<Port> core_ports_, ni_ports_;
  std::uint64_t loads_left_ = 0;
  Time replay_start_ = 0;
  bool running_ = false, done_ = false;

  // statistics
  std::array<std::array<Counter, kPhases>, opgraph::op_kind_count> op_count_{};
  std::array<std::array<Accumulator, kPhases>, opgraph::op_kind_count> op_busy_{};
  std::array<std::array<Accumulator, kPhases>, opgraph::op_kind_count> op_energy_{};
  Counter ops_issued_, requests_, ops_done_, transfers_n_, bytes_moved_, local_edges_;
  Counter setup_time_, latency_, loads_n_, load_bytes_, overflow_ops_, pim_cores_used_, sa_cores_used_;
  Accumulator energy_, setup_energy_, throughput_, token_throughput_, transfer_time_, instance_latency_;
};

}  // namespace strata::transformer
