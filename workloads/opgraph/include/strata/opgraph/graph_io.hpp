// The strata-opgraph file format (JSON, documented in FORMAT.md beside this library):
// how a graph produced elsewhere is handed to the replay engine, and how generated
// graphs are inspected. The reader trusts nothing: every rejection names the file, the
// JSON node (pointer, plus the op's id and name when known) and the reason.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <string_view>

#include "strata/opgraph/op_graph.hpp"

namespace strata::opgraph {

inline constexpr std::string_view graph_format_name = "strata-opgraph";
inline constexpr int graph_format_version = 1;

// what(): "<file>:<line>:<col>: error: <reason>" for JSON syntax errors, otherwise
// "<file>: error: <where>: <reason>" with where a JSON pointer such as
// "/ops/12/kind (op 12 \"L0.attn.q_proj\")".
class GraphFormatError : public std::runtime_error {
 public:
  GraphFormatError(std::string file, std::string where, std::string reason, std::string what);
  const std::string& file() const { return file_; }
  const std::string& where() const { return where_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string file_, where_, reason_;
};

// Writers validate the graph first (GraphError if it is invalid). Ops and edges are one
// per line so that files diff well.
void write_graph(const Graph& graph, std::ostream& out);
void write_graph(const Graph& graph, const std::filesystem::path& path);  // throws std::runtime_error on I/O
std::string write_graph_string(const Graph& graph);

// Readers return a graph that passes Graph::validate(); anything else throws GraphFormatError.
Graph read_graph(const std::filesystem::path& path);
Graph read_graph_string(std::string_view text, std::string_view source_name = "<string>");

}  // namespace strata::opgraph
