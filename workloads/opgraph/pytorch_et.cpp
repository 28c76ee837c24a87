// PyTorch execution traces (JSON, ExecutionTraceObserver / 1.13's ExecutionGraphObserver):
// reader (importers.hpp, FORMAT.md "PyTorch execution traces").
//
// The trace is a tree of operator calls (node.parent) in call order (node.id): a module's
// aten::linear contains the aten::addmm it dispatches to; a backward function contains the
// aten::mm it runs. The outermost operator Strata models becomes one op and everything
// below it is part of it; operators Strata does not model (views, copies, scalar maths)
// pass their inputs' producers on to whoever reads their outputs; the ones that are leaves
// are counted in the report. Dependencies come from tensor ids: an op depends on the last
// op that wrote each tensor it reads.
#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "import_common.hpp"
#include "strata/opgraph/importers.hpp"

namespace strata::opgraph {
namespace {

using json = nlohmann::json;
using detail::fail_at;

struct Tensor {
  std::int64_t id = -1;
  std::vector<std::int64_t> shape;
  std::uint64_t numel() const {
    std::uint64_t n = 1;
    for (auto d : shape) n *= static_cast<std::uint64_t>(std::max<std::int64_t>(d, 0));
    return n;
  }
};

// One node's operands: tensors in argument order (non-tensor arguments are left out,
// except that `arg_of` keeps each tensor's argument position).
struct Operands {
  std::vector<Tensor> tensors;
  std::vector<std::vector<std::int64_t>> arg_shapes;  // every argument's shape ([] for non-tensors)
  std::vector<int> tensor_arg;                         // argument position of tensors[i]
};

std::vector<std::int64_t> shape_of(const json& s) {
  std::vector<std::int64_t> v;
  if (s.is_array())
    for (const auto& d : s)
      if (d.is_number_integer()) v.push_back(d.get<std::int64_t>());
  return v;
}

class PytorchReader {
 public:
  PytorchReader(std::string_view text, std::string_view file, const ImportOptions& opt, ImportReport& rep)
      : text_(text), file_(file), opt_(opt), rep_(rep) {}

  Graph read() {
    json root = json::parse(text_, nullptr, false);
    if (root.is_discarded()) {
      // Locate the syntax error: parse again with exceptions for the byte position.
      try {
        const json again = json::parse(text_);
        (void)again;
      } catch (const json::parse_error& e) {
        fail_at(file_, fmt::format("byte {}", e.byte), fmt::format("not valid JSON: {}", e.what()));
      }
      fail_at(file_, "byte 0", "not valid JSON");
    }
    if (!root.is_object() || !root.contains("schema") || !root.contains("nodes") || !root["nodes"].is_array())
      fail_at(file_, "/", "not a PyTorch execution trace (a JSON object with \"schema\" and \"nodes\")");
    if (!root["schema"].is_string()) fail_at(file_, "/schema", "is not a string");
    const json& nodes = root["nodes"];
    rep_.nodes = nodes.size();
    // Check and sort by id (call order).
    struct N {
      std::int64_t id, parent;
      std::size_t at;  // position in /nodes
    };
    std::vector<N> order;
    order.reserve(nodes.size());
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const json& n = nodes[i];
      const std::string w = fmt::format("/nodes/{}", i);
      if (!n.is_object()) fail_at(file_, w, "is not an object");
      for (const char* k : {"id", "parent"})
        if (!n.contains(k) || !n[k].is_number_integer()) fail_at(file_, fmt::format("{}/{}", w, k), "missing or not an integer");
      if (!n.contains("name") || !n["name"].is_string()) fail_at(file_, w + "/name", "missing or not a string");
      order.push_back({n["id"].get<std::int64_t>(), n["parent"].get<std::int64_t>(), i});
    }
    std::sort(order.begin(), order.end(), [](const N& a, const N& b) { return a.id < b.id; });
    for (std::size_t i = 1; i < order.size(); ++i)
      if (order[i].id == order[i - 1].id)
        fail_at(file_, where(order[i].at, nodes), fmt::format("duplicate node id {} (also /nodes/{})", order[i].id,
                                                              order[i - 1].at));
    std::unordered_map<std::int64_t, std::size_t> pos;  // id -> index in order
    for (std::size_t i = 0; i < order.size(); ++i) pos.emplace(order[i].id, i);
    std::vector<char> covered(order.size(), 0), has_children(order.size(), 0);
    std::vector<Phase> phase(order.size(), Phase::forward);
    for (const auto& n : order)
      if (auto it = pos.find(n.parent); it != pos.end() && it->second < pos[n.id]) has_children[it->second] = 1;

