// strata-opgraph JSON reader and writer.
#include "strata/opgraph/graph_io.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "strata/opgraph/model_config.hpp"  // closest_match

namespace strata::opgraph {
namespace {

// Ordered, so that a mapping table keeps its rules in file order (first match wins).
using json = nlohmann::ordered_json;
using ojson = nlohmann::ordered_json;

// ---- writer --------------------------------------------------------------------------
ojson operand_json(const Operand& o) {
  ojson j;
  j["bits"] = o.bits;
  if (o.is_static) j["static"] = true;
  if (o.transposed) j["transposed"] = true;
  return j;
}

ojson op_json(const Op& op) {
  ojson j;
  j["id"] = op.id;
  j["name"] = op.name;
  j["kind"] = to_string(op.kind);
  j["phase"] = to_string(op.phase);
  if (op.layer >= 0) j["layer"] = op.layer;
  if (op.head >= 0) j["head"] = op.head;
  ojson shape;
  if (kind_info(op.kind).gemm_like) {
    shape["batch"] = op.shape.batch;
    shape["m"] = op.shape.m;
    shape["k"] = op.shape.k;
    shape["n"] = op.shape.n;
  } else {
    shape["elements"] = op.shape.elements;
  }
  j["shape"] = std::move(shape);
  j["a"] = operand_json(op.a);
  if (op.b.bits) j["b"] = operand_json(op.b);
  ojson out;
  out["bits"] = op.out_bits;
  if (op.acc_bits) out["acc_bits"] = op.acc_bits;
  j["out"] = std::move(out);
  if (!op.params.empty()) j["params"] = op.params;
  if (op.grad_of >= 0) j["grad_of"] = op.grad_of;
  return j;
}

template <typename T>
void put_nonzero(ojson& j, const char* key, const T& v) {
  if (v != T{}) j[key] = v;
}

void write_array(std::ostream& out, const char* key, const std::vector<ojson>& items, bool last) {
  out << "  \"" << key << "\": [";
  for (std::size_t i = 0; i < items.size(); ++i) out << (i ? ",\n    " : "\n    ") << items[i].dump();
  out << (items.empty() ? "]" : "\n  ]") << (last ? "\n" : ",\n");
}

// ---- reader --------------------------------------------------------------------------
class Reader {
 public:
  Reader(std::string_view text, std::string file) : text_(text), file_(std::move(file)) {}

  Graph read() {
    json root;
    try {
      root = json::parse(text_.begin(), text_.end());
    } catch (const json::parse_error& e) {
      const auto [line, col] = line_col(e.byte);
      std::string msg = e.what();
      if (auto c = msg.find("column "); c != std::string::npos)
        if (auto colon = msg.find(": ", c); colon != std::string::npos) msg = msg.substr(colon + 2);
      std::string reason = "not valid JSON: " + msg;
      throw GraphFormatError(file_, fmt::format("{}:{}", line, col), reason,
                             fmt::format("{}:{}:{}: error: {}", file_, line, col, reason));
    } catch (const json::out_of_range& e) {  // a number beyond double range, e.g. 1E51615
      std::string reason = std::string("not valid JSON: ") + e.what();
      throw GraphFormatError(file_, "", reason, fmt::format("{}: error: {}", file_, reason));
    }
    if (!root.is_object()) fail("", "", fmt::format("expected a JSON object at the top, got {}", type_of(root)));
    check_keys(root, "", "", {"format", "version", "model", "workload", "mapping_table", "parameters", "ops", "edges"});

    const auto& format = member(root, "", "", "format");
    if (!format.is_string() || format.get<std::string>() != graph_format_name)
      fail("/format", "", fmt::format("wrong format: {}, expected \"{}\"", format.dump(), graph_format_name));
    const auto& version = member(root, "", "", "version");
    if (!version.is_number_integer() || version.get<std::int64_t>() != graph_format_version)
      fail("/version", "",
           fmt::format("unsupported version {} (this reader reads version {})", version.dump(), graph_format_version));

    Graph g;
    read_info(root, g.info);
    if (root.contains("mapping_table")) {
      const auto& t = root["mapping_table"];
      if (!t.is_object() && !t.is_array())
        fail("/mapping_table", "", fmt::format("wrong type: expected an object or an array, got {}", type_of(t)));
      g.mapping_table = t.dump();
    }
    if (root.contains("parameters")) {
      const auto& params = array(root["parameters"], "/parameters", "");
      for (std::size_t i = 0; i < params.size(); ++i) g.parameters.push_back(read_param(params[i], i));
    }
    const auto& ops = array(member(root, "", "", "ops"), "/ops", "");
    g.ops.reserve(ops.size());
    for (std::size_t i = 0; i < ops.size(); ++i) g.ops.push_back(read_op(ops[i], i, g.parameters.size()));
    const auto& edges = array(member(root, "", "", "edges"), "/edges", "");
    g.edges.reserve(edges.size());
    for (std::size_t i = 0; i < edges.size(); ++i) g.edges.push_back(read_edge(edges[i], i, g));

    try {
      g.validate();
    } catch (const GraphError& e) {
      std::string where = "/";
      std::string who;
      if (e.op() >= 0) {
        where = fmt::format("/ops/{}", e.op());
        who = label(g.ops[static_cast<std::size_t>(e.op())].id, g.ops[static_cast<std::size_t>(e.op())].name);
      } else if (e.edge() >= 0) {
        where = fmt::format("/edges/{}", e.edge());
      } else {
        where = "/parameters";
      }
      fail(where, who, e.reason());
    }
    return g;
  }

