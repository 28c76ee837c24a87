// Vector unit beside the array: `vector_lanes` lane operations per cycle, throughput bound.
// Costs per element are counted from each function's arithmetic (below); exp, tanh and
// rsqrt count as one lane op each (a LUT / special-function unit, as in most NPUs). Not
// modelled: reduction-tree latency and the passes' data dependencies (hidden across rows).
#include "strata/systolic/model.hpp"

#include "strata/models_common/units.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>

namespace strata::systolic {

std::string_view to_string(VectorOpKind kind) noexcept {
  switch (kind) {
    case VectorOpKind::softmax: return "softmax";
    case VectorOpKind::layernorm: return "layernorm";
    case VectorOpKind::gelu: return "gelu";
    case VectorOpKind::residual_add: return "residual_add";
    case VectorOpKind::lora_scale: return "lora_scale";
  }
  return "?";
}

VectorOpCost vector_op_cost(VectorOpKind kind) noexcept {
  switch (kind) {
    // Per element: max-compare, subtract max, exp, add to sum, multiply by 1/sum.
    // Per row: one reciprocal of the sum.
    case VectorOpKind::softmax: return {5, 1, 1};
    // Per element: add to mean sum, subtract mean, square, add to variance sum,
    // multiply by 1/sigma, multiply by gamma, add beta. Per row: mean divide, variance
    // divide, rsqrt.
    case VectorOpKind::layernorm: return {7, 3, 1};
    // tanh form (Hendrycks & Gimpel 2016), 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))):
    // x^2, x^3, *0.044715, +x, *sqrt(2/pi), tanh, +1, *x, *0.5.
    case VectorOpKind::gelu: return {9, 0, 1};
    // y = a + b.
    case VectorOpKind::residual_add: return {1, 0, 2};
    // LoRA (Hu et al., 2021) merge of the adapter path: y += (alpha / r) * z, a multiply
    // and an add, reading y and z.
    case VectorOpKind::lora_scale: return {2, 0, 2};
  }
  return {};
}

VectorResult evaluate_vector(const SystolicParams& p, const VectorOp& op) {
  if (const auto errors = validate(p); !errors.empty()) {
    throw std::invalid_argument(fmt::format("systolic params: {}", fmt::join(errors, "; ")));
  }
  VectorResult r;
  const VectorOpCost cost = vector_op_cost(op.kind);
  const std::uint64_t elements = op.rows * op.length;
  if (elements == 0) return r;
  r.lane_ops = cost.ops_per_element * elements + cost.ops_per_row * op.rows;
  r.cycles = models::ceil_div(r.lane_ops, p.vector_lanes);
  r.time_ps = models::cycles_to_ps(r.cycles, p.frequency.hz);
  const std::uint64_t tensor_bytes = models::packed_bytes(elements, op.element_bits);
  r.sram_bytes_read = cost.inputs * tensor_bytes;
  r.sram_bytes_written = tensor_bytes;
  r.energy.vector = static_cast<double>(r.lane_ops) * p.vector_op_energy.joules;
  r.energy.sram = static_cast<double>(r.sram_bytes_read) * p.sram_read_energy_per_byte.joules +
                  static_cast<double>(r.sram_bytes_written) * p.sram_write_energy_per_byte.joules;
  r.energy.static_energy = static_power(p) * models::ps_to_seconds(r.time_ps);
  return r;
}

}  // namespace strata::systolic
