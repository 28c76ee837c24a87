#include "strata/systolic/model.hpp"

#include <catch2/catch.hpp>

#include <cstdint>

using namespace strata::systolic;
using u64 = std::uint64_t;

TEST_CASE("vector: per-element and per-row costs are the documented arithmetic counts",
          "[systolic][vector]") {
  CHECK(vector_op_cost(VectorOpKind::softmax).ops_per_element == 5);
  CHECK(vector_op_cost(VectorOpKind::softmax).ops_per_row == 1);
  CHECK(vector_op_cost(VectorOpKind::layernorm).ops_per_element == 7);
  CHECK(vector_op_cost(VectorOpKind::layernorm).ops_per_row == 3);
  CHECK(vector_op_cost(VectorOpKind::gelu).ops_per_element == 9);
  CHECK(vector_op_cost(VectorOpKind::residual_add).inputs == 2);
  CHECK(vector_op_cost(VectorOpKind::lora_scale).ops_per_element == 2);
}

TEST_CASE("vector: cycles = ceil((e*rows*len + r*rows) / lanes) for every op kind",
          "[systolic][vector]") {
  const auto kind = GENERATE(VectorOpKind::softmax, VectorOpKind::layernorm, VectorOpKind::gelu,
                             VectorOpKind::residual_add, VectorOpKind::lora_scale);
  CAPTURE(to_string(kind));
  const auto p = atleus_sa();
  const VectorOp op{kind, 12, 197, 16};  // 197: not a multiple of the 32 lanes
  const auto cost = vector_op_cost(kind);
  const u64 ops = cost.ops_per_element * op.rows * op.length + cost.ops_per_row * op.rows;
  const auto r = evaluate_vector(p, op);
  CHECK(r.lane_ops == ops);
  CHECK(r.cycles == (ops + p.vector_lanes - 1) / p.vector_lanes);
  CHECK(r.time_ps == r.cycles * 1250);  // 800 MHz
  const u64 tensor = op.rows * op.length * 2;  // 16-bit elements
  CHECK(r.sram_bytes_read == cost.inputs * tensor);
  CHECK(r.sram_bytes_written == tensor);
}

TEST_CASE("vector: energy = lane ops x E_op + SRAM bytes x E_byte + static power x time",
          "[systolic][vector][energy]") {
  const auto p = atleus_sa();
  const auto r = evaluate_vector(p, VectorOp{VectorOpKind::layernorm, 128, 768, 16});
  CHECK(r.energy.vector == Approx(double(r.lane_ops) * p.vector_op_energy.joules));
  CHECK(r.energy.sram == Approx(double(r.sram_bytes_read) * p.sram_read_energy_per_byte.joules +
                                double(r.sram_bytes_written) * p.sram_write_energy_per_byte.joules));
  CHECK(r.energy.static_energy == Approx(static_power(p) * double(r.time_ps) * 1e-12));
  CHECK(r.energy.mac == 0.0);
}

TEST_CASE("vector: more lanes, proportionally fewer cycles", "[systolic][vector]") {
  auto p = atleus_sa();
  const VectorOp op{VectorOpKind::gelu, 64, 3072, 16};
  const auto narrow = evaluate_vector(p, op);
  p.vector_lanes *= 4;
  const auto wide = evaluate_vector(p, op);
  CHECK(wide.cycles * 4 == narrow.cycles);  // 9 * 64 * 3072 divides by 128
}

TEST_CASE("vector: an empty op costs nothing", "[systolic][vector]") {
  const auto r = evaluate_vector(atleus_sa(), VectorOp{VectorOpKind::softmax, 0, 128, 16});
  CHECK(r.cycles == 0);
  CHECK(r.energy.total() == 0.0);
}
