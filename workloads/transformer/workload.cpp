// workload.transformer: graph replay driver (see workload.hpp, README.md).
#include "workload.hpp"

#include "graph_command.hpp"

#include <strata/opgraph/generators.hpp>
#include <strata/opgraph/graph_io.hpp>
#include <strata/opgraph/importers.hpp>
#include <strata/opgraph/model_config.hpp>

#include <strata/plugin.hpp>
#include <strata/transactions.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

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
          "replay this graph file instead of generating (model, mode, batch, ... are then unused): strata-opgraph "
          "JSON, a Chakra execution trace (.et), a PyTorch execution trace (JSON) or an ONNX model (.onnx); "
          "see graph_format");
  s.param("graph_format", &TransformerParams::graph_format,
          "format of graph_file: auto (by extension, then content), strata, chakra, pytorch, onnx. Imported "
          "formats take operand widths from `precision`; the import's summary is printed and counted (import_* stats)")
      .choices({"auto", "strata", "chakra", "pytorch", "onnx"});
  s.param("micro_batches", &TransformerParams::micro_batches,
          "split the batch into this many independent graph instances that pipeline through the cores "
          "(must divide batch; graph_file: replay the file this many times)")
      .range(1, 1 << 20);
  s.param("mapping", &TransformerParams::mapping,
          "atleus: frozen weights on PIM, the rest on SA; sa_only; pim_only; haima: host + HBM-PIM (pim_types) + "
          "SRAM-PIM (SA-class cores of type sram.*), README.md \"Mapping\"")
      .choices({"atleus", "sa_only", "pim_only", "haima"});
  // The mapping's PIM geometry, bound where it is (PimGeometry is a base of TransformerParams).
  auto geometry = [&s]<class F>(const char* name, F PimGeometry::*field, const char* doc) {
    return s.param(name, static_cast<F TransformerParams::*>(field), doc);
  };
  geometry("pim_tiles", &PimGeometry::tiles,
          "tiles of one PIM core, for packing weights (Atleus: 16); 0 = unlimited. Keep the geometry equal "
          "to the PIM cores' own, or their load_weights may answer capacity_error")
      .range(0, 1 << 30);
  geometry("tile_crossbars", &PimGeometry::tile_crossbars, "crossbars per PIM tile (Atleus: 96)").range(1, 1 << 20);
  geometry("crossbar_rows", &PimGeometry::xbar_rows, "crossbar rows (inputs)").range(1, 1 << 20);
  geometry("crossbar_cols", &PimGeometry::xbar_cols, "crossbar columns (cells per row)").range(1, 1 << 20);
  geometry("cell_bits", &PimGeometry::cell_bits, "bits per ReRAM cell").range(1, 64);
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
  s.param("layers", &TransformerParams::layers,
          "transformer layers generated: 0 = the model's own; n overrides the model's depth (a quick, reduced-size run)")
      .range(0, 1 << 20);
  s.param("mapping_file", &TransformerParams::mapping_file,
          "JSON mapping table (README.md, \"Mapping tables\"): rules {op/kind/shape/phase/layer/head -> \"pim\", "
          "\"sa\", \"policy\" or a core index}; the first match places an op, the `mapping` policy places the rest. "
          "Applied before a graph file's own mapping_table. A relative path is relative to the working folder");
  s.param("dynamic_operands", &TransformerParams::dynamic_operands,
          "a GEMM on a PIM core without a stored weight (pim_only, mapping tables): write its b operand into the "
          "crossbars (load_weights under a scratch weight id) before each use, or stream it (static_weights = false)")
      .choices({"write", "stream"});
  s.param("pim_scratch_tiles", &TransformerParams::pim_scratch_tiles,
          "tiles every PIM core keeps free for dynamic operand writes; 0 = what the largest one needs")
      .range(0, 1 << 30);
  s.param("offchip", &TransformerParams::offchip,
          "comma-separated data loaded from memory before each use: lora (adapter matrices), embedding (gathered "
          "table rows), kv_cache (reads of layers beyond kv_cache_capacity), weights (other parameters not stored in "
          "PIM crossbars); \"all\" or \"\" (none)");
  s.param("kv_cache_capacity", &TransformerParams::kv_cache_capacity,
          "on-chip bytes for the KV cache (all micro-batches); layers whose cache does not fit, in layer order, "
          "read and write it in memory (offchip kv_cache)");
  s.param("mem_bandwidth", &TransformerParams::mem_bandwidth,
          "off-chip loads without mem[] linked: one FIFO channel of this bandwidth (default Atleus HBM2)");
  s.param("mem_latency", &TransformerParams::mem_latency,
          "off-chip loads without mem[] linked: access latency added to each (default: memory.hbm's)");
  s.param("mem_energy_per_bit", &TransformerParams::mem_energy_per_bit,
          "off-chip loads without mem[] linked: energy per bit, booked as mem_access (default: memory.hbm's)");
  s.param("mem_base", &TransformerParams::mem_base,
          "with mem[] linked: address of the first parameter; parameters, then the KV caches, follow in order");
  s.param("sequences", &TransformerParams::sequences,
          "stream: sequences in all, in micro-batches of batch / micro_batches sequences (graph_file: the file's "
          "batch), released by inflight and rate; reports steady-state throughput, per-sequence latency and stage "
          "delays (stream.*, stage.*). 0 = one batch released at once (no stream statistics)")
      .range(0, 1LL << 40);
  s.param("inflight", &TransformerParams::inflight,
          "stream: micro-batches in flight at most (closed loop: the next is released when one completes); "
          "0 = no limit")
      .range(0, 1 << 30);
  s.param("rate", &TransformerParams::rate,
          "stream: offered load in sequences/s (micro-batch i arrives at i x micro-batch size / rate, deterministic); "
          "0 = every micro-batch arrives at time zero (of the replay)")
      .min(0);
  s.param("replicate", &TransformerParams::replicate,
          "copies of stored weight shards on the PIM cores the mapping left idle: \"off\", \"auto\" (greedy, the "
          "shard with the most rows per copy first, until the idle crossbars are full) or N (every shard N copies "
          "in all where they fit); a GEMM's rows are split over the copies");
  s.param("vector_aliases", &TransformerParams::vector_aliases,
          "kind=name,...: the op name a vector request carries for an op kind the cores do not know by name "
          "(default: onto systolic.array's softmax, layernorm, gelu, residual_add); other kinds carry their own name");
}

