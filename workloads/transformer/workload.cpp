// workload.transformer: graph replay driver (see workload.hpp, README.md).
#include "workload.hpp"

#include <strata/opgraph/generators.hpp>
#include <strata/opgraph/graph_io.hpp>
#include <strata/opgraph/model_config.hpp>

#include <strata/plugin.hpp>
#include <strata/transactions.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace strata::transformer {

namespace og = strata::opgraph;

void TransformerParams::declare(ParamSpec<TransformerParams>& s) {
  s.param("model", &TransformerParams::model,
          "model from the library (e.g. \"bert-base\", looked up in models_dir, $STRATA_MODELS_PATH, "
          "$STRATA_SOURCE_DIR/workloads/models, the installed share/strata/models, the source tree), "
          "or a path to a model TOML (contains '/' or ends in .toml; relative to the working folder)");
  s.param("models_dir", &TransformerParams::models_dir,
          "extra model-library folders searched first (colon-separated); empty = the default search path");
  s.param("mode", &TransformerParams::mode, "what the graph does")
      .choices({"inference", "prefill", "decode", "lora_finetune", "full_finetune"});
  s.param("batch", &TransformerParams::batch, "sequences in the batch (all micro-batches together)").range(1, 1 << 30);
  s.param("seq_len", &TransformerParams::seq_len,
          "tokens per sequence (decode: the prompt already in the KV cache); 0 = 128, or patches + 1 for vit")
      .range(0, 1 << 30);
  s.param("decode_tokens", &TransformerParams::decode_tokens, "tokens generated (mode = decode only)")
      .range(1, 1 << 20);
  s.param("precision", &TransformerParams::precision, "weight and activation bits, \"W<bits>A<bits>\"");
  s.param("lora_rank", &TransformerParams::lora_rank, "LoRA rank (mode = lora_finetune)").range(1, 1 << 20);
  s.param("lora_targets", &TransformerParams::lora_targets,
          "comma-separated projections with adapters: q,k,v,o and ff1,ff2 (gelu) or gate,up,down (swiglu)");
  s.param("embeddings", &TransformerParams::embeddings, "include the embedding ops");
  s.param("lm_head", &TransformerParams::lm_head, "include the model's head (LM head, pooler, classifier)");
  s.param("graph_file", &TransformerParams::graph_file,
          "replay this strata-opgraph JSON file instead of generating (model, mode, batch, ... are then unused)");
  s.param("micro_batches", &TransformerParams::micro_batches,
          "split the batch into this many independent graph instances that pipeline through the cores "
          "(must divide batch; graph_file: replay the file this many times)")
      .range(1, 1 << 20);
  s.param("mapping", &TransformerParams::mapping,
          "atleus: frozen weights on PIM, the rest on SA; sa_only; pim_only")
      .choices({"atleus", "sa_only", "pim_only"});
  s.param("pim_tiles", &TransformerParams::pim_tiles,
          "tiles of one PIM core, for packing weights (Atleus: 16); 0 = unlimited. Keep the geometry equal "
          "to the PIM cores' own, or their load_weights may answer capacity_error")
      .range(0, 1 << 30);
  s.param("tile_crossbars", &TransformerParams::tile_crossbars, "crossbars per PIM tile (Atleus: 96)").range(1, 1 << 20);
  s.param("crossbar_rows", &TransformerParams::crossbar_rows, "crossbar rows (inputs)").range(1, 1 << 20);
  s.param("crossbar_cols", &TransformerParams::crossbar_cols, "crossbar columns (cells per row)").range(1, 1 << 20);
  s.param("cell_bits", &TransformerParams::cell_bits, "bits per ReRAM cell").range(1, 64);
  s.param("overflow", &TransformerParams::overflow,
          "weights that do not fit the PIM cores: run their GEMMs on SA (streamed) or stop with an error")
      .choices({"sa", "error"});
  s.param("frozen_dx", &TransformerParams::frozen_dx,
          "fine-tuning: the dX GEMM through a frozen weight runs on the PIM core(s) holding it, or on SA")
      .choices({"pim", "sa"});
  s.param("attention_cores", &TransformerParams::attention_cores,
          "SA cores one layer's attention heads spread over").range(1, 1 << 16);
  s.param("pim_order", &TransformerParams::pim_order,
          "order PIM cores are filled: ports (cores[] order) or hilbert (per tier, Hilbert curve over x,y)")
      .choices({"ports", "hilbert"});
  s.param("load_weights", &TransformerParams::load_weights,
          "write the stored weights into the PIM cores (load_weights requests) before the run");
  s.param("pim_types", &TransformerParams::pim_types,
          "comma-separated core types that are PIM cores (a trailing * matches a prefix)");
  s.param("sa_types", &TransformerParams::sa_types,
          "comma-separated core types that are SA cores (a trailing * matches a prefix)");
  s.param("vector_aliases", &TransformerParams::vector_aliases,
          "kind=name,...: the op name a vector request carries for an op kind the cores do not know by name "
          "(default: onto systolic.array's softmax, layernorm, gelu, residual_add); other kinds carry their own name");
}

