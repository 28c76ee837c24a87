// systolic.array - one systolic-array core (R x C PEs, OS/WS/IS) with its vector unit, as
// an event-driven component over the closed-form model (model/: SCALE-Sim v2 folds, SRAM
// reuse, Horowitz energies). A request's service time comes from the model; with `mem`
// linked the DRAM bytes of every fold travel to a real memory as MemRequests and the fold
// pipeline stalls on their completion (contention included). Not modelled: PE-level
// traces, SRAM banks, overlap of two requests (one request at a time, FIFO).
#pragma once

#include <strata/core_common/request_server.hpp>
#include <strata/memory/mem_batch.hpp>
#include <strata/strata.hpp>
#include <strata/systolic/model.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace strata::systolic {

// Declared parameters: the model's SystolicParams itself (the only copy of each number and
// of each field; declare() binds its fields under their TOML names), plus what is this
// component's own: `dram_base` and the serving parameters (arbitration, power states:
// core_common::ServingParams).
struct ArrayParams : SystolicParams, core_common::ServingParams {
  std::uint64_t dram_base = 0;  // first address of this core's operand region in memory
  // How a GEMM's DRAM traffic goes to a linked `mem` (README.md, "Memory fidelity"):
  // "fold": every fold's loads and stores as MemRequests, the next fold waiting for them
  // (SCALE-Sim's double buffering, one round trip per fold); "gemm": the first fold's loads,
  // then the rest of the GEMM's traffic as one request per operand stream overlapped with all
  // the folds' compute, then the last fold's stores (bytes identical; the access latency
  // paid once instead of once per fold, compute slack pooled over the folds).
  std::string memory_fidelity = "fold";

  static void declare(ParamSpec<ArrayParams>& s);
};

class Array final : public Component {
 public:
  explicit Array(const ComponentContext& ctx);
  void init() override;
  void finish() override;

 private:
  // The request in service. Counts are booked when it completes.
  struct Active {
    TxnPtr<ComputeRequest> req;
    Time t0 = 0;           // service start
    Time done_at = 0;      // completion time once known
    Status status = Status::ok;
    // what to book at completion
    std::uint64_t macs = 0, lane_ops = 0;
    std::uint64_t sram_read = 0, sram_written = 0, dram_read = 0, dram_written = 0;
    SystolicCycles cycles;
    // event-driven GEMM (mem linked)
    std::optional<GemmPlan> plan;
    std::uint64_t folds = 0, fold = 0;
    FoldTraffic cur, next;
    FoldTraffic total;               // the whole GEMM's DRAM loads and stores (gemm fidelity)
    std::uint64_t prev_store = 0;
    std::uint64_t cyc = 0;           // cycles since t0
    std::uint64_t fold_end = 0;      // cycle at which the running fold's compute ends
    enum class Phase : std::uint8_t { fill, folds, writeback } phase = Phase::fill;
    std::uint32_t outstanding = 0;   // MemRequests in flight
    std::uint64_t region[3] = {0, 0, 0};  // ifmap, filter, ofmap: base address
    std::uint64_t size[3] = {1, 1, 1};    // region sizes (cursors wrap)
    std::uint64_t cursor[4] = {0, 0, 0, 0};  // ifmap, filter, ofmap reads, ofmap writes
  };
  enum Timer : std::uint64_t { kDone = 1 };

  friend class core_common::RequestServer<Array>;
  void on_request(TxnPtr<> t);
  void on_mem(TxnPtr<> t);
  void on_timer(TxnPtr<> t);
  void start_request(TxnPtr<ComputeRequest> req);  // the server took `req` from the queue
  void start_gemm();
  void start_vector();
  void complete_at(Time t);
  void finish_request();
  // event-driven GEMM
  void run_folds();
  bool stream_folds();
  void advance();
  std::uint32_t issue_loads(const FoldTraffic& t, std::uint64_t at_cycle);
  std::uint32_t issue(MemRequest::Op op, int stream, std::uint64_t bytes, std::uint64_t at_cycle);
  void send_issued(std::uint64_t at_cycle);  // the requests issue() queued, as one event if it may
  Time at(std::uint64_t cycles) const;            // t0 + cycles at the clock
  std::uint64_t cycles_until(Time t) const;       // smallest c with at(c) >= t

  ArrayParams p_;
  const SystolicParams& m_ = p_;  // the model's view of the same parameters
  Port* ctrl_;
  Port* mem_ = nullptr;
  Port* timer_;
  core_common::RequestServer<Array> server_;  // queue, arbitration, power states, answers
  std::uint32_t endpoint_ = 0;
  bool gemm_memory_ = false;  // memory_fidelity = "gemm"
  Time period_ps_ = 0;        // clock period when a whole number of ps, else 0
  std::uint64_t max_exact_cycles_ = 0;  // at(c) uses c x period_ps_ up to here (0 with no period: c = 0 only)
  bool batch_requests_ = false;  // `mem` has no bandwidth: one instant's requests go as a MemBatch
  memory::MemBatch issued_;      // what issue() queued for the instant being scheduled
  std::optional<Active> active_;

  Counter gemms_, vector_ops_, unsupported_, macs_, lane_ops_, busy_;
  Counter compute_cycles_, fill_drain_cycles_, stall_sram_, stall_dram_fill_, stall_dram_bandwidth_,
      stall_dram_writeback_;
  Counter sram_read_, sram_written_, dram_read_, dram_written_, mem_requests_, mem_errors_;
  Accumulator service_, request_utilisation_, utilisation_;
  EnergyAction e_mac_, e_sram_read_, e_sram_write_, e_dram_, e_vector_;
};

}  // namespace strata::systolic
