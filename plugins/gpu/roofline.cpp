#include "roofline.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace strata::gpu {

// Preset "v100": NVIDIA Tesla V100 SXM2 (the default values of RooflineParams).
//  - peak_fp32 15.7 TFLOP/s, peak_fp16 125 TFLOP/s (tensor cores), memory 900 GB/s HBM2,
//    300 W board power: NVIDIA Tesla V100 datasheet (2017/2018, SXM2 column) and the
//    Volta architecture whitepaper (WP-08608-001).
//  - peak_int8 62.8 TOP/s: DP4A runs 4 INT8 MACs per FP32 lane per cycle (4 x 15.7); Volta
//    has no INT8 tensor-core mode (the whitepaper lists none), so W8A8 is faster on FP16.
//  - memory_efficiency 0.83: Jia et al., "Dissecting the NVIDIA Volta GPU Architecture via
//    Microbenchmarking" (arXiv:1804.06826) measure about 750 GB/s of 900 GB/s.
//  - compute_efficiency 0.6: assumed (large cuBLAS GEMMs reach roughly 70-80% of tensor
//    peak; transformer-sized GEMMs of a small batch reach less).
//  - launch_overhead 5 us: assumed, a commonly measured kernel launch + dependency latency
//    of a framework issuing one kernel after the previous one finished (no CUDA graphs).
//  - idle_power 40 W: assumed (nvidia-smi shows roughly 35-55 W for an idle V100 SXM2).
void RooflineParams::declare(ParamSpec<RooflineParams>& s) {
  using P = RooflineParams;
  s.param("peak_fp32", &P::peak_fp32, "peak FP32 FLOP/s (CUDA cores); vector ops always use it").min(1);
  s.param("peak_fp16", &P::peak_fp16, "peak FP16 FLOP/s (tensor cores where the GPU has them)").min(0);
  s.param("peak_int8", &P::peak_int8, "peak INT8 OP/s (0 = no INT8 path)").min(0);
  s.param("memory_bandwidth", &P::memory_bandwidth, "device memory bandwidth (peak)").min(1);
  s.param("compute_efficiency", &P::compute_efficiency, "achieved fraction of the peak FLOP/s").range(1e-6, 1);
  s.param("memory_efficiency", &P::memory_efficiency, "achieved fraction of the peak bandwidth").range(1e-6, 1);
  s.param("launch_overhead", &P::launch_overhead, "added to every kernel (launch + synchronisation)");
  s.param("vector_flops_per_element", &P::vector_flops_per_element,
          "FLOPs per element of a vector op (softmax, layernorm, GELU, ...)")
      .min(0);
  s.param("power", &P::power, "board power while a kernel computes").min(0);
  s.param("idle_power", &P::idle_power, "board power when idle (static power; <= power)").min(0);
  core_common::ServingParams::declare_arbitration(s);
  s.preset("v100", "NVIDIA Tesla V100 SXM2: 15.7/125/62.8 T(FL)OP/s FP32/FP16/INT8, 900 GB/s, 300 W",
           [](P& p) { p = P{}; });
}

namespace {

// Widths of the precisions, narrowest first: a b-bit operand may use any path >= b bits.
double peak_for(const RooflineParams& p, unsigned bits) {
  double best = 0;
  if (bits <= 8) best = std::max(best, p.peak_int8);
  if (bits <= 16) best = std::max(best, p.peak_fp16);
  best = std::max(best, p.peak_fp32);  // wider operands than 32 bits fall back to FP32 too
  return best;
}

}  // namespace

KernelCost kernel_cost(const RooflineParams& p, const ComputeRequest& r) {
  KernelCost c;
  if (r.kind == ComputeRequest::Kind::load_weights) return c;
  if (r.kind == ComputeRequest::Kind::gemm) {
    const double m = static_cast<double>(r.m), k = static_cast<double>(r.k), n = static_cast<double>(r.n);
    c.flops = 2.0 * m * k * n;
    c.bytes = (m * k * r.input_bits + k * n * r.weight_bits + m * n * r.output_bits) / 8.0;
    c.peak = peak_for(p, std::max<unsigned>(r.input_bits, r.weight_bits));
  } else {
    const double elements =
        r.elements > 0 ? static_cast<double>(r.elements) : static_cast<double>(r.m) * static_cast<double>(r.n);
    c.flops = p.vector_flops_per_element * elements;
    c.bytes = elements * (r.input_bits + r.output_bits) / 8.0;
    c.peak = p.peak_fp32;
  }
  c.compute_s = c.flops / (c.peak * p.compute_efficiency);
  c.memory_s = c.bytes / (p.memory_bandwidth.bytes_per_s * p.memory_efficiency);
  c.memory_bound = c.memory_s > c.compute_s;
  const double body_ps = std::ceil(std::max(c.compute_s, c.memory_s) * 1e12);
  c.time_ps = p.launch_overhead.ps + static_cast<std::uint64_t>(body_ps);
  return c;
}

