// Systolic array: closed-form cost of one GEMM (M x K x N) on an R x C PE array in output-,
// weight- or input-stationary dataflow, plus its vector unit; transaction level (cycles,
// bytes, energy per request, no PE trace). Cycles follow SCALE-Sim v2's compute modules
// (Samajdar et al., ISPASS 2020; scale-sim-v2 scalesim/compute/systolic_compute_*.py):
// R + C + T - 2 per fold for OS, 2R + C + T - 2 for WS and IS (which preload R rows).
// Not modelled: SRAM banks, the DRAM protocol (memory model and NoC own it), bit-serial PEs
// (operand precision changes bytes and energy, not cycles).
#pragma once

#include <strata/units.hpp>  // SDK unit types (header only): one struct serves the model and the TOML declaration

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::systolic {

// Which operand stays in the PEs for a whole fold (SCALE-Sim's three dataflows).
enum class Dataflow : std::uint8_t {
  output_stationary,  // "os": each PE accumulates one output; A and B stream in
  weight_stationary,  // "ws": each PE holds one weight; A streams, partial sums flow down
  input_stationary,   // "is": each PE holds one input; B streams, partial sums flow down
};
std::string_view to_string(Dataflow dataflow) noexcept;
// Accepts "os"/"ws"/"is" and the full names above.
std::optional<Dataflow> parse_dataflow(std::string_view text) noexcept;

// One systolic core. Defaults are the Atleus SA core (DESIGN.md "The reference chip":
// 128 x 32 PEs, output stationary, 800 MHz, 1 Mb SRAM, 2.13 W); this struct is the only
// copy of each default and the only declaration: systolic.array's parameters derive from it
// and bind its fields, so its quantities carry the SDK's unit types (the model reads .hz,
// .count, .bytes_per_s, .joules, .watts).
struct SystolicParams {
  std::uint32_t rows = 128;  // R: PE rows
  std::uint32_t cols = 32;   // C: PE columns
  // "os", "ws" or "is" (or the full names of Dataflow); dataflow() parses it, validate()
  // rejects anything else. A name, not the enum, because the TOML declaration binds it.
  std::string dataflow = "os";
  Frequency frequency{800e6};

  // On-chip SRAM sizes: 1 Mb = 131072 B in all, split 1/2 ifmap, 1/4 filter, 1/4 ofmap.
  // Under the default OS dataflow the ifmap feeds the R = 128 row edge and the filter only
  // the C = 32 column edge, so the ifmap gets the larger share. Each buffer is double
  // buffered: half holds the working tile, half receives the next one from DRAM.
  Bytes ifmap_sram_size{65536};
  Bytes filter_sram_size{32768};
  Bytes ofmap_sram_size{32768};
  // Bandwidth of each buffer's port: 256 B per cycle = R x 2 B, enough for 16-bit operands
  // on the widest edge, so the default array never waits on its SRAM (x 800 MHz).
  Bandwidth sram_bandwidth{256.0 * 800e6};
  // DRAM bandwidth through this core's memory port, charged analytically by the model
  // (the plugin hands DRAM time to a real memory when one is linked). Default: Atleus
  // HBM2, 256 GB/s, shared by its 16 SA cores = 16 GB/s = 20 B per 800 MHz cycle.
  Bandwidth dram_bandwidth{20.0 * 800e6};
  // DRAM transfers take no time (bytes are still counted); also when dram_bandwidth = 0.
  bool ideal_dram = false;
  // Partial sums that leave the array between folds (WS / IS spills) are this wide.
  std::uint32_t accumulator_bits = 32;

  // Per-action energies: Horowitz, "Computing's energy problem", ISSCC 2014 (45 nm):
  // 8-bit integer multiply 0.2 pJ + 32-bit add 0.1 pJ per MAC; 8 KB SRAM 64-bit access
  // 10 pJ = 1.25 pJ/B; 32-bit float add 0.9 pJ per vector-lane operation.
  Energy mac_energy{0.3e-12};
  Energy sram_read_energy_per_byte{1.25e-12};
  Energy sram_write_energy_per_byte{1.25e-12};
  // Core-side cost of a DRAM byte. 0 by default: the NoC and the memory model book the
  // transfer and the device access; set it for a stand-alone array with a private PHY.
  Energy dram_interface_energy_per_byte{0.0};

  std::uint32_t vector_lanes = 32;  // one lane per PE column (the array's output width)
  Energy vector_op_energy{0.9e-12};

  // Published power of the core running flat out (Atleus: 2.13 W). Static power is what
  // the per-action energies leave of it at full activity; see static_power().
  Power power{2.13};
};

// The dataflow `p.dataflow` names (output stationary when it names none; validate()
// reports that).
Dataflow dataflow(const SystolicParams& p) noexcept;
// Port bandwidths in bytes per array cycle, as the fold model counts them (0 = unlimited
// DRAM: ideal_dram or a zero dram_bandwidth).
double sram_bytes_per_cycle(const SystolicParams& p) noexcept;
double dram_bytes_per_cycle(const SystolicParams& p) noexcept;

// Presets for `preset = "..."` in TOML.
SystolicParams atleus_sa();    // the defaults above
SystolicParams tpu_128x128();  // 3D-TPU baseline core of the Atleus paper: 128 x 128, WS
std::optional<SystolicParams> systolic_preset(std::string_view name);

// Every problem with `p`, one message each ("rows: must be > 0"); empty when valid.
std::vector<std::string> validate(const SystolicParams& p);

// Dynamic power at full activity: every PE does one MAC per cycle and the array reads
// R + C one-byte operands per cycle from SRAM (OS steady state at 8 bits):
//   P_dyn = R*C*f*E_mac + (R + C)*f*E_sram_read.
double full_activity_dynamic_power(const SystolicParams& p) noexcept;
// Background (leakage, clock tree, control) power: power - full_activity_dynamic_power.
// Booked over the whole duration of an operation. validate() rejects a negative value.
double static_power(const SystolicParams& p) noexcept;

// ---- GEMM ---------------------------------------------------------------------------

// C[M x N] = A[M x K] * B[K x N]. SCALE-Sim names: A = ifmap, B = filter, C = ofmap.
struct GemmShape {
  std::uint64_t m = 0;
  std::uint64_t k = 0;
  std::uint64_t n = 0;
  std::uint32_t ifmap_bits = 8;
  std::uint32_t filter_bits = 8;
  std::uint32_t ofmap_bits = 8;
};

// SCALE-Sim's view of a GEMM on the array: Sr operand rows map onto the R PE rows, Sc onto
// the C PE columns, T streams through in time.
//   OS: Sr = M, Sc = N, T = K     WS: Sr = K, Sc = N, T = M     IS: Sr = K, Sc = M, T = N
// folds = ceil(Sr / R) * ceil(Sc / C); cycles per fold = cycles_per_fold() (a partial
// fold still pays the full array's fill and drain, as in SCALE-Sim).
struct FoldMapping {
  std::uint64_t sr = 0;
  std::uint64_t sc = 0;
  std::uint64_t t = 0;
  std::uint64_t row_folds = 0;  // ceil(Sr / R)
  std::uint64_t col_folds = 0;  // ceil(Sc / C)
  std::uint64_t folds = 0;
  std::uint64_t cycles_per_fold = 0;
};
FoldMapping map_gemm(const SystolicParams& p, const GemmShape& g);
// Cycles of one fold on an R x C array with T operand rows streamed, as SCALE-Sim v2's
// demand matrices count them: OS R + C + T - 2 (outputs accumulate in place: no preload;
// T - 1 cycles to the first output, R rows drained, skewed over C); WS and IS
// 2R + C + T - 2 (R more cycles to preload the stationary operand).
std::uint64_t cycles_per_fold(Dataflow dataflow, std::uint64_t rows, std::uint64_t cols, std::uint64_t t);

struct SystolicCycles {
  std::uint64_t compute = 0;     // T per fold: operands streaming through
  std::uint64_t fill_drain = 0;  // per fold: R + C - 2 (OS) or 2R + C - 2 (WS/IS preload R more)
  std::uint64_t stall_dram_fill = 0;       // first fold's operands, before compute starts
  std::uint64_t stall_dram_bandwidth = 0;  // folds whose DRAM traffic outlasts their compute
  std::uint64_t stall_dram_writeback = 0;  // last fold's outputs, after compute ends
  std::uint64_t stall_sram = 0;            // SRAM port slower than the array's demand
  std::uint64_t stall_dram() const noexcept {
    return stall_dram_fill + stall_dram_bandwidth + stall_dram_writeback;
  }
  std::uint64_t total() const noexcept { return compute + fill_drain + stall_dram() + stall_sram; }
};

// Bytes through one operand buffer. SRAM reads include bytes read out to go back to DRAM;
// SRAM writes include bytes filled from DRAM.
struct OperandTraffic {
  std::uint64_t sram_read = 0;
  std::uint64_t sram_write = 0;
  std::uint64_t dram_read = 0;
  std::uint64_t dram_write = 0;
  // true when the buffer captures the reuse this dataflow relies on; false means tiles
  // are re-fetched from DRAM (inputs) or partial sums spill to DRAM (ofmap).
  bool fits = true;
};

struct SystolicEnergy {  // joules
  double mac = 0.0;
  double sram = 0.0;
  double dram_interface = 0.0;
  double vector = 0.0;
  double static_energy = 0.0;  // static_power() over the operation's duration
  double dynamic() const noexcept { return mac + sram + dram_interface + vector; }
  double total() const noexcept { return dynamic() + static_energy; }
};

struct GemmResult {
  FoldMapping mapping;
  SystolicCycles cycles;
  std::uint64_t time_ps = 0;  // cycles.total() at `frequency`, rounded up once
  std::uint64_t macs = 0;     // M * K * N
  double utilisation = 0.0;   // macs / (R * C * cycles.total())
  double mapping_efficiency = 0.0;  // Sr * Sc / (folds * R * C): PEs holding real work
  OperandTraffic ifmap;
  OperandTraffic filter;
  OperandTraffic ofmap;
  std::uint64_t sram_bytes_read = 0;  // sums over the three buffers
  std::uint64_t sram_bytes_written = 0;
  std::uint64_t dram_bytes_read = 0;
  std::uint64_t dram_bytes_written = 0;
  SystolicEnergy energy;
};

// What one fold moves, in bytes. Array-side bytes set the SRAM-port demand; DRAM loads
// must land before the fold starts (they are fetched while the previous fold computes),
// stores leave after it ends (while the next fold computes).
struct FoldTraffic {
  std::uint64_t ifmap_array = 0;   // ifmap bytes the array reads during the fold
  std::uint64_t filter_array = 0;  // filter bytes the array reads
  std::uint64_t ofmap_array_write = 0;
  std::uint64_t ofmap_array_read = 0;  // partial sums read back to accumulate (WS / IS)
  std::uint64_t ifmap_load = 0;    // DRAM -> SRAM
  std::uint64_t filter_load = 0;
  std::uint64_t ofmap_load = 0;    // spilled partial sums reloaded from DRAM
  std::uint64_t ofmap_store = 0;   // SRAM -> DRAM
  std::uint64_t loads() const noexcept { return ifmap_load + filter_load + ofmap_load; }
};

// The fold schedule evaluate_gemm walks, exposed so an event-driven core can walk the same
// folds and move each fold's DRAM bytes through a real memory instead of `dram_bandwidth`.
// Folds are taken in SCALE-Sim's order: column folds outer, row folds inner. The reuse
// rules (which operand fits its buffer) are documented in gemm.cpp.
class GemmPlan {
 public:
  // Throws std::invalid_argument when validate(p) is not empty.
  GemmPlan(const SystolicParams& p, const GemmShape& g);
  const FoldMapping& mapping() const noexcept { return map_; }
  bool ifmap_fits() const noexcept { return ifmap_fits_; }
  bool filter_fits() const noexcept { return filter_fits_; }
  bool ofmap_fits() const noexcept { return ofmap_fits_; }
  // Traffic of fold f, 0 <= f < mapping().folds.
  FoldTraffic fold(std::uint64_t f) const;
  // Cycles fold f runs: cycles_per_fold, plus the stall when its busiest SRAM port
  // (one per buffer, in parallel) cannot move its bytes within the fold.
  std::uint64_t busy_cycles(const FoldTraffic& t) const;

 private:
  std::uint64_t if_bytes(std::uint64_t n) const;
  std::uint64_t f_bytes(std::uint64_t n) const;
  std::uint64_t of_bytes(std::uint64_t n) const;
  std::uint64_t acc_bytes(std::uint64_t n) const;
  SystolicParams p_;
  GemmShape g_;
  Dataflow df_;
  double sram_per_cycle_;  // bytes per cycle of each SRAM port
  FoldMapping map_;
  bool ifmap_fits_ = true;
  bool filter_fits_ = true;
  bool ofmap_fits_ = true;
};

// Cost of one GEMM. Operands start in DRAM and the result ends there. Throws
// std::invalid_argument when validate(p) is not empty; a GEMM with a zero dimension costs
// nothing. O(folds) time (each fold's DRAM traffic is closed form; the sum is a loop).
GemmResult evaluate_gemm(const SystolicParams& p, const GemmShape& g);

// ---- vector unit --------------------------------------------------------------------

enum class VectorOpKind : std::uint8_t { softmax, layernorm, gelu, residual_add, lora_scale };
std::string_view to_string(VectorOpKind kind) noexcept;

// Lane operations one op costs: ops_per_element * rows * length + ops_per_row * rows;
// `inputs` operand tensors of rows x length are read, one is written.
struct VectorOpCost {
  std::uint32_t ops_per_element = 0;
  std::uint32_t ops_per_row = 0;
  std::uint32_t inputs = 1;
};
VectorOpCost vector_op_cost(VectorOpKind kind) noexcept;

// `rows` independent rows of `length` elements (softmax and layernorm reduce each row).
struct VectorOp {
  VectorOpKind kind = VectorOpKind::residual_add;
  std::uint64_t rows = 0;
  std::uint64_t length = 0;
  std::uint32_t element_bits = 16;
};

struct VectorResult {
  std::uint64_t lane_ops = 0;
  std::uint64_t cycles = 0;  // ceil(lane_ops / vector_lanes)
  std::uint64_t time_ps = 0;
  std::uint64_t sram_bytes_read = 0;
  std::uint64_t sram_bytes_written = 0;
  SystolicEnergy energy;  // vector, sram and static_energy
};

// Throws std::invalid_argument when validate(p) is not empty.
VectorResult evaluate_vector(const SystolicParams& p, const VectorOp& op);

}  // namespace strata::systolic
