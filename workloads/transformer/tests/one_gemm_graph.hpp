// one_gemm_graph.hpp - the smallest op graph with a stored weight, as strata-opgraph JSON
// text: shared by the replication tests here (fake cores) and in tests/e2e (the real
// ReRAM core). Header-only, fmt alone: no opgraph library needed to write it.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>

namespace tf_test {

/// One forward GEMM of m rows through a frozen stored K x N weight ("L0.ffn.ff1.weight");
/// 8-bit inputs, weights and outputs, 32-bit accumulation.
inline std::string one_gemm_graph(std::uint64_t m, std::uint64_t k, std::uint64_t n) {
  return fmt::format(R"({{
  "format": "strata-opgraph", "version": 1, "model": {{"name": "one-gemm"}},
  "parameters": [{{"name": "L0.ffn.ff1.weight", "elements": {kn}, "bits": 8}}],
  "ops": [{{"id": 0, "name": "L0.ffn.ff1", "kind": "gemm", "phase": "forward", "layer": 0,
            "shape": {{"batch": 1, "m": {m}, "k": {k}, "n": {n}}}, "a": {{"bits": 8}}, "b": {{"bits": 8, "static": true}},
            "out": {{"bits": 8, "acc_bits": 32}}, "params": [0]}}],
  "edges": []
}})",
                     fmt::arg("m", m), fmt::arg("k", k), fmt::arg("n", n), fmt::arg("kn", k * n));
}

}  // namespace tf_test
