// Mapping policies of the transformer workload: which core runs which op, and which
// stored weights are written into which ReRAM (PIM) core before the run.
//
// Pure function of (graph, cores, options): no simulator types, so it is unit-tested
// directly and shared by the plugin. The rules (README.md beside this file, "Mapping"):
//   * atleus   frozen static-weight GEMMs (and, by default, the dX GEMMs through them) on
//              the PIM cores holding their weights; every other op on SA cores.
//   * sa_only  every op on SA cores; stored weights are streamed (no load phase).
//   * pim_only frozen weights on PIM as above; every other op on its layer's PIM core;
//              a GEMM there without a stored weight writes its b operand into crossbars
//              before each use (DynamicOperands::write) or streams it (::stream).
//   * haima    the HAIMA baseline (Ding et al., DAC 2023) on a host + HBM-PIM + SRAM-PIM
//              system: frozen weights except W_V stored in the HBM-PIM (the "PIM" cores;
//              no crossbar packing, pim_tiles is ignored) with their dX GEMMs, Q.K^T there
//              too (K written into the banks); W_V (and its dX) and P.V on the SRAM-PIM
//              cores (SA-class cores whose type matches sram_types); everything else
//              (softmax, norms, GELU, residuals, LoRA, trainable-weight GEMMs, attention
//              gradients, updates) on the host (the other SA-class cores). Cores of a class
//              are chosen by layer, round robin.
// A mapping table (MappingRule list, parsed from JSON by parse_mapping_table) overrides
// the policy op by op: the first rule that matches an op names its core class or core.
// Weights are packed into PIM cores in the order of first use, each layer starting on a
// fresh core when the whole model fits that way, densely otherwise; a weight larger than
// the space left is split along its output columns across cores. Space is counted as the
// ReRAM core counts it (plugins/pim): a matrix (shard) of K x N weights at b bits takes
// ceil(K / xbar_rows) x ceil(N / floor(xbar_cols / ceil(b / cell_bits))) crossbars,
// rounded up to whole tiles. What does not fit overflows to SA (streamed) or is an error.
// SA ops of (effective) layer l run on SA core (l * attention_cores) mod n_sa; attention
// heads of that layer spread over `attention_cores` consecutive SA cores.
#pragma once

#include <strata/opgraph/op_graph.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace strata::transformer {

enum class CoreClass : std::uint8_t { pim, sa };
enum class Policy : std::uint8_t { atleus, sa_only, pim_only, haima };
enum class Overflow : std::uint8_t { sa, error };
enum class DxPlacement : std::uint8_t { pim, sa };
enum class PimOrder : std::uint8_t { ports, hilbert };
// How a GEMM placed on a PIM core without a stored weight gets its b operand: written into
// the core's crossbars (a load_weights under the scratch weight id) before every use, or
// sent as a streamed operand (static_weights = false; for PIM models with such a unit).
enum class DynamicOperands : std::uint8_t { write, stream };
// Where a mapping rule sends an op: the base policy decides, a PIM core (the one holding
// the op's frozen weight, else its layer's home PIM core), an SA core (layer placement),
// or one core by its index in cores[].
enum class Target : std::uint8_t { policy, pim, sa, core };

std::string_view to_string(Policy p);

struct CoreInfo {
  std::string name;        // component name of the core
  std::string type;        // its type ("pim.reram_core")
  CoreClass cls = CoreClass::sa;
  std::vector<int> index;  // grid coordinates (x, y, tier, ...) or empty
};