Roofline::Roofline(const ComponentContext& ctx)
    : Component(ctx),
      p_(ctx.params<RooflineParams>()),
      ctrl_(&port("ctrl")),
      timer_(&event_port<&Roofline::on_timer>(this, "timer")),
      server_(*this, *ctrl_, p_, p_.idle_power),
      e_busy_(Energy{0}) {
  if (p_.idle_power.watts > p_.power.watts)
    throw ConfigError(name() + ": idle_power (" + std::to_string(p_.idle_power.watts) + " W) exceeds power (" +
                      std::to_string(p_.power.watts) + " W)");
  ctrl_->on_receive<&Roofline::on_request>(this);
  stat("requests", server_.requests);
  stat("kernels", kernels_);
  stat("gemms", gemms_);
  stat("vector_ops", vector_ops_);
  stat("loads", loads_);
  stat("compute_bound", compute_bound_);
  stat("memory_bound", memory_bound_);
  stat("busy", busy_);
  stat("launch_time", launch_time_);
  stat("flops", flops_);
  stat("bytes", bytes_);
  stat("queue_wait", server_.queue_wait);
  stat("service", service_);
  stat("utilisation", utilisation_);
  energy("busy", e_busy_);
}

void Roofline::finish() {
  utilisation_.add(now() > 0 ? static_cast<double>(busy_.value()) / static_cast<double>(now()) : 0.0);
}

void Roofline::on_request(TxnPtr<> t) { server_.on_request(std::move(t)); }

void Roofline::start_request(TxnPtr<ComputeRequest> req) {
  active_ = std::move(req);
  t0_ = now();
  cost_ = kernel_cost(p_, *active_);
  schedule(*timer_, cost_.time_ps);
}

void Roofline::on_timer(TxnPtr<>) {
  ComputeRequest& r = *active_;
  if (r.kind == ComputeRequest::Kind::load_weights) {
    ++loads_;
    r.energy_j = 0;
  } else {
    ++kernels_;
    ++(r.kind == ComputeRequest::Kind::gemm ? gemms_ : vector_ops_);
    ++(cost_.memory_bound ? memory_bound_ : compute_bound_);
    const Time body = cost_.time_ps - p_.launch_overhead.ps;
    busy_ += cost_.time_ps;
    launch_time_ += p_.launch_overhead.ps;
    flops_ += static_cast<std::uint64_t>(cost_.flops);
    bytes_ += static_cast<std::uint64_t>(cost_.bytes);
    service_.add(static_cast<double>(cost_.time_ps));
    r.energy_j = (p_.power.watts - p_.idle_power.watts) * static_cast<double>(body) * 1e-12;
    e_busy_.add_joules(r.energy_j);
  }
  r.status = Status::ok;
  TxnPtr<ComputeRequest> done = std::move(active_);
  active_ = {};
  server_.complete(std::move(done), t0_, [this](const ComputeRequest& q) {
    return "{\"m\":" + std::to_string(q.m) + ",\"k\":" + std::to_string(q.k) + ",\"n\":" + std::to_string(q.n) +
           ",\"elements\":" + std::to_string(q.elements) + ",\"age\":" + std::to_string(q.age) +
           ",\"memory_bound\":" + (cost_.memory_bound ? "true" : "false") + "}";
  });
}

}  // namespace strata::gpu

STRATA_PLUGIN("gpu", "1.0", "Analytical GPU (roofline per kernel) for GPU baselines",
              strata::core_common::declare_serving(
                  strata::component<strata::gpu::Roofline, strata::gpu::RooflineParams>("gpu.roofline")
                  .summary("GPU as a roofline: launch + max(FLOPs / (peak x eff), bytes / (bw x eff)) per kernel")
                  .description(
                      "An analytical device, not a GPU simulator: every ComputeRequest is one kernel of time "
                      "launch_overhead + max(flops / (peak x compute_efficiency), bytes / (memory_bandwidth x "
                      "memory_efficiency)), rounded up to whole ps, served one at a time (arbitration: fifo or "
                      "oldest_first). "
                      "gemm/gemm_t: 2mkn FLOPs, operands and result once through device memory; vector ops: "
                      "vector_flops_per_element x elements at peak_fp32, elements x (in + out bits) / 8 bytes; "
                      "load_weights: ok at once (weights already resident). Precision: the highest peak among "
                      "paths at least max(input_bits, weight_bits) wide (int8 <= 8, fp16 <= 16, fp32). Energy: "
                      "(power - idle_power) x compute time per kernel, idle_power as static power. No caches, "
                      "occupancy, concurrency between kernels, host transfers or power capping."))
                  .counter("kernels", "count", "gemm and vector kernels completed")
                  .counter("gemms", "count", "GEMM kernels")
                  .counter("vector_ops", "count", "vector kernels")
                  .counter("loads", "count", "load_weights answered (no cost)")
                  .counter("compute_bound", "count", "kernels limited by FLOP/s")
                  .counter("memory_bound", "count", "kernels limited by memory bandwidth")
                  .counter("busy", "ps", "kernel time including launch overhead")
                  .counter("launch_time", "ps", "launch overhead, summed")
                  .counter("flops", "FLOP", "floating-point (or integer) operations")
                  .counter("bytes", "B", "device-memory bytes moved")
                  .accumulator("queue_wait", "ps", "arrival to start per request")
                  .accumulator("service", "ps", "kernel time per kernel")
                  .accumulator("utilisation", "ratio", "one sample at the end: busy / run time")
                  .energy("busy"))
