// Mapping policy haima (the HAIMA baseline), checked without a simulator.
#include "mapping.hpp"

#include "test_util.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace strata::transformer;
using namespace tf_test;

namespace {

// cores[]: the HBM-PIM stack, the host, the SRAM-PIM chiplet (as topologies/haima.toml).
std::vector<CoreInfo> haima_chip() {
  return {{"hbm", "memory.hbm_pim", CoreClass::pim, {}},
          {"host", "systolic.array", CoreClass::sa, {}},
          {"sram", "sram.pim", CoreClass::sa, {}}};
}
constexpr std::uint32_t kHbm = 0, kHost = 1, kSram = 2;

og::Graph bert(og::Mode mode) { return library_graph("bert-base", mode, 64); }

bool uses_v_weight(const og::Graph& g, const og::Op& op) {
  return !op.params.empty() &&
         g.parameters[static_cast<std::size_t>(op.params.front())].name.find(".attn.v_proj.weight") != std::string::npos;
}

}  // namespace

TEST_CASE("mapping haima: K, Q, O, FF weights and Q.K^T on HBM-PIM; W_V and P.V on SRAM-PIM; the rest on the host",
          "[transformer][mapping][haima]") {
  const auto g = bert(og::Mode::lora_finetune);
  MappingOptions opt;
  opt.policy = Policy::haima;  // pim_tiles left at the ReRAM default: ignored by haima
  const Mapping m = map_graph(g, haima_chip(), opt);
  std::uint64_t on[3] = {0, 0, 0}, v_proj = 0, scores = 0;
  for (const auto& op : g.ops) {
    const auto& pl = m.ops[static_cast<std::size_t>(op.id)];
    REQUIRE(pl.shards.size() == 1);
    const std::uint32_t core = pl.shards.front().core;
    ++on[core];
    INFO(op.name);
    const bool frozen_weight =
        is_frozen_static_gemm(g, op) ||
        (op.kind == og::OpKind::grad_gemm_dx && op.b.is_static &&
         !g.parameters[static_cast<std::size_t>(op.params.front())].trainable);
    if (frozen_weight && uses_v_weight(g, op)) {
      CHECK(core == kSram);
      CHECK_FALSE(pl.stored);  // streamed into the SRAM macros
      v_proj += op.kind == og::OpKind::gemm;
    } else if (frozen_weight) {
      CHECK(core == kHbm);
      CHECK(pl.stored);  // resident in the HBM banks, written once in the setup phase
    } else if (op.kind == og::OpKind::attention_score) {
      CHECK(core == kHbm);
      CHECK(pl.dynamic_write);  // K written into the banks before Q.K^T
      ++scores;
    } else if (op.kind == og::OpKind::attention_value) {
      CHECK(core == kSram);
    } else {
      CHECK(core == kHost);
    }
    if (op.kind == og::OpKind::softmax || op.kind == og::OpKind::lora_down || op.kind == og::OpKind::layernorm)
      CHECK(core == kHost);
  }
  CHECK(v_proj == 12);           // the forward W_V projection of 12 layers
  CHECK(scores == 12 * 12);      // one Q.K^T per head and layer
  CHECK(on[kHost] > 0);
  CHECK(m.pim_cores_used == 1);
  CHECK(m.sa_cores_used == 2);
  // Every stored weight is on the stack, whatever pim_tiles says.
  for (const auto& ld : m.loads) CHECK(ld.core == kHbm);
  CHECK(m.overflow_bytes == 0);
}

TEST_CASE("mapping haima: a chip without a host, an SRAM-PIM or an HBM-PIM core is an error naming what is missing",
          "[transformer][mapping][haima]") {
  const auto g = bert(og::Mode::inference);
  MappingOptions opt;
  opt.policy = Policy::haima;
  auto cores = haima_chip();
  cores.pop_back();  // no SRAM-PIM
  CHECK_THROWS_WITH(map_graph(g, cores, opt), Catch::Contains("SRAM-PIM") && Catch::Contains("sram_types"));
}