namespace {

constexpr std::uint64_t kLoadTag = 1ULL << 63;

std::vector<std::string> split_list(std::string_view text, char sep) {
  std::vector<std::string> out;
  while (true) {
    const auto pos = text.find(sep);
    std::string_view one = text.substr(0, pos);
    while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
    while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
    if (!one.empty()) out.emplace_back(one);
    if (pos == std::string_view::npos) break;
    text.remove_prefix(pos + 1);
  }
  return out;
}

bool type_matches(const std::vector<std::string>& patterns, const std::string& type) {
  for (const auto& p : patterns) {
    if (!p.empty() && p.back() == '*') {
      if (type.starts_with(std::string_view(p).substr(0, p.size() - 1))) return true;
    } else if (p == type) {
      return true;
    }
  }
  return false;
}

std::string stat_name(og::OpKind k, int phase, std::string_view what) {
  return fmt::format("op.{}.{}.{}", og::to_string(k), og::to_string(static_cast<og::Phase>(phase)), what);
}

ComputeRequest::Kind request_kind(const og::Op& op) {
  return og::kind_info(op.kind).gemm_like ? ComputeRequest::Kind::gemm : ComputeRequest::Kind::vector;
}

std::uint8_t bits8(std::uint32_t b) { return static_cast<std::uint8_t>(std::min<std::uint32_t>(b, 255)); }

}  // namespace

