// gpu.roofline - a GPU as an analytical roofline device, for the Atleus paper's GPU
// baseline. It is NOT a GPU simulator: no SMs, warps, caches, occupancy or memory
// hierarchy. Each ComputeRequest is one kernel launch whose time is
//
//   t = launch_overhead + max( flops / (peak(precision) * compute_efficiency),
//                              bytes / (memory_bandwidth * memory_efficiency) )
//
// rounded up to whole picoseconds once. Kernels run one at a time (one CUDA stream), in
// arrival order or by `arbitration`; the batch the workload folds into `m` is what fills the device.
//   gemm / gemm_t: flops = 2 m k n; bytes = (m k in_bits + k n w_bits + m n out_bits) / 8
//                  (operands read from and results written to device memory once: an
//                  ideal-reuse roofline, no L2 hits across kernels, no re-reads).
//   vector:        flops = vector_flops_per_element x elements (elements = m x n when 0);
//                  bytes = elements x (in_bits + out_bits) / 8; peak = peak_fp32 (CUDA cores).
//   load_weights:  answered ok at once, no time or energy (weights already in device memory).
// Precision: operands of b = max(input_bits, weight_bits) bits run at the highest peak among
// the precisions at least b bits wide (int8 <= 8 < fp16 <= 16 < fp32 <= 32 bits): e.g. W8A8
// on a V100, which has no INT8 tensor cores, runs on its FP16 tensor cores.
// Energy: (power - idle_power) x (t - launch_overhead) dynamic per kernel ("busy" action),
// idle_power as static power over the whole run.
#pragma once

#include <strata/core_common/request_server.hpp>
#include <strata/strata.hpp>

#include <cstdint>

namespace strata::gpu {

// The serving parameters (`arbitration`; a GPU is not power-gated between kernels, so only
// arbitration is declared) come from core_common::ServingParams.
struct RooflineParams : core_common::ServingParams {
  // Defaults = preset "v100" (NVIDIA Tesla V100 SXM2; see roofline.cpp for the sources).
  double peak_fp32 = 15.7e12;  // FLOP/s
  double peak_fp16 = 125e12;   // FLOP/s (tensor cores)
  double peak_int8 = 62.8e12;  // OP/s (DP4A: 4 x FP32 rate; V100 has no INT8 tensor cores)
  Bandwidth memory_bandwidth{900e9};
  double compute_efficiency = 0.6;
  double memory_efficiency = 0.83;
  Duration launch_overhead{5'000'000};  // 5 us
  double vector_flops_per_element = 8.0;
  Power power{300.0};
  Power idle_power{40.0};

  static void declare(ParamSpec<RooflineParams>& s);
};

/// The closed form, shared by the component and its tests.
struct KernelCost {
  double flops = 0;
  double bytes = 0;
  double peak = 0;           // FLOP/s chosen for the precision
  double compute_s = 0;      // flops / (peak * compute_efficiency)
  double memory_s = 0;       // bytes / (bandwidth * memory_efficiency)
  std::uint64_t time_ps = 0; // launch + max(compute_s, memory_s), rounded up
  bool memory_bound = false;
};
KernelCost kernel_cost(const RooflineParams& p, const ComputeRequest& r);

class Roofline final : public Component {
 public:
  explicit Roofline(const ComponentContext& ctx);
  void finish() override;

 private:
  friend class core_common::RequestServer<Roofline>;
  void on_request(TxnPtr<> t);
  void on_timer(TxnPtr<> t);
  void start_request(TxnPtr<ComputeRequest> req);  // the server took `req` from the queue

  RooflineParams p_;
  Port* ctrl_;
  Port* timer_;
  core_common::RequestServer<Roofline> server_;  // queue, arbitration, answers
  TxnPtr<ComputeRequest> active_;
  KernelCost cost_;
  Time t0_ = 0;

  Counter kernels_, gemms_, vector_ops_, loads_, compute_bound_, memory_bound_, busy_, launch_time_;
  Counter flops_, bytes_;
  Accumulator service_, utilisation_;
  EnergyAction e_busy_;
};

}  // namespace strata::gpu