// Crossbar geometry of one PIM core (defaults: Atleus / ISAAC, 16 tiles x 96 crossbars of
// 128 x 128 cells at 2 bits = 6 MiB of 8-bit weights). The only copy of these defaults:
// workload.transformer's parameters derive from it and bind its fields.
struct PimGeometry {
  std::uint64_t tiles = 16;  // 0 = unlimited
  std::uint32_t tile_crossbars = 96;
  std::uint32_t xbar_rows = 128, xbar_cols = 128;
  std::uint32_t cell_bits = 2;
  // Whole tiles a K x N matrix of `bits`-bit weights occupies (0 if K or N is 0);
  // throws MappingError when one weight needs more cells than a crossbar row has.
  std::uint64_t tiles_for(std::uint64_t rows, std::uint64_t cols, std::uint32_t bits) const;
  // Crossbars one group of output columns takes, and how many columns a group holds.
  std::uint64_t crossbars_per_group(std::uint64_t rows) const;
  std::uint64_t columns_per_group(std::uint32_t bits) const;
  // Crossbars a K x N matrix of `bits`-bit weights occupies (before rounding to tiles).
  std::uint64_t crossbars_for(std::uint64_t rows, std::uint64_t cols, std::uint32_t bits) const;
};

// Weight replication on PIM cores the mapping left idle (README.md, "Weight replication"):
// off (one copy of every stored shard), copies (every shard gets `copies` copies in all,
// where they fit), fill (greedy: one more copy of the shard with the largest work per copy,
// until no free crossbars are left). A GEMM through a replicated shard splits its m rows
// (tokens) over the copies.
struct Replication {
  enum class Mode : std::uint8_t { off, copies, fill };
  Mode mode = Mode::off;
  std::uint32_t copies = 1;  // Mode::copies: total copies per shard (original included)
};

// One rule of a mapping table. An op matches when every given field matches; the first
// matching rule of the table decides the op's target (README.md, "Mapping tables").
struct MappingRule {
  std::string op;            // glob over the op name ('*' any run, '?' one char); "" = any
  std::string kind;          // glob over the op kind's name; "" = any
  std::int32_t shape = -1;   // -1 any, 0 GEMM-like kinds, 1 the others (vector ops)
  std::int32_t phase = -1;   // -1 any, else static_cast<int>(opgraph::Phase)
  std::int32_t layer = -2;   // -2 any; -1 = ops outside the layers; else that layer
  std::int32_t head = -2;    // -2 any; -1 = ops spanning every head; else that head
  Target target = Target::policy;
  std::uint32_t core = 0;    // Target::core: index into cores[]
  std::string where;         // where the rule came from ("file.json: /rules/3"), for messages
};

// Parses a mapping table (README.md, "Mapping tables"): {"rules": [{...}, ...]}, a bare
// array of rule objects, or the shorthand {"pattern": target, ...} in file order, where a
// pattern "kind:<glob>" matches op kinds, "vector" / "gemm" every vector / GEMM-like op,
// and anything else op names; a target is "pim", "sa", "policy" or a core index.
// Throws MappingError naming `source` and the JSON pointer of the offending value.
std::vector<MappingRule> parse_mapping_table(std::string_view json_text, std::string_view source);
// '*' matches any run of characters (also none), '?' exactly one; everything else itself.
bool glob_match(std::string_view pattern, std::string_view text);
// Index of the first rule that matches op (in graph g), or -1.
int match_rule(const std::vector<MappingRule>& rules, const opgraph::Op& op);

struct MappingOptions {
  Policy policy = Policy::atleus;
  PimGeometry pim;
  Overflow overflow = Overflow::sa;
  DxPlacement frozen_dx = DxPlacement::pim;
  std::uint32_t attention_cores = 1;
  PimOrder pim_order = PimOrder::ports;
  DynamicOperands dynamic = DynamicOperands::write;
  // Tiles every PIM core keeps free for dynamic operand writes (DynamicOperands::write);
  // 0 = as many as the largest dynamic operand of the graph needs (only when there is one).
  std::uint64_t scratch_tiles = 0;
  std::vector<MappingRule> rules;  // mapping table: first match wins, else the policy
  Replication replicate;
  // Policy::haima: glob over core types naming the SRAM-PIM cores among the SA-class ones.
  std::string sram_types = "sram.*";
};

// The weight id under which dynamic operands are written on a PIM core: one per core,
// rewritten in place for every use (a reload of the same id replaces the old copy).
inline constexpr std::uint64_t kScratchWeightId = 1ULL << 48;