TransformerWorkload::TransformerWorkload(const ComponentContext& ctx)
    : Component(ctx), p_(ctx.params<TransformerParams>()) {
  on_receive<&TransformerWorkload::on_core>("cores", this);
  on_receive<&TransformerWorkload::on_ni>("nis", this);
  auto fail = [&](const std::string& msg) { throw ConfigError(fmt::format("{}: {}", name(), msg)); };

  mopt_.policy = p_.mapping == "sa_only" ? Policy::sa_only : p_.mapping == "pim_only" ? Policy::pim_only : Policy::atleus;
  mopt_.pim.tiles = static_cast<std::uint64_t>(p_.pim_tiles);
  mopt_.pim.tile_crossbars = static_cast<std::uint32_t>(p_.tile_crossbars);
  mopt_.pim.xbar_rows = static_cast<std::uint32_t>(p_.crossbar_rows);
  mopt_.pim.xbar_cols = static_cast<std::uint32_t>(p_.crossbar_cols);
  mopt_.pim.cell_bits = static_cast<std::uint32_t>(p_.cell_bits);
  mopt_.overflow = p_.overflow == "error" ? Overflow::error : Overflow::sa;
  mopt_.frozen_dx = p_.frozen_dx == "sa" ? DxPlacement::sa : DxPlacement::pim;
  mopt_.attention_cores = static_cast<std::uint32_t>(p_.attention_cores);
  mopt_.pim_order = p_.pim_order == "hilbert" ? PimOrder::hilbert : PimOrder::ports;
  instances_ = static_cast<std::uint64_t>(p_.micro_batches);

  if (!p_.graph_file.empty()) {
    try {
      graph_ = og::read_graph(p_.graph_file);
    } catch (const std::exception& e) {
      fail(fmt::format("graph_file: {}", e.what()));
    }
    const std::uint64_t b = std::max<std::uint64_t>(1, graph_.info.batch);
    sequences_ = b * instances_;
    tokens_ = sequences_ * (graph_.info.mode == "decode" ? std::max<std::uint64_t>(1, graph_.info.decode_tokens)
                                                         : std::max<std::uint64_t>(1, graph_.info.seq_len));
  } else {
    const auto batch = static_cast<std::uint64_t>(p_.batch);
    if (batch % instances_ != 0)
      fail(fmt::format("micro_batches = {} must divide batch = {}", instances_, batch));
    og::WorkloadSpec spec;
    spec.mode = *og::parse_mode(p_.mode);  // choices() already checked the name
    spec.batch = batch / instances_;
    auto prec = og::parse_precision(p_.precision);
    if (!prec) fail(fmt::format("precision \"{}\" is not W<bits>A<bits> (e.g. \"W8A8\", \"W4A8\")", p_.precision));
    spec.precision = *prec;
    spec.lora_rank = static_cast<std::uint32_t>(p_.lora_rank);
    spec.lora_targets = split_list(p_.lora_targets, ',');
    spec.include_embeddings = p_.embeddings;
    spec.include_lm_head = p_.lm_head;
    if (spec.mode == og::Mode::decode) spec.decode_tokens = static_cast<std::uint64_t>(p_.decode_tokens);
    og::ModelConfig model;
    try {
      std::vector<std::filesystem::path> dirs;
      for (const auto& d : split_list(p_.models_dir, ':')) dirs.emplace_back(d);
      for (auto& d : og::default_model_dirs()) dirs.push_back(std::move(d));
      model = og::load_model_config(og::find_model_file(p_.model, dirs));
    } catch (const std::exception& e) {
      fail(fmt::format("model: {}", e.what()));
    }
    spec.seq_len = p_.seq_len > 0                    ? static_cast<std::uint64_t>(p_.seq_len)
                   : model.family == og::Family::vit ? 0
                                                     : 128;
    try {
      graph_ = og::generate(model, spec);
    } catch (const std::exception& e) {
      fail(e.what());
    }
    sequences_ = batch;
    tokens_ = batch * (spec.mode == og::Mode::decode ? spec.decode_tokens : graph_.info.seq_len);
  }
  adj_ = graph_.adjacency();

  for (int k = 0; k < og::op_kind_count; ++k) request_op_[static_cast<std::size_t>(k)] = og::to_string(static_cast<og::OpKind>(k));
  for (const auto& pair : split_list(p_.vector_aliases, ',')) {
    const auto eq = pair.find('=');
    const auto kind = og::parse_op_kind(pair.substr(0, eq));
    if (eq == std::string::npos || eq + 1 == pair.size() || !kind)
      fail(fmt::format("vector_aliases: \"{}\" is not kind=name with kind an op kind (e.g. rmsnorm=layernorm)", pair));
    request_op_[static_cast<std::size_t>(*kind)] = pair.substr(eq + 1);
  }
  // Rows of each vector op (tokens): the m of a GEMM producing it, else elements / hidden.
  vector_rows_.assign(graph_.ops.size(), 0);
  for (const auto& op : graph_.ops) {
    if (og::kind_info(op.kind).gemm_like) continue;
    std::uint64_t rows = 0;
    for (std::size_t ei : adj_.in[static_cast<std::size_t>(op.id)]) {
      const og::Op& src = graph_.ops[static_cast<std::size_t>(graph_.edges[ei].src)];
      const std::uint64_t r = src.shape.batch * src.shape.m;
      if (og::kind_info(src.kind).gemm_like && r > 0 && op.shape.elements % r == 0) {
        rows = r;
        break;
      }
    }
    if (rows == 0 && graph_.info.hidden > 0 && op.shape.elements % graph_.info.hidden == 0)
      rows = op.shape.elements / graph_.info.hidden;
    vector_rows_[static_cast<std::size_t>(op.id)] = rows;
  }
  if (instances_ > 1)
    for (const auto& e : graph_.edges)
      if (is_update(e.src) && !is_update(e.dst))
        fail(fmt::format("micro_batches > 1 needs update ops to be sinks; op {} \"{}\" feeds op {} \"{}\"", e.src,
                         graph_.ops[static_cast<std::size_t>(e.src)].name, e.dst,
                         graph_.ops[static_cast<std::size_t>(e.dst)].name));
  if (graph_.ops.size() >= (1ULL << 32)) fail("graph too large (more than 2^32 ops)");

  // Per op class and phase: only the classes this graph has.
  std::array<std::array<bool, kPhases>, og::op_kind_count> present{};
  for (const auto& op : graph_.ops) present[static_cast<std::size_t>(op.kind)][static_cast<std::size_t>(op.phase)] = true;
  for (int k = 0; k < og::op_kind_count; ++k)
    for (int ph = 0; ph < kPhases; ++ph) {
      if (!present[static_cast<std::size_t>(k)][static_cast<std::size_t>(ph)]) continue;
      const auto kind = static_cast<og::OpKind>(k);
      stat(stat_name(kind, ph, "count"), op_count_[static_cast<std::size_t>(k)][static_cast<std::size_t>(ph)]);
      stat(stat_name(kind, ph, "busy"), op_busy_[static_cast<std::size_t>(k)][static_cast<std::size_t>(ph)]);
      stat(stat_name(kind, ph, "energy"), op_energy_[static_cast<std::size_t>(k)][static_cast<std::size_t>(ph)]);
    }
  stat("ops", ops_done_);
  stat("ops_issued", ops_issued_);
  stat("requests", requests_);
  stat("transfers", transfers_n_);
  stat("bytes_moved", bytes_moved_);
  stat("local_edges", local_edges_);
  stat("transfer_time", transfer_time_);
  stat("energy", energy_);
  stat("setup_time", setup_time_);
  stat("setup_energy", setup_energy_);
  stat("weight_loads", loads_n_);
  stat("weight_bytes", load_bytes_);
  stat("overflow_ops", overflow_ops_);
  stat("pim_cores_used", pim_cores_used_);
  stat("sa_cores_used", sa_cores_used_);
  stat("latency", latency_);
  stat("micro_batch_latency", instance_latency_);
  stat("throughput", throughput_);
  stat("token_throughput", token_throughput_);
}

