// pim.reram_core - a ReRAM PIM core of N ISAAC-style tiles, as an event-driven component
// over the closed-form model (model/: weight slicing and tiling onto crossbars, bit-serial
// MVM pipeline, ADC sharing, PUMA-style programming, endurance). Weights are stored with
// load_weights and used by gemm requests with static_weights = true. A matrix occupies
// whole tiles (ISAAC gives each layer its own tiles); copies fill spare tiles up to the
// requested duplication. Not modelled: analog noise, running two requests at once on
// disjoint tiles (one request at a time, FIFO), eDRAM capacity.
#pragma once

#include <strata/pim/model.hpp>
#include <strata/strata.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

namespace strata::pim {

// Declared parameters. Defaults are the model's atleus_reram() (assign() below), so the
// model stays the only copy of each number; the last three are this component's own.
struct CoreParams {
  std::uint32_t tiles = 0;
  std::uint32_t crossbars = 0;
  std::uint32_t xbar_rows = 0, xbar_cols = 0;
  std::uint32_t bits_per_cell = 0, dac_bits = 0, adc_bits = 0, adcs = 0;
  Frequency adc_sample_rate;
  Duration xbar_read_latency;
  Frequency logic_clock;
  std::uint32_t digital_tail_cycles = 0;
  Bytes edram;
  Bandwidth edram_bandwidth;
  Power tile_power;
  Energy xbar_read_energy, adc_energy, dac_energy, shift_add_energy, edram_energy, dequant_energy;
  Duration row_write_latency;
  Energy cell_write_energy;
  std::uint32_t write_parallel_crossbars = 0;
  std::uint64_t cell_endurance = 0;
  // Copies of a matrix at most (0: no limit beyond the request's m and the free tiles).
  std::uint32_t max_duplication = 0;
  // With `mem` linked, load_weights reads the matrix from here on (one slot per weight_id).
  std::uint64_t dram_base = 0;

  CoreParams() { assign(atleus_reram()); }
  void assign(const TileParams& m);
  TileParams model() const;
  static void declare(ParamSpec<CoreParams>& s);
};

class ReramCore final : public Component {
 public:
  explicit ReramCore(const ComponentContext& ctx);
  void init() override;

 private:
  struct Stored {
    WeightMapping mapping;
    std::vector<std::uint32_t> tiles;  // physical tiles it occupies
    std::uint64_t address = 0;         // where it lives in DRAM (when `mem` is linked)
  };
  struct Active {
    TxnPtr<ComputeRequest> req;
    Time t0 = 0;
    Status status = Status::ok;
    std::optional<MvmResult> mvm;
    std::optional<WeightMapping> load;  // a load_weights being programmed
    ProgramResult program;
  };

  void on_request(TxnPtr<> t);
  void on_mem(TxnPtr<> t);
  void on_timer(TxnPtr<> t);
  void start_next();
  void start_load();
  void program();           // after the weight bytes arrived (or at once without `mem`)
  void start_gemm();
  void fail(Status s);
  void finish_request();
  std::uint32_t free_tiles() const;
  void book_capacity();

  CoreParams p_;
  TileParams m_;
  Port* ctrl_;
  Port* mem_ = nullptr;
  Port* timer_;
  std::uint32_t endpoint_ = 0;
  std::deque<std::pair<TxnPtr<ComputeRequest>, Time>> queue_;
  std::optional<Active> active_;
  std::vector<std::int64_t> owner_;     // per tile: weight_id, or -1 when free
  std::vector<EnduranceCounter> wear_;  // per tile (a mapped matrix rewrites its cells together)
  std::map<std::uint64_t, Stored> weights_;
  std::uint64_t next_address_;
  std::uint64_t max_writes_ = 0;
  std::uint64_t peak_tiles_ = 0;

  Counter requests_, gemms_, loads_, unsupported_, capacity_errors_, refused_, mem_errors_;
  Counter busy_, crossbar_reads_, adc_conversions_, dac_activations_, shift_adds_, dequant_ops_;
  Counter edram_read_, edram_written_, weights_programmed_, cells_written_, rows_written_;
  Counter max_writes_per_cell_, worn_tiles_, capacity_used_peak_, dram_read_;
  Accumulator queue_wait_, service_, crossbar_utilisation_, cell_utilisation_, capacity_used_, duplication_;
  EnergyAction e_xbar_, e_adc_, e_dac_, e_shift_add_, e_edram_, e_dequant_, e_cell_write_;
};

}  // namespace strata::pim
