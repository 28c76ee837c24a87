// pim.reram_core - a ReRAM PIM core of N ISAAC-style tiles, as an event-driven component
// over the closed-form model (model/: weight slicing and tiling onto crossbars, bit-serial
// MVM pipeline, ADC sharing, PUMA-style programming, endurance). Weights are stored with
// load_weights and used by gemm requests with static_weights = true. A matrix occupies
// whole tiles (ISAAC gives each layer its own tiles); copies fill spare tiles up to the
// requested duplication. Not modelled: analog noise, running two requests at once on
// disjoint tiles (one request at a time, FIFO), eDRAM capacity.
//
// Fit policy (param `fit`), how matrices share the core's crossbars:
//   duplicate  (default) a load takes min(m, max_duplication, what the free tiles hold)
//              copies (one when m = 0); one that does not fit the free tiles answers
//              capacity_error.
//   error      one copy per matrix whatever m asks; capacity_error when it does not fit
//              the free tiles.
//   reprogram  one copy per matrix; when the free tiles are too few, the least-recently-
//              used matrices (last load or gemm) are evicted until it fits (capacity_error
//              only for a matrix larger than the whole core). A gemm on an evicted matrix
//              reprograms it first (evicting others the same way; re-reading it from memory
//              when `mem` is linked): its service time and energy include the programming,
//              and every write is counted (cells_written, rows_written, wear, reprograms).
// Transposed products: a gemm request with op = "gemm_t" (kTransposedOp) computes
// y = W x for m vectors of length n through the stored K x N matrix (activation gradients
// through frozen weights; k and n name the stored matrix as in the forward gemm), with the
// cost model of evaluate_mvm_transposed() (model.hpp): slices reads per input step, rows
// sensed instead of columns. The SDK's ComputeRequest has no transpose flag, hence the op.
#pragma once

#include <strata/core_common/request_server.hpp>
#include <strata/pim/model.hpp>
#include <strata/strata.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::pim {

/// ComputeRequest::op of a transposed gemm (y = W x through a stored matrix).
inline constexpr std::string_view kTransposedOp = "gemm_t";

// Declared parameters: the model's TileParams itself (the only copy of each number and of
// each field; declare() binds its fields under their TOML names), plus what is this
// component's own: copy cap, DRAM base, fit policy and the serving parameters
// (arbitration, power states: core_common::ServingParams).
struct CoreParams : TileParams, core_common::ServingParams {
  // Copies of a matrix at most (0: no limit beyond the request's m and the free tiles).
  std::uint32_t max_duplication = 0;
  // With `mem` linked, load_weights reads the matrix from here on (one slot per weight_id).
  std::uint64_t dram_base = 0;
  // How matrices share the crossbars: duplicate | error | reprogram (see above).
  std::string fit = "duplicate";

  static void declare(ParamSpec<CoreParams>& s);
};

class ReramCore final : public Component {
 public:
  explicit ReramCore(const ComponentContext& ctx);
  void init() override;
  void finish() override;

 private:
  struct Stored {
    WeightMapping mapping;
    std::vector<std::uint32_t> tiles;  // physical tiles it occupies (empty when evicted)
    std::uint64_t address = 0;         // where it lives in DRAM (when `mem` is linked)
    bool resident = true;              // false: evicted (fit = reprogram), shape remembered
    std::uint64_t last_use = 0;        // LRU order: sequence number of the last load or gemm
  };
  enum class Phase : std::uint8_t { none, program, compute };
  struct Active {
    TxnPtr<ComputeRequest> req;
    Time t0 = 0;
    Status status = Status::ok;
    Phase phase = Phase::none;
    bool transposed = false;            // op = "gemm_t"
    bool reprogram = false;             // a gemm reprogramming its evicted matrix first
    bool programmed = false;            // ... and that programming is done (writes booked)
    double program_j = 0;               // its write energy, reported with the gemm
    std::optional<MvmResult> mvm;
    std::optional<WeightMapping> load;  // a matrix being programmed (load_weights or reprogram)
    ProgramResult program;
  };

  friend class core_common::RequestServer<ReramCore>;
  void on_request(TxnPtr<> t);
  void on_mem(TxnPtr<> t);
  void on_timer(TxnPtr<> t);
  void start_request(TxnPtr<ComputeRequest> req);  // the server took `req` from the queue
  void start_load();
  void program();           // after the weight bytes arrived (or at once without `mem`)
  void start_gemm();
  void run_mvm();
  void fail(Status s);
  void finish_request();
  std::uint32_t free_tiles() const;
  void book_capacity();
  /// fit = reprogram: evict least-recently-used resident matrices other than `keep` until
  /// the free tiles plus those `keep` holds number at least `need`.
  void evict_for(std::uint64_t need, std::uint64_t keep);
  std::uint64_t tiles_held(std::uint64_t weight_id) const;
  std::vector<std::uint32_t> allocate(std::uint64_t weight_id, std::uint64_t count);
  void record_wear(const std::vector<std::uint32_t>& tiles, std::uint64_t writes_per_cell);

  CoreParams p_;
  const TileParams& m_ = p_;  // the model's view of the same parameters
  Port* ctrl_;
  Port* mem_ = nullptr;
  Port* timer_;
  core_common::RequestServer<ReramCore> server_;  // queue, arbitration, power states, answers
  std::uint32_t endpoint_ = 0;
  std::optional<Active> active_;
  std::vector<std::int64_t> owner_;     // per tile: weight_id, or -1 when free
  std::vector<EnduranceCounter> wear_;  // per tile (a mapped matrix rewrites its cells together)
  std::map<std::uint64_t, Stored> weights_;
  std::uint64_t next_address_;
  std::uint64_t max_writes_ = 0;
  std::uint64_t peak_tiles_ = 0;
  std::uint64_t use_seq_ = 0;
  double xbar_busy_ = 0;  // sum over gemms of active crossbars x MVM time (ps)

  Counter gemms_, loads_, unsupported_, capacity_errors_, refused_, mem_errors_;
  Counter busy_, crossbar_reads_, adc_conversions_, dac_activations_, shift_adds_, dequant_ops_;
  Counter edram_read_, edram_written_, weights_programmed_, cells_written_, rows_written_;
  Counter max_writes_per_cell_, worn_tiles_, capacity_used_peak_, dram_read_;
  Counter transposed_gemms_, evictions_, reprograms_, reprogram_cells_, reprogram_time_, copies_, duplicated_loads_;
  Accumulator service_, crossbar_utilisation_, cell_utilisation_, capacity_used_, duplication_;
  Accumulator utilisation_;
  EnergyAction e_xbar_, e_adc_, e_dac_, e_shift_add_, e_edram_, e_dequant_, e_cell_write_;
};

}  // namespace strata::pim
