// Helpers shared by the foreign-format readers (import_common.hpp), and ImportReport.
#include "import_common.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include <fmt/format.h>

namespace strata::opgraph {

std::string_view to_string(GraphFileFormat f) {
  switch (f) {
    case GraphFileFormat::strata_json: return "strata";
    case GraphFileFormat::chakra_et: return "chakra";
    case GraphFileFormat::pytorch_et: return "pytorch";
    case GraphFileFormat::onnx: return "onnx";
  }
  return "?";
}

std::optional<GraphFileFormat> parse_graph_file_format(std::string_view name) {
  for (auto f : {GraphFileFormat::strata_json, GraphFileFormat::chakra_et, GraphFileFormat::pytorch_et,
                 GraphFileFormat::onnx})
    if (to_string(f) == name) return f;
  return std::nullopt;
}

std::uint64_t ImportReport::imported_flops() const {
  std::uint64_t s = 0;
  for (const auto& [k, t] : imported) s += t.flops;
  return s;
}
std::uint64_t ImportReport::skipped_flops() const {
  std::uint64_t s = 0;
  for (const auto& [k, t] : skipped) s += t.flops;
  return s;
}
std::uint64_t ImportReport::skipped_count() const {
  std::uint64_t s = 0;
  for (const auto& [k, t] : skipped) s += t.count;
  return s;
}

namespace {
std::string si(double v, const char* unit) {
  const char* p[] = {"", "k", "M", "G", "T", "P"};
  int i = 0;
  while (v >= 1000 && i < 5) v /= 1000, ++i;
  return fmt::format("{:.3g} {}{}", v, p[i], unit);
}
}  // namespace

std::string ImportReport::render_text() const {
  std::string o;
  std::uint64_t ops = 0;
  for (const auto& [k, t] : imported) ops += t.count;
  const double all = static_cast<double>(imported_flops() + skipped_flops());
  o += fmt::format("import {} ({}): {} nodes -> {} ops, {}; skipped {} nodes", source, to_string(format), nodes, ops,
                   si(static_cast<double>(imported_flops()), "FLOP"), skipped_count());
  if (skipped_flops() > 0) o += fmt::format(" ({}, {:.2f}% of FLOPs)", si(static_cast<double>(skipped_flops()), "FLOP"),
                                            100.0 * static_cast<double>(skipped_flops()) / all);
  o += "\n";
  if (recovered_gemms || opaque_ops)
    o += fmt::format("  GEMM shapes recovered: {}; ops replayed by operation/byte counts only: {}\n", recovered_gemms,
                     opaque_ops);
  for (const auto& [k, t] : imported)
    o += fmt::format("  imported {:<40} {:>7}  {}\n", k, t.count, si(static_cast<double>(t.flops), "FLOP"));
  for (const auto& [k, t] : skipped) {
    o += fmt::format("  skipped  {:<40} {:>7}", k, t.count);
    if (t.flops) o += fmt::format("  {} ({:.2f}%)", si(static_cast<double>(t.flops), "FLOP"),
                                  all > 0 ? 100.0 * static_cast<double>(t.flops) / all : 0.0);
    if (t.bytes) o += fmt::format("  {}", si(static_cast<double>(t.bytes), "B"));
    o += "\n";
  }
  if (unknown_node_types) o += fmt::format("  unknown node types: {} nodes (skipped, kept as ordering)\n", unknown_node_types);
  for (const auto& [k, n] : unknown_attributes) o += fmt::format("  unknown attribute {:<31} on {} nodes\n", k, n);
  return o;
}

namespace detail {

ImportReport& start_report(ImportReport* report, ImportReport& local, GraphFileFormat format,
                           std::string_view source_name) {
  ImportReport& rep = report ? *report : local;
  rep = ImportReport{};
  rep.format = format;
  rep.source = std::string(source_name);
  return rep;
}

std::string read_file_bytes(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail_at(path.string(), "file", "cannot open for reading");
  std::ostringstream s;
  s << f.rdbuf();
  if (f.bad()) fail_at(path.string(), "file", "read error");
  return std::move(s).str();
}

void fail_at(std::string_view file, std::string where, std::string reason) {
  std::string what = fmt::format("{}: error: {}: {}", file, where, reason);
  throw GraphFormatError(std::string(file), std::move(where), std::move(reason), std::move(what));
}

std::string lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

std::optional<OpKind> vector_kind_for_name(std::string_view raw) {
  const std::string n = lower(raw);
  const bool bwd = n.find("backward") != std::string::npos || n.find("grad") != std::string::npos;
  auto has = [&](std::string_view s) { return n.find(s) != std::string::npos; };
  if (has("softmax")) return bwd ? OpKind::softmax_grad : OpKind::softmax;
  if (has("rms_norm") || has("rmsnorm") || has("simplifiedlayernorm")) return bwd ? OpKind::rmsnorm_grad : OpKind::rmsnorm;
  if (has("layer_norm") || has("layernorm")) return bwd ? OpKind::layernorm_grad : OpKind::layernorm;
  if (has("gelu")) return bwd ? OpKind::gelu_grad : OpKind::gelu;
  if (has("embedding")) return bwd ? OpKind::embedding_grad : OpKind::embedding;
  return std::nullopt;
}

std::int32_t layer_from_name(std::string_view raw) {
  const std::string n = lower(raw);
  for (std::string_view tag : {"layers.", "layer.", "layers_", "layer_", "layers/", "h."}) {
    for (std::size_t at = n.find(tag); at != std::string::npos; at = n.find(tag, at + 1)) {
      if (tag == "h." && at > 0 && std::isalnum(static_cast<unsigned char>(n[at - 1]))) continue;
      std::size_t p = at + tag.size();
      std::int64_t v = 0;
      const std::size_t start = p;
      while (p < n.size() && std::isdigit(static_cast<unsigned char>(n[p])) && v < (1 << 20)) v = v * 10 + (n[p++] - '0');
      if (p > start && (p == n.size() || !std::isalnum(static_cast<unsigned char>(n[p]))))
        return static_cast<std::int32_t>(v);
    }
  }
  return -1;
}

Phase phase_for_name(std::string_view raw) {
  const std::string n = lower(raw);
  if (n.find("backward") != std::string::npos) return Phase::backward;
  if (n.find("optimizer") != std::string::npos || n.find("adam") != std::string::npos) return Phase::update;
  return Phase::forward;
}

std::optional<GemmShape> gemm_from_operator(std::string_view raw, const std::vector<std::vector<std::int64_t>>& in) {
  std::string n = lower(raw);
  if (auto c = n.rfind("::"); c != std::string::npos) n = n.substr(c + 2);
  auto dims_ok = [](const std::vector<std::int64_t>& s) {
    return std::all_of(s.begin(), s.end(), [](std::int64_t d) { return d > 0; });
  };
  auto prod = [](const std::vector<std::int64_t>& s, std::size_t from, std::size_t to) {
    std::uint64_t p = 1;
    for (std::size_t i = from; i < to; ++i) p *= static_cast<std::uint64_t>(s[i]);
    return p;
  };
  GemmShape g;
  std::size_t ia = 0, ib = 1;
  if (n == "addmm" || n == "baddbmm") ia = 1, ib = 2;
  else if (n != "mm" && n != "bmm" && n != "matmul" && n != "linear") return std::nullopt;
  if (in.size() <= ib || !dims_ok(in[ia]) || !dims_ok(in[ib])) return std::nullopt;
  const auto& a = in[ia];
  const auto& b = in[ib];
  g.b_input = ib;
  if (n == "linear") {  // x[..., K] W[N, K]^T
    if (a.empty() || b.size() != 2 || a.back() != b[1]) return std::nullopt;
    g.m = prod(a, 0, a.size() - 1), g.k = static_cast<std::uint64_t>(b[1]), g.n = static_cast<std::uint64_t>(b[0]);
    g.b_transposed = true;
    g.b_is_weight = true;
    return g;
  }
  if (a.size() < 2 || b.size() < 2 || a.back() != b[b.size() - 2]) return std::nullopt;
  g.k = static_cast<std::uint64_t>(a.back());
  g.n = static_cast<std::uint64_t>(b.back());
  if (b.size() == 2) {  // a batch of rows times one matrix: fold the batch into m
    g.m = prod(a, 0, a.size() - 1);
  } else {
    if (prod(a, 0, a.size() - 2) != prod(b, 0, b.size() - 2)) return std::nullopt;
    g.batch = prod(a, 0, a.size() - 2);
    g.m = static_cast<std::uint64_t>(a[a.size() - 2]);
  }
  return g;
}

Op make_vector_op(std::string name, OpKind kind, Phase phase, std::uint64_t flops, std::uint64_t bytes,
                  const ImportOptions& opt) {
  const KindInfo& ki = kind_info(kind);
  Op op;
  op.name = std::move(name);
  op.kind = kind;
  op.phase = phase;
  std::uint64_t elements = 0;
  if (flops > 0 && ki.flops_per_element > 0) {
    elements = (flops + ki.flops_per_element - 1) / ki.flops_per_element;
  } else {
    elements = bytes * 8 / std::max<std::uint64_t>(1, opt.act_bits) / std::max<std::uint64_t>(1, ki.a_mult);
  }
  op.shape.elements = std::max<std::uint64_t>(1, elements);
  op.a.bits = opt.act_bits;
  op.a.is_static = kind == OpKind::embedding;
  if (ki.b_mult) op.b.bits = kind == OpKind::weight_update ? opt.weight_bits : opt.act_bits;
  op.out_bits = opt.act_bits;
  return op;
}

Op make_gemm_op(std::string name, OpKind kind, Phase phase, std::uint64_t batch, std::uint64_t m, std::uint64_t k,
                std::uint64_t n, bool b_static, bool b_transposed, const ImportOptions& opt) {
  Op op;
  op.name = std::move(name);
  op.kind = kind;
  op.phase = phase;
  op.shape.batch = std::max<std::uint64_t>(1, batch);
  op.shape.m = m;
  op.shape.k = k;
  op.shape.n = n;
  op.a.bits = opt.act_bits;
  op.b.bits = b_static ? opt.weight_bits : opt.act_bits;
  op.b.is_static = b_static;
  op.b.transposed = b_transposed;
  op.out_bits = opt.act_bits;
  op.acc_bits = opt.acc_bits;
  return op;
}

std::vector<std::pair<OpId, std::uint64_t>> DependencyBridge::inputs(const Graph& g, const std::vector<Dep>& deps) const {
  std::vector<std::pair<OpId, std::uint64_t>> in;
  std::unordered_map<OpId, std::size_t> at;  // producer -> its entry in `in` (one edge per producer)
  auto put = [&](OpId p, std::uint64_t bytes) {
    auto [it, fresh] = at.emplace(p, in.size());
    if (fresh) in.emplace_back(p, bytes);
    else in[it->second].second = std::max(in[it->second].second, bytes);
  };
  for (const Dep& d : deps) {
    if (op_[d.node] >= 0) {
      put(op_[d.node], d.data ? g.ops[static_cast<std::size_t>(op_[d.node])].out_bytes() : 0);
      continue;
    }
    for (const auto& [p, b] : reach_[d.node]) put(p, !d.data ? 0 : pass_[d.node] ? *pass_[d.node] : b);
  }
  return in;
}

void DependencyBridge::add_op(Graph& g, std::size_t node, OpId op, const std::vector<Dep>& deps) {
  op_[node] = op;
  for (const auto& [p, b] : inputs(g, deps)) g.edges.push_back(Edge{p, op, b});
}

void DependencyBridge::add_skipped(const Graph& g, std::size_t node, const std::vector<Dep>& deps,
                                   std::optional<std::uint64_t> payload) {
  reach_[node] = inputs(g, deps);
  pass_[node] = payload;
}

}  // namespace detail
}  // namespace strata::opgraph