void TransformerWorkload::init() {
  auto fail = [&](const std::string& msg) { throw ConfigError(fmt::format("{}: {}", name(), msg)); };
  core_ports_ = ports("cores");
  ni_ports_ = ports("nis");
  if (core_ports_.empty()) fail("cores[] is not linked: link it to the cores' ctrl ports with a fanout generator");
  if (!ni_ports_.empty() && ni_ports_.size() != core_ports_.size())
    fail(fmt::format("nis[] has {} elements and cores[] has {}: link one network interface per core, in the same order",
                     ni_ports_.size(), core_ports_.size()));
  if (ni_ports_.empty() && core_ports_.size() > 1)
    fail("nis[] is not linked: tensors between cores travel through the cores' network interfaces");

  // Who is at the other end of each cores[k] / nis[k]: from the system view's links.
  const SystemView& sys = system();
  std::map<std::string, std::string> peer_of;  // my port name -> peer component
  for (const auto& l : sys.links) {
    if (l.a.component == name()) peer_of[l.a.port] = l.b.component;
    if (l.b.component == name()) peer_of[l.b.port] = l.a.component;
  }
  const auto pim_pat = split_list(p_.pim_types, ','), sa_pat = split_list(p_.sa_types, ',');
  cores_info_.clear();
  for (std::size_t k = 0; k < core_ports_.size(); ++k) {
    const std::string port = core_ports_[k].name();
    auto it = peer_of.find(port);
    const SystemView::ComponentInfo* ci = it == peer_of.end() ? nullptr : sys.find(it->second);
    if (!ci) fail(fmt::format("{} is not linked to a component", port));
    CoreInfo info{ci->name, ci->type, CoreClass::sa, ci->index};
    if (type_matches(pim_pat, ci->type))
      info.cls = CoreClass::pim;
    else if (type_matches(sa_pat, ci->type))
      info.cls = CoreClass::sa;
    else
      fail(fmt::format("{} is linked to {} of type {}, which is neither a PIM core (pim_types = \"{}\") nor an SA "
                       "core (sa_types = \"{}\")",
                       port, ci->name, ci->type, p_.pim_types, p_.sa_types));
    cores_info_.push_back(std::move(info));
  }
  endpoint_.assign(core_ports_.size(), 0);
  for (std::size_t k = 0; k < ni_ports_.size(); ++k) {
    auto it = peer_of.find(ni_ports_[k].name());
    if (it == peer_of.end()) fail(fmt::format("{} is not linked to a component", ni_ports_[k].name()));
    endpoint_[k] = static_cast<std::uint32_t>(sys.ordinal(it->second));
  }

  try {
    map_ = map_graph(graph_, cores_info_, mopt_);
  } catch (const MappingError& e) {
    fail(e.what());
  }
  pim_cores_used_ += map_.pim_cores_used;
  sa_cores_used_ += map_.sa_cores_used;

  // Node tables: (instance, op, shard); update ops exist in instance 0 only.
  const std::size_t n = graph_.ops.size();
  shard_base_.assign(n + 1, 0);
  for (std::size_t i = 0; i < n; ++i) shard_base_[i + 1] = shard_base_[i] + map_.ops[i].shards.size();
  shards_total_ = shard_base_[n];
  node_op_.resize(shards_total_);
  node_shard_.resize(shards_total_);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t s = 0; s < map_.ops[i].shards.size(); ++s) {
      node_op_[shard_base_[i] + s] = static_cast<std::uint32_t>(i);
      node_shard_[shard_base_[i] + s] = static_cast<std::uint32_t>(s);
    }
  pending_.assign(instances_ * shards_total_, 0);
  issued_at_.assign(instances_ * shards_total_, 0);
  shards_left_.assign(instances_ * n, 0);
  instance_left_.assign(instances_, 0);
  nodes_total_ = 0;
  for (std::uint64_t inst = 0; inst < instances_; ++inst)
    for (std::size_t i = 0; i < n; ++i) {
      const auto op = static_cast<og::OpId>(i);
      if (inst > 0 && is_update(op)) continue;
      std::uint32_t pieces = 0;
      for (std::size_t ei : adj_.in[i]) {
        const auto src = graph_.edges[ei].src;
        const std::uint64_t mult = is_update(op) && !is_update(src) ? instances_ : 1;
        pieces += static_cast<std::uint32_t>(map_.ops[static_cast<std::size_t>(src)].shards.size() * mult);
      }
      for (std::size_t s = 0; s < map_.ops[i].shards.size(); ++s) pending_[node_of(inst, op, s)] = pieces;
      shards_left_[inst * n + i] = static_cast<std::uint32_t>(map_.ops[i].shards.size());
      ++instance_left_[inst];
      nodes_total_ += map_.ops[i].shards.size();
      if (map_.ops[i].overflowed) ++overflow_ops_;
    }
  nodes_left_ = nodes_total_;

  // Setup phase: write the stored weights, in mapping order (each core queues its own).
  loads_left_ = p_.load_weights ? map_.loads.size() : 0;
  if (loads_left_ == 0) {
    start_replay();
    return;
  }
  for (std::size_t i = 0; i < map_.loads.size(); ++i) {
    const WeightLoad& ld = map_.loads[i];
    auto req = make<ComputeRequest>();
    req->kind = ComputeRequest::Kind::load_weights;
    req->op = "load_weights";
    req->k = ld.rows;
    req->n = ld.cols;
    req->weight_bits = bits8(ld.bits);
    req->static_weights = true;
    req->weight_id = ld.weight_id;
    req->tag = kLoadTag | i;
    req->issued_at = now();
    ++loads_n_;
    load_bytes_ += ld.bytes;
    core_ports_[ld.core].send(std::move(req));
  }
}

