// sram.pim - digital in-SRAM compute macros (compute-in-memory) at transaction level, in the
// style of all-digital SRAM CIM macros (Chih et al., ISSCC 2021): each macro holds a
// rows x columns bit-cell array of weights; one matrix-vector product drives `rows` inputs
// bit-serially (one input bit per cycle) into adder trees, producing columns / weight_bits
// outputs after input_bits cycles. A GEMM m x k x n tiles the k x n matrix into
//   tiles = ceil(k / rows) x ceil(n / (columns / weight_bits))
// tiles, run `macros` at a time:
//   t = ceil(tiles / macros) x (write + m x input_bits) cycles,  write = rows (one row per
// cycle per macro) unless the matrix is resident (stored by load_weights and fitting at once).
// Requests are served one at a time in arrival order (all macros work on one GEMM).
// Energy: weight_bits x input_bits bit operations per MAC at bit_op_energy, and
// write_energy per weight bit written; static power over the run.
// Not modelled: partial-sum accumulation across k tiles (near-memory adders, free), input
// and output buffering (operands arrive with the request), vector ops (answered unsupported).
#pragma once

#include <strata/strata.hpp>

#include <cstdint>
#include <map>

namespace strata::sram_pim {

struct SramPimParams {
  std::uint32_t macros = 64;
  std::uint32_t rows = 256;
  std::uint32_t columns = 256;
  Frequency clock{500e6};
  Energy bit_op_energy{1.4e-15};
  Energy write_energy{5e-15};
  Power static_power{0.05};
  static void declare(ParamSpec<SramPimParams>& s);
};

/// The closed form of one GEMM request, shared by the component and its README.
struct SramGemmCost {
  std::uint64_t weights_per_row = 0;  // columns / weight_bits: outputs per macro
  std::uint64_t tiles = 0;
  std::uint64_t rounds = 0;           // ceil(tiles / macros)
  std::uint64_t write_cycles = 0;     // rounds x rows when the weights are written
  std::uint64_t compute_cycles = 0;   // rounds x m x input_bits
  Time time_ps = 0;
  std::uint64_t bit_ops = 0;          // m k n x weight_bits x input_bits
  std::uint64_t written_bits = 0;     // k n weight_bits when written
};
SramGemmCost sram_gemm_cost(const SramPimParams& p, std::uint64_t m, std::uint64_t k, std::uint64_t n,
                            unsigned weight_bits, unsigned input_bits, bool write_weights);

class SramPim final : public Component {
 public:
  explicit SramPim(const ComponentContext& ctx);
  void finish() override;

 private:
  void on_request(TxnPtr<> t);

  SramPimParams p_;
  Port* ctrl_ = nullptr;
  Time free_at_ = 0;
  std::map<std::uint64_t, std::uint64_t> resident_;  // weight id -> tiles

  Counter requests_, gemms_, loads_, unsupported_, capacity_errors_, busy_, write_time_, macs_, written_bits_;
  Accumulator queue_wait_, service_, macro_use_, utilisation_;
  EnergyAction e_compute_, e_write_;
};

}  // namespace strata::sram_pim
