// Per-kind, per-phase totals of a graph: what a user checks before simulating it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "strata/opgraph/op_graph.hpp"

namespace strata::opgraph {

struct SummaryRow {
  OpKind kind;
  Phase phase;
  std::uint64_t count = 0;
  std::uint64_t flops = 0;
  std::uint64_t bytes = 0;  // operand bytes (a + b + out) summed over the ops
};

struct Summary {
  GraphInfo info;
  std::vector<SummaryRow> rows;  // ordered by phase, then kind; only non-empty rows
  std::uint64_t ops = 0, edges = 0;
  std::uint64_t parameters = 0, trainable_parameters = 0, parameter_bytes = 0;
  std::uint64_t flops = 0, bytes = 0, edge_bytes = 0;
  std::uint64_t phase_flops[3] = {0, 0, 0};  // indexed by Phase
};

Summary summarize(const Graph& graph);
std::string render_text(const Summary& summary);  // aligned table (fmt)
std::string render_json(const Summary& summary);  // one JSON object, stable key names

}  // namespace strata::opgraph