void TransformerWorkload::start_replay() {
  replay_start_ = now();
  setup_time_ += now();
  running_ = true;
  if (nodes_left_ == 0) {
    done_ = true;
    end_simulation();
    return;
  }
  const std::size_t n = graph_.ops.size();
  for (std::uint64_t inst = 0; inst < instances_; ++inst)
    for (std::size_t i = 0; i < n; ++i) {
      const auto op = static_cast<og::OpId>(i);
      if (inst > 0 && is_update(op)) continue;
      if (!adj_.in[i].empty()) continue;
      for (std::size_t s = 0; s < map_.ops[i].shards.size(); ++s) issue(node_of(inst, op, s));
    }
}

void TransformerWorkload::issue(std::uint64_t node) {
  const std::uint64_t slot = node % shards_total_;
  const og::Op& op = graph_.ops[node_op_[slot]];
  const OpPlacement& pl = map_.ops[node_op_[slot]];
  const std::size_t s = node_shard_[slot];
  const Shard& sh = pl.shards[s];
  auto req = make<ComputeRequest>();
  req->kind = request_kind(op);
  req->op = request_op_[static_cast<std::size_t>(op.kind)];
  if (req->kind == ComputeRequest::Kind::gemm) {
    // Batched GEMMs fold the batch into m: the same FLOPs and operand bytes.
    req->m = op.shape.batch * op.shape.m;
    req->k = op.shape.k;
    req->n = op.shape.n;
    if (pl.stored) {
      // The request names the stored shard it runs through, rows x columns as loaded; a dX
      // GEMM reads that shard transposed, at the forward cost (README, "Backward").
      req->k = op.kind == og::OpKind::grad_gemm_dx ? op.shape.n : op.shape.k;
      req->n = sh.hi - sh.lo;
    }
    req->weight_bits = bits8(op.b.bits);
  } else {
    req->elements = op.shape.elements;
    req->m = vector_rows_[node_op_[slot]];  // rows (tokens) when known: row-wise ops reduce per row
    req->weight_bits = bits8(op.b.bits ? op.b.bits : op.a.bits);
  }
  req->input_bits = bits8(op.a.bits);
  req->output_bits = bits8(op.out_bits);
  req->static_weights = pl.stored;
  req->weight_id = pl.stored ? sh.weight_id : 0;
  req->tag = node;
  req->issued_at = now();
  issued_at_[node] = now();
  if (s == 0) ++ops_issued_;
  ++requests_;
  core_ports_[sh.core].send(std::move(req));
}

