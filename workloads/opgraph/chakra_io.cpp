// Chakra execution traces (.et): reader and writer (importers.hpp, FORMAT.md "Chakra
// execution traces"). Wire format: a stream of messages, each preceded by its length as a
// base-128 varint; the first is a GlobalMetadata, every later one a Node.
#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <ostream>
#include <unordered_map>
#include <queue>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "proto/chakra_et.pb.h"
#include "import_common.hpp"
#include "strata/opgraph/importers.hpp"

namespace strata::opgraph {
namespace {

namespace pb = strata::chakra;
using detail::fail_at;

constexpr std::string_view kStrataFormatAttr = "strata.format";
constexpr std::string_view kChakraSchemaVersion = "0.0.4";  // the et_def.proto revision whose fields we write

// Attributes Chakra's own tools write that carry nothing the replay uses: known, ignored.
bool known_ignored_attr(std::string_view n) {
  static const std::unordered_set<std::string_view> names{
      "rf_id", "fw_parent", "seq_id", "scope", "tid", "fw_tid", "op_schema", "stream", "pg_name", "comm_priority",
      "comm_tag", "comm_src", "comm_dst", "involved_dim", "is_cpu_op", "num_ops", "tensor_size", "comm_type",
      "comm_size", "tensor_loc", "exec_time"};
  return names.contains(n);
}

// ---- attribute values -------------------------------------------------------------------
std::optional<std::int64_t> attr_int(const pb::AttributeProto& a) {
  switch (a.value_case()) {
    case pb::AttributeProto::kInt32Val: return a.int32_val();
    case pb::AttributeProto::kInt64Val: return a.int64_val();
    case pb::AttributeProto::kUint32Val: return a.uint32_val();
    case pb::AttributeProto::kUint64Val:
      if (a.uint64_val() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
      return static_cast<std::int64_t>(a.uint64_val());
    case pb::AttributeProto::kSint32Val: return a.sint32_val();
    case pb::AttributeProto::kSint64Val: return a.sint64_val();
    case pb::AttributeProto::kFixed32Val: return a.fixed32_val();
    case pb::AttributeProto::kFixed64Val:
      if (a.fixed64_val() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
      return static_cast<std::int64_t>(a.fixed64_val());
    case pb::AttributeProto::kSfixed32Val: return a.sfixed32_val();
    case pb::AttributeProto::kSfixed64Val: return a.sfixed64_val();
    case pb::AttributeProto::kBoolVal: return a.bool_val() ? 1 : 0;
    case pb::AttributeProto::kDoubleVal:
    case pb::AttributeProto::kFloatVal: {
      const double d = a.value_case() == pb::AttributeProto::kDoubleVal ? a.double_val() : a.float_val();
      if (!(d >= -9.2e18 && d <= 9.2e18)) return std::nullopt;
      return static_cast<std::int64_t>(d);
    }
    default: return std::nullopt;
  }
}

std::vector<std::int64_t> attr_int_list(const pb::AttributeProto& a, bool& ok) {
  ok = true;
  std::vector<std::int64_t> v;
  auto take = [&](const auto& values) {
    for (auto x : values) {
      if constexpr (std::is_unsigned_v<std::decay_t<decltype(x)>>)
        if (x > static_cast<std::decay_t<decltype(x)>>(std::numeric_limits<std::int64_t>::max())) ok = false;
      v.push_back(static_cast<std::int64_t>(x));
    }
  };
  switch (a.value_case()) {
    case pb::AttributeProto::kInt32List: take(a.int32_list().values()); break;
    case pb::AttributeProto::kInt64List: take(a.int64_list().values()); break;
    case pb::AttributeProto::kUint32List: take(a.uint32_list().values()); break;
    case pb::AttributeProto::kUint64List: take(a.uint64_list().values()); break;
    case pb::AttributeProto::kSint32List: take(a.sint32_list().values()); break;
    case pb::AttributeProto::kSint64List: take(a.sint64_list().values()); break;
    case pb::AttributeProto::kBoolList: take(a.bool_list().values()); break;
    case pb::AttributeProto::VALUE_NOT_SET: break;  // an empty list written by a tool that omits it
    default: ok = false;
  }
  return v;
}

// ---- reader ------------------------------------------------------------------------------
struct RawNode {
  std::uint64_t offset = 0;  // byte offset of the message's length prefix
  pb::Node node;
};

class ChakraReader {
 public:
  ChakraReader(std::string_view data, std::string_view file, const ImportOptions& opt, ImportReport& rep)
      : data_(data), file_(file), opt_(opt), rep_(rep) {}

  Graph read() {
    if (data_.empty()) fail_at(file_, "byte 0", "empty file (a Chakra trace starts with a GlobalMetadata message)");
    std::uint64_t pos = 0;
    {
      const std::uint64_t at = pos;
      auto body = next_message(pos, "the GlobalMetadata");
      if (!meta_.ParseFromArray(body.data(), static_cast<int>(body.size())))
        fail_at(file_, fmt::format("byte {} (GlobalMetadata)", at), "not a valid GlobalMetadata message");
    }
    while (pos < data_.size()) {
      RawNode r;
      r.offset = pos;
      auto body = next_message(pos, fmt::format("node message {}", nodes_.size()));
      if (!r.node.ParseFromArray(body.data(), static_cast<int>(body.size())))
        fail_at(file_, fmt::format("byte {} (node message {})", r.offset, nodes_.size()), "not a valid Node message");
      nodes_.push_back(std::move(r));
    }
    rep_.nodes = nodes_.size();
    index_nodes();
    for (const auto& a : meta_.attr())
      if (a.name() == kStrataFormatAttr) return read_strata();
    for (const auto& a : meta_.attr()) ++rep_.unknown_attributes[a.name()];
    return read_foreign();
  }

 private:
  // The body of the message at pos (after its varint length); pos moves past it.
  std::string_view next_message(std::uint64_t& pos, const std::string& what) {
    const std::uint64_t at = pos;
    std::uint64_t len = 0;
    int shift = 0;
    while (true) {
      if (pos >= data_.size())
        fail_at(file_, fmt::format("byte {}", at), fmt::format("truncated length prefix of {}", what));
      const auto b = static_cast<unsigned char>(data_[pos++]);
      if (shift == 63 && (b & 0x7e) != 0)
        fail_at(file_, fmt::format("byte {}", at), fmt::format("length prefix of {} overflows 64 bits", what));
      len |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
      shift += 7;
      if (shift > 63) fail_at(file_, fmt::format("byte {}", at), fmt::format("length prefix of {} is over 10 bytes", what));
    }
    const std::uint64_t left = data_.size() - pos;
    if (len > left)
      fail_at(file_, fmt::format("byte {}", at),
              fmt::format("{} is {} bytes long but only {} bytes are left in the file", what, len, left));
    if (len > static_cast<std::uint64_t>(std::numeric_limits<int>::max()))
      fail_at(file_, fmt::format("byte {}", at), fmt::format("{} is over 2 GiB", what));
    std::string_view body = data_.substr(pos, len);
    pos += len;
    return body;
  }

  std::string where(std::size_t i) const {
    const auto& r = nodes_[i];
    return fmt::format("byte {} (node {} \"{}\")", r.offset, r.node.id(), r.node.name());
  }

  void index_nodes() {
    index_.reserve(nodes_.size());
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      auto [it, fresh] = index_.emplace(nodes_[i].node.id(), i);
      if (!fresh)
        fail_at(file_, where(i), fmt::format("duplicate node id {} (first at byte {})", nodes_[i].node.id(),
                                             nodes_[it->second].offset));
    }
    deps_.resize(nodes_.size());
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      const pb::Node& n = nodes_[i].node;
      auto add = [&](std::uint64_t id, bool data, const char* what) {
        auto it = index_.find(id);
        if (it == index_.end())
          fail_at(file_, where(i), fmt::format("{} dependency on node {}, which the trace does not contain", what, id));
        if (it->second == i) fail_at(file_, where(i), fmt::format("{} dependency on itself", what));
        deps_[i].push_back({it->second, data});
      };
      for (auto d : n.data_deps()) add(d, true, "data");
      for (auto d : n.ctrl_deps()) add(d, false, "control");
    }
    // Kahn, smallest file position first: deterministic, and the file order when it is one.
    std::vector<std::uint32_t> indeg(nodes_.size(), 0);
    std::vector<std::vector<std::uint32_t>> out(nodes_.size());
    for (std::size_t i = 0; i < nodes_.size(); ++i)
      for (const auto& d : deps_[i]) {
        ++indeg[i];
        out[d.node].push_back(static_cast<std::uint32_t>(i));
      }
    std::priority_queue<std::uint32_t, std::vector<std::uint32_t>, std::greater<>> ready;
    for (std::size_t i = 0; i < nodes_.size(); ++i)
      if (indeg[i] == 0) ready.push(static_cast<std::uint32_t>(i));
    order_.reserve(nodes_.size());
    while (!ready.empty()) {
      const auto i = ready.top();
      ready.pop();
      order_.push_back(i);
      for (auto j : out[i])
        if (--indeg[j] == 0) ready.push(j);
    }
    if (order_.size() != nodes_.size()) {
      // A node on a cycle: follow unfinished dependencies until one repeats.
      std::size_t i = 0;
      while (indeg[i] == 0) ++i;
      std::vector<char> seen(nodes_.size(), 0);
      while (!seen[i]) {
        seen[i] = 1;
        for (const auto& d : deps_[i])
          if (indeg[d.node] != 0) {
            i = d.node;
            break;
          }
      }
      fail_at(file_, where(i), "is on a dependency cycle");
    }
  }

  // ---- a trace Strata wrote: every op back as it was ----
  Graph read_strata() {
    Graph g;
    std::int64_t version = 0;
    for (const auto& a : meta_.attr()) {
      const std::string& n = a.name();
      auto str = [&]() -> std::string {
        if (a.value_case() != pb::AttributeProto::kStringVal)
          fail_at(file_, fmt::format("byte 0 (GlobalMetadata attr \"{}\")", n), "is not a string");
        return a.string_val();
      };
      auto num = [&]() -> std::uint64_t {
        auto v = attr_int(a);
        if (!v || *v < 0) fail_at(file_, fmt::format("byte 0 (GlobalMetadata attr \"{}\")", n), "is not a count");
        return static_cast<std::uint64_t>(*v);
      };
      auto ints = [&]() {
        bool ok = false;
        auto v = attr_int_list(a, ok);
        if (!ok) fail_at(file_, fmt::format("byte 0 (GlobalMetadata attr \"{}\")", n), "is not an integer list");
        return v;
      };
      if (n == kStrataFormatAttr) {
        if (str() != graph_format_name)
          fail_at(file_, "byte 0 (GlobalMetadata)", fmt::format("strata.format is \"{}\", not \"{}\"", a.string_val(),
                                                                graph_format_name));
      } else if (n == "strata.version") version = static_cast<std::int64_t>(num());
      else if (n == "strata.model") g.info.model = str();
      else if (n == "strata.family") g.info.family = str();
      else if (n == "strata.mode") g.info.mode = str();
      else if (n == "strata.precision") g.info.precision = str();
      else if (n == "strata.mapping_table") g.mapping_table = str();
      else if (n == "strata.layers") g.info.layers = num();
      else if (n == "strata.hidden") g.info.hidden = num();
      else if (n == "strata.heads") g.info.heads = num();
      else if (n == "strata.kv_heads") g.info.kv_heads = num();
      else if (n == "strata.ffn") g.info.ffn = num();
      else if (n == "strata.vocab") g.info.vocab = num();
      else if (n == "strata.batch") g.info.batch = num();
      else if (n == "strata.seq_len") g.info.seq_len = num();
      else if (n == "strata.decode_tokens") g.info.decode_tokens = num();
      else if (n == "strata.lora_rank") g.info.lora_rank = num();
      else if (n == "strata.lora_targets" || n == "strata.param_names") {
        if (a.value_case() != pb::AttributeProto::kStringList && a.value_case() != pb::AttributeProto::VALUE_NOT_SET)
          fail_at(file_, fmt::format("byte 0 (GlobalMetadata attr \"{}\")", n), "is not a string list");
        auto& dst = n == "strata.lora_targets" ? g.info.lora_targets : param_names_;
        dst.assign(a.string_list().values().begin(), a.string_list().values().end());
      } else if (n == "strata.param_elements") param_elements_ = ints();
      else if (n == "strata.param_bits") param_bits_ = ints();
      else if (n == "strata.param_trainable") param_trainable_ = ints();
      else ++rep_.unknown_attributes[n];
    }
    if (version != graph_format_version)
      fail_at(file_, "byte 0 (GlobalMetadata)",
              fmt::format("strata.version {} is not supported (this reader reads {})", version, graph_format_version));
    const std::size_t np = param_names_.size();
    if (param_elements_.size() != np || param_bits_.size() != np || param_trainable_.size() != np)
      fail_at(file_, "byte 0 (GlobalMetadata)", "strata.param_* lists differ in length");
    for (std::size_t p = 0; p < np; ++p) {
      if (param_elements_[p] < 1 || static_cast<std::uint64_t>(param_elements_[p]) > max_bytes ||
          param_bits_[p] < 1 || param_bits_[p] > 64)
        fail_at(file_, "byte 0 (GlobalMetadata)", fmt::format("parameter {} \"{}\" has an absurd size", p, param_names_[p]));
      g.parameters.push_back(Parameter{param_names_[p], static_cast<std::uint64_t>(param_elements_[p]),
                                       static_cast<std::uint32_t>(param_bits_[p]), param_trainable_[p] != 0});
    }
    // Ops in node id order (op id = node id, dense).
    g.ops.resize(nodes_.size());
    std::vector<std::pair<std::uint64_t, Edge>> edges;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      const pb::Node& n = nodes_[i].node;
      if (n.id() >= nodes_.size())
        fail_at(file_, where(i), fmt::format("a Strata-written trace numbers its nodes 0..{}", nodes_.size() - 1));
      Op& op = g.ops[n.id()];
      op.id = static_cast<OpId>(n.id());
      op.name = n.name();
      if (n.type() != pb::COMP_NODE) fail_at(file_, where(i), "a Strata-written trace has COMP nodes only");
      bool has_kind = false, has_phase = false, has_shape = false, has_operands = false;
      std::vector<std::int64_t> in_bytes, in_edges;
      for (const auto& a : n.attr()) {
        const std::string& an = a.name();
        auto bad = [&](const char* what) { fail_at(file_, where(i) + fmt::format(" attr \"{}\"", an), what); };
        auto ints = [&]() {
          bool ok = false;
          auto v = attr_int_list(a, ok);
          if (!ok) bad("is not an integer list");
          return v;
        };
        auto num = [&]() {
          auto v = attr_int(a);
          if (!v) bad("is not an integer");
          return *v;
        };
        if (an == "strata.kind") {
          auto k = parse_op_kind(a.string_val());
          if (!k) bad("is not an op kind");
          op.kind = *k;
          has_kind = true;
        } else if (an == "strata.phase") {
          auto p = parse_phase(a.string_val());
          if (!p) bad("is not a phase");
          op.phase = *p;
          has_phase = true;
        } else if (an == "strata.layer" || an == "strata.head") {
          const auto v = num();
          if (v < -1 || v > std::numeric_limits<std::int32_t>::max()) bad("is out of range");
          (an == "strata.layer" ? op.layer : op.head) = static_cast<std::int32_t>(v);
        } else if (an == "strata.grad_of") {
          op.grad_of = num();
        } else if (an == "strata.shape") {
          shape_ = ints();
          has_shape = true;
        } else if (an == "strata.operands") {
          auto v = ints();
          if (v.size() != 8 || std::any_of(v.begin(), v.end(), [](auto x) { return x < 0 || x > 64; }))
            bad("is not 8 values (a bits, static, transposed; b bits, static, transposed; out bits, acc bits)");
          op.a = Operand{static_cast<std::uint32_t>(v[0]), v[1] != 0, v[2] != 0};
          op.b = Operand{static_cast<std::uint32_t>(v[3]), v[4] != 0, v[5] != 0};
          op.out_bits = static_cast<std::uint32_t>(v[6]);
          op.acc_bits = static_cast<std::uint32_t>(v[7]);
          has_operands = true;
        } else if (an == "strata.params") {
          for (auto p : ints()) op.params.push_back(p);
        } else if (an == "strata.in_bytes") {
          in_bytes = ints();
        } else if (an == "strata.in_edges") {
          in_edges = ints();
        } else if (!known_ignored_attr(an)) {
          ++rep_.unknown_attributes[an];
        }
      }
      if (!has_kind || !has_phase || !has_shape || !has_operands)
        fail_at(file_, where(i), "a node of a Strata-written trace needs strata.kind, strata.phase, strata.shape and "
                                 "strata.operands");
      if (kind_info(op.kind).gemm_like) {
        if (shape_.size() != 4 || std::any_of(shape_.begin(), shape_.end(), [](auto x) { return x < 0; }))
          fail_at(file_, where(i), "strata.shape of a GEMM-like op is [batch, m, k, n]");
        op.shape.batch = static_cast<std::uint64_t>(shape_[0]), op.shape.m = static_cast<std::uint64_t>(shape_[1]);
        op.shape.k = static_cast<std::uint64_t>(shape_[2]), op.shape.n = static_cast<std::uint64_t>(shape_[3]);
      } else {
        if (shape_.size() != 1 || shape_[0] < 0) fail_at(file_, where(i), "strata.shape of an elementwise op is [elements]");
        op.shape.elements = static_cast<std::uint64_t>(shape_[0]);
      }
      const auto nd = static_cast<std::size_t>(n.data_deps_size());
      if (in_bytes.size() != nd || in_edges.size() != nd)
        fail_at(file_, where(i), "strata.in_bytes and strata.in_edges must have one entry per data dependency");
      for (std::size_t d = 0; d < nd; ++d) {
        if (in_bytes[d] < 0 || in_edges[d] < 0) fail_at(file_, where(i), "negative strata.in_bytes or strata.in_edges");
        edges.emplace_back(static_cast<std::uint64_t>(in_edges[d]),
                           Edge{static_cast<OpId>(n.data_deps(static_cast<int>(d))), op.id,
                                static_cast<std::uint64_t>(in_bytes[d])});
      }
      if (n.ctrl_deps_size() > 0) fail_at(file_, where(i), "a Strata-written trace has data dependencies only");
      auto& t = rep_.imported[fmt::format("COMP_NODE -> {}", to_string(op.kind))];
      ++t.count;
      t.flops += op.flops();
    }
    std::sort(edges.begin(), edges.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    for (std::size_t e = 0; e < edges.size(); ++e) {
      if (edges[e].first != e)
        fail_at(file_, "graph", fmt::format("strata.in_edges do not number the edges 0..{} (edge {} is missing or "
                                            "repeated)", edges.size() - 1, e));
      g.edges.push_back(edges[e].second);
    }
    detail::validate_imported(g, file_, [&](OpId op) { return where(index_.at(static_cast<std::uint64_t>(op))); });
    return g;
  }

  // ---- any other trace ----
  Graph read_foreign() {
    Graph g;
    g.info.model = std::filesystem::path(file_).stem().string();
    g.info.precision = fmt::format("W{}A{}", opt_.weight_bits, opt_.act_bits);
    detail::DependencyBridge bridge(nodes_.size());
    std::vector<std::size_t> node_of_op;
    for (const auto i : order_) {
      const pb::Node& n = nodes_[i].node;
      std::optional<std::int64_t> num_ops, tensor_size, comm_size, comm_type;
      bool cpu = false;
      for (const auto& a : n.attr()) {
        const std::string& an = a.name();
        auto val = [&]() {
          auto v = attr_int(a);
          if (!v || *v < 0) fail_at(file_, where(i) + fmt::format(" attr \"{}\"", an), "is not a non-negative integer");
          return *v;
        };
        if (an == "num_ops") num_ops = val();
        else if (an == "tensor_size") tensor_size = val();
        else if (an == "comm_size") comm_size = val();
        else if (an == "comm_type") comm_type = val();
        else if (an == "is_cpu_op") cpu = val() != 0;
        else if (!known_ignored_attr(an)) ++rep_.unknown_attributes[an];
      }
      const auto ops_n = static_cast<std::uint64_t>(num_ops.value_or(0));
      const auto bytes_n = static_cast<std::uint64_t>(tensor_size.value_or(0));
      auto skip = [&](const std::string& why, std::uint64_t flops, std::uint64_t bytes,
                      std::optional<std::uint64_t> payload = std::nullopt) {
        auto& t = rep_.skipped[why];
        ++t.count;
        t.flops += flops;
        t.bytes += bytes;
        bridge.add_skipped(g, i, deps_[i], payload);
      };
      auto emit = [&](Op op, const std::string& key, std::uint64_t file_flops) {
        const OpId id = g.add_op(std::move(op));
        node_of_op.push_back(i);
        bridge.add_op(g, i, id, deps_[i]);
        auto& t = rep_.imported[key];
        ++t.count;
        t.flops += file_flops ? file_flops : g.ops.back().flops();
        t.bytes += bytes_n;
      };
      const Phase phase = detail::phase_for_name(n.name());
      const std::string op_name = n.name().empty() ? fmt::format("node{}", n.id()) : n.name();
      switch (n.type()) {
        case pb::COMP_NODE: {
          if (cpu) {
            skip("COMP_NODE (is_cpu_op: host side)", ops_n, bytes_n);
            break;
          }
          if (auto gs = gemm_of(n)) {
            ++rep_.recovered_gemms;
            emit(detail::make_gemm_op(op_name, OpKind::gemm, phase, gs->batch, gs->m, gs->k, gs->n, false,
                                      gs->b_transposed, opt_),
                 "COMP_NODE -> gemm (shape recovered)", 0);
            break;
          }
          if (ops_n == 0 && bytes_n == 0) {
            skip("COMP_NODE (no num_ops, tensor_size or shapes)", 0, 0);
            break;
          }
          const auto vk = detail::vector_kind_for_name(n.name());
          const OpKind kind = vk.value_or(OpKind::residual_add);
          ++rep_.opaque_ops;
          Op op = detail::make_vector_op(op_name, kind, phase, ops_n, bytes_n, opt_);
          // No operation count but operand shapes: elements from the first operand's shape
          // (the trace's own element width does not matter then).
          if (ops_n == 0)
            if (auto e = first_operand_elements(n); e > 0) op.shape.elements = e;
          emit(std::move(op), fmt::format("COMP_NODE -> {}{}", to_string(kind), vk ? "" : " (by op/byte count)"), ops_n);
          break;
        }
        case pb::MEM_LOAD_NODE:
          if (bytes_n == 0) {
            skip("MEM_LOAD_NODE (no tensor_size)", 0, 0);
            break;
          }
          emit(detail::make_vector_op(op_name, OpKind::embedding, phase, 0, bytes_n, opt_),
               "MEM_LOAD_NODE -> embedding (off-chip load)", 0);
          break;
        case pb::MEM_STORE_NODE: skip("MEM_STORE_NODE (stores not modelled)", 0, bytes_n); break;
        case pb::COMM_SEND_NODE:
        case pb::COMM_RECV_NODE:
        case pb::COMM_COLL_NODE: {
          std::string key = pb::NodeType_Name(n.type());
          if (n.type() == pb::COMM_COLL_NODE && comm_type)
            key += " " + (pb::CollectiveCommType_IsValid(static_cast<int>(*comm_type))
                              ? pb::CollectiveCommType_Name(static_cast<pb::CollectiveCommType>(*comm_type))
                              : fmt::format("comm_type {}", *comm_type));
          const auto payload = static_cast<std::uint64_t>(comm_size.value_or(0));
          skip(key + " (one chip: payload moved on-chip)", 0, payload, payload);
          break;
        }
        default:
          if (!pb::NodeType_IsValid(n.type()) || n.type() == pb::INVALID_NODE) {
            ++rep_.unknown_node_types;
            skip(fmt::format("node type {} (unknown)", static_cast<int>(n.type())), ops_n, bytes_n);
          } else {
            skip(fmt::format("{} (not modelled)", pb::NodeType_Name(n.type())), ops_n, bytes_n);
          }
      }
    }
    detail::validate_imported(g, file_, [&](OpId op) { return where(node_of_op[static_cast<std::size_t>(op)]); });
    return g;
  }

  static std::vector<std::vector<std::int64_t>> shapes_of(const pb::Node& n, bool outputs = false) {
    std::vector<std::vector<std::int64_t>> shapes;
    const bool has = outputs ? n.has_outputs() : n.has_inputs();
    const std::string& text = outputs ? n.outputs().shapes() : n.inputs().shapes();
    if (!has || text.empty()) return shapes;
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_array()) return shapes;
    for (const auto& s : j) {
      std::vector<std::int64_t> dims;
      if (s.is_array())
        for (const auto& d : s)
          if (d.is_number_integer()) dims.push_back(d.get<std::int64_t>());
      shapes.push_back(std::move(dims));
    }
    return shapes;
  }

