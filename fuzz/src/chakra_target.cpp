// Fuzz target "chakra": the Chakra execution-trace reader (workloads/opgraph/chakra_io.cpp,
// FORMAT.md "Chakra execution traces").
#include "fuzz_targets.hpp"
#include "import_roundtrip.hpp"

namespace strata::fuzz {

void chakra(std::string_view bytes) {
  opgraph::Graph g;
  try {
    g = opgraph::read_chakra_bytes(bytes, "fuzz.et");
  } catch (const opgraph::GraphFormatError&) {
    return;  // the documented rejection
  }
  check_imported_graph(g);
}

}  // namespace strata::fuzz