    Graph g;
    g.info.model = std::filesystem::path(file_).stem().string();
    g.info.precision = fmt::format("W{}A{}", opt_.weight_bits, opt_.act_bits);
    detail::DependencyBridge bridge(order.size());
    std::unordered_map<std::int64_t, std::size_t> writer;   // tensor id -> node (index in order) that last wrote it
    std::vector<std::size_t> node_of_op;
    for (std::size_t i = 0; i < order.size(); ++i) {
      const json& n = nodes[order[i].at];
      const std::string name = n["name"].get<std::string>();
      // Parent: only a node called before this one (smaller id) can contain it.
      std::optional<std::size_t> parent;
      if (auto it = pos.find(order[i].parent); it != pos.end() && it->second < i) parent = it->second;
      if (parent && covered[*parent]) {
        covered[i] = 1;  // inside an op already imported: part of it
        continue;
      }
      phase[i] = parent ? phase[*parent] : Phase::forward;
      if (name.starts_with("autograd::engine::evaluate_function") || name.find("Backward") != std::string::npos)
        phase[i] = Phase::backward;
      if (name.starts_with("Optimizer.step")) phase[i] = Phase::update;
      const Operands in = operands(n, order[i].at, "input"), out = operands(n, order[i].at, "output");
      std::vector<detail::DependencyBridge::Dep> deps;
      for (const auto& t : in.tensors)
        if (auto it = writer.find(t.id); it != writer.end()) deps.push_back({it->second, true});
      auto wrote = [&]() {
        for (const auto& t : out.tensors) writer[t.id] = i;
      };
      std::optional<Op> op = make_op(name, phase[i], in, out, g);
      if (!op) {
        bridge.add_skipped(g, i, deps, std::nullopt);
        wrote();
        if (!has_children[i] && !name.starts_with("[pytorch|profiler")) {
          auto& t = rep_.skipped[name];
          ++t.count;
        }
        continue;
      }
      covered[i] = 1;
      const std::string key = fmt::format("{} -> {}", name, to_string(op->kind));
      op->name = fmt::format("{}#{}", name.empty() ? "node" : name, order[i].id);
      const OpId id = g.add_op(std::move(*op));
      node_of_op.push_back(order[i].at);
      bridge.add_op(g, i, id, deps);
      wrote();
      auto& t = rep_.imported[key];
      ++t.count;
      t.flops += g.ops.back().flops();
    }
    detail::validate_imported(g, file_, [&](OpId op) { return where(node_of_op[static_cast<std::size_t>(op)], nodes); });
    return g;
  }

 private:
  std::string where(std::size_t at, const json& nodes) const {
    const json& n = nodes[at];
    return fmt::format("/nodes/{} (node {} \"{}\")", at, n.value("id", std::int64_t{-1}),
                       n.contains("name") && n["name"].is_string() ? n["name"].get<std::string>() : "");
  }

  // Both layouts: 1.x ("inputs": [values], "input_shapes", "input_types") and later
  // ("inputs": {"values", "shapes", "types"}).
  Operands operands(const json& n, std::size_t at, const std::string& dir) const {
    Operands o;
    const std::string key = dir + "s";
    if (!n.contains(key)) return o;
    const json* values = &n[key];
    const json* shapes = nullptr;
    const json* types = nullptr;
    if (values->is_object()) {
      shapes = values->contains("shapes") ? &(*values)["shapes"] : nullptr;
      types = values->contains("types") ? &(*values)["types"] : nullptr;
      values = values->contains("values") ? &(*values)["values"] : nullptr;
    } else {
      shapes = n.contains(dir + "_shapes") ? &n[dir + "_shapes"] : nullptr;
      types = n.contains(dir + "_types") ? &n[dir + "_types"] : nullptr;
    }
    if (!values || !values->is_array() || (shapes && !shapes->is_array()) || (types && !types->is_array()))
      fail_at(file_, fmt::format("/nodes/{}/{}", at, key), "is not a list of values with shapes and types");
    for (std::size_t a = 0; a < values->size(); ++a) {
      o.arg_shapes.push_back(shapes && a < shapes->size() ? shape_of((*shapes)[a]) : std::vector<std::int64_t>{});
      const bool tensor = types && a < types->size() && (*types)[a].is_string() &&
                          (*types)[a].get<std::string>().starts_with("Tensor");
      const json& v = (*values)[a];
      if (!tensor || !v.is_array() || v.empty() || !v[0].is_number_integer()) continue;
      o.tensors.push_back(Tensor{v[0].get<std::int64_t>(), o.arg_shapes.back()});
      o.tensor_arg.push_back(static_cast<int>(a));
    }
    return o;
  }

