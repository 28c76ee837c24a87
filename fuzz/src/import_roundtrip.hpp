// What every importer promises of a graph it returns (fuzz targets chakra, pytorch, onnx):
// it passes validate(), the replay engine's analyses run, and it survives the Chakra
// writer: written and read back, it is the same graph.
#pragma once

#include "fuzz_targets.hpp"

#include "strata/opgraph/importers.hpp"

#include <fmt/format.h>

#include <sstream>

namespace strata::fuzz {

inline void check_imported_graph(const opgraph::Graph& g) {
  g.validate();
  (void)g.total_flops();
  (void)g.topological_order();
  std::ostringstream et;
  opgraph::write_chakra(g, et);
  opgraph::Graph back;
  try {
    back = opgraph::read_chakra_bytes(et.str(), "fuzz-roundtrip.et");
  } catch (const opgraph::GraphFormatError& e) {
    throw FuzzPropertyError(fmt::format("an imported graph does not read back from Chakra: {}", e.what()));
  }
  if (!(back == g)) throw FuzzPropertyError("an imported graph written as Chakra and read again differs");
}

}  // namespace strata::fuzz
