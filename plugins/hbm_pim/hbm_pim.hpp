// memory.hbm_pim - an HBM stack with bank-level compute (Samsung HBM-PIM / FIMDRAM, SK hynix
// Newton style) at transaction level. Two kinds of work share the stack:
//  * ordinary accesses on `port[]` (MemRequest): exactly memory.hbm's model and numbers
//    (address-interleaved channels, FIFO per channel, latency + bytes / channel bandwidth,
//    energy per bit), from the same DRAM model (plugins/memory/model, preset hbm2_atleus);
//  * compute on `ctrl` (ComputeRequest): GEMV-by-GEMV in all-bank mode. Every compute unit
//    (one per `banks_per_unit` banks) holds a slice of the weight matrix's output columns in
//    its banks' rows and multiplies `lanes` weights per column command by the broadcast input
//    vector. Per input vector (closed form, README.md):
//      t_vec = t_in + rows x (tRCD + tRP) + column_commands x tCCD + t_out
//    and a request of m vectors takes mode_switch + m x t_vec. Bank-level parallelism is the
//    limit: a matrix with fewer output columns than units leaves units idle.
// A compute request owns every bank: it starts when all channels are free and holds them
// all until it ends; ordinary accesses queue behind it (and it behind them).
// Not modelled: refresh, bank conflicts inside ordinary traffic, overlapping a bank pair's
// activation with its partner's column reads, partial-sum reduction across units (each
// unit owns whole output columns, so none is needed), non-GEMM PIM ops (answered unsupported).
#pragma once

#include <strata/memory/dram_component.hpp>
#include <strata/memory/model.hpp>
#include <strata/strata.hpp>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace strata::hbm_pim {

// Ordinary DRAM: the DRAM model's DramParams itself (defaults its hbm2_atleus(); declare()
// binds its fields), so the stack's accesses cost what Atleus's HBM2 costs; `burst` is also
// the column access of a PIM command (256 bits).
struct HbmPimParams : memory::DramParams {
  Bytes capacity{8ull << 30};  // an 8-high HBM2 stack (assumed, as memory.hbm)
  Bytes interleave{256};       // as memory.hbm

  // Bank-level compute. Sources in hbm_pim.cpp beside declare().
  std::uint32_t banks_per_channel = 32;
  std::uint32_t banks_per_unit = 2;
  std::uint32_t lanes = 16;
  std::uint32_t mac_bits = 16;
  Bytes row_size{1024};
  Duration t_ccd{4000};
  Duration t_rcd{14000};
  Duration t_rp{14000};
  Duration mode_switch{30000};
  Energy mac_energy{1.5e-12};
  Energy bank_read_energy{3.9e-12};  // per bit a PIM command reads in the banks

  std::uint64_t units() const { return std::uint64_t{channels} * banks_per_channel / banks_per_unit; }
  static void declare(ParamSpec<HbmPimParams>& s);
};

/// The closed form of one GEMM request (m input vectors through a k x n matrix) in
/// all-bank mode, shared by the component and its README.
struct PimGemmCost {
  std::uint64_t active_units = 0;     // min(n, units)
  std::uint64_t columns_per_unit = 0; // ceil(n / units)
  std::uint64_t column_commands = 0;  // per vector: columns_per_unit x ceil(k / lanes)
  std::uint64_t rows = 0;             // per vector and unit: ceil(columns_per_unit x k x mac_bits / 8 / row_size)
  Time input_ps = 0;                  // per vector: ceil(k x mac_bits / 8 / burst) x tCCD
  Time output_ps = 0;                 // per vector: ceil(ceil(n x mac_bits / 8 / burst) / channels) x tCCD
  Time vector_ps = 0;
  Time time_ps = 0;                   // mode_switch + m x vector_ps
  std::uint64_t macs = 0;             // issued: m x active_units x column_commands x lanes
  std::uint64_t bank_bits = 0;        // read in the banks: m x active_units x column_commands x burst x 8
  std::uint64_t io_bits = 0;          // m x (k + n) x mac_bits: inputs in, results out
};
PimGemmCost pim_gemm_cost(const HbmPimParams& p, std::uint64_t m, std::uint64_t k, std::uint64_t n);

class HbmPim final : public Component {
 public:
  explicit HbmPim(const ComponentContext& ctx);
  void finish() override;

 private:
  void on_request(Port& port, TxnPtr<> t);
  void on_compute(TxnPtr<> t);
  // Occupies every channel from max(now, all free, previous compute) for `duration`.
  Time occupy_all(Time duration, Time& start);

  HbmPimParams p_;
  const memory::DramParams& m_ = p_;  // the model's view of the same parameters
  memory::DramChannels channels_;  // ordinary accesses, and all-bank operations holding every channel
  memory::DramAccesses accesses_;  // ordinary accesses: service, statistics and energy as memory.hbm
  Port* ctrl_ = nullptr;
  std::unordered_map<std::uint64_t, std::uint64_t> stored_;  // weight id -> bytes held
  std::uint64_t stored_bytes_ = 0;

  Counter pim_requests_, pim_gemms_, pim_loads_, pim_busy_, macs_, column_commands_, activations_, unsupported_,
      capacity_errors_;
  Accumulator pim_queue_delay_, pim_service_, active_units_, utilisation_;
  EnergyAction e_pim_read_, e_pim_io_, e_mac_, e_load_;
};

}  // namespace strata::hbm_pim