void TransformerWorkload::deliver(std::uint64_t node) {
  if (pending_[node] == 0)
    throw ModelError(fmt::format("{}: internal: input delivered twice to op \"{}\"", name(),
                                 graph_.ops[node_op_[node % shards_total_]].name));
  if (--pending_[node] == 0) issue(node);
}

void TransformerWorkload::on_core(Port& /*port*/, TxnPtr<> t) {
  auto req = std::move(t).as<ComputeRequest>();
  if (req->tag & kLoadTag) {
    const WeightLoad& ld = map_.loads.at(req->tag & ~kLoadTag);
    if (req->status != Status::ok)
      throw ModelError(fmt::format("{}: load_weights of \"{}\" ({}x{} at {} bits, {} B) on {} answered {}", name(),
                                   ld.name, ld.rows, ld.cols, ld.bits, ld.bytes, core_name(ld.core),
                                   strata::to_string(req->status)));
    setup_energy_.add(req->energy_j);
    if (tracing())
      trace("load " + ld.name, req->started_at ? req->started_at : req->issued_at,
            req->finished_at ? req->finished_at : now(), "load_weights",
            fmt::format(R"({{"core":"{}","weight_id":{},"bytes":{}}})", core_name(ld.core), ld.weight_id, ld.bytes));
    if (--loads_left_ == 0) start_replay();
    return;
  }
  const std::uint64_t node = req->tag;
  const std::uint64_t slot = node % shards_total_;
  const og::Op& op = graph_.ops[node_op_[slot]];
  const OpPlacement& pl = map_.ops[node_op_[slot]];
  const std::uint32_t core = pl.shards[node_shard_[slot]].core;
  if (req->status != Status::ok)
    throw ModelError(fmt::format("{}: op {} \"{}\" ({}, {}) on {} answered status {}", name(), op.id, op.name,
                                 og::to_string(op.kind), req->kind == ComputeRequest::Kind::gemm
                                     ? fmt::format("gemm {}x{}x{}{}", req->m, req->k, req->n,
                                                   req->static_weights ? " on stored weights" : "")
                                     : fmt::format("vector of {} elements", req->elements),
                                 core_name(core), strata::to_string(req->status)));
  const auto k = static_cast<std::size_t>(op.kind);
  const auto ph = static_cast<std::size_t>(op.phase);
  const Time start = req->started_at ? req->started_at : issued_at_[node];
  const Time end = req->finished_at >= start && req->finished_at ? req->finished_at : now();
  op_busy_[k][ph].add(static_cast<double>(end - start));
  op_energy_[k][ph].add(req->energy_j);
  energy_.add(req->energy_j);
  if (tracing())
    trace(op.name, start, end, og::to_string(op.kind),
          fmt::format(R"({{"op":{},"instance":{},"shard":{},"core":"{}","phase":"{}","issued":{},"done":{}}})", op.id,
                      node / shards_total_, node_shard_[slot], core_name(core), og::to_string(op.phase), issued_at_[node],
                      now()));
  node_done(node, now());
}

