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
#include <map>
#include <tuple>
#include <string>
#include <vector>

namespace strata::transformer {

// The PIM geometry the mapping packs weights by is the mapping's PimGeometry itself (the only
// copy of those defaults; declare() binds its fields under pim_tiles, tile_crossbars,
// crossbar_rows, crossbar_cols, cell_bits).
struct TransformerParams : PimGeometry {
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
  std::string graph_format = "auto";
  std::int64_t micro_batches = 1;
  std::string mapping = "atleus";
  std::string overflow = "sa";
  std::string frozen_dx = "pim";
  std::int64_t attention_cores = 1;
  std::string pim_order = "ports";
  bool load_weights = true;
  std::string pim_types = "pim.*";
  std::string sa_types = "systolic.*";
  std::int64_t layers = 0;
  std::string mapping_file = "";
  std::string dynamic_operands = "write";
  std::int64_t pim_scratch_tiles = 0;
  std::string offchip = "lora,embedding,kv_cache";
  Bytes kv_cache_capacity{2ull << 20};
  Bandwidth mem_bandwidth{256e9};
  Duration mem_latency{45000};
  Energy mem_energy_per_bit{3.9e-12};
  Bytes mem_base{0};
  std::int64_t sequences = 0;
  std::int64_t inflight = 0;
  double rate = 0;
  std::string replicate = "off";
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
  // Layers whose statistics are reported one by one (layer.<l>.*); deeper layers count
  // in layer_latency only.
  static constexpr int kLayerStats = 64;
  // Pipeline stages (README.md, "Stream and pipeline"): core class x op group x phase.
  enum StageGroup : int { g_proj, g_attn, g_ff1, g_ff2, g_lora, g_vector, g_outer, kStageGroups };
  static constexpr int kStageTypes = 2 * kStageGroups * kPhases;
  static std::string stage_name(int type);  // "pim.proj.forward"
  // Tiers whose crossbar use is reported one by one (tier.<t>.*).
  static constexpr int kTiers = 8;
  // Off-chip data categories (offchip parameter).
  enum Offchip : int { off_lora, off_embedding, off_kv_cache, off_weights, kOffchipKinds };

 private:
  struct Transfer {
    std::uint64_t node;   // destination node
    std::uint64_t src_node;
    std::uint32_t src_core, dst_core;
    std::uint64_t bytes;
    Time issued;
    bool delivered = false;
  };

  // An off-chip access: a parameter/KV load a node waits for, or a KV-cache write.
  struct MemAccess {
    std::uint64_t node;
    std::uint64_t bytes;
    Time issued;
    bool write;
  };

  void on_core(Port& port, TxnPtr<> t);
  void on_ni(Port& port, TxnPtr<> t);
  void on_mem(Port& port, TxnPtr<> t);
  void on_mem_timer(TxnPtr<> t);
  void mem_answer(std::uint64_t index, Status status);
  void start_replay();
  bool has_node(std::uint64_t inst, opgraph::OpId op) const { return !is_update(op) || inst % per_step_ == 0; }
  void release(std::uint64_t inst);
  void try_release();
  void on_release_timer(TxnPtr<> t);
  Time arrival_of(std::uint64_t inst) const;
  void micro_batch_done(std::uint64_t inst, Time seen);
  void finish_stream();
  std::uint32_t request_core(const OpPlacement& pl, std::size_t shard, std::uint64_t part) const;
  void ready(std::uint64_t node);
  void issue(std::uint64_t node);
  TxnPtr<ComputeRequest> load_request(std::uint64_t rows, std::uint64_t cols, std::uint32_t bits,
                                      std::uint64_t weight_id, std::uint64_t tag);
  void issue_mem(std::uint64_t node, std::uint64_t bytes, bool write);
  void deliver(std::uint64_t node);
  void part_done(std::uint64_t node, Time seen);
  void node_done(std::uint64_t node, Time seen);
  void span_begin(std::uint64_t node);
  void span_end(std::uint64_t node, Time seen);
  void finish_run(Time seen);
  std::uint64_t shard_flops(const opgraph::Op& op, const OpPlacement& pl, std::size_t shard) const;
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

  // Off-chip data (README.md, "Off-chip parameters and KV cache").
  std::array<bool, kOffchipKinds> offchip_{};
  std::vector<bool> kv_offchip_edge_;                  // per edge: a KV-cache read served by memory
  std::vector<bool> kv_write_op_;                      // per op: a KV append whose layer is off chip
  std::vector<std::uint64_t> op_load_bytes_;              // per op: bytes a node loads before it runs
  std::vector<std::array<std::uint64_t, kOffchipKinds>> load_kind_bytes_;  // per op, by category
  std::vector<std::uint64_t> load_address_;            // per op: address of its load (mem[] ports)
  std::vector<std::uint64_t> kv_layer_bytes_;          // per layer: its KV cache (one instance)
  std::vector<std::uint64_t> kv_address_;              // per (instance, layer): KV region
  std::vector<MemAccess> mem_accesses_;
  std::span<Port> mem_ports_;
  Port* mem_timer_ = nullptr;
  Time mem_free_ = 0;
  std::uint64_t kv_layers_ = 0;