  // Elements of the first output (else the first input) the node's IOInfo gives a shape for.
  static std::uint64_t first_operand_elements(const pb::Node& n) {
    for (bool outputs : {true, false})
      for (const auto& s : shapes_of(n, outputs)) {
        if (s.empty()) continue;
        std::uint64_t e = 1;
        for (auto d : s) e = d > 0 && e <= max_bytes ? e * static_cast<std::uint64_t>(d) : 0;
        return e;
      }
    return 0;
  }

  std::optional<detail::GemmShape> gemm_of(const pb::Node& n) {
    if (!n.has_inputs() || n.inputs().shapes().empty()) return std::nullopt;
    std::string name = detail::lower(n.name());
    if (name.find("mm") == std::string::npos && name.find("matmul") == std::string::npos &&
        name.find("linear") == std::string::npos)
      return std::nullopt;
    const auto shapes = shapes_of(n);
    if (shapes.empty()) return std::nullopt;
    // The operator name is the node name's first word (Chakra keeps PyTorch's, e.g. "aten::addmm").
    std::string op = n.name().substr(0, n.name().find_first_of(" ("));
    return detail::gemm_from_operator(op, shapes);
  }

  std::string_view data_;
  std::string file_;
  const ImportOptions& opt_;
  ImportReport& rep_;
  pb::GlobalMetadata meta_;
  std::vector<RawNode> nodes_;
  std::unordered_map<std::uint64_t, std::size_t> index_;
  std::vector<std::vector<detail::DependencyBridge::Dep>> deps_;
  std::vector<std::uint32_t> order_;
  std::vector<std::string> param_names_;
  std::vector<std::int64_t> param_elements_, param_bits_, param_trainable_, shape_;
};

// ---- writer ------------------------------------------------------------------------------
void put_varint(std::ostream& out, std::uint64_t v) {
  char buf[10];
  int n = 0;
  do {
    buf[n++] = static_cast<char>((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
    v >>= 7;
  } while (v);
  out.write(buf, n);
}

void put_message(std::ostream& out, const google::protobuf::MessageLite& m, std::string& buf) {
  buf.clear();
  m.SerializeToString(&buf);
  put_varint(out, buf.size());
  out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
}

pb::AttributeProto* attr(google::protobuf::RepeatedPtrField<pb::AttributeProto>* a, std::string_view name) {
  auto* x = a->Add();
  x->set_name(std::string(name));
  return x;
}

}  // namespace

Graph read_chakra_bytes(std::string_view data, std::string_view source_name, const ImportOptions& options,
                        ImportReport* report) {
  ImportReport local;
  ImportReport& rep = detail::start_report(report, local, GraphFileFormat::chakra_et, source_name);
  return ChakraReader(data, source_name, options, rep).read();
}

Graph read_chakra(const std::filesystem::path& path, const ImportOptions& options, ImportReport* report) {
  const std::string data = detail::read_file_bytes(path);
  return read_chakra_bytes(data, path.string(), options, report);
}

void write_chakra(const Graph& g, std::ostream& out) {
  g.validate();
  std::string buf;
  {
    pb::GlobalMetadata m;
    m.set_version(std::string(kChakraSchemaVersion));
    auto* a = m.mutable_attr();
    attr(a, kStrataFormatAttr)->set_string_val(std::string(graph_format_name));
    attr(a, "strata.version")->set_int64_val(graph_format_version);
    const GraphInfo& i = g.info;
    for (auto [k, v] : {std::pair{"strata.model", &i.model}, {"strata.family", &i.family}, {"strata.mode", &i.mode},
                        {"strata.precision", &i.precision}, {"strata.mapping_table", &g.mapping_table}})
      if (!v->empty()) attr(a, k)->set_string_val(*v);
    for (auto [k, v] : {std::pair{"strata.layers", i.layers}, {"strata.hidden", i.hidden}, {"strata.heads", i.heads},
                        {"strata.kv_heads", i.kv_heads}, {"strata.ffn", i.ffn}, {"strata.vocab", i.vocab},
                        {"strata.batch", i.batch}, {"strata.seq_len", i.seq_len},
                        {"strata.decode_tokens", i.decode_tokens}, {"strata.lora_rank", i.lora_rank}})
      if (v) attr(a, k)->set_uint64_val(v);
    if (!i.lora_targets.empty()) {
      auto* list = attr(a, "strata.lora_targets")->mutable_string_list();
      for (const auto& t : i.lora_targets) list->add_values(t);
    }
    // Always written (possibly empty), so that a reader knows the graph has no parameters.
    auto* names = attr(a, "strata.param_names")->mutable_string_list();
    auto* elements = attr(a, "strata.param_elements")->mutable_uint64_list();
    auto* bits = attr(a, "strata.param_bits")->mutable_uint32_list();
    auto* trainable = attr(a, "strata.param_trainable")->mutable_bool_list();
    for (const auto& p : g.parameters) {
      names->add_values(p.name);
      elements->add_values(p.elements);
      bits->add_values(p.bits);
      trainable->add_values(p.trainable);
    }
    put_message(out, m, buf);
  }
  const Adjacency adj = g.adjacency();
  pb::Node n;
  for (const Op& op : g.ops) {
    n.Clear();
    n.set_id(static_cast<std::uint64_t>(op.id));
    n.set_name(op.name);
    n.set_type(pb::COMP_NODE);
    auto* a = n.mutable_attr();
    attr(a, "is_cpu_op")->set_bool_val(false);
    attr(a, "num_ops")->set_uint64_val(op.flops());
    attr(a, "tensor_size")->set_uint64_val(op.bytes());
    attr(a, "strata.kind")->set_string_val(std::string(to_string(op.kind)));
    attr(a, "strata.phase")->set_string_val(std::string(to_string(op.phase)));
    if (op.layer >= 0) attr(a, "strata.layer")->set_int64_val(op.layer);
    if (op.head >= 0) attr(a, "strata.head")->set_int64_val(op.head);
    if (op.grad_of >= 0) attr(a, "strata.grad_of")->set_int64_val(op.grad_of);
    auto* shape = attr(a, "strata.shape")->mutable_uint64_list();
    if (kind_info(op.kind).gemm_like) {
      for (auto v : {op.shape.batch, op.shape.m, op.shape.k, op.shape.n}) shape->add_values(v);
    } else {
      shape->add_values(op.shape.elements);
    }
    auto* opr = attr(a, "strata.operands")->mutable_uint32_list();
    for (std::uint32_t v : {op.a.bits, std::uint32_t{op.a.is_static}, std::uint32_t{op.a.transposed}, op.b.bits,
                            std::uint32_t{op.b.is_static}, std::uint32_t{op.b.transposed}, op.out_bits, op.acc_bits})
      opr->add_values(v);
    if (!op.params.empty()) {
      auto* p = attr(a, "strata.params")->mutable_int64_list();
      for (auto x : op.params) p->add_values(x);
    }
    auto* in_bytes = attr(a, "strata.in_bytes")->mutable_uint64_list();
    auto* in_edges = attr(a, "strata.in_edges")->mutable_uint64_list();
    for (std::size_t ei : adj.in[static_cast<std::size_t>(op.id)]) {
      n.add_data_deps(static_cast<std::uint64_t>(g.edges[ei].src));
      in_bytes->add_values(g.edges[ei].bytes);
      in_edges->add_values(ei);
    }
    put_message(out, n, buf);
  }
  if (!out) throw std::runtime_error("write_chakra: write error");
}

void write_chakra(const Graph& g, const std::filesystem::path& path) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw std::runtime_error(fmt::format("cannot open \"{}\" for writing", path.string()));
  write_chakra(g, f);
  f.close();
  if (!f) throw std::runtime_error(fmt::format("write error on \"{}\"", path.string()));
}

}  // namespace strata::opgraph