namespace {

constexpr std::uint64_t kLoadTag = 1ULL << 63;
constexpr std::uint64_t kDynTag = 1ULL << 62;  // a dynamic operand write (pim_only) of the node in the low bits
// A request of a replicated GEMM: which copy (0 = the shard's own core) in bits 48..61.
constexpr int kPartShift = 48;
constexpr std::uint64_t kMaxNodes = 1ULL << kPartShift;
constexpr std::uint64_t kNodeMask = kMaxNodes - 1;

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

// A load_weights request: write a rows x cols matrix of `bits`-bit weights into a PIM core
// under `weight_id`. Setup loads and dynamic operand writes send the same request.
TxnPtr<ComputeRequest> TransformerWorkload::load_request(std::uint64_t rows, std::uint64_t cols, std::uint32_t bits,
                                                         std::uint64_t weight_id, std::uint64_t tag) {
  auto req = make<ComputeRequest>();
  req->kind = ComputeRequest::Kind::load_weights;
  req->op = "load_weights";
  req->k = rows;
  req->n = cols;
  req->weight_bits = bits8(bits);
  req->static_weights = true;
  req->weight_id = weight_id;
  req->tag = tag;
  req->issued_at = now();
  return req;
}

TransformerWorkload::TransformerWorkload(const ComponentContext& ctx)
    : Component(ctx), p_(ctx.params<TransformerParams>()), e_mem_(p_.mem_energy_per_bit) {
  on_receive<&TransformerWorkload::on_core>("cores", this);
  on_receive<&TransformerWorkload::on_ni>("nis", this);
  on_receive<&TransformerWorkload::on_mem>("mem", this);
  mem_timer_ = &event_port<&TransformerWorkload::on_mem_timer>(this, "mem_timer");
  energy("mem_access", e_mem_);
  auto fail = [&](const std::string& msg) { throw ConfigError(fmt::format("{}: {}", name(), msg)); };

  mopt_.policy = p_.mapping == "sa_only"    ? Policy::sa_only
                 : p_.mapping == "pim_only" ? Policy::pim_only
                 : p_.mapping == "haima"    ? Policy::haima
                                            : Policy::atleus;
  mopt_.pim = p_;  // the declared geometry (PimGeometry part of the params)
  mopt_.overflow = p_.overflow == "error" ? Overflow::error : Overflow::sa;
  mopt_.frozen_dx = p_.frozen_dx == "sa" ? DxPlacement::sa : DxPlacement::pim;
  mopt_.attention_cores = static_cast<std::uint32_t>(p_.attention_cores);
  mopt_.pim_order = p_.pim_order == "hilbert" ? PimOrder::hilbert : PimOrder::ports;
  mopt_.dynamic = p_.dynamic_operands == "stream" ? DynamicOperands::stream : DynamicOperands::write;
  mopt_.scratch_tiles = static_cast<std::uint64_t>(p_.pim_scratch_tiles);
  instances_ = static_cast<std::uint64_t>(p_.micro_batches);
  for (const auto& c : split_list(p_.offchip, ',')) {
    static constexpr std::array<std::string_view, kOffchipKinds> names{"lora", "embedding", "kv_cache", "weights"};
    if (c == "all") {
      offchip_.fill(true);
      continue;
    }
    auto it = std::find(names.begin(), names.end(), c);
    if (it == names.end())
      fail(fmt::format("offchip: unknown category \"{}\" (lora, embedding, kv_cache, weights, all)", c));
    offchip_[static_cast<std::size_t>(it - names.begin())] = true;
  }

  if (!p_.graph_file.empty()) {
    og::ImportReport report;
    try {
      auto prec = og::parse_precision(p_.precision);
      if (!prec) fail(fmt::format("precision \"{}\" is not W<bits>A<bits> (e.g. \"W8A8\", \"W4A8\")", p_.precision));
      og::ImportOptions io;
      io.weight_bits = prec->weight_bits;
      io.act_bits = prec->act_bits;
      io.acc_bits = prec->acc_bits;
      std::optional<og::GraphFileFormat> format;
      if (p_.graph_format != "auto") format = og::parse_graph_file_format(p_.graph_format);
      graph_ = og::read_any_graph(p_.graph_file, format, io, &report);
    } catch (const ConfigError&) {
      throw;
    } catch (const std::exception& e) {
      fail(fmt::format("graph_file: {}", e.what()));
    }
    if (report.format != og::GraphFileFormat::strata_json) {
      // What was imported and what was not: printed once, and in stats.json (import.*).
      fmt::print(stderr, "{}: {}", name(), report.render_text());
      import_nodes_ += report.nodes;
      import_ops_ += graph_.ops.size();
      import_skipped_ += report.skipped_count();
      import_skipped_flops_ += report.skipped_flops();
      for (const auto& [k, n] : report.unknown_attributes) import_unknown_attributes_ += n;
      import_unknown_node_types_ += report.unknown_node_types;
      import_recovered_gemms_ += report.recovered_gemms;
      import_opaque_ops_ += report.opaque_ops;
      stat("import_nodes", import_nodes_);
      stat("import_ops", import_ops_);
      stat("import_skipped_nodes", import_skipped_);
      stat("import_skipped_flops", import_skipped_flops_);
      stat("import_unknown_attributes", import_unknown_attributes_);
      stat("import_unknown_node_types", import_unknown_node_types_);
      stat("import_recovered_gemms", import_recovered_gemms_);
      stat("import_opaque_ops", import_opaque_ops_);
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
    if (p_.layers > 0) model.layers = static_cast<std::uint32_t>(p_.layers);
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

  // Stream: `sequences` in instances of the graph's batch; update ops once per optimizer
  // step of micro_batches instances (README.md, "Stream and pipeline").
  per_step_ = instances_;
  mb_sequences_ = std::max<std::uint64_t>(1, sequences_ / instances_);
  if (p_.sequences > 0) {
    stream_ = true;
    const auto n = static_cast<std::uint64_t>(p_.sequences);
    if (n % mb_sequences_ != 0)
      fail(fmt::format("sequences = {} is not a multiple of the micro-batch size {} ({})", n, mb_sequences_,
                       p_.graph_file.empty() ? fmt::format("batch / micro_batches = {} / {}", p_.batch, p_.micro_batches)
                                             : "the graph file's batch"));
    const std::uint64_t per_token = tokens_ / sequences_;
    const bool updates = std::any_of(graph_.ops.begin(), graph_.ops.end(),
                                     [](const og::Op& op) { return op.phase == og::Phase::update; });
    instances_ = n / mb_sequences_;
    if (updates && instances_ % per_step_ != 0)
      fail(fmt::format("sequences = {} is not a whole number of optimizer steps of {} sequences (batch; the graph "
                       "has weight updates, once per step)",
                       n, mb_sequences_ * per_step_));
    sequences_ = n;
    tokens_ = n * per_token;
  } else if (p_.inflight > 0 || p_.rate > 0) {
    fail(fmt::format("{} applies to a stream: set sequences (> 0) too", p_.inflight > 0 ? "inflight" : "rate"));
  }
  if (stream_ && p_.rate > 0)
    release_timer_ = &event_port<&TransformerWorkload::on_release_timer>(this, "release_timer");
  if (p_.replicate == "auto") {
    mopt_.replicate.mode = Replication::Mode::fill;
  } else if (p_.replicate != "off") {
    std::uint64_t copies = 0;
    bool ok = !p_.replicate.empty() && p_.replicate.size() < 10;
    for (char c : p_.replicate) ok = ok && std::isdigit(static_cast<unsigned char>(c));
    if (ok) copies = std::stoull(p_.replicate);
    if (!ok || copies == 0)
      fail(fmt::format("replicate = \"{}\": expected \"off\", \"auto\" or a number of copies >= 1", p_.replicate));
    mopt_.replicate.mode = Replication::Mode::copies;
    mopt_.replicate.copies = static_cast<std::uint32_t>(copies);
  }
  replication_ = mopt_.replicate.mode != Replication::Mode::off;

  // Mapping table: the mapping_file's rules first, then the graph file's own.
  if (!p_.mapping_file.empty()) {
    std::ifstream f(p_.mapping_file, std::ios::binary);
    if (!f) fail(fmt::format("mapping_file: cannot open \"{}\"", p_.mapping_file));
    std::ostringstream text;
    text << f.rdbuf();
    try {
      mopt_.rules = parse_mapping_table(text.str(), p_.mapping_file);
    } catch (const MappingError& e) {
      fail(fmt::format("mapping_file: {}", e.what()));
    }
  }
  if (!graph_.mapping_table.empty()) {
    try {
      for (auto& r : parse_mapping_table(graph_.mapping_table, p_.graph_file + " /mapping_table"))
        mopt_.rules.push_back(std::move(r));
    } catch (const MappingError& e) {
      fail(fmt::format("graph_file: {}", e.what()));
    }
  }

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

  // KV cache: per layer, the largest cache one instance holds (K and V of every KV head at
  // the longest key length); layers beyond kv_cache_capacity keep theirs in memory.
  {
    const std::uint64_t group = graph_.info.heads && graph_.info.kv_heads && graph_.info.heads % graph_.info.kv_heads == 0
                                    ? graph_.info.heads / graph_.info.kv_heads
                                    : 1;
    for (const auto& op : graph_.ops) {
      if (op.kind != og::OpKind::kv_cache_append || op.layer < 0) continue;
      std::uint64_t bytes = 0;
      for (std::size_t ei : adj_.out[static_cast<std::size_t>(op.id)]) bytes += graph_.edges[ei].bytes;
      const auto l = static_cast<std::size_t>(op.layer);
      if (kv_layer_bytes_.size() <= l) kv_layer_bytes_.resize(l + 1, 0);
      kv_layer_bytes_[l] = std::max(kv_layer_bytes_[l], bytes / group);
    }
    std::vector<bool> offchip_layer(kv_layer_bytes_.size(), false);
    std::uint64_t cum = 0;
    // A stream holds the caches of the micro-batches in flight only.
    const std::uint64_t kv_instances =
        stream_ && p_.inflight > 0 ? std::min(instances_, static_cast<std::uint64_t>(p_.inflight)) : instances_;
    for (std::size_t l = 0; l < kv_layer_bytes_.size(); ++l) {
      kv_cache_bytes_ += kv_layer_bytes_[l] * kv_instances;
      cum += kv_layer_bytes_[l] * kv_instances;
      offchip_layer[l] = offchip_[off_kv_cache] && kv_layer_bytes_[l] > 0 && cum > p_.kv_cache_capacity.count;
      if (offchip_layer[l]) ++kv_offchip_layers_;
    }
    kv_layers_ = kv_layer_bytes_.size();
    kv_offchip_edge_.assign(graph_.edges.size(), false);
    kv_write_op_.assign(graph_.ops.size(), false);
    for (std::size_t ei = 0; ei < graph_.edges.size(); ++ei) {
      const og::Op& src = graph_.ops[static_cast<std::size_t>(graph_.edges[ei].src)];
      if (src.kind == og::OpKind::kv_cache_append && src.layer >= 0 && offchip_layer[static_cast<std::size_t>(src.layer)])
        kv_offchip_edge_[ei] = true;
    }
    for (const auto& op : graph_.ops)
      if (op.kind == og::OpKind::kv_cache_append && op.layer >= 0 && offchip_layer[static_cast<std::size_t>(op.layer)])
        kv_write_op_[static_cast<std::size_t>(op.id)] = true;
  }

  // Decode steps (op names "T<t>.") and layers, for the latency spans.
  op_step_.assign(graph_.ops.size(), 0);
  std::int32_t max_layer = -1;
  for (const auto& op : graph_.ops) {
    max_layer = std::max(max_layer, op.layer);
    const auto& nm = op.name;
    if (nm.size() > 2 && nm[0] == 'T' && std::isdigit(static_cast<unsigned char>(nm[1]))) {
      std::size_t i = 1;
      std::int64_t t = 0;
      while (i < nm.size() && std::isdigit(static_cast<unsigned char>(nm[i])) && t < (1 << 20)) t = t * 10 + (nm[i++] - '0');
      if (i < nm.size() && nm[i] == '.') op_step_[static_cast<std::size_t>(op.id)] = static_cast<std::int32_t>(t);
    }
  }
  steps_ = 1;
  for (auto t : op_step_) steps_ = std::max<std::uint64_t>(steps_, static_cast<std::uint64_t>(t) + 1);
  layers_n_ = static_cast<std::uint64_t>(max_layer + 1);

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

  std::array<std::array<bool, kPhases>, kLayerStats> layer_present{};
  std::array<bool, kPhases> phase_present{};
  for (const auto& op : graph_.ops) {
    phase_present[static_cast<std::size_t>(op.phase)] = true;
    if (op.layer >= 0 && op.layer < kLayerStats)
      layer_present[static_cast<std::size_t>(op.layer)][static_cast<std::size_t>(op.phase)] = true;
  }
  for (int l = 0; l < kLayerStats; ++l)
    for (int ph = 0; ph < kPhases; ++ph) {
      if (!layer_present[static_cast<std::size_t>(l)][static_cast<std::size_t>(ph)]) continue;
      const auto phase = og::to_string(static_cast<og::Phase>(ph));
      stat(fmt::format("layer.{}.{}.latency", l, phase), layer_latency_[static_cast<std::size_t>(l)][static_cast<std::size_t>(ph)]);
      stat(fmt::format("layer.{}.{}.energy", l, phase), layer_energy_[static_cast<std::size_t>(l)][static_cast<std::size_t>(ph)]);
    }
  for (int ph = 0; ph < kPhases; ++ph)
    if (phase_present[static_cast<std::size_t>(ph)])
      stat(fmt::format("phase.{}.latency", og::to_string(static_cast<og::Phase>(ph))), phase_latency_[static_cast<std::size_t>(ph)]);
  stat("layer_latency", all_layer_latency_);
  stat("step_latency", step_latency_);
  for (int c = 0; c < 2; ++c) {
    const std::string cls = c == 0 ? "pim" : "sa";
    const auto ci = static_cast<std::size_t>(c);
    stat(cls + ".requests", cls_requests_[ci]);
    stat(cls + ".flops", cls_flops_[ci]);
    stat(cls + ".busy", cls_busy_[ci]);
    stat(cls + ".energy", cls_energy_[ci]);
    stat(cls + ".request_share", cls_request_share_[ci]);
    stat(cls + ".flop_share", cls_flop_share_[ci]);
    stat(cls + ".energy_share", cls_energy_share_[ci]);
    for (int d = 0; d < 2; ++d) {
      const std::string pair = fmt::format("xfer.{}_to_{}", cls, d == 0 ? "pim" : "sa");
      stat(pair + ".count", xfer_count_[ci][static_cast<std::size_t>(d)]);
      stat(pair + ".bytes", xfer_bytes_[ci][static_cast<std::size_t>(d)]);
    }
  }
  stat("reram_writes", reram_writes_);
  stat("reram_write_bytes", reram_write_bytes_);
  stat("reram_write_energy", reram_write_energy_);
  stat("dynamic_writes", dynamic_writes_);
  stat("dynamic_write_bytes", dynamic_write_bytes_);
  stat("mem_loads", mem_loads_);
  stat("mem_load_bytes", mem_load_bytes_);
  stat("mem_load_time", mem_load_time_);
  stat("mem_writes", mem_writes_);
  stat("mem_write_bytes", mem_write_bytes_);
  stat("mem_energy", mem_energy_);
  stat("mem.lora.bytes", mem_kind_bytes_[off_lora]);
  stat("mem.embedding.bytes", mem_kind_bytes_[off_embedding]);
  stat("mem.kv_cache.bytes", mem_kind_bytes_[off_kv_cache]);
  stat("mem.weights.bytes", mem_kind_bytes_[off_weights]);
  stat("kv_cache_bytes", kv_cache_bytes_);
  stat("kv_offchip_layers", kv_offchip_layers_);
  stat("mapping_rule_ops", rule_ops_);
  stat("pim_scratch_tiles", scratch_tiles_);

  // Stage of each op (README.md, "Stream and pipeline"): by name and kind, as the generator
  // names them (a graph file's own names may put everything in `vector`).
  op_group_.assign(graph_.ops.size(), g_vector);
  for (const auto& op : graph_.ops) {
    const auto& nm = op.name;
    auto has = [&](std::string_view x) { return nm.find(x) != std::string::npos; };
    int g = g_vector;
    if (op.kind == og::OpKind::lora_down || op.kind == og::OpKind::lora_up || has(".lora_"))
      g = g_lora;
    else if (op.head >= 0 || has(".attn.h") || op.kind == og::OpKind::attention_score ||
             op.kind == og::OpKind::attention_value || op.kind == og::OpKind::attention_score_grad ||
             op.kind == og::OpKind::attention_value_grad)
      g = g_attn;
    else if (op.layer < 0)
      g = g_outer;
    else if (has("_proj"))
      g = g_proj;
    else if (has("ffn.ff1") || has("ffn.gate") || has("ffn.up"))
      g = g_ff1;
    else if (has("ffn.ff2") || has("ffn.down"))
      g = g_ff2;
    op_group_[static_cast<std::size_t>(op.id)] = static_cast<std::uint8_t>(g);
  }
  if (stream_) {
    stat("stream.sequences", s_sequences_);
    stat("stream.micro_batches", s_micro_batches_);
    stat("stream.throughput", s_throughput_);
    stat("stream.token_throughput", s_tokens_);
    stat("stream.window", s_window_);
    stat("stream.sequence_latency", s_latency_);
    stat("stream.core_busy", s_core_busy_);
    stat("stream.busiest_core", s_busiest_core_);
    stat("stream.throughput_bound", s_bound_);
    std::array<bool, kStageTypes> present{};
    for (const auto& op : graph_.ops)
      for (int c = 0; c < 2; ++c)
        present[static_cast<std::size_t>((c * kStageGroups + op_group_[static_cast<std::size_t>(op.id)]) * kPhases +
                                         static_cast<int>(op.phase))] = true;
    // Both classes of a group the graph has: where it ran is known after mapping (init),
    // and a stage that ran nowhere reports no samples.
    for (int t = 0; t < kStageTypes; ++t)
      if (present[static_cast<std::size_t>(t)]) {
        stat(fmt::format("stage.{}.delay", stage_name(t)), stage_delay_[static_cast<std::size_t>(t)]);
        stat(fmt::format("stage.{}.layer", stage_name(t)), stage_layer_[static_cast<std::size_t>(t)]);
      }
  }
  if (replication_) {
    stat("replica_loads", replica_loads_);
    stat("replica_bytes", replica_bytes_);
    stat("replica_cells", replica_cells_);
    stat("replica_crossbars", replica_crossbars_);
    stat("replica_write_energy", replica_write_energy_);
    stat("replica_load_time", replica_load_time_);
    for (int t = 0; t < kTiers; ++t) {
      const auto ti = static_cast<std::size_t>(t);
      stat(fmt::format("tier.{}.crossbars", t), tier_crossbars_[ti]);
      stat(fmt::format("tier.{}.replica_crossbars", t), tier_replica_crossbars_[ti]);
      stat(fmt::format("tier.{}.crossbar_capacity", t), tier_capacity_[ti]);
    }
  }
}

std::string TransformerWorkload::stage_name(int type) {
  static constexpr std::array<std::string_view, kStageGroups> groups{"proj", "attn", "ff1", "ff2", "lora", "vector", "outer"};
  const int phase = type % kPhases, group = (type / kPhases) % kStageGroups, cls = type / (kPhases * kStageGroups);
  return fmt::format("{}.{}.{}", cls == 0 ? "pim" : "sa", groups[static_cast<std::size_t>(group)],
                     og::to_string(static_cast<og::Phase>(phase)));
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
  scratch_tiles_ += map_.scratch_tiles;
  for (auto c : map_.rule_ops) rule_ops_ += c;
  if (replication_) {
    // Crossbars per tier (grid coordinate 2 of the core, 0 without one) and their capacity.
    auto tier_of = [&](std::uint32_t core) {
      const auto& ix = cores_info_[core].index;
      return ix.size() >= 3 && ix[2] >= 0 ? static_cast<std::size_t>(ix[2]) : 0;
    };
    for (const auto& ld : map_.loads) {
      const std::size_t t = tier_of(ld.core);
      if (t < static_cast<std::size_t>(kTiers)) tier_crossbars_[t] += ld.crossbars;
      if (ld.replica && t < static_cast<std::size_t>(kTiers)) tier_replica_crossbars_[t] += ld.crossbars;
      if (!ld.replica) continue;
      replica_crossbars_ += ld.crossbars;
      replica_bytes_ += ld.bytes;
      const std::uint64_t slices = (ld.bits + mopt_.pim.cell_bits - 1) / mopt_.pim.cell_bits;
      replica_cells_ += ld.rows * ld.cols * slices;
    }
    for (std::uint32_t c = 0; c < cores_info_.size(); ++c)
      if (cores_info_[c].cls == CoreClass::pim && tier_of(c) < static_cast<std::size_t>(kTiers))
        tier_capacity_[tier_of(c)] += mopt_.pim.tiles * mopt_.pim.tile_crossbars;
  }

  // Off-chip loads per op: static operands not held in PIM crossbars (by category), and
  // KV-cache reads of layers kept in memory. Addresses: parameters in order from mem_base,
  // then the KV cache of each (instance, layer).
  mem_ports_ = ports("mem");
  {
    const std::size_t n_ops = graph_.ops.size();
    std::vector<std::uint64_t> param_addr(graph_.parameters.size(), 0);
    std::uint64_t addr = p_.mem_base.count;
    auto align = [](std::uint64_t a) { return (a + 255) / 256 * 256; };
    for (std::size_t i = 0; i < graph_.parameters.size(); ++i) {
      param_addr[i] = addr;
      addr = align(addr + graph_.parameters[i].bytes());
    }
    kv_address_.assign(instances_ * kv_layers_, 0);
    for (std::uint64_t inst = 0; inst < instances_; ++inst)
      for (std::size_t l = 0; l < kv_layers_; ++l) {
        kv_address_[inst * kv_layers_ + l] = addr;
        addr = align(addr + kv_layer_bytes_[l]);
      }
    op_load_bytes_.assign(n_ops, 0);
    load_kind_bytes_.assign(n_ops, {});
    load_address_.assign(n_ops, 0);
    for (const auto& op : graph_.ops) {
      const auto i = static_cast<std::size_t>(op.id);
      auto& kb = load_kind_bytes_[i];
      if (!map_.ops[i].stored) {
        const std::uint64_t bytes = (op.a.is_static ? op.a_bytes() : 0) + (op.b.is_static ? op.b_bytes() : 0);
        int kind = off_weights;
        if (op.kind == og::OpKind::embedding)
          kind = off_embedding;
        else
          for (auto pid : op.params)
            if (graph_.parameters[static_cast<std::size_t>(pid)].name.find(".lora_") != std::string::npos) kind = off_lora;
        if (bytes > 0 && offchip_[static_cast<std::size_t>(kind)]) kb[static_cast<std::size_t>(kind)] += bytes;
      }
      for (std::size_t ei : adj_.in[i])
        if (kv_offchip_edge_[ei]) kb[off_kv_cache] += graph_.edges[ei].bytes;
      for (auto b : kb) op_load_bytes_[i] += b;
      if (!op.params.empty()) load_address_[i] = param_addr[static_cast<std::size_t>(op.params.front())];
    }
  }

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
  parts_left_.assign(instances_ * shards_total_, 0);
  issued_at_.assign(instances_ * shards_total_, 0);
  constexpr Time unset = ~Time{0};
  layer_first_.assign(instances_ * steps_ * layers_n_ * kPhases, unset);
  layer_last_.assign(layer_first_.size(), 0);
  phase_first_.assign(instances_ * steps_ * kPhases, unset);
  phase_last_.assign(phase_first_.size(), 0);
  step_first_.assign(instances_ * steps_, unset);
  step_last_.assign(step_first_.size(), 0);
  shards_left_.assign(instances_ * n, 0);
  instance_left_.assign(instances_, 0);
  mb_left_.assign(instances_, 0);
  arrival_.assign(stream_ ? instances_ : 0, 0);
  completion_.assign(stream_ ? instances_ : 0, 0);
  if (shards_total_ * instances_ >= kMaxNodes)
    fail(fmt::format("{} op shards x {} micro-batches: more than 2^48 nodes", shards_total_, instances_));
  nodes_total_ = 0;
  for (std::uint64_t inst = 0; inst < instances_; ++inst)
    for (std::size_t i = 0; i < n; ++i) {
      const auto op = static_cast<og::OpId>(i);
      if (!has_node(inst, op)) continue;
      std::uint32_t pieces = 0;
      for (std::size_t ei : adj_.in[i]) {
        const auto src = graph_.edges[ei].src;
        const std::uint64_t mult = is_update(op) && !is_update(src) ? per_step_ : 1;
        pieces += static_cast<std::uint32_t>(map_.ops[static_cast<std::size_t>(src)].shards.size() * mult);
      }
      if (op_load_bytes_[i] > 0) ++pieces;  // the off-chip load, issued when everything else is there
      for (std::size_t s = 0; s < map_.ops[i].shards.size(); ++s) pending_[node_of(inst, op, s)] = pieces;
      shards_left_[inst * n + i] = static_cast<std::uint32_t>(map_.ops[i].shards.size());
      ++instance_left_[inst];
      if (!is_update(op)) ++mb_left_[inst];
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
    auto req = load_request(ld.rows, ld.cols, ld.bits, ld.weight_id, kLoadTag | i);
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
  if (stream_) {
    try_release();
    return;
  }
  for (std::uint64_t inst = 0; inst < instances_; ++inst) release(inst);
}

// The graph inputs of instance `inst` are there: its source ops start.
void TransformerWorkload::release(std::uint64_t inst) {
  const std::size_t n = graph_.ops.size();
  for (std::size_t i = 0; i < n; ++i) {
    const auto op = static_cast<og::OpId>(i);
    if (!has_node(inst, op) || !adj_.in[i].empty()) continue;
    for (std::size_t s = 0; s < map_.ops[i].shards.size(); ++s) ready(node_of(inst, op, s));
  }
}

// Micro-batch i arrives at i x micro-batch size / rate after the replay start (0 without rate).
Time TransformerWorkload::arrival_of(std::uint64_t inst) const {
  if (p_.rate <= 0) return replay_start_;
  const double t = static_cast<double>(inst) * static_cast<double>(mb_sequences_) / p_.rate * 1e12;
  return replay_start_ + static_cast<Time>(std::llround(t));
}

// Release every micro-batch that has arrived while fewer than `inflight` are in flight; wait
// for the next arrival otherwise.
void TransformerWorkload::try_release() {
  const auto cap = p_.inflight > 0 ? static_cast<std::uint64_t>(p_.inflight) : instances_;
  while (next_release_ < instances_ && in_flight_ < cap) {
    const Time at = arrival_of(next_release_);
    if (at > now()) {
      if (!release_timer_set_ && release_timer_) {
        release_timer_set_ = true;
        schedule(*release_timer_, at - now());
      }
      return;
    }
    const std::uint64_t inst = next_release_++;
    arrival_[inst] = p_.rate > 0 ? at : now();
    ++in_flight_;
    release(inst);
  }
}

void TransformerWorkload::on_release_timer(TxnPtr<> /*t*/) {
  release_timer_set_ = false;
  try_release();
}

void TransformerWorkload::micro_batch_done(std::uint64_t inst, Time seen) {
  completion_[inst] = seen;
  s_latency_.add(static_cast<double>(seen - arrival_[inst]));
  --in_flight_;
  try_release();
}

// Every graph input of `node` is at its core: load what it needs from memory, or run it.
void TransformerWorkload::ready(std::uint64_t node) {
  const std::size_t op = node_op_[node % shards_total_];
  if (op_load_bytes_[op] > 0) {
    span_begin(node);
    const auto& kb = load_kind_bytes_[op];
    for (std::size_t c = 0; c < kOffchipKinds; ++c) mem_kind_bytes_[c] += kb[c];
    issue_mem(node, op_load_bytes_[op], false);
    return;
  }
  issue(node);
}

void TransformerWorkload::issue_mem(std::uint64_t node, std::uint64_t bytes, bool write) {
  const std::uint64_t slot = node % shards_total_;
  const std::size_t op = node_op_[slot];
  const std::uint32_t core = map_.ops[op].shards[node_shard_[slot]].core;
  const std::uint64_t index = mem_accesses_.size();
  mem_accesses_.push_back(MemAccess{node, bytes, now(), write});
  if (write) {
    ++mem_writes_;
    mem_write_bytes_ += bytes;
  } else {
    ++mem_loads_;
    mem_load_bytes_ += bytes;
  }
  if (!mem_ports_.empty()) {
    const og::Op& o = graph_.ops[op];
    const std::uint64_t inst = node / shards_total_;
    std::uint64_t address = load_address_[op];
    if (write || (o.params.empty() && load_kind_bytes_[op][off_kv_cache] > 0)) {
      // KV traffic: the region of the layer of this op (its own, or its KV producer's).
      std::int32_t layer = o.layer;
      for (std::size_t ei : adj_.in[op])
        if (kv_offchip_edge_[ei]) layer = graph_.ops[static_cast<std::size_t>(graph_.edges[ei].src)].layer;
      if (layer >= 0 && static_cast<std::size_t>(layer) < kv_layers_)
        address = kv_address_[inst * kv_layers_ + static_cast<std::size_t>(layer)];
    }
    auto mr = make<MemRequest>();
    mr->op = write ? MemRequest::Op::write : MemRequest::Op::read;
    mr->address = address;
    mr->bytes = bytes;
    mr->tag = index;
    mr->requester = core;
    mr->issued_at = now();
    mem_ports_[core % mem_ports_.size()].send(std::move(mr));
    return;
  }
  // No memory linked: one FIFO channel at mem_bandwidth, plus mem_latency.
  const Time start = std::max(now(), mem_free_);
  const Time wire = p_.mem_bandwidth.bytes_per_s > 0 ? p_.mem_bandwidth.transfer_time(bytes) : 0;
  mem_free_ = start + wire;
  const Time done = mem_free_ + p_.mem_latency.ps;
  const double joules = static_cast<double>(bytes) * 8.0 * p_.mem_energy_per_bit.joules;
  e_mem_.add_joules(joules);
  mem_energy_.add(joules);
  schedule(*mem_timer_, done - now(), index);
}

void TransformerWorkload::on_mem(Port& /*port*/, TxnPtr<> t) {
  auto r = std::move(t).as<MemRequest>();
  mem_answer(r->tag, r->status);
}

void TransformerWorkload::on_mem_timer(TxnPtr<> t) {
  auto sig = std::move(t).as<Signal>();
  mem_answer(sig->tag, Status::ok);
}

void TransformerWorkload::mem_answer(std::uint64_t index, Status status) {
  if (index >= mem_accesses_.size())
    throw ModelError(fmt::format("{}: a memory answered an unknown request (tag {})", name(), index));
  const MemAccess& a = mem_accesses_[index];
  const og::Op& op = graph_.ops[node_op_[a.node % shards_total_]];
  if (status != Status::ok)
    throw ModelError(fmt::format(
        "{}: off-chip {} of {} B for op {} \"{}\" answered {} (parameters and KV caches are laid out from mem_base = {} "
        "in the memory behind mem[]; check its capacity)",
        name(), a.write ? "write" : "load", a.bytes, op.id, op.name, strata::to_string(status), p_.mem_base.count));
  if (a.write) return;  // KV-cache writes: nothing waits for them
  mem_load_time_.add(static_cast<double>(now() - a.issued));
  if (tracing())
    trace("load " + op.name, a.issued, now(), "mem",
          fmt::format(R"({{"op":{},"instance":{},"bytes":{}}})", op.id, a.node / shards_total_, a.bytes));
  deliver(a.node);
}

std::uint64_t TransformerWorkload::shard_flops(const og::Op& op, const OpPlacement& pl, std::size_t shard) const {
  const std::uint64_t f = op.flops();
  if (pl.shards.size() <= 1) return f;
  const Shard& s = pl.shards[shard];
  using u128 = unsigned __int128;
  return static_cast<std::uint64_t>(u128{f} * s.hi / s.total) - static_cast<std::uint64_t>(u128{f} * s.lo / s.total);
}

void TransformerWorkload::issue(std::uint64_t node) {
  const std::uint64_t slot = node % shards_total_;
  const og::Op& op = graph_.ops[node_op_[slot]];
  const OpPlacement& pl = map_.ops[node_op_[slot]];
  const std::size_t s = node_shard_[slot];
  const Shard& sh = pl.shards[s];
  span_begin(node);
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
  req->age = node / shards_total_;  // release order of its micro-batch (oldest_first cores)
  req->issued_at = now();
  issued_at_[node] = now();
  if (s == 0) ++ops_issued_;
  ++requests_;
  const auto cls = static_cast<std::size_t>(cores_info_[sh.core].cls == CoreClass::pim ? 0 : 1);
  ++cls_requests_[cls];
  cls_flops_[cls] += shard_flops(op, pl, s);
  Port& port = core_ports_[sh.core];
  if (!pl.dynamic_write && !sh.replicas.empty() && req->kind == ComputeRequest::Kind::gemm && req->m > 1) {
    // Replicated shard: its m rows split over the copies (the first m mod copies get one
    // more), each a request on its own core through the same weight id.
    const std::uint64_t copies = 1 + sh.replicas.size(), m = req->m;
    const std::uint64_t parts = std::min(copies, m);
    parts_left_[node] = static_cast<std::uint32_t>(parts);
    requests_ += parts - 1;  // one request per copy
    cls_requests_[cls] += parts - 1;
    for (std::uint64_t j = 0; j < parts; ++j) {
      auto r = make<ComputeRequest>();
      r->kind = req->kind;
      r->op = req->op;
      r->m = m / copies + (j < m % copies ? 1 : 0);
      r->k = req->k;
      r->n = req->n;
      r->weight_bits = req->weight_bits;
      r->input_bits = req->input_bits;
      r->output_bits = req->output_bits;
      r->static_weights = true;
      r->weight_id = req->weight_id;
      r->tag = node | (j << kPartShift);
      r->age = req->age;
      r->issued_at = now();
      core_ports_[request_core(pl, s, j)].send(std::move(r));
    }
    return;
  }
  if (!pl.dynamic_write) {
    parts_left_[node] = 1;
    port.send(std::move(req));
    return;
  }
  // Dynamic operand on a PIM core: write it into the crossbars (scratch weight id), then
  // run the GEMM through it; one pair per copy (batch element), sent back to back so that a
  // FIFO core runs each GEMM right after its own write.
  const std::uint64_t copies = pl.write_copies;
  parts_left_[node] = static_cast<std::uint32_t>(2 * copies);
  for (std::uint64_t c = 0; c < copies; ++c) {
    auto ld = load_request(pl.write_rows, pl.write_cols, pl.write_bits, kScratchWeightId, kDynTag | node);
    ld->age = req->age;
    port.send(std::move(ld));
    auto g = make<ComputeRequest>();
    g->kind = ComputeRequest::Kind::gemm;
    g->op = req->op;
    g->m = copies > 1 ? op.shape.m : op.shape.batch * op.shape.m;
    g->k = pl.write_rows;
    g->n = pl.write_cols;
    g->weight_bits = req->weight_bits;
    g->input_bits = req->input_bits;
    g->output_bits = req->output_bits;
    g->static_weights = true;
    g->weight_id = kScratchWeightId;
    g->tag = node;
    g->age = req->age;
    g->issued_at = now();
    port.send(std::move(g));
  }
}

void TransformerWorkload::deliver(std::uint64_t node) {
  if (pending_[node] == 0)
    throw ModelError(fmt::format("{}: internal: input delivered twice to op \"{}\"", name(),
                                 graph_.ops[node_op_[node % shards_total_]].name));
  --pending_[node];
  if (pending_[node] == 0)
    issue(node);
  else if (pending_[node] == 1 && op_load_bytes_[node_op_[node % shards_total_]] > 0)
    ready(node);  // the graph inputs are there; only the off-chip load is left
}

void TransformerWorkload::on_core(Port& /*port*/, TxnPtr<> t) {
  auto req = std::move(t).as<ComputeRequest>();
  if ((req->tag & kLoadTag) && !(req->tag & kDynTag)) {
    const WeightLoad& ld = map_.loads.at(req->tag & ~kLoadTag);
    if (req->status != Status::ok)
      throw ModelError(fmt::format("{}: load_weights of \"{}\" ({}x{} at {} bits, {} B) on {} answered {}", name(),
                                   ld.name, ld.rows, ld.cols, ld.bits, ld.bytes, core_name(ld.core),
                                   strata::to_string(req->status)));
    setup_energy_.add(req->energy_j);
    if (ld.replica) {
      ++replica_loads_;
      replica_write_energy_.add(req->energy_j);
      replica_load_time_.add(static_cast<double>(req->finished_at - req->started_at));
    }
    ++reram_writes_;
    reram_write_bytes_ += ld.bytes;
    reram_write_energy_.add(req->energy_j);
    if (tracing())
      trace("load " + ld.name, req->started_at ? req->started_at : req->issued_at,
            req->finished_at ? req->finished_at : now(), "load_weights",
            fmt::format(R"({{"core":"{}","weight_id":{},"bytes":{}}})", core_name(ld.core), ld.weight_id, ld.bytes));
    if (--loads_left_ == 0) start_replay();
    return;
  }
  const bool dyn = (req->tag & kDynTag) != 0;
  const std::uint64_t node = req->tag & kNodeMask;
  const std::uint64_t part = (req->tag & ~(kLoadTag | kDynTag)) >> kPartShift;
  const std::uint64_t slot = node % shards_total_;
  const og::Op& op = graph_.ops[node_op_[slot]];
  const OpPlacement& pl = map_.ops[node_op_[slot]];
  const std::uint32_t core = request_core(pl, node_shard_[slot], part);
  if (req->status != Status::ok)
    throw ModelError(fmt::format("{}: op {} \"{}\" ({}, {}) on {} answered status {}", name(), op.id, op.name,
                                 og::to_string(op.kind),
                                 dyn ? fmt::format("load_weights of its {}x{} operand at {} bits (dynamic write)",
                                                   pl.write_rows, pl.write_cols, pl.write_bits)
                                 : req->kind == ComputeRequest::Kind::gemm
                                     ? fmt::format("gemm {}x{}x{}{}", req->m, req->k, req->n,
                                                   req->static_weights ? " on stored weights" : "")
                                     : fmt::format("vector of {} elements", req->elements),
                                 core_name(core), strata::to_string(req->status)));
  const auto k = static_cast<std::size_t>(op.kind);
  const auto ph = static_cast<std::size_t>(op.phase);
  const auto cls = static_cast<std::size_t>(cores_info_[core].cls == CoreClass::pim ? 0 : 1);
  const Time start = req->started_at ? req->started_at : issued_at_[node];
  const Time end = req->finished_at >= start && req->finished_at ? req->finished_at : now();
  op_busy_[k][ph].add(static_cast<double>(end - start));
  op_energy_[k][ph].add(req->energy_j);
  energy_.add(req->energy_j);
  cls_busy_[cls].add(static_cast<double>(end - start));
  cls_energy_[cls].add(req->energy_j);
  if (op.layer >= 0 && op.layer < kLayerStats) layer_energy_[static_cast<std::size_t>(op.layer)][ph].add(req->energy_j);
  if (stream_) {
    const std::uint64_t inst = node / shards_total_;
    const int type = (static_cast<int>(cls) * kStageGroups + op_group_[static_cast<std::size_t>(op.id)]) * kPhases +
                     static_cast<int>(ph);
    stage_busy_[{inst, std::max(op.layer, -1) + 1, type, core}] += end - start;
    core_busy_[{inst, core}] += end - start;
  }
  if (dyn) {
    const std::uint64_t bytes = og::bytes_of(pl.write_rows * pl.write_cols, pl.write_bits);
    ++dynamic_writes_;
    dynamic_write_bytes_ += bytes;
    ++reram_writes_;
    reram_write_bytes_ += bytes;
    reram_write_energy_.add(req->energy_j);
  }
  if (tracing())
    trace(dyn ? "write " + op.name : op.name, start, end, dyn ? "load_weights" : og::to_string(op.kind),
          fmt::format(R"({{"op":{},"instance":{},"shard":{},"core":"{}","phase":"{}","issued":{},"done":{}}})", op.id,
                      node / shards_total_, node_shard_[slot], core_name(core), og::to_string(op.phase), issued_at_[node],
                      now()));
  part_done(node, now());
}

std::uint32_t TransformerWorkload::request_core(const OpPlacement& pl, std::size_t shard, std::uint64_t part) const {
  const Shard& sh = pl.shards[shard];
  if (part == 0) return sh.core;
  if (part > sh.replicas.size())
    throw ModelError(fmt::format("{}: internal: a request names copy {} of a shard with {} copies", name(), part,
                                 sh.replicas.size() + 1));
  return sh.replicas[part - 1];
}

void TransformerWorkload::part_done(std::uint64_t node, Time seen) {
  if (parts_left_[node] == 0)
    throw ModelError(fmt::format("{}: internal: op \"{}\" answered more often than it was sent", name(),
                                 graph_.ops[node_op_[node % shards_total_]].name));
  if (--parts_left_[node] == 0) node_done(node, seen);
}

void TransformerWorkload::span_begin(std::uint64_t node) {
  const std::uint64_t inst = node / shards_total_;
  const og::Op& op = graph_.ops[node_op_[node % shards_total_]];
  const auto step = static_cast<std::size_t>(op_step_[static_cast<std::size_t>(op.id)]);
  const auto ph = static_cast<std::size_t>(op.phase);
  auto first = [&](Time& t) { t = std::min(t, now()); };
  if (op.layer >= 0) first(layer_first_[layer_key(inst, step, static_cast<std::size_t>(op.layer), ph)]);
  first(phase_first_[phase_key(inst, step, ph)]);
  first(step_first_[inst * steps_ + step]);
}

void TransformerWorkload::span_end(std::uint64_t node, Time seen) {
  const std::uint64_t inst = node / shards_total_;
  const og::Op& op = graph_.ops[node_op_[node % shards_total_]];
  const auto step = static_cast<std::size_t>(op_step_[static_cast<std::size_t>(op.id)]);
  const auto ph = static_cast<std::size_t>(op.phase);
  auto last = [&](Time& t) { t = std::max(t, seen); };
  if (op.layer >= 0) last(layer_last_[layer_key(inst, step, static_cast<std::size_t>(op.layer), ph)]);
  last(phase_last_[phase_key(inst, step, ph)]);
  last(step_last_[inst * steps_ + step]);
}

void TransformerWorkload::node_done(std::uint64_t node, Time seen) {
  const std::uint64_t inst = node / shards_total_, slot = node % shards_total_;
  const og::OpId p = node_op_[slot];
  const std::size_t sp = node_shard_[slot];
  const og::Op& op = graph_.ops[static_cast<std::size_t>(p)];
  const OpPlacement& ppl = map_.ops[static_cast<std::size_t>(p)];
  const std::size_t n = graph_.ops.size();
  span_end(node, seen);
  bool mb_complete = false;
  if (--shards_left_[inst * n + static_cast<std::size_t>(p)] == 0) {
    ++ops_done_;
    ++op_count_[static_cast<std::size_t>(op.kind)][static_cast<std::size_t>(op.phase)];
    if (--instance_left_[inst] == 0) {
      instance_latency_.add(static_cast<double>(seen - replay_start_));
    }
    if (!is_update(p) && --mb_left_[inst] == 0 && stream_) mb_complete = true;
    // A KV append of a layer kept in memory writes this step's K and V there.
    if (kv_write_op_[static_cast<std::size_t>(p)]) issue_mem(node, op.a_bytes(), true);
  }
  --nodes_left_;
  // Outputs of this shard: one piece per (edge, consumer shard).
  for (std::size_t ei : adj_.out[static_cast<std::size_t>(p)]) {
    const og::Edge& e = graph_.edges[ei];
    const OpPlacement& dpl = map_.ops[static_cast<std::size_t>(e.dst)];
    const std::uint64_t dinst = is_update(e.dst) && !is_update(p) ? inst - inst % per_step_ : inst;
    const std::uint64_t out_bytes = shard_bytes(e.bytes, ppl, sp, true);
    for (std::size_t so = 0; so < dpl.shards.size(); ++so) {
      const std::uint64_t bytes = shard_bytes(out_bytes, dpl, so, false);
      const std::uint32_t src_core = ppl.shards[sp].core, dst_core = dpl.shards[so].core;
      const std::uint64_t dst = node_of(dinst, e.dst, so);
      // Same core, ordering only, or a KV-cache read the consumer loads from memory: free.
      if (src_core == dst_core || bytes == 0 || kv_offchip_edge_[ei]) {
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
      const auto sc = static_cast<std::size_t>(cores_info_[src_core].cls == CoreClass::pim ? 0 : 1);
      const auto dc = static_cast<std::size_t>(cores_info_[dst_core].cls == CoreClass::pim ? 0 : 1);
      ++xfer_count_[sc][dc];
      xfer_bytes_[sc][dc] += bytes;
      ni_ports_[src_core].send(std::move(tr));
    }
  }
  // After its outputs are on their way: the next micro-batch may start.
  if (mb_complete) micro_batch_done(inst, seen);
  if (nodes_left_ == 0) finish_run(seen);
}

void TransformerWorkload::finish_run(Time seen) {
  done_ = true;
  const Time lat = seen - replay_start_;
  latency_ += lat;
  if (lat > 0) {
    throughput_.add(static_cast<double>(sequences_) / (static_cast<double>(lat) * 1e-12));
    token_throughput_.add(static_cast<double>(tokens_) / (static_cast<double>(lat) * 1e-12));
  }
  // Latency spans: first issue (or off-chip load) to last answer, per micro-batch (and
  // decode step), per layer and phase, per phase, per step.
  constexpr Time unset = ~Time{0};
  for (std::uint64_t inst = 0; inst < instances_; ++inst)
    for (std::size_t step = 0; step < steps_; ++step) {
      for (std::size_t ph = 0; ph < kPhases; ++ph) {
        for (std::size_t l = 0; l < layers_n_; ++l) {
          const std::size_t key = layer_key(inst, step, l, ph);
          if (layer_first_[key] == unset) continue;
          const auto span = static_cast<double>(layer_last_[key] - layer_first_[key]);
          all_layer_latency_.add(span);
          if (l < static_cast<std::size_t>(kLayerStats)) layer_latency_[l][ph].add(span);
        }
        const std::size_t key = phase_key(inst, step, ph);
        if (phase_first_[key] != unset) phase_latency_[ph].add(static_cast<double>(phase_last_[key] - phase_first_[key]));
      }
      const std::size_t key = inst * steps_ + step;
      if (steps_ > 1 && step_first_[key] != unset)
        step_latency_.add(static_cast<double>(step_last_[key] - step_first_[key]));
    }
  // Shares of the replay's requests, FLOPs and energy by core class.
  const double req = static_cast<double>(cls_requests_[0].value() + cls_requests_[1].value());
  const double flops = static_cast<double>(cls_flops_[0].value() + cls_flops_[1].value());
  const double joules = cls_energy_[0].sum() + cls_energy_[1].sum();
  for (std::size_t c = 0; c < 2; ++c) {
    cls_request_share_[c].add(req > 0 ? static_cast<double>(cls_requests_[c].value()) / req : 0.0);
    cls_flop_share_[c].add(flops > 0 ? static_cast<double>(cls_flops_[c].value()) / flops : 0.0);
    cls_energy_share_[c].add(joules > 0 ? cls_energy_[c].sum() / joules : 0.0);
  }
  if (stream_) finish_stream();
  if (replication_) {
    std::string tiers;
    for (std::size_t t = 0; t < tier_crossbars_.size(); ++t) {
      if (tier_capacity_[t].value() == 0 && tier_crossbars_[t].value() == 0) continue;
      tiers += fmt::format("{}tier {} {}/{} ({} replicas)", tiers.empty() ? "" : ", ", t, tier_crossbars_[t].value(),
                           tier_capacity_[t].value(), tier_replica_crossbars_[t].value());
    }
    summary_line(fmt::format("crossbars    {}: {}", name(), tiers.empty() ? "none used" : tiers));
  }
  end_simulation();
}

// Stream results (README.md, "Stream and pipeline"): steady-state throughput between the
// first and the last micro-batch completion, per-sequence latency, stage delays.
void TransformerWorkload::finish_stream() {
  s_sequences_ += sequences_;
  s_micro_batches_ += instances_;
  const auto [first, last] = std::minmax_element(completion_.begin(), completion_.end());
  const double mb = static_cast<double>(mb_sequences_);
  double rate = 0;
  if (instances_ >= 2 && *last > *first) {
    s_window_ += *last - *first;
    rate = static_cast<double>(instances_ - 1) * mb / (static_cast<double>(*last - *first) * 1e-12);
  } else if (!completion_.empty() && completion_[0] > arrival_[0]) {
    rate = mb / (static_cast<double>(completion_[0] - arrival_[0]) * 1e-12);  // one micro-batch: its latency
  }
  s_throughput_.add(rate);
  s_tokens_.add(rate * static_cast<double>(tokens_) / static_cast<double>(sequences_));

  // Stage delay of (micro-batch, layer, stage): the most busy time one core spent on it.
  std::array<double, kStageTypes> worst{};
  std::array<std::uint64_t, kStageTypes> worst_layer{};
  auto it = stage_busy_.begin();
  while (it != stage_busy_.end()) {
    const auto [inst, layer1, type, core0] = it->first;
    Time delay = 0;
    for (; it != stage_busy_.end() && std::get<0>(it->first) == inst && std::get<1>(it->first) == layer1 &&
           std::get<2>(it->first) == type;
         ++it)
      delay = std::max(delay, it->second);
    const auto t = static_cast<std::size_t>(type);
    stage_delay_[t].add(static_cast<double>(delay));
    if (static_cast<double>(delay) > worst[t]) {
      worst[t] = static_cast<double>(delay);
      worst_layer[t] = static_cast<std::uint64_t>(std::max(layer1 - 1, 0));
    }
  }
  for (std::size_t t = 0; t < worst_layer.size(); ++t) stage_layer_[t] += worst_layer[t];
  // The busiest core per micro-batch, and over the run.
  std::vector<Time> total(cores_info_.size(), 0);
  for (auto c = core_busy_.begin(); c != core_busy_.end();) {
    const std::uint64_t inst = c->first.first;
    Time most = 0;
    for (; c != core_busy_.end() && c->first.first == inst; ++c) {
      most = std::max(most, c->second);
      total[c->first.second] += c->second;
    }
    s_core_busy_.add(static_cast<double>(most));
  }
  if (!total.empty())
    s_busiest_core_ += static_cast<std::uint64_t>(std::max_element(total.begin(), total.end()) - total.begin());
  if (s_core_busy_.mean() > 0) s_bound_.add(mb / (s_core_busy_.mean() * 1e-12));
  summarise_stream(worst, worst_layer);
}

namespace {
// A time for the summary: 4 significant digits in the largest unit below it.
std::string readable(double ps) {
  static constexpr std::pair<double, const char*> units[] = {{1e12, "s"}, {1e9, "ms"}, {1e6, "us"}, {1e3, "ns"}};
  for (auto [scale, unit] : units)
    if (ps >= scale) return fmt::format("{:.4g} {}", ps / scale, unit);
  return fmt::format("{:.4g} ps", ps);
}
}  // namespace

// The stream's lines of the run summary: throughput, latency, the bottleneck stage.
void TransformerWorkload::summarise_stream(const std::array<double, kStageTypes>& worst,
                                           const std::array<std::uint64_t, kStageTypes>& worst_layer) {
  summary_line(fmt::format("pipeline     {}: {} sequences in {} micro-batches: {:.4g} sequences/s, {:.4g} tokens/s steady "
                           "(first to last completion, {}); {:.4g} sequences/s over the whole replay",
                           name(), s_sequences_.value(), s_micro_batches_.value(), s_throughput_.mean(), s_tokens_.mean(),
                           readable(static_cast<double>(s_window_.value())), throughput_.mean()));
  summary_line(fmt::format("latency      {}: per sequence mean {}, max {}", name(), readable(s_latency_.mean()),
                           readable(s_latency_.max())));
  // No core can sustain more than the bound: a steady rate above it means the micro-batches
  // completed in a bunch (released at once, served breadth-first).
  if (s_bound_.count() > 0 && s_throughput_.mean() > s_bound_.mean() * (1 + 1e-9))
    summary_line(fmt::format("note         {}: the steady rate exceeds what the busiest core allows: the micro-batches "
                             "completed in a bunch, not in a steady state (stream them with inflight or rate)",
                             name()));
  const auto t = static_cast<std::size_t>(std::max_element(worst.begin(), worst.end()) - worst.begin());
  if (worst[t] > 0)
    summary_line(fmt::format("bottleneck   {}: stage {} (layer {}) {} per micro-batch; busiest core cores[{}] {} per "
                             "micro-batch, bound {:.4g} sequences/s",
                             name(), stage_name(static_cast<int>(t)), worst_layer[t], readable(worst[t]),
                             s_busiest_core_.value(), readable(s_core_busy_.mean()),
                             s_bound_.count() > 0 ? s_bound_.mean() : 0.0));
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
          "reported apart). Mapping policies atleus / sa_only / pim_only / haima (dynamic GEMM operands written into "
          "the crossbars before each use); a mapping table (mapping_file, a graph file's mapping_table) places ops "
          "one by one. Micro-batches pipeline through the cores; with sequences > 0 a stream of micro-batches is "
          "released closed-loop (inflight) or at a rate and reports steady-state throughput, per-sequence latency and "
          "stage delays. Every request carries its micro-batch's release order as ComputeRequest::age. replicate "
          "copies stored weights onto idle PIM cores and splits GEMM rows over the copies. Non-resident data (LoRA adapters, embedding rows, "
          "KV caches beyond kv_cache_capacity) is loaded from memory before each use, through mem[] or, unlinked, "
          "on an analytic channel (the only time and energy this driver adds). Reports per-layer, per-phase and "
          "per-token latency, PIM/SA shares of requests, FLOPs and energy, ReRAM writes, off-chip bytes.")
      .multi_port("cores", strata::PortDir::inout, "compute",
                  "cores in grid order (fanout to each core's ctrl); PIM or SA by type (pim_types, sa_types)")
      .multi_port("nis", strata::PortDir::inout, "xfer",
                  "network interfaces, nis[k] at the same grid position as cores[k] (fanout to each NI's ctrl)")
      .multi_port("mem", strata::PortDir::inout, "mem",
                  "optional: memories for off-chip loads (offchip); the loads of cores[k] go through mem[k mod n]. "
                  "Unlinked: charged analytically (mem_bandwidth, mem_latency, mem_energy_per_bit)")
      .energy("mem_access")
      .counter("ops", "count", "op instances completed (ops x micro-batches; update ops once)")
      .counter("import_nodes", "count", "graph_file of another tool: nodes (operators) the file has")
      .counter("import_ops", "count", "graph_file of another tool: ops made of them")
      .counter("import_skipped_nodes", "count",
               "graph_file of another tool: nodes not modelled (kept as ordering; listed in the printed summary)")
      .counter("import_skipped_flops", "FLOP", "graph_file of another tool: operations of the skipped nodes")
      .counter("import_unknown_attributes", "count", "graph_file of another tool: attributes this reader does not know")
      .counter("import_unknown_node_types", "count", "graph_file of another tool: nodes of an unknown type")
      .counter("import_recovered_gemms", "count", "graph_file of another tool: GEMM shapes recovered from operand shapes")
      .counter("import_opaque_ops", "count",
               "graph_file of another tool: ops replayed by their operation and byte counts only")
      .counter("ops_issued", "count", "op instances issued (first shard sent)")
      .counter("requests", "count", "ComputeRequests of the replay (one per op shard; per copy of a replicated shard)")
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
  b.accumulator("layer_latency", "ps",
                 "per layer, phase and micro-batch (and decode step): first issue (or off-chip load) of the layer's "
                 "ops to the last answer; every layer, also those beyond layer.63")
      .accumulator("step_latency", "ps", "decode: per micro-batch and generated token, first issue to last answer")
      .counter("reram_writes", "count", "load_weights answered ok: setup loads and dynamic operand writes")
      .counter("reram_write_bytes", "B", "bytes written into ReRAM crossbars (setup and dynamic writes)")
      .accumulator("reram_write_energy", "J", "per load_weights answer: the energy the PIM core reported")
      .counter("dynamic_writes", "count", "dynamic operands written into PIM crossbars before a GEMM (dynamic_operands = write)")
      .counter("dynamic_write_bytes", "B", "bytes of those dynamic operand writes")
      .counter("mem_loads", "count", "off-chip loads (one per op instance that needs non-resident data)")
      .counter("mem_load_bytes", "B", "bytes loaded from memory (all categories)")
      .accumulator("mem_load_time", "ps", "per off-chip load: issue to arrival")
      .counter("mem_writes", "count", "KV-cache writes to memory (layers beyond kv_cache_capacity)")
      .counter("mem_write_bytes", "B", "bytes of those KV-cache writes")
      .accumulator("mem_energy", "J", "per off-chip access without mem[] linked: bytes x 8 x mem_energy_per_bit")
      .counter("mem.lora.bytes", "B", "loaded: LoRA adapter matrices")
      .counter("mem.embedding.bytes", "B", "loaded: gathered embedding-table rows")
      .counter("mem.kv_cache.bytes", "B", "loaded: KV-cache reads of layers kept in memory")
      .counter("mem.weights.bytes", "B", "loaded: other parameters not stored in PIM crossbars (offchip weights)")
      .counter("kv_cache_bytes", "B", "KV cache of all layers and micro-batches at the longest key length")
      .counter("kv_offchip_layers", "count", "layers whose KV cache is beyond kv_cache_capacity (kept in memory)")
      .counter("mapping_rule_ops", "count", "ops placed by a mapping-table rule (mapping_file, graph mapping_table)")
      .counter("pim_scratch_tiles", "count", "tiles every PIM core keeps free for dynamic operand writes");
  for (const char* cls : {"pim", "sa"}) {
    const std::string c = cls, what = c == "pim" ? "PIM (ReRAM)" : "SA (systolic)";
    b.counter(c + ".requests", "count", "replay requests (op shards) on " + what + " cores")
        .counter(c + ".flops", "FLOP", "FLOPs of the op shards run on " + what + " cores")
        .accumulator(c + ".busy", "ps", "per request on " + what + " cores: finished_at - started_at")
        .accumulator(c + ".energy", "J", "per request on " + what + " cores: energy_j (dynamic writes included)")
        .accumulator(c + ".request_share", "fraction", "share of the replay's requests on " + what + " cores (one sample)")
        .accumulator(c + ".flop_share", "fraction", "share of the replay's FLOPs on " + what + " cores (one sample)")
        .accumulator(c + ".energy_share", "fraction",
                     "share of the replay's reported compute energy on " + what + " cores (one sample)");
    for (const char* dst : {"pim", "sa"})
      b.counter(fmt::format("xfer.{}_to_{}.count", cls, dst), "count",
                fmt::format("transfers from a {} core to a {} core", cls, dst))
          .counter(fmt::format("xfer.{}_to_{}.bytes", cls, dst), "B",
                   fmt::format("bytes of transfers from a {} core to a {} core", cls, dst));
  }
  b.counter("stream.sequences", "count", "stream (sequences > 0): sequences in all")
      .counter("stream.micro_batches", "count", "stream: micro-batches (graph instances) in all")
      .accumulator("stream.throughput", "sequences/s",
                   "stream, steady state: (micro-batches - 1) x micro-batch size / (last - first micro-batch "
                   "completion); one micro-batch: its size / its latency (one sample)")
      .accumulator("stream.token_throughput", "tokens/s",
                   "stream: stream.throughput x tokens per sequence (decode: generated tokens) (one sample)")
      .counter("stream.window", "ps", "stream: first to last micro-batch completion (the steady-state window)")
      .accumulator("stream.sequence_latency", "ps",
                   "stream, per micro-batch (all its sequences finish together): arrival (rate) or release to the "
                   "completion of its forward and backward ops (weight updates excluded)")
      .accumulator("stream.core_busy", "ps",
                   "stream, per micro-batch: the most busy time one core spent on it (weight updates count for "
                   "the first micro-batch of their step)")
      .counter("stream.busiest_core", "index", "stream: index in cores[] of the core with the most busy time")
      .accumulator("stream.throughput_bound", "sequences/s",
                   "stream: micro-batch size / mean of stream.core_busy, the throughput the busiest core allows "
                   "(one sample)")
      .counter("replica_loads", "count", "replicate: load_weights of replica copies answered (also in weight_loads)")
      .counter("replica_bytes", "B", "replicate: bytes of the replica copies")
      .counter("replica_cells", "count",
               "replicate: ReRAM cells the replicas program, rows x columns x ceil(weight bits / cell_bits), one "
               "write each (endurance)")
      .counter("replica_crossbars", "count", "replicate: crossbars the replicas occupy")
      .accumulator("replica_write_energy", "J", "replicate: per replica load, the energy the PIM core reported")
      .accumulator("replica_load_time", "ps",
                   "replicate: per replica load, the core's programming time (finished_at - started_at)");
  for (int t = 0; t < TransformerWorkload::kTiers; ++t)
    b.counter(fmt::format("tier.{}.crossbars", t), "count",
              fmt::format("replicate: crossbars holding stored weights on the PIM cores of tier {} (grid coordinate 2), "
                          "replicas included", t))
        .counter(fmt::format("tier.{}.replica_crossbars", t), "count",
                 fmt::format("replicate: crossbars holding replicas on tier {}", t))
        .counter(fmt::format("tier.{}.crossbar_capacity", t), "count",
                 fmt::format("replicate: crossbars of the PIM cores of tier {} (pim_tiles x tile_crossbars each; 0 = "
                             "unlimited)", t));
  for (int t = 0; t < TransformerWorkload::kStageTypes; ++t) {
    const std::string st = TransformerWorkload::stage_name(t);
    b.accumulator(fmt::format("stage.{}.delay", st), "ps",
                  fmt::format("stream, per micro-batch and layer: the most busy time one core spent on the {} ops "
                              "(cores . op group . phase) of that layer",
                              st))
        .counter(fmt::format("stage.{}.layer", st), "index",
                 fmt::format("stream: the layer of the largest stage.{}.delay sample (0 for group outer)", st));
  }
  for (int ph = 0; ph < TransformerWorkload::kPhases; ++ph) {
    const auto phase = og::to_string(static_cast<og::Phase>(ph));
    b.accumulator(fmt::format("phase.{}.latency", phase), "ps",
                  fmt::format("per micro-batch (and decode step): first issue of a {} op to the last {} op's answer",
                              phase, phase));
  }
  for (int l = 0; l < TransformerWorkload::kLayerStats; ++l)
    for (int ph = 0; ph < TransformerWorkload::kPhases; ++ph) {
      const auto phase = og::to_string(static_cast<og::Phase>(ph));
      b.accumulator(fmt::format("layer.{}.{}.latency", l, phase), "ps",
                    fmt::format("layer {}, {} ops, per micro-batch (and decode step): first issue to last answer", l, phase))
          .accumulator(fmt::format("layer.{}.{}.energy", l, phase), "J",
                       fmt::format("layer {}, {} ops: per request, the energy the core reported", l, phase));
    }
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

// `strata graph` lives here, beside the op graphs it generates (graph_command.hpp).
STRATA_PLUGIN("workload_transformer", "1.0", "Transformer workloads: op-graph generation and dependency-driven replay",
              transformer_decl(),
              strata::command("graph", "Generate a transformer op graph, print its summary, optionally write it",
                              strata::transformer::graph_command)
                  .usage(strata::transformer::graph_command_usage()))
