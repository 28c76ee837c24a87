// Fuzz target "opgraph": the strata-opgraph JSON reader (workloads/opgraph/FORMAT.md).
#include "fuzz_targets.hpp"

#include "strata/opgraph/graph_io.hpp"

#include <fmt/format.h>

namespace strata::fuzz {

void opgraph(std::string_view text) {
  opgraph::Graph g;
  try {
    g = opgraph::read_graph_string(text, "fuzz.json");
  } catch (const opgraph::GraphFormatError&) {
    return;  // the documented rejection
  }
  // The reader promises a graph that passes validate(); then it must survive a write/read
  // round trip unchanged, and the analyses the replay engine runs must not fail.
  g.validate();
  (void)g.total_flops();
  (void)g.parameter_count();
  (void)g.topological_order();
  std::string written = opgraph::write_graph_string(g);
  opgraph::Graph back;
  try {
    back = opgraph::read_graph_string(written, "fuzz-roundtrip.json");
  } catch (const opgraph::GraphFormatError& e) {
    throw FuzzPropertyError(fmt::format("a graph that was read does not read back after writing: {}", e.what()));
  }
  if (!(back == g)) throw FuzzPropertyError("a graph read, written and read again differs from the first read");
}

}  // namespace strata::fuzz
