// Fuzz target "onnx": the ONNX model reader (workloads/opgraph/onnx_io.cpp, FORMAT.md "ONNX
// models").
#include "fuzz_targets.hpp"
#include "import_roundtrip.hpp"

namespace strata::fuzz {

void onnx(std::string_view bytes) {
  opgraph::Graph g;
  try {
    g = opgraph::read_onnx_bytes(bytes, "fuzz.onnx");
  } catch (const opgraph::GraphFormatError&) {
    return;
  }
  check_imported_graph(g);
}

}  // namespace strata::fuzz