  std::optional<Op> make_op(const std::string& name, Phase phase, const Operands& in, const Operands& out, Graph& g) {
    if (auto gs = detail::gemm_from_operator(name, in.arg_shapes)) {
      if (gs->m == 0 || gs->k == 0 || gs->n == 0) return std::nullopt;
      ++rep_.recovered_gemms;
      Op op = detail::make_gemm_op(name, OpKind::gemm, phase, gs->batch, gs->m, gs->k, gs->n, gs->b_is_weight,
                                   gs->b_transposed, opt_);
      if (gs->b_is_weight) {
        const auto it = std::find(in.tensor_arg.begin(), in.tensor_arg.end(), static_cast<int>(gs->b_input));
        if (it != in.tensor_arg.end()) op.params.push_back(parameter(in.tensors[static_cast<std::size_t>(it - in.tensor_arg.begin())], g));
      }
      return op;
    }
    const std::string base = name.substr(name.rfind("::") == std::string::npos ? 0 : name.rfind("::") + 2);
    std::uint64_t elements = !out.tensors.empty() ? out.tensors[0].numel() : !in.tensors.empty() ? in.tensors[0].numel() : 0;
    if (elements == 0) return std::nullopt;
    std::optional<OpKind> kind;
    if (name.starts_with("aten::")) {
      if (base == "add" || base == "add_") {
        // Two tensors of one size: a residual or a gradient sum; in the optimizer, the
        // update of the weight it writes. Adding a scalar or a broadcast bias is not an op here.
        if (in.tensors.size() >= 2 && in.tensors[0].numel() == in.tensors[1].numel())
          kind = phase == Phase::update ? OpKind::weight_update : OpKind::residual_add;
      } else if (base == "_softmax_backward_data") {
        kind = OpKind::softmax_grad;
      } else {
        kind = detail::vector_kind_for_name(base);
      }
    }
    if (!kind) return std::nullopt;
    ++rep_.opaque_ops;
    Op op = detail::make_vector_op(name, *kind, phase, elements * kind_info(*kind).flops_per_element, 0, opt_);
    op.shape.elements = elements;
    if (*kind == OpKind::weight_update && !in.tensors.empty()) op.params.push_back(parameter(in.tensors[0], g));
    return op;
  }

  ParamId parameter(const Tensor& t, Graph& g) {
    auto [it, fresh] = param_of_.emplace(t.id, static_cast<ParamId>(g.parameters.size()));
    if (fresh)
      g.add_parameter(Parameter{fmt::format("tensor{}", t.id), std::max<std::uint64_t>(1, t.numel()), opt_.weight_bits,
                                true});
    return it->second;
  }

  std::string_view text_;
  std::string file_;
  const ImportOptions& opt_;
  ImportReport& rep_;
  std::unordered_map<std::int64_t, ParamId> param_of_;  // weight tensor id -> parameter
};

}  // namespace

bool looks_like_pytorch_et(std::string_view text) {
  const std::string_view head = text.substr(0, 4096);
  const auto first = head.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && head[first] == '{' && head.find("\"schema\"") != std::string_view::npos &&
         head.find("\"format\": \"strata-opgraph\"") == std::string_view::npos &&
         head.find("\"format\":\"strata-opgraph\"") == std::string_view::npos;
}

Graph read_pytorch_et_string(std::string_view text, std::string_view source_name, const ImportOptions& options,
                             ImportReport* report) {
  ImportReport local;
  ImportReport& rep = detail::start_report(report, local, GraphFileFormat::pytorch_et, source_name);
  return PytorchReader(text, source_name, options, rep).read();
}

Graph read_pytorch_et(const std::filesystem::path& path, const ImportOptions& options, ImportReport* report) {
  const std::string text = detail::read_file_bytes(path);
  return read_pytorch_et_string(text, path.string(), options, report);
}

}  // namespace strata::opgraph