  // Stream (sequences > 0): micro-batches released closed-loop (inflight) and/or at `rate`.
  bool stream_ = false;
  std::uint64_t per_step_ = 1;          // instances per optimizer step (update ops once per step)
  std::uint64_t mb_sequences_ = 1;      // sequences per instance
  std::vector<std::uint32_t> mb_left_;  // per instance: non-update ops still to complete
  std::vector<Time> arrival_, completion_;
  std::uint64_t next_release_ = 0, in_flight_ = 0;
  bool release_timer_set_ = false;
  Port* release_timer_ = nullptr;
  std::vector<std::uint8_t> op_group_;  // per op: StageGroup
  // Busy time per (instance, layer + 1, stage type, core) and per (instance, core).
  std::map<std::tuple<std::uint64_t, std::int32_t, int, std::uint32_t>, Time> stage_busy_;
  std::map<std::pair<std::uint64_t, std::uint32_t>, Time> core_busy_;
  Counter s_sequences_, s_micro_batches_, s_window_, s_busiest_core_;
  Accumulator s_throughput_, s_tokens_, s_latency_, s_core_busy_, s_bound_;
  std::array<Accumulator, kStageTypes> stage_delay_{};
  std::array<Counter, kStageTypes> stage_layer_{};
  void summarise_stream(const std::array<double, kStageTypes>& worst,
                        const std::array<std::uint64_t, kStageTypes>& worst_layer);

  // Replication (replicate != off).
  bool replication_ = false;
  Counter replica_loads_, replica_bytes_, replica_cells_, replica_crossbars_;
  Accumulator replica_write_energy_, replica_load_time_;
  std::array<Counter, kTiers> tier_crossbars_{}, tier_replica_crossbars_{}, tier_capacity_{};

  // Per-node request parts still to answer (dynamic writes send several).
  std::vector<std::uint32_t> parts_left_;

  // Latency spans: (instance, step, layer, phase), (instance, step, phase), (instance, step).
  std::vector<std::int32_t> op_step_;  // per op: decode step (name prefix T<t>.), else 0
  std::uint64_t steps_ = 1, layers_n_ = 0;
  std::vector<Time> layer_first_, layer_last_, phase_first_, phase_last_, step_first_, step_last_;
  std::size_t layer_key(std::uint64_t inst, std::size_t step, std::size_t layer, std::size_t phase) const {
    return ((inst * steps_ + step) * layers_n_ + layer) * kPhases + phase;
  }
  std::size_t phase_key(std::uint64_t inst, std::size_t step, std::size_t phase) const {
    return (inst * steps_ + step) * kPhases + phase;
  }

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
  // per layer and phase (layers < kLayerStats), per phase, per decode step
  std::array<std::array<Accumulator, kPhases>, kLayerStats> layer_latency_{}, layer_energy_{};
  std::array<Accumulator, kPhases> phase_latency_{};
  Accumulator step_latency_, all_layer_latency_;
  // per core class (0 = pim, 1 = sa)
  std::array<Counter, 2> cls_requests_{}, cls_flops_{};
  std::array<Accumulator, 2> cls_busy_{}, cls_energy_{}, cls_request_share_{}, cls_flop_share_{}, cls_energy_share_{};
  std::array<std::array<Counter, 2>, 2> xfer_count_{}, xfer_bytes_{};  // [src class][dst class]
  // ReRAM writes and off-chip traffic
  // Graph files of other tools (graph_format): what the import made of the file.
  Counter import_nodes_, import_ops_, import_skipped_, import_skipped_flops_, import_unknown_attributes_,
      import_unknown_node_types_, import_recovered_gemms_, import_opaque_ops_;
  Counter reram_writes_, reram_write_bytes_, dynamic_writes_, dynamic_write_bytes_;
  Accumulator reram_write_energy_;
  Counter mem_loads_, mem_load_bytes_, mem_writes_, mem_write_bytes_, kv_cache_bytes_, kv_offchip_layers_;
  std::array<Counter, kOffchipKinds> mem_kind_bytes_{};
  Accumulator mem_load_time_, mem_energy_;
  Counter rule_ops_, scratch_tiles_;
  EnergyAction e_mem_;
};

}  // namespace strata::transformer