void TransformerWorkload::node_done(std::uint64_t node, Time seen) {
  const std::uint64_t inst = node / shards_total_, slot = node % shards_total_;
  const og::OpId p = node_op_[slot];
  const std::size_t sp = node_shard_[slot];
  const og::Op& op = graph_.ops[static_cast<std::size_t>(p)];
  const OpPlacement& ppl = map_.ops[static_cast<std::size_t>(p)];
  const std::size_t n = graph_.ops.size();
  if (--shards_left_[inst * n + static_cast<std::size_t>(p)] == 0) {
    ++ops_done_;
    ++op_count_[static_cast<std::size_t>(op.kind)][static_cast<std::size_t>(op.phase)];
    if (--instance_left_[inst] == 0) {
      instance_latency_.add(static_cast<double>(seen - replay_start_));
    }
  }
  --nodes_left_;
  // Outputs of this shard: one piece per (edge, consumer shard).
  for (std::size_t ei : adj_.out[static_cast<std::size_t>(p)]) {
    const og::Edge& e = graph_.edges[ei];
    const OpPlacement& dpl = map_.ops[static_cast<std::size_t>(e.dst)];
    const std::uint64_t dinst = is_update(e.dst) && !is_update(p) ? 0 : inst;
    const std::uint64_t out_bytes = shard_bytes(e.bytes, ppl, sp, true);
    for (std::size_t so = 0; so < dpl.shards.size(); ++so) {
      const std::uint64_t bytes = shard_bytes(out_bytes, dpl, so, false);
      const std::uint32_t src_core = ppl.shards[sp].core, dst_core = dpl.shards[so].core;
      const std::uint64_t dst = node_of(dinst, e.dst, so);
      if (src_core == dst_core || bytes == 0) {
        ++local_edges_;
        deliver(dst);
        continue;
      }
      auto tr = make<TransferRequest>();
      tr->src = endpoint_[src_core];
      tr->dst = endpoint_[dst_core];
      tr->bytes = bytes;
      tr->tag = transfers_.size();
      tr->issued_at = now();
      transfers_.push_back(Transfer{dst, node, src_core, dst_core, bytes, now(), false});
      ++transfers_n_;
      bytes_moved_ += bytes;
      ni_ports_[src_core].send(std::move(tr));
    }
  }
  if (nodes_left_ == 0) {
    done_ = true;
    const Time lat = seen - replay_start_;
    latency_ += lat;
    if (lat > 0) {
      throughput_.add(static_cast<double>(sequences_) / (static_cast<double>(lat) * 1e-12));
      token_throughput_.add(static_cast<double>(tokens_) / (static_cast<double>(lat) * 1e-12));
    }
    end_simulation();
  }
}

void TransformerWorkload::on_ni(Port& /*port*/, TxnPtr<> t) {
  auto tr = std::move(t).as<TransferRequest>();
  if (tr->tag >= transfers_.size())
    throw ModelError(fmt::format("{}: a network interface answered an unknown transfer (tag {})", name(), tr->tag));
  Transfer& x = transfers_[tr->tag];
  // The source NI's completion and the destination NI's arrival copy may both come back:
  // the tensor is there at the first of them.
  if (x.delivered) return;
  if (tr->status != Status::ok && !tr->arrived) {
    const og::Op& so = graph_.ops[node_op_[x.src_node % shards_total_]];
    const og::Op& d = graph_.ops[node_op_[x.node % shards_total_]];
    throw ModelError(fmt::format("{}: transfer of {} B from op \"{}\" on {} to op \"{}\" on {} answered status {}", name(),
                                 x.bytes, so.name, core_name(x.src_core), d.name, core_name(x.dst_core),
                                 strata::to_string(tr->status)));
  }
  x.delivered = true;
  transfer_time_.add(static_cast<double>(now() - x.issued));
  if (tracing()) {
    const og::Op& so = graph_.ops[node_op_[x.src_node % shards_total_]];
    const og::Op& d = graph_.ops[node_op_[x.node % shards_total_]];
    trace(fmt::format("{} -> {}", so.name, d.name), x.issued, now(), "xfer",
          fmt::format(R"({{"src_op":{},"dst_op":{},"src_instance":{},"instance":{},"src":"{}","dst":"{}","bytes":{}}})",
                      so.id, d.id, x.src_node / shards_total_, x.node / shards_total_, core_name(x.src_core),
                      core_name(x.dst_core), x.bytes));
  }
  deliver(x.node);
}

}  // namespace strata::transformer