namespace strata::opgraph {

GraphFileFormat detect_graph_format(const std::filesystem::path& path) {
  const std::string ext = detail::lower(path.extension().string());
  if (ext == ".et") return GraphFileFormat::chakra_et;
  if (ext == ".onnx") return GraphFileFormat::onnx;
  std::ifstream f(path, std::ios::binary);
  if (!f) detail::fail_at(path.string(), "file", "cannot open for reading");
  std::string head(4096, '\0');
  f.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(f.gcount()));
  const auto first = head.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && head[first] == '{')
    return looks_like_pytorch_et(head) ? GraphFileFormat::pytorch_et : GraphFileFormat::strata_json;
  // Binary: an ONNX ModelProto starts with ir_version (field 1, varint: byte 0x08); a
  // Chakra trace with the length of its GlobalMetadata.
  if (!head.empty() && head[0] == 0x08) return GraphFileFormat::onnx;
  return GraphFileFormat::chakra_et;
}

Graph read_any_graph(const std::filesystem::path& path, std::optional<GraphFileFormat> format,
                     const ImportOptions& options, ImportReport* report) {
  const GraphFileFormat f = format ? *format : detect_graph_format(path);
  ImportReport local;
  ImportReport& rep = report ? *report : local;
  switch (f) {
    case GraphFileFormat::chakra_et: return read_chakra(path, options, &rep);
    case GraphFileFormat::pytorch_et: return read_pytorch_et(path, options, &rep);
    case GraphFileFormat::onnx: return read_onnx(path, options, &rep);
    case GraphFileFormat::strata_json: break;
  }
  Graph g = read_graph(path);
  rep = ImportReport{};
  rep.format = f;
  rep.source = path.string();
  rep.nodes = g.ops.size();
  for (const auto& op : g.ops) {
    auto& t = rep.imported[std::string(to_string(op.kind))];
    ++t.count;
    t.flops += op.flops();
  }
  return g;
}

}  // namespace strata::opgraph