// How a sharded op divides its work: along the stored weight's output columns (n of a
// forward GEMM: every shard reads the whole input, writes a slice of the output), or
// along the reduction (k of a dX GEMM through that weight: every shard reads a slice of
// dY and writes a full-size partial sum, reduced by the consumer).
enum class Split : std::uint8_t { none, columns, reduction };

struct Shard {
  std::uint32_t core = 0;          // index into the cores given to map_graph
  std::uint64_t lo = 0, hi = 1;    // columns [lo, hi) of the stored weight (of `total`)
  std::uint64_t total = 1;
  std::uint64_t weight_id = 0;     // stored-weight id on that PIM core (valid if `stored`)
  // Other PIM cores holding a copy of this shard under the same weight_id (replication);
  // a GEMM through the shard splits its m rows over `core` and these.
  std::vector<std::uint32_t> replicas;
};

struct OpPlacement {
  std::vector<Shard> shards;  // one unless the op's weight spans several PIM cores
  Split split = Split::none;
  bool stored = false;        // uses a weight stored on the PIM core(s) (static_weights)
  bool overflowed = false;    // wanted PIM, ran on SA because the weights did not fit
  std::int32_t layer = 0;     // effective layer used for placement
  std::int32_t rule = -1;     // the mapping rule that placed it (index into rules), or -1
  // A GEMM on a PIM core without a stored weight, DynamicOperands::write: before each use
  // its b operand (write_rows x write_cols at write_bits) is written under
  // kScratchWeightId, `write_copies` times (one per batch element when b is not a shared
  // parameter), each followed by the GEMM of that copy.
  bool dynamic_write = false;
  std::uint64_t write_rows = 0, write_cols = 0, write_copies = 1;
  std::uint32_t write_bits = 0;
};

// One load_weights request of the setup phase.
struct WeightLoad {
  std::uint32_t core = 0;
  std::uint64_t weight_id = 0;
  opgraph::ParamId param = -1;  // -1 when the graph names no parameter
  std::string name;             // parameter (or op) name, for traces
  std::uint64_t rows = 0, cols = 0;
  std::uint32_t bits = 8;
  std::uint64_t bytes = 0;
  std::uint64_t tiles = 0;
  std::uint64_t crossbars = 0;
  bool replica = false;         // a copy of a shard already loaded elsewhere (replication)
};

struct Mapping {
  std::vector<OpPlacement> ops;  // indexed by op id
  std::vector<WeightLoad> loads;
  bool layer_aligned = false;    // each layer started on a fresh PIM core
  std::uint64_t stored_bytes = 0, overflow_bytes = 0;
  std::vector<std::uint64_t> tiles_used;  // per core index: PIM tiles the loads take
  std::uint32_t pim_cores_used = 0, sa_cores_used = 0;
  std::uint64_t scratch_tiles = 0;        // tiles kept free per PIM core for dynamic writes
  std::vector<std::uint64_t> rule_ops;    // per mapping rule: ops it placed
  std::uint64_t replica_loads = 0;        // loads that are replicas (also in `loads`)
};

class MappingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Effective layer of every op: op.layer when >= 0; otherwise the layer of its nearest
// producer (embeddings' consumers for graph inputs); 0 when nothing says.
std::vector<std::int32_t> effective_layers(const opgraph::Graph& g, const opgraph::Adjacency& adj);

// True when `op` is a GEMM with a frozen (non-trainable) stored weight: what Atleus keeps
// in ReRAM.
bool is_frozen_static_gemm(const opgraph::Graph& g, const opgraph::Op& op);

// Throws MappingError when the cores cannot run the graph under the policy.
Mapping map_graph(const opgraph::Graph& g, const std::vector<CoreInfo>& cores, const MappingOptions& opt);

// Bytes of a tensor of `bytes` that one shard produces (as_output) or consumes: a slice
// when the op is split along that side, the whole tensor otherwise. Slices of one tensor
// sum exactly to `bytes`.
std::uint64_t shard_bytes(std::uint64_t bytes, const OpPlacement& p, std::size_t shard, bool as_output);

}  // namespace strata::transformer