 private:
  std::string_view text_;
  std::string file_;

  std::pair<std::size_t, std::size_t> line_col(std::size_t byte) const {
    const std::size_t idx = std::min(byte > 0 ? byte - 1 : 0, text_.size());
    std::size_t line = 1, line_start = 0;
    for (std::size_t i = 0; i < idx; ++i)
      if (text_[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    return {line, idx - line_start + 1};
  }

  static std::string label(std::int64_t id, const std::string& name) {
    return name.empty() ? fmt::format("op {}", id) : fmt::format("op {} \"{}\"", id, name);
  }

  [[noreturn]] void fail(const std::string& pointer, const std::string& who, const std::string& reason) const {
    std::string where = pointer.empty() ? "/" : pointer;
    if (!who.empty()) where += " (" + who + ")";
    throw GraphFormatError(file_, where, reason, fmt::format("{}: error: {}: {}", file_, where, reason));
  }

  static std::string type_of(const json& j) {
    switch (j.type()) {
      case json::value_t::object: return "an object";
      case json::value_t::array: return "an array";
      case json::value_t::string: return "a string";
      case json::value_t::boolean: return "a boolean";
      case json::value_t::number_float: return "a float";
      case json::value_t::number_integer:
      case json::value_t::number_unsigned: return "an integer";
      case json::value_t::null: return "null";
      default: return "something else";
    }
  }

  void check_keys(const json& obj, const std::string& ptr, const std::string& who,
                  std::initializer_list<std::string_view> allowed) const {
    std::vector<std::string_view> list(allowed);
    for (const auto& [key, value] : obj.items()) {
      if (std::find(list.begin(), list.end(), key) != list.end()) continue;
      std::string reason = fmt::format("unknown key \"{}\"", key);
      if (auto m = closest_match(key, list); !m.empty()) reason += fmt::format(" (did you mean \"{}\"?)", m);
      fail(ptr + "/" + key, who, reason);
    }
  }

  const json& member(const json& obj, const std::string& ptr, const std::string& who, const char* key) const {
    auto it = obj.find(key);
    if (it == obj.end()) fail(ptr, who, fmt::format("missing required key \"{}\"", key));
    return *it;
  }

  const json& object(const json& j, const std::string& ptr, const std::string& who) const {
    if (!j.is_object()) fail(ptr, who, fmt::format("wrong type: expected an object, got {}", type_of(j)));
    return j;
  }

  const json& array(const json& j, const std::string& ptr, const std::string& who) const {
    if (!j.is_array()) fail(ptr, who, fmt::format("wrong type: expected an array, got {}", type_of(j)));
    return j;
  }

  std::string string(const json& j, const std::string& ptr, const std::string& who) const {
    if (!j.is_string()) fail(ptr, who, fmt::format("wrong type: expected a string, got {}", type_of(j)));
    return j.get<std::string>();
  }

  bool boolean(const json& j, const std::string& ptr, const std::string& who) const {
    if (!j.is_boolean()) fail(ptr, who, fmt::format("wrong type: expected a boolean, got {}", type_of(j)));
    return j.get<bool>();
  }

  // An integer in [min, max]; negatives and values above max are named as such.
  std::int64_t integer(const json& j, const std::string& ptr, const std::string& who, std::int64_t min,
                       std::uint64_t max, std::string_view limit_name) const {
    if (j.is_number_float()) {
      const double d = j.get<double>();
      if (d < 0) fail(ptr, who, fmt::format("negative number {}", j.dump()));
      if (d > static_cast<double>(max)) fail(ptr, who, fmt::format("absurd size: {} exceeds {}", j.dump(), limit_name));
      fail(ptr, who, fmt::format("wrong type: expected an integer, got a float ({})", j.dump()));
    }
    if (!j.is_number_integer())
      fail(ptr, who, fmt::format("wrong type: expected an integer, got {}", type_of(j)));
    if (j.is_number_unsigned()) {
      const auto u = j.get<std::uint64_t>();
      if (u > max) fail(ptr, who, fmt::format("absurd size: {} exceeds {}", u, limit_name));
      if (static_cast<std::int64_t>(u) < min) fail(ptr, who, fmt::format("{} is below the minimum {}", u, min));
      return static_cast<std::int64_t>(u);
    }
    const auto s = j.get<std::int64_t>();
    if (s < 0 && s < min) fail(ptr, who, fmt::format("negative number {}", s));
    if (s < min) fail(ptr, who, fmt::format("{} is below the minimum {}", s, min));
    if (s > 0 && static_cast<std::uint64_t>(s) > max)
      fail(ptr, who, fmt::format("absurd size: {} exceeds {}", s, limit_name));
    return s;
  }

  std::uint64_t dimension(const json& j, const std::string& ptr, const std::string& who) const {
    return static_cast<std::uint64_t>(integer(j, ptr, who, 1, max_dimension, "2^31"));
  }
  std::uint64_t count(const json& j, const std::string& ptr, const std::string& who, std::int64_t min) const {
    return static_cast<std::uint64_t>(integer(j, ptr, who, min, max_bytes, "2^50"));
  }
  std::uint32_t bits(const json& j, const std::string& ptr, const std::string& who, std::int64_t min) const {
    return static_cast<std::uint32_t>(integer(j, ptr, who, min, 64, "64 bits"));
  }

  void read_info(const json& root, GraphInfo& info) const {
    const auto& model = object(member(root, "", "", "model"), "/model", "");
    check_keys(model, "/model", "", {"name", "family", "layers", "hidden", "heads", "kv_heads", "ffn", "vocab"});
    info.model = string(member(model, "/model", "", "name"), "/model/name", "");
    if (model.contains("family")) info.family = string(model["family"], "/model/family", "");
    auto dim = [&](const json& obj, const std::string& base, const char* key, std::uint64_t& out) {
      if (obj.contains(key)) out = count(obj[key], base + "/" + key, "", 0);
    };
    for (auto [key, field] : {std::pair{"layers", &info.layers}, {"hidden", &info.hidden}, {"heads", &info.heads},
                              {"kv_heads", &info.kv_heads}, {"ffn", &info.ffn}, {"vocab", &info.vocab}})
      dim(model, "/model", key, *field);
    if (!root.contains("workload")) return;
    const auto& w = object(root["workload"], "/workload", "");
    check_keys(w, "/workload", "",
               {"mode", "precision", "batch", "seq_len", "decode_tokens", "lora_rank", "lora_targets"});
    if (w.contains("mode")) info.mode = string(w["mode"], "/workload/mode", "");
    if (w.contains("precision")) info.precision = string(w["precision"], "/workload/precision", "");
    for (auto [key, field] : {std::pair{"batch", &info.batch}, {"seq_len", &info.seq_len},
                              {"decode_tokens", &info.decode_tokens}, {"lora_rank", &info.lora_rank}})
      dim(w, "/workload", key, *field);
    if (w.contains("lora_targets")) {
      const auto& t = array(w["lora_targets"], "/workload/lora_targets", "");
      for (std::size_t i = 0; i < t.size(); ++i)
        info.lora_targets.push_back(string(t[i], fmt::format("/workload/lora_targets/{}", i), ""));
    }
  }

  Parameter read_param(const json& j, std::size_t i) const {
    const std::string ptr = fmt::format("/parameters/{}", i);
    object(j, ptr, "");
    check_keys(j, ptr, "", {"name", "elements", "bits", "trainable"});
    Parameter p;
    p.name = string(member(j, ptr, "", "name"), ptr + "/name", "");
    const std::string who = fmt::format("parameter \"{}\"", p.name);
    p.elements = count(member(j, ptr, who, "elements"), ptr + "/elements", who, 1);
    p.bits = bits(member(j, ptr, who, "bits"), ptr + "/bits", who, 1);
    if (j.contains("trainable")) p.trainable = boolean(j["trainable"], ptr + "/trainable", who);
    return p;
  }

  Operand read_operand(const json& j, const std::string& ptr, const std::string& who) const {
    object(j, ptr, who);
    check_keys(j, ptr, who, {"bits", "static", "transposed"});
    Operand o;
    o.bits = bits(member(j, ptr, who, "bits"), ptr + "/bits", who, 1);
    if (j.contains("static")) o.is_static = boolean(j["static"], ptr + "/static", who);
    if (j.contains("transposed")) o.transposed = boolean(j["transposed"], ptr + "/transposed", who);
    return o;
  }

  Op read_op(const json& j, std::size_t i, std::size_t n_params) const {
    const std::string ptr = fmt::format("/ops/{}", i);
    object(j, ptr, "");
    Op op;
    // Identify the op first so that every later message can name it.
    if (j.contains("name") && j["name"].is_string()) op.name = j["name"].get<std::string>();
    std::string who = op.name.empty() ? "" : fmt::format("\"{}\"", op.name);
    op.id = integer(member(j, ptr, who, "id"), ptr + "/id", who, 0, max_dimension, "2^31");
    if (op.id != static_cast<std::int64_t>(i))
      fail(ptr + "/id", label(op.id, op.name), fmt::format("id {} must equal its position {} in \"ops\"", op.id, i));
    who = label(op.id, op.name);
    check_keys(j, ptr, who, {"id", "name", "kind", "phase", "layer", "head", "shape", "a", "b", "out", "params",
                             "grad_of"});
    op.name = string(member(j, ptr, who, "name"), ptr + "/name", who);
    if (op.name.empty()) fail(ptr + "/name", who, "empty op name");

    const std::string kind = string(member(j, ptr, who, "kind"), ptr + "/kind", who);
    const auto parsed = parse_op_kind(kind);
    if (!parsed) {
      std::vector<std::string_view> names;
      for (int k = 0; k < op_kind_count; ++k) names.push_back(to_string(static_cast<OpKind>(k)));
      std::string reason = fmt::format("unknown op kind \"{}\"", kind);
      if (auto m = closest_match(kind, names); !m.empty()) reason += fmt::format(" (did you mean \"{}\"?)", m);
      fail(ptr + "/kind", who, reason);
    }
    op.kind = *parsed;
    const KindInfo& info = kind_info(op.kind);

    const std::string phase = string(member(j, ptr, who, "phase"), ptr + "/phase", who);
    const auto ph = parse_phase(phase);
    if (!ph) fail(ptr + "/phase", who, fmt::format("unknown phase \"{}\" (forward, backward or update)", phase));
    op.phase = *ph;
    if (j.contains("layer"))
      op.layer = static_cast<std::int32_t>(integer(j["layer"], ptr + "/layer", who, -1, max_dimension, "2^31"));
    if (j.contains("head"))
      op.head = static_cast<std::int32_t>(integer(j["head"], ptr + "/head", who, -1, max_dimension, "2^31"));

    const std::string sp = ptr + "/shape";
    const auto& shape = object(member(j, ptr, who, "shape"), sp, who);
    if (info.gemm_like) {
      check_keys(shape, sp, who, {"batch", "m", "k", "n"});
      if (shape.contains("batch")) op.shape.batch = dimension(shape["batch"], sp + "/batch", who);
      op.shape.m = dimension(member(shape, sp, who, "m"), sp + "/m", who);
      op.shape.k = dimension(member(shape, sp, who, "k"), sp + "/k", who);
      op.shape.n = dimension(member(shape, sp, who, "n"), sp + "/n", who);
    } else {
      check_keys(shape, sp, who, {"elements"});
      op.shape.elements = count(member(shape, sp, who, "elements"), sp + "/elements", who, 1);
    }

    op.a = read_operand(member(j, ptr, who, "a"), ptr + "/a", who);
    if (info.b_mult) op.b = read_operand(member(j, ptr, who, "b"), ptr + "/b", who);
    else if (j.contains("b")) fail(ptr + "/b", who, fmt::format("a {} op has no b operand", info.name));
    const std::string outp = ptr + "/out";
    const auto& out = object(member(j, ptr, who, "out"), outp, who);
    check_keys(out, outp, who, {"bits", "acc_bits"});
    op.out_bits = bits(member(out, outp, who, "bits"), outp + "/bits", who, 1);
    if (out.contains("acc_bits")) op.acc_bits = bits(out["acc_bits"], outp + "/acc_bits", who, 0);
    if (info.gemm_like && !op.acc_bits) fail(outp, who, "missing required key \"acc_bits\" for a GEMM-like op");

    if (j.contains("params")) {
      const auto& ps = array(j["params"], ptr + "/params", who);
      for (std::size_t k = 0; k < ps.size(); ++k) {
        const std::string pp = fmt::format("{}/params/{}", ptr, k);
        const auto p = integer(ps[k], pp, who, 0, max_dimension, "2^31");
        if (static_cast<std::size_t>(p) >= n_params)
          fail(pp, who, fmt::format("dangling parameter reference {} (the file has {} parameters)", p, n_params));
        op.params.push_back(p);
      }
    }
    if (j.contains("grad_of")) op.grad_of = integer(j["grad_of"], ptr + "/grad_of", who, -1, max_dimension, "2^31");

    // Operand sizes follow from shape and bits; refuse what no machine could hold.
    for (auto [what, v] : {std::pair{"a", op.a_bytes()}, {"b", op.b_bytes()}, {"out", op.out_bytes()}})
      if (v > max_bytes) fail(ptr, who, fmt::format("absurd size: operand {} is {} bytes, above 2^50", what, v));
    if (op.flops() > max_op_flops) fail(ptr, who, fmt::format("absurd size: {} FLOPs, above 2^62", op.flops()));
    return op;
  }

  Edge read_edge(const json& j, std::size_t i, const Graph& g) const {
    const std::string ptr = fmt::format("/edges/{}", i);
    object(j, ptr, "");
    check_keys(j, ptr, "", {"src", "dst", "bytes"});
    Edge e;
    e.src = integer(member(j, ptr, "", "src"), ptr + "/src", "", 0, max_dimension, "2^31");
    e.dst = integer(member(j, ptr, "", "dst"), ptr + "/dst", "", 0, max_dimension, "2^31");
    e.bytes = count(member(j, ptr, "", "bytes"), ptr + "/bytes", "", 0);
    const auto n = static_cast<std::int64_t>(g.ops.size());
    for (auto [what, v] : {std::pair{"src", e.src}, {"dst", e.dst}})
      if (v >= n) fail(ptr + "/" + what, "", fmt::format("dangling edge: {} {} names no op (the file has {} ops)", what, v, n));
    return e;
  }
};

}  // namespace

GraphFormatError::GraphFormatError(std::string file, std::string where, std::string reason, std::string what)
    : std::runtime_error(std::move(what)), file_(std::move(file)), where_(std::move(where)), reason_(std::move(reason)) {}

void write_graph(const Graph& g, std::ostream& out) {
  g.validate();
  const GraphInfo& i = g.info;
  ojson model;
  model["name"] = i.model;
  if (!i.family.empty()) model["family"] = i.family;
  put_nonzero(model, "layers", i.layers);
  put_nonzero(model, "hidden", i.hidden);
  put_nonzero(model, "heads", i.heads);
  put_nonzero(model, "kv_heads", i.kv_heads);
  put_nonzero(model, "ffn", i.ffn);
  put_nonzero(model, "vocab", i.vocab);
  ojson work = ojson::object();
  if (!i.mode.empty()) work["mode"] = i.mode;
  if (!i.precision.empty()) work["precision"] = i.precision;
  put_nonzero(work, "batch", i.batch);
  put_nonzero(work, "seq_len", i.seq_len);
  put_nonzero(work, "decode_tokens", i.decode_tokens);
  put_nonzero(work, "lora_rank", i.lora_rank);
  if (!i.lora_targets.empty()) work["lora_targets"] = i.lora_targets;

  out << "{\n  \"format\": \"" << graph_format_name << "\",\n  \"version\": " << graph_format_version << ",\n";
  out << "  \"model\": " << model.dump() << ",\n";
  out << "  \"workload\": " << work.dump() << ",\n";
  if (!g.mapping_table.empty()) {
    ojson table;
    try {
      table = ojson::parse(g.mapping_table);
    } catch (const ojson::parse_error& e) {
      throw std::invalid_argument(fmt::format("write_graph: mapping_table is not valid JSON: {}", e.what()));
    }
    out << "  \"mapping_table\": " << table.dump() << ",\n";
  }
  std::vector<ojson> items;
  items.reserve(g.parameters.size());
  for (const auto& p : g.parameters) {
    ojson j;
    j["name"] = p.name;
    j["elements"] = p.elements;
    j["bits"] = p.bits;
    if (p.trainable) j["trainable"] = true;
    items.push_back(std::move(j));
  }
  write_array(out, "parameters", items, false);
  items.clear();
  items.reserve(g.ops.size());
  for (const auto& op : g.ops) items.push_back(op_json(op));
  write_array(out, "ops", items, false);
  items.clear();
  items.reserve(g.edges.size());
  for (const auto& e : g.edges) {
    ojson j;
    j["src"] = e.src;
    j["dst"] = e.dst;
    j["bytes"] = e.bytes;
    items.push_back(std::move(j));
  }
  write_array(out, "edges", items, true);
  out << "}\n";
}

std::string write_graph_string(const Graph& g) {
  std::ostringstream s;
  write_graph(g, s);
  return s.str();
}

void write_graph(const Graph& g, const std::filesystem::path& path) {
  std::ofstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(fmt::format("{}: error: cannot open for writing", path.string()));
  write_graph(g, f);
  f.close();
  if (!f) throw std::runtime_error(fmt::format("{}: error: write failed", path.string()));
}

Graph read_graph_string(std::string_view text, std::string_view source_name) {
  return Reader(text, std::string(source_name)).read();
}

Graph read_graph(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    const std::string reason = "cannot open the file";
    throw GraphFormatError(path.string(), "", reason, fmt::format("{}: error: {}", path.string(), reason));
  }
  std::ostringstream s;
  s << f.rdbuf();
  const std::string text = s.str();
  return Reader(text, path.string()).read();
}

}  // namespace strata::opgraph