namespace {

strata::ComponentDecl transformer_decl() {
  using strata::transformer::TransformerParams;
  using strata::transformer::TransformerWorkload;
  namespace og = strata::opgraph;
  auto b = strata::component<TransformerWorkload, TransformerParams>("workload.transformer");
  b.summary("Transformer workload: generates or reads an op graph and replays it on PIM/SA cores over the NoC")
      .description(
          "Dependency-driven replay of a strata-opgraph graph (inference, prefill, decode, LoRA or full "
          "fine-tuning) at transaction level: one ComputeRequest per op (shard) on the mapped core's ctrl port, "
          "one TransferRequest per cross-core tensor edge through the source core's network interface; same-core "
          "edges are free; cores queue FIFO. Frozen weights are first written into the PIM cores (setup phase, "
          "reported apart). Mapping policies atleus / sa_only / pim_only; micro-batches pipeline through the "
          "cores. Timing and energy come from the cores and the network; this driver adds none.")
      .multi_port("cores", strata::PortDir::inout, "compute",
                  "cores in grid order (fanout to each core's ctrl); PIM or SA by type (pim_types, sa_types)")
      .multi_port("nis", strata::PortDir::inout, "xfer",
                  "network interfaces, nis[k] at the same grid position as cores[k] (fanout to each NI's ctrl)")
      .counter("ops", "count", "op instances completed (ops x micro-batches; update ops once)")
      .counter("ops_issued", "count", "op instances issued (first shard sent)")
      .counter("requests", "count", "ComputeRequests of the replay (one per op shard)")
      .counter("transfers", "count", "TransferRequests (tensor pieces between different cores)")
      .counter("bytes_moved", "B", "bytes of all transfers between cores")
      .counter("local_edges", "count", "tensor pieces that stayed on their core (or carried 0 bytes): free")
      .accumulator("transfer_time", "ps", "per transfer: issue to arrival")
      .accumulator("energy", "J", "per request: dynamic energy the core reported (energy_j), replay only")
      .counter("setup_time", "ps", "setup phase: writing the stored weights into the PIM cores")
      .accumulator("setup_energy", "J", "per load_weights request: dynamic energy the core reported")
      .counter("weight_loads", "count", "load_weights requests (one per stored weight shard)")
      .counter("weight_bytes", "B", "bytes of stored weights written in the setup phase")
      .counter("overflow_ops", "count", "op instances that wanted PIM but ran on SA (weights did not fit)")
      .counter("pim_cores_used", "count", "PIM cores that hold weights or run ops")
      .counter("sa_cores_used", "count", "SA cores that run ops")
      .counter("latency", "ps", "end-to-end: replay start (after setup) to the last op's answer")
      .accumulator("micro_batch_latency", "ps", "per micro-batch: replay start to its last op's answer")
      .accumulator("throughput", "sequences/s", "sequences of the batch / latency (one sample)")
      .accumulator("token_throughput", "tokens/s",
                   "tokens processed (decode: generated) / latency (one sample)");
  for (int k = 0; k < og::op_kind_count; ++k)
    for (int ph = 0; ph < TransformerWorkload::kPhases; ++ph) {
      const auto kind = static_cast<og::OpKind>(k);
      const auto phase = static_cast<og::Phase>(ph);
      const std::string base = fmt::format("op.{}.{}", og::to_string(kind), og::to_string(phase));
      b.counter(base + ".count", "count", fmt::format("{} ops ({} phase) completed", og::to_string(kind), og::to_string(phase)))
          .accumulator(base + ".busy", "ps", "per request: core busy time (finished_at - started_at)")
          .accumulator(base + ".energy", "J", "per request: dynamic energy reported by the core");
    }
  return b;
}

}  // namespace

STRATA_PLUGIN("workload_transformer", "1.0", "Transformer workloads: op-graph generation and dependency-driven replay",
              transformer_decl())
