// Graph summary: totals per op kind and phase, rendered as a text table or JSON.
#include "strata/opgraph/summary.hpp"

#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace strata::opgraph {

Summary summarize(const Graph& g) {
  Summary s;
  s.info = g.info;
  std::map<std::pair<int, int>, SummaryRow> rows;
  for (const auto& op : g.ops) {
    auto& r = rows[{static_cast<int>(op.phase), static_cast<int>(op.kind)}];
    r.kind = op.kind;
    r.phase = op.phase;
    ++r.count;
    r.flops += op.flops();
    r.bytes += op.bytes();
    s.flops += op.flops();
    s.bytes += op.bytes();
    s.phase_flops[static_cast<int>(op.phase)] += op.flops();
  }
  for (auto& [key, row] : rows) s.rows.push_back(row);
  s.ops = g.ops.size();
  s.edges = g.edges.size();
  for (const auto& e : g.edges) s.edge_bytes += e.bytes;
  s.parameters = g.parameter_count();
  s.trainable_parameters = g.trainable_parameter_count();
  for (const auto& p : g.parameters) s.parameter_bytes += p.bytes();
  return s;
}

namespace {
// 1234567 -> "1.23 M"; exact values are in the JSON rendering.
std::string si(std::uint64_t v) {
  static constexpr const char* units[] = {"", " k", " M", " G", " T", " P", " E"};
  double x = static_cast<double>(v);
  int u = 0;
  while (x >= 1000.0 && u < 6) {
    x /= 1000.0;
    ++u;
  }
  return u == 0 ? fmt::format("{}", v) : fmt::format("{:.2f}{}", x, units[u]);
}
}  // namespace

std::string render_text(const Summary& s) {
  std::string out;
  const auto& i = s.info;
  out += fmt::format("model {} ({}), mode {}, batch {}, seq_len {}", i.model.empty() ? "?" : i.model,
                     i.family.empty() ? "?" : i.family, i.mode.empty() ? "?" : i.mode, i.batch, i.seq_len);
  if (i.decode_tokens) out += fmt::format(", decode_tokens {}", i.decode_tokens);
  if (!i.precision.empty()) out += fmt::format(", {}", i.precision);
  if (i.lora_rank) out += fmt::format(", LoRA rank {}", i.lora_rank);
  out += "\n";
  out += fmt::format("parameters {} ({}), trainable {} ({}), {}B stored\n", s.parameters, si(s.parameters),
                     s.trainable_parameters, si(s.trainable_parameters), si(s.parameter_bytes));
  out += fmt::format("{:<9} {:<21} {:>8} {:>12} {:>12}\n", "phase", "kind", "count", "FLOPs", "bytes");
  for (const auto& r : s.rows)
    out += fmt::format("{:<9} {:<21} {:>8} {:>12} {:>12}\n", to_string(r.phase), to_string(r.kind), r.count,
                       si(r.flops), si(r.bytes));
  for (int p = 0; p < 3; ++p)
    if (s.phase_flops[p])
      out += fmt::format("{:<9} {:<21} {:>8} {:>12}\n", to_string(static_cast<Phase>(p)), "(total)", "",
                         si(s.phase_flops[p]));
  out += fmt::format("{:<9} {:<21} {:>8} {:>12} {:>12}\n", "all", "(total)", s.ops, si(s.flops), si(s.bytes));
  out += fmt::format("edges {}, {}B across them\n", s.edges, si(s.edge_bytes));
  return out;
}

std::string render_json(const Summary& s) {
  nlohmann::ordered_json j;
  j["model"] = s.info.model;
  j["family"] = s.info.family;
  j["mode"] = s.info.mode;
  j["batch"] = s.info.batch;
  j["seq_len"] = s.info.seq_len;
  j["decode_tokens"] = s.info.decode_tokens;
  j["precision"] = s.info.precision;
  j["ops"] = s.ops;
  j["edges"] = s.edges;
  j["parameters"] = s.parameters;
  j["trainable_parameters"] = s.trainable_parameters;
  j["parameter_bytes"] = s.parameter_bytes;
  j["flops"] = s.flops;
  j["bytes"] = s.bytes;
  j["edge_bytes"] = s.edge_bytes;
  nlohmann::ordered_json phases = nlohmann::ordered_json::object();
  for (int p = 0; p < 3; ++p) phases[std::string(to_string(static_cast<Phase>(p)))] = s.phase_flops[p];
  j["flops_by_phase"] = std::move(phases);
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& r : s.rows)
    rows.push_back({{"phase", to_string(r.phase)}, {"kind", to_string(r.kind)}, {"count", r.count},
                    {"flops", r.flops}, {"bytes", r.bytes}});
  j["rows"] = std::move(rows);
  return j.dump(2);
}

}  // namespace strata::opgraph
