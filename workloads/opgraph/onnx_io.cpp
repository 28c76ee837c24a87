// ONNX models: reader (importers.hpp, FORMAT.md "ONNX models"). Operators Strata models
// become ops with shapes from the graph's value infos (run shape inference before
// exporting, as workloads/pytorch/export_onnx.py does); the rest are listed in the report
// with their count and an estimate of their FLOPs, and pass dependencies through.
#include <algorithm>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "import_common.hpp"
#include "proto/onnx.pb.h"
#include "strata/opgraph/importers.hpp"

namespace strata::opgraph {
namespace {

namespace pb = strata::onnx;
using detail::fail_at;
using Dims = std::vector<std::int64_t>;  // -1 = symbolic or unknown

// ---- wire-level scan: where a malformed file goes wrong, and where each node starts -----
struct Field {
  std::uint32_t number;
  std::uint64_t offset;   // of the field's key, in the file
  std::string_view body;  // length-delimited fields only
};

// Walks one message's fields; returns false and sets bad to the offset of the first field
// that cannot be read.
bool scan(std::string_view data, std::uint64_t base, std::vector<Field>& out, std::uint64_t& bad,
          std::string& why) {
  std::size_t p = 0;
  auto varint = [&](std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= data.size()) return false;
      const auto b = static_cast<unsigned char>(data[p++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  };
  while (p < data.size()) {
    const std::size_t at = p;
    std::uint64_t key = 0, v = 0;
    bad = base + at;
    if (!varint(key) || (key >> 3) == 0 || (key >> 3) > 536870911) {
      why = "not a protobuf field key";
      return false;
    }
    const auto wire = static_cast<int>(key & 7);
    Field f{static_cast<std::uint32_t>(key >> 3), base + at, {}};
    switch (wire) {
      case 0:
        if (!varint(v)) return why = "truncated varint", false;
        break;
      case 1:
        if (data.size() - p < 8) return why = "truncated 64-bit value", false;
        p += 8;
        break;
      case 5:
        if (data.size() - p < 4) return why = "truncated 32-bit value", false;
        p += 4;
        break;
      case 2:
        if (!varint(v)) return why = "truncated length", false;
        if (v > data.size() - p) {
          why = fmt::format("field {} is {} bytes long but only {} bytes are left", f.number, v, data.size() - p);
          return false;
        }
        f.body = data.substr(p, v);
        p += v;
        break;
      default: why = fmt::format("wire type {} is not valid", wire); return false;
    }
    out.push_back(f);
  }
  return true;
}

Dims dims_of(const pb::TypeProto& t) {
  Dims d;
  if (!t.has_tensor_type() || !t.tensor_type().has_shape()) return {-2};  // -2: no shape at all
  for (const auto& x : t.tensor_type().shape().dim()) d.push_back(x.has_dim_value() && x.dim_value() > 0 ? x.dim_value() : -1);
  return d;
}

bool known(const Dims& d) {
  return !(d.size() == 1 && d[0] == -2) && std::all_of(d.begin(), d.end(), [](auto x) { return x > 0; });
}

std::uint64_t numel(const Dims& d) {
  std::uint64_t n = 1;
  for (auto x : d) n *= static_cast<std::uint64_t>(x);
  return n;
}

// Operators Strata does not model, by their FLOPs per output element (an estimate: 1 for
// arithmetic, 0 for data movement and shape bookkeeping).
std::uint64_t unmodelled_flops_per_element(std::string_view op) {
  static const std::unordered_set<std::string_view> free{
      "Reshape", "Transpose", "Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Slice", "Cast", "Constant",
      "ConstantOfShape", "Expand", "Identity", "Range", "Split", "Flatten", "Dropout", "GatherElements", "Tile",
      "Pad", "Equal", "Less", "Greater", "Not", "And", "Or", "Where", "NonZero", "ScatterND", "Trilu", "CastLike"};
  return free.contains(op) ? 0 : 1;
}

class OnnxReader {
 public:
  OnnxReader(std::string_view data, std::string_view file, const ImportOptions& opt, ImportReport& rep)
      : data_(data), file_(file), opt_(opt), rep_(rep) {}

  Graph read() {
    if (data_.empty()) fail_at(file_, "byte 0", "empty file (an ONNX model is a ModelProto)");
    std::vector<Field> top, graph;
    std::uint64_t bad = 0;
    std::string why;
    if (!scan(data_, 0, top, bad, why)) fail_at(file_, fmt::format("byte {}", bad), fmt::format("not an ONNX model: {}", why));
    const Field* gf = nullptr;
    for (const auto& f : top)
      if (f.number == 7) gf = &f;
    if (!gf) fail_at(file_, "byte 0", "not an ONNX model: no graph (ModelProto field 7)");
    if (!scan(gf->body, static_cast<std::uint64_t>(gf->body.data() - data_.data()), graph, bad, why))
      fail_at(file_, fmt::format("byte {} (graph)", bad), why);
    for (const auto& f : graph)
      if (f.number == 1) node_offset_.push_back(f.offset);
    if (!model_.ParseFromArray(data_.data(), static_cast<int>(data_.size()))) {
      // Find the node (or other part) that does not parse.
      for (std::size_t i = 0; i < graph.size(); ++i) {
        if (graph[i].number != 1) continue;
        pb::NodeProto n;
        if (!n.ParseFromArray(graph[i].body.data(), static_cast<int>(graph[i].body.size())))
          fail_at(file_, fmt::format("byte {} (graph node)", graph[i].offset), "not a valid NodeProto");
      }
      fail_at(file_, "byte 0", "not a valid ONNX ModelProto");
    }
    const pb::GraphProto& g = model_.graph();
    rep_.nodes = static_cast<std::uint64_t>(g.node_size());
    for (const auto& t : g.initializer()) {
      Dims d(t.dims().begin(), t.dims().end());
      init_[t.name()] = d;
      shape_[t.name()] = d;
    }
    for (const auto* list : {&g.input(), &g.output(), &g.value_info()})
      for (const auto& v : *list)
        if (!shape_.contains(v.name()) || !known(shape_[v.name()])) shape_[v.name()] = dims_of(v.type());

    Graph out;
    out.info.model = g.name().empty() ? std::filesystem::path(file_).stem().string() : g.name();
    out.info.precision = fmt::format("W{}A{}", opt_.weight_bits, opt_.act_bits);
    detail::DependencyBridge bridge(static_cast<std::size_t>(g.node_size()));
    std::unordered_map<std::string, std::size_t> producer;
    std::vector<std::size_t> node_of_op;
    // Names produced later in the file: an input naming one is out of topological order.
    std::unordered_map<std::string, std::size_t> produced_at;
    for (int i = 0; i < g.node_size(); ++i)
      for (const auto& o : g.node(i).output())
        if (!o.empty()) produced_at.emplace(o, static_cast<std::size_t>(i));
    for (int ii = 0; ii < g.node_size(); ++ii) {
      const auto i = static_cast<std::size_t>(ii);
      const pb::NodeProto& n = g.node(ii);
      std::vector<detail::DependencyBridge::Dep> deps;
      for (const auto& in : n.input()) {
        if (in.empty()) continue;  // an omitted optional input
        if (auto it = producer.find(in); it != producer.end()) deps.push_back({it->second, true});
        else if (auto later = produced_at.find(in); later != produced_at.end() && later->second >= i)
          fail_at(file_, where(i), fmt::format("input \"{}\" is produced by node {} at or after it (ONNX nodes are in "
                                               "topological order)", in, later->second));
      }
      std::string key;
      std::optional<Op> op = make_op(n, out, key);
      if (op) {
        op->name = n.name().empty() ? fmt::format("{}_{}", n.op_type(), i) : n.name();
        op->layer = detail::layer_from_name(op->name);
        const OpId id = out.add_op(std::move(*op));
        node_of_op.push_back(i);
        bridge.add_op(out, i, id, deps);
        auto& t = rep_.imported[fmt::format("{} -> {}", n.op_type(), key)];
        ++t.count;
        t.flops += out.ops.back().flops();
      } else {
        bridge.add_skipped(out, i, deps, std::nullopt);
        auto& t = rep_.skipped[key];
        ++t.count;
        const Dims d = n.output_size() > 0 ? shape(n.output(0)) : Dims{-2};
        if (known(d)) t.flops += numel(d) * unmodelled_flops_per_element(n.op_type());
      }
      for (const auto& o : n.output())
        if (!o.empty()) producer[o] = i;
    }
    detail::validate_imported(out, file_, [&](OpId op) { return where(node_of_op[static_cast<std::size_t>(op)]); });
    return out;
  }

 private:
  std::string where(std::size_t i) const {
    const auto& n = model_.graph().node(static_cast<int>(i));
    return fmt::format("byte {} (node {} \"{}\" {})", i < node_offset_.size() ? node_offset_[i] : 0, i, n.name(),
                       n.op_type());
  }

  Dims shape(const std::string& name) const {
    auto it = shape_.find(name);
    return it == shape_.end() ? Dims{-2} : it->second;
  }

  ParamId parameter(const std::string& name, Graph& g) {
    auto [it, fresh] = param_of_.emplace(name, static_cast<ParamId>(g.parameters.size()));
    if (fresh) g.add_parameter(Parameter{name, std::max<std::uint64_t>(1, numel(init_.at(name))), opt_.weight_bits, false});
    return it->second;
  }

  std::optional<std::int64_t> int_attr(const pb::NodeProto& n, std::string_view name) const {
    for (const auto& a : n.attribute())
      if (a.name() == name) return a.i();
    return std::nullopt;
  }

  // An op for node n, or nullopt with `key` saying why not.
  std::optional<Op> make_op(const pb::NodeProto& n, Graph& g, std::string& key) {
    const std::string& t = n.op_type();
    const bool std_domain = n.domain().empty() || n.domain() == "ai.onnx" || n.domain() == "com.microsoft";
    auto in = [&](int k) { return k < n.input_size() ? shape(n.input(k)) : Dims{-2}; };
    auto is_init = [&](int k) { return k < n.input_size() && init_.contains(n.input(k)); };
    const Dims y = n.output_size() > 0 ? shape(n.output(0)) : Dims{-2};
    auto gemm = [&](std::uint64_t batch, std::uint64_t m, std::uint64_t k, std::uint64_t nn, int b_input,
                    bool transposed) -> std::optional<Op> {
      ++rep_.recovered_gemms;
      key = "gemm";
      Op op = detail::make_gemm_op("", OpKind::gemm, Phase::forward, batch, m, k, nn, is_init(b_input), transposed, opt_);
      if (is_init(b_input)) op.params.push_back(parameter(n.input(b_input), g));
      return op;
    };
    if (std_domain && (t == "MatMul" || t == "Gemm" || t == "Conv")) {
      const Dims a = in(0), b = in(1);
      if (!known(a) || !known(b)) {
        key = t + " (no shape in value_info)";
        return std::nullopt;
      }
      if (t == "MatMul") {
        if (auto gs = detail::gemm_from_operator("matmul", {a, b})) return gemm(gs->batch, gs->m, gs->k, gs->n, 1, false);
      } else if (t == "Gemm" && a.size() == 2 && b.size() == 2) {
        const bool ta = int_attr(n, "transA").value_or(0) != 0, tb = int_attr(n, "transB").value_or(0) != 0;
        const auto m = a[ta ? 1 : 0], k = a[ta ? 0 : 1], nn = b[tb ? 0 : 1];
        if (b[tb ? 1 : 0] == k)
          return gemm(1, static_cast<std::uint64_t>(m), static_cast<std::uint64_t>(k), static_cast<std::uint64_t>(nn), 1, tb);
      } else if (t == "Conv" && a.size() >= 3 && b.size() == a.size() && known(y) && y.size() == a.size()) {
        // As an im2col GEMM per group: rows = output positions, k = C/g x kernel, n = M/g.
        const auto groups = static_cast<std::uint64_t>(std::max<std::int64_t>(1, int_attr(n, "group").value_or(1)));
        const auto out_ch = static_cast<std::uint64_t>(b[0]);
        std::uint64_t rows = static_cast<std::uint64_t>(y[0]), k = static_cast<std::uint64_t>(b[1]);
        for (std::size_t d = 2; d < y.size(); ++d) rows *= static_cast<std::uint64_t>(y[d]), k *= static_cast<std::uint64_t>(b[d]);
        if (out_ch % groups == 0) return gemm(groups, rows, k, out_ch / groups, 1, false);
      }
      key = t + " (shapes do not form a GEMM)";
      return std::nullopt;
    }
    std::optional<OpKind> kind;
    if (std_domain) {
      if (t == "Softmax" || t == "LogSoftmax") kind = OpKind::softmax;
      else if (t == "LayerNormalization" || t == "SkipLayerNormalization") kind = OpKind::layernorm;
      else if (t == "SimplifiedLayerNormalization" || t == "RMSNormalization") kind = OpKind::rmsnorm;
      else if (t == "Gelu" || t == "FastGelu" || t == "BiasGelu") kind = OpKind::gelu;
      else if (t == "Erf") kind = OpKind::gelu;  // torch.onnx writes GELU as x/2 (1 + erf(x/sqrt 2))
      else if (t == "Gather" && is_init(0)) kind = OpKind::embedding;
      else if (t == "Add" && n.input_size() == 2 && !is_init(0) && !is_init(1) && known(in(0)) && known(in(1)) &&
               numel(in(0)) == numel(in(1)))
        kind = OpKind::residual_add;
      else if (t == "Add" && (is_init(0) || is_init(1))) {
        key = "Add (bias: in its GEMM)";
        return std::nullopt;
      }
    }
    if (!kind) {
      key = std_domain ? t + " (not modelled)" : fmt::format("{}:{} (not modelled)", n.domain(), t);
      return std::nullopt;
    }
    if (!known(y)) {
      key = t + " (no shape in value_info)";
      return std::nullopt;
    }
    ++rep_.opaque_ops;
    key = std::string(to_string(*kind));
    Op op = detail::make_vector_op("", *kind, Phase::forward, 0, 0, opt_);
    op.shape.elements = numel(y);
    if (*kind == OpKind::embedding) op.params.push_back(parameter(n.input(0), g));
    return op;
  }

  std::string_view data_;
  std::string file_;
  const ImportOptions& opt_;
  ImportReport& rep_;
  pb::ModelProto model_;
  std::vector<std::uint64_t> node_offset_;
  std::unordered_map<std::string, Dims> shape_, init_;
  std::unordered_map<std::string, ParamId> param_of_;
};

}  // namespace

Graph read_onnx_bytes(std::string_view data, std::string_view source_name, const ImportOptions& options,
                      ImportReport* report) {
  ImportReport local;
  ImportReport& rep = detail::start_report(report, local, GraphFileFormat::onnx, source_name);
  if (data.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    fail_at(source_name, "byte 0", "ONNX files over 2 GiB (external data aside) are not supported");
  return OnnxReader(data, source_name, options, rep).read();
}

Graph read_onnx(const std::filesystem::path& path, const ImportOptions& options, ImportReport* report) {
  const std::string data = detail::read_file_bytes(path);
  return read_onnx_bytes(data, path.string(), options, report);
}

}  // namespace strata::opgraph
