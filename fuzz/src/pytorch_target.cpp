// Fuzz target "pytorch": the PyTorch execution-trace reader (workloads/opgraph/pytorch_et.cpp,
// FORMAT.md "PyTorch execution traces").
#include "fuzz_targets.hpp"
#include "import_roundtrip.hpp"

namespace strata::fuzz {

void pytorch(std::string_view text) {
  opgraph::Graph g;
  try {
    g = opgraph::read_pytorch_et_string(text, "fuzz.json");
  } catch (const opgraph::GraphFormatError&) {
    return;
  }
  check_imported_graph(g);
}

}  // namespace strata::fuzz
