#include "reram_core.hpp"

#include <strata/models_common/units.hpp>

#include <algorithm>
#include <stdexcept>

namespace strata::pim {

void CoreParams::declare(ParamSpec<CoreParams>& s) {
  using P = CoreParams;
  s.param("tiles", &TileParams::tiles_per_core, "tiles in the core").range(1, 1 << 16);
  s.param("crossbars", &TileParams::crossbars, "crossbars per tile").range(1, 1 << 16);
  s.param("xbar_rows", &TileParams::xbar_rows, "crossbar rows (inputs)").range(1, 1 << 16);
  s.param("xbar_cols", &TileParams::xbar_cols, "crossbar columns (bit lines)").range(1, 1 << 16);
  s.param("bits_per_cell", &TileParams::bits_per_cell, "bits stored per ReRAM cell").range(1, 16);
  s.param("dac_bits", &TileParams::dac_bits, "input bits applied per crossbar read").range(1, 16);
  s.param("adc_bits", &TileParams::adc_bits, "ADC resolution").range(1, 32);
  s.param("adcs", &TileParams::adcs, "ADCs per tile, shared evenly by the crossbars' columns").range(1, 1 << 20);
  s.param("adc_sample_rate", &TileParams::adc_sample_rate, "conversions per second per ADC").min(1);
  s.param("xbar_read_latency", &TileParams::xbar_read_latency, "one crossbar read");
  s.param("logic_clock", &TileParams::logic_frequency, "clock of shift-and-add and dequantisation").min(1);
  s.param("digital_tail_cycles", &TileParams::digital_tail_cycles, "logic cycles after the last conversion")
      .range(0, 1 << 16);
  s.param("edram", &TileParams::edram_size, "eDRAM buffer per tile (informative, not checked)");
  s.param("edram_bandwidth", &TileParams::edram_bandwidth, "eDRAM bus bandwidth per tile").min(1);
  s.param("tile_power", &TileParams::tile_power, "tile power at full activity (static = what the action energies leave)")
      .min(0);
  s.param("xbar_read_energy", &TileParams::xbar_read_energy, "energy per crossbar read").min(0);
  s.param("adc_energy", &TileParams::adc_conversion_energy, "energy per ADC conversion").min(0);
  s.param("dac_energy", &TileParams::dac_energy, "energy per DAC (row) activation").min(0);
  s.param("shift_add_energy", &TileParams::shift_add_energy, "energy per shift-and-add").min(0);
  s.param("edram_energy", &TileParams::edram_energy_per_byte, "energy per eDRAM byte").min(0);
  s.param("dequant_energy", &TileParams::dequant_energy, "energy per dequantised output (one scale per crossbar)")
      .min(0);
  s.param("row_write_latency", &TileParams::row_write_latency, "programming one crossbar row (write and verify)");
  s.param("cell_write_energy", &TileParams::cell_write_energy, "energy per cell programmed").min(0);
  s.param("write_parallel_crossbars", &TileParams::write_parallel_crossbars, "crossbars per tile programmed at once")
      .range(1, 1 << 16);
  s.param("cell_endurance", &TileParams::cell_endurance, "writes a cell survives").min(1);
  s.param("max_duplication", &P::max_duplication,
          "most copies of one matrix (0: as many as the load's m asks and free tiles hold)")
      .range(0, 1 << 20);
  s.param("dram_base", &P::dram_base, "with `mem` linked: DRAM address of the first stored matrix").min(0);
  s.param("fit", &P::fit,
          "how matrices share the crossbars: duplicate (copies up to the load's m as free tiles allow), error "
          "(one copy; capacity_error when the free tiles are too few), reprogram (one copy; evict least-recently-"
          "used matrices to make room and reprogram an evicted matrix when a gemm needs it, counting every write)")
      .choices({"duplicate", "error", "reprogram"});
  core_common::ServingParams::declare(s);
  // The paper pipelines layers across cores and streams micro-batches through them, so a
  // core serves the oldest micro-batch first. It does not say that idle cores are
  // power-gated, so the preset keeps idle = on.
  s.preset("atleus", "Atleus ReRAM core: 16 tiles x 96 crossbars of 128x128, 2 b/cell, 8-bit ADCs, 1-bit DACs, "
                     "100 ns reads, 0.345 W/tile + 1.5% dequantisation; oldest_first (layer pipeline), idle on",
           [](P& p) {
             static_cast<TileParams&>(p) = atleus_reram();
             p.arbitration = "oldest_first";
           });
}

ReramCore::ReramCore(const ComponentContext& ctx)
    : Component(ctx),
      p_(ctx.params<CoreParams>()),
      ctrl_(&port("ctrl")),
      timer_(&event_port<&ReramCore::on_timer>(this, "timer")),
      // Every tile is powered while the core is on (idle = gated gates the whole core).
      server_(*this, *ctrl_, p_, Power{pim::static_power(m_) * p_.tiles_per_core}),
      next_address_(p_.dram_base),
      e_xbar_(p_.xbar_read_energy),
      e_adc_(p_.adc_conversion_energy),
      e_dac_(p_.dac_energy),
      e_shift_add_(p_.shift_add_energy),
      e_edram_(p_.edram_energy_per_byte),
      e_dequant_(p_.dequant_energy),
      e_cell_write_(p_.cell_write_energy) {
  std::string errors;
  for (const auto& e : validate(m_)) errors += (errors.empty() ? "" : "; ") + e;
  if (!errors.empty()) throw ConfigError(name() + ": " + errors);
  owner_.assign(p_.tiles_per_core, -1);
  wear_.assign(p_.tiles_per_core, EnduranceCounter(p_.cell_endurance));
  ctrl_->on_receive<&ReramCore::on_request>(this);
  port("mem").on_receive<&ReramCore::on_mem>(this);

  stat("requests", server_.requests);
  stat("gemms", gemms_);
  stat("loads", loads_);
  stat("unsupported", unsupported_);
  stat("capacity_errors", capacity_errors_);
  stat("refused", refused_);
  stat("mem_errors", mem_errors_);
  stat("busy", busy_);
  stat("crossbar_reads", crossbar_reads_);
  stat("adc_conversions", adc_conversions_);
  stat("dac_activations", dac_activations_);
  stat("shift_adds", shift_adds_);
  stat("dequant_ops", dequant_ops_);
  stat("edram_read", edram_read_);
  stat("edram_written", edram_written_);
  stat("weights_programmed", weights_programmed_);
  stat("cells_written", cells_written_);
  stat("rows_written", rows_written_);
  stat("max_writes_per_cell", max_writes_per_cell_);
  stat("worn_tiles", worn_tiles_);
  stat("capacity_used_peak", capacity_used_peak_);
  stat("dram_read", dram_read_);
  stat("queue_wait", server_.queue_wait);
  stat("service", service_);
  stat("crossbar_utilisation", crossbar_utilisation_);
  stat("cell_utilisation", cell_utilisation_);
  stat("capacity_used", capacity_used_);
  stat("duplication", duplication_);
  stat("transposed_gemms", transposed_gemms_);
  stat("evictions", evictions_);
  stat("reprograms", reprograms_);
  stat("reprogram_cells", reprogram_cells_);
  stat("reprogram_time", reprogram_time_);
  stat("copies", copies_);
  stat("duplicated_loads", duplicated_loads_);
  stat("utilisation", utilisation_);
  energy("crossbar_read", e_xbar_);
  energy("adc_conversion", e_adc_);
  energy("dac", e_dac_);
  energy("shift_add", e_shift_add_);
  energy("edram", e_edram_);
  energy("dequant", e_dequant_);
  energy("cell_write", e_cell_write_);
  server_.register_power_stats();
}

void ReramCore::init() {
  if (has_link("mem")) mem_ = &port("mem");
  endpoint_ = static_cast<std::uint32_t>(std::max(0, system().ordinal(name())));
}

void ReramCore::finish() {
  // Time-averaged share of the core's crossbars computing: every gemm keeps the crossbars
  // of the copies it uses (min(m, duplication)) busy for its MVM time.
  const double capacity = static_cast<double>(p_.tiles_per_core) * p_.crossbars * static_cast<double>(now());
  utilisation_.add(capacity > 0 ? xbar_busy_ / capacity : 0.0);
  server_.finish();
}

std::uint32_t ReramCore::free_tiles() const {
  return static_cast<std::uint32_t>(std::count(owner_.begin(), owner_.end(), -1));
}

std::uint64_t ReramCore::tiles_held(std::uint64_t weight_id) const {
  auto it = weights_.find(weight_id);
  return it == weights_.end() ? 0 : it->second.tiles.size();
}

void ReramCore::evict_for(std::uint64_t need, std::uint64_t keep) {
  while (free_tiles() + tiles_held(keep) < need) {
    Stored* lru = nullptr;
    for (auto& [id, st] : weights_)
      if (id != keep && st.resident && (!lru || st.last_use < lru->last_use)) lru = &st;
    if (!lru) return;  // nothing left to evict: the caller sees it does not fit
    for (auto t : lru->tiles) owner_[t] = -1;
    lru->tiles.clear();
    lru->resident = false;
    ++evictions_;
  }
}

std::vector<std::uint32_t> ReramCore::allocate(std::uint64_t weight_id, std::uint64_t count) {
  std::vector<std::uint32_t> tiles;
  for (std::uint32_t t = 0; t < p_.tiles_per_core && tiles.size() < count; ++t) {
    if (owner_[t] != -1) continue;
    owner_[t] = static_cast<std::int64_t>(weight_id);
    tiles.push_back(t);
  }
  if (tiles.size() != count) throw ModelError(name() + ": tile allocation out of step with the mapping");
  return tiles;
}

void ReramCore::record_wear(const std::vector<std::uint32_t>& tiles, std::uint64_t writes_per_cell) {
  for (auto t : tiles) {
    const bool was_worn = wear_[t].worn_out();
    wear_[t].record(writes_per_cell);
    if (!was_worn && wear_[t].worn_out()) ++worn_tiles_;
    if (wear_[t].writes() > max_writes_) {
      max_writes_per_cell_ += wear_[t].writes() - max_writes_;
      max_writes_ = wear_[t].writes();
    }
  }
}

void ReramCore::on_request(TxnPtr<> t) { server_.on_request(std::move(t)); }

void ReramCore::start_request(TxnPtr<ComputeRequest> req) {
  Active& a = active_.emplace();
  a.req = std::move(req);
  a.t0 = now();
  switch (a.req->kind) {
    case ComputeRequest::Kind::load_weights: start_load(); break;
    case ComputeRequest::Kind::gemm: start_gemm(); break;
    case ComputeRequest::Kind::vector: fail(Status::unsupported); break;  // no vector unit on PIM
  }
}

void ReramCore::fail(Status s) {
  active_->status = s;
  schedule(*timer_, 0);
}

void ReramCore::start_load() {
  Active& a = *active_;
  const ComputeRequest& r = *a.req;
  const WeightShape shape{r.k, r.n, r.weight_bits};
  // Copies: with fit = duplicate, up to the number of input vectors the matrix will serve
  // (the load's m), as free tiles allow; one when m is 0. Otherwise always one.
  std::uint64_t cap = r.m > 0 ? r.m : 1;
  if (p_.max_duplication > 0) cap = std::min<std::uint64_t>(cap, p_.max_duplication);
  if (p_.fit != "duplicate") cap = 1;
  WeightMapping w;
  try {
    if (p_.fit == "reprogram") {
      // Make room for one copy by evicting least-recently-used matrices, if the core can
      // hold it at all.
      const WeightMapping one = map_weights(m_, shape, p_.tiles_per_core, 1);
      if (one.fits) evict_for(one.tiles_used, r.weight_id);
    }
    // Tiles a reload may reuse: the free ones plus those of the matrix it replaces.
    const std::uint64_t available = free_tiles() + tiles_held(r.weight_id);
    w = map_weights(m_, shape, available, cap);
  } catch (const std::invalid_argument&) {  // e.g. a weight wider than a crossbar row
    fail(Status::unsupported);
    return;
  }
  if (!w.fits) {
    ++capacity_errors_;
    fail(Status::capacity_error);
    return;
  }
  a.load = w;
  const std::uint64_t bytes = models::packed_bytes(r.k * r.n, r.weight_bits);
  if (!mem_ || bytes == 0) {
    program();
    return;
  }
  auto it = weights_.find(r.weight_id);
  auto mr = make<MemRequest>();
  mr->op = MemRequest::Op::read;
  mr->address = it != weights_.end() ? it->second.address : next_address_;
  mr->bytes = bytes;
  mr->tag = r.weight_id;
  mr->requester = endpoint_;
  mr->issued_at = now();
  mem_->send(std::move(mr));
}

void ReramCore::on_mem(TxnPtr<> t) {
  auto r = std::move(t).as<MemRequest>();
  if (!active_ || !active_->load) throw ModelError(name() + ": unexpected memory response");
  dram_read_ += r->bytes;
  if (r->status != Status::ok) {
    ++mem_errors_;
    active_->load.reset();
    fail(r->status);
    return;
  }
  program();
}

void ReramCore::program() {
  Active& a = *active_;
  a.program = program_weights(m_, *a.load);
  a.phase = Phase::program;
  schedule(*timer_, a.program.time_ps);
}

void ReramCore::start_gemm() {
  Active& a = *active_;
  const ComputeRequest& r = *a.req;
  a.transposed = r.op == kTransposedOp;
  auto it = weights_.find(r.weight_id);
  if (!r.static_weights || it == weights_.end()) {  // dynamic operands cannot be written per request
    fail(Status::unsupported);
    return;
  }
  Stored& st = it->second;
  // k and n name the stored K x N matrix, for gemm and gemm_t alike.
  const WeightShape& s = st.mapping.shape;
  if ((r.k != 0 && r.k != s.k) || (r.n != 0 && r.n != s.n)) {
    fail(Status::refused);
    return;
  }
  st.last_use = ++use_seq_;
  if (st.resident) {
    run_mvm();
    return;
  }
  // fit = reprogram and the matrix was evicted: make room, place it and program it again
  // (reading it from memory first when `mem` is linked), then run the products.
  evict_for(st.mapping.tiles_used, r.weight_id);
  if (free_tiles() < st.mapping.tiles_used) throw ModelError(name() + ": cannot make room for an evicted matrix");
  st.tiles = allocate(r.weight_id, st.mapping.tiles_used);
  st.resident = true;
  a.reprogram = true;
  a.load = st.mapping;
  const std::uint64_t bytes = models::packed_bytes(s.k * s.n, s.weight_bits);
  if (!mem_ || bytes == 0) {
    program();
    return;
  }
  auto mr = make<MemRequest>();
  mr->op = MemRequest::Op::read;
  mr->address = st.address;
  mr->bytes = bytes;
  mr->tag = r.weight_id;
  mr->requester = endpoint_;
  mr->issued_at = now();
  mem_->send(std::move(mr));
}

void ReramCore::run_mvm() {
  Active& a = *active_;
  const ComputeRequest& r = *a.req;
  const Stored& st = weights_.at(r.weight_id);
  const MvmInput in{r.m, r.input_bits, r.output_bits};
  try {
    a.mvm = a.transposed ? evaluate_mvm_transposed(m_, st.mapping, in) : evaluate_mvm(m_, st.mapping, in);
  } catch (const std::invalid_argument&) {
    fail(Status::unsupported);
    return;
  }
  a.phase = Phase::compute;
  schedule(*timer_, a.mvm->time_ps);
}

void ReramCore::book_capacity() {
  const std::uint64_t used = p_.tiles_per_core - free_tiles();
  capacity_used_.add(static_cast<double>(used) / static_cast<double>(p_.tiles_per_core));
  if (used > peak_tiles_) {
    capacity_used_peak_ += used - peak_tiles_;
    peak_tiles_ = used;
  }
}

void ReramCore::on_timer(TxnPtr<>) {
  Active& a = *active_;
  if (a.reprogram && a.phase == Phase::program && a.status == Status::ok) {
    // The evicted matrix is programmed again: book the writes, then run the products.
    const Stored& st = weights_.at(a.req->weight_id);
    record_wear(st.tiles, a.program.writes_per_cell);
    ++weights_programmed_;
    ++reprograms_;
    cells_written_ += a.program.cells_written;
    rows_written_ += a.program.rows_written;
    reprogram_cells_ += a.program.cells_written;
    reprogram_time_ += a.program.time_ps;
    e_cell_write_.add(a.program.cells_written);
    a.program_j = static_cast<double>(a.program.cells_written) * e_cell_write_.per_action();
    a.programmed = true;
    book_capacity();
    run_mvm();
    return;
  }
  finish_request();
}

void ReramCore::finish_request() {
  Active& a = *active_;
  ComputeRequest& r = *a.req;
  if (a.status == Status::unsupported) ++unsupported_;
  if (a.status == Status::refused) ++refused_;
  const bool is_load = r.kind == ComputeRequest::Kind::load_weights;
  if (a.reprogram && !a.programmed) {  // the evicted matrix could not be brought back
    Stored& st = weights_.at(r.weight_id);
    for (auto t : st.tiles) owner_[t] = -1;
    st.tiles.clear();
    st.resident = false;
  }
  if (is_load && a.status == Status::ok && a.load) {
    // Place the matrix: release the copy it replaces, take the lowest free tiles.
    Stored st;
    if (auto it = weights_.find(r.weight_id); it != weights_.end()) {
      for (auto t : it->second.tiles) owner_[t] = -1;
      st.address = it->second.address;
      weights_.erase(it);
    } else {
      st.address = next_address_;
      next_address_ += models::packed_bytes(r.k * r.n, r.weight_bits);
    }
    st.mapping = *a.load;
    st.tiles = allocate(r.weight_id, st.mapping.tiles_used);
    st.last_use = ++use_seq_;
    record_wear(st.tiles, a.program.writes_per_cell);
    weights_.emplace(r.weight_id, std::move(st));
    ++loads_;
    ++weights_programmed_;
    cells_written_ += a.program.cells_written;
    rows_written_ += a.program.rows_written;
    e_cell_write_.add(a.program.cells_written);
    duplication_.add(static_cast<double>(a.load->duplication));
    copies_ += a.load->duplication;
    if (a.load->duplication > 1) ++duplicated_loads_;
    r.energy_j = static_cast<double>(a.program.cells_written) * e_cell_write_.per_action();
    busy_ += now() - a.t0;
    service_.add(static_cast<double>(now() - a.t0));
    book_capacity();
  } else if (!is_load && a.status == Status::ok && a.mvm) {
    const MvmResult& v = *a.mvm;
    const double program_j = a.program_j;  // a reprogram before the products (booked then)
    if (a.transposed) ++transposed_gemms_;
    {
      const Stored& st = weights_.at(r.weight_id);
      const double copies = static_cast<double>(std::min<std::uint64_t>(st.mapping.duplication, r.m));
      xbar_busy_ += static_cast<double>(st.mapping.crossbars) * copies * static_cast<double>(v.time_ps);
    }
    ++gemms_;
    crossbar_reads_ += v.crossbar_reads;
    adc_conversions_ += v.adc_conversions;
    dac_activations_ += v.dac_activations;
    shift_adds_ += v.shift_adds;
    dequant_ops_ += v.dequant_ops;
    edram_read_ += v.edram_bytes_read;
    edram_written_ += v.edram_bytes_written;
    r.energy_j = core_common::book_energy({{e_xbar_, v.crossbar_reads},
                                           {e_adc_, v.adc_conversions},
                                           {e_dac_, v.dac_activations},
                                           {e_shift_add_, v.shift_adds},
                                           {e_edram_, v.edram_bytes_read + v.edram_bytes_written},
                                           {e_dequant_, v.dequant_ops}}) +
                 program_j;
    crossbar_utilisation_.add(v.crossbar_utilisation);
    cell_utilisation_.add(v.cell_utilisation);
    busy_ += now() - a.t0;
    service_.add(static_cast<double>(now() - a.t0));
  }
  r.status = a.status;
  const Time t0 = a.t0;
  TxnPtr<ComputeRequest> done = std::move(a.req);
  active_.reset();
  server_.complete(std::move(done), t0, [](const ComputeRequest& q) {
    return "{\"weight_id\":" + std::to_string(q.weight_id) + ",\"m\":" + std::to_string(q.m) +
           ",\"k\":" + std::to_string(q.k) + ",\"n\":" + std::to_string(q.n) + ",\"age\":" + std::to_string(q.age) +
           ",\"status\":\"" + to_string(q.status) + "\"}";
  });
}

}  // namespace strata::pim

STRATA_PLUGIN("pim", "1.0", "ReRAM processing-in-memory cores (ISAAC-style tiles)",
              strata::core_common::declare_power_stats(
              strata::core_common::declare_serving(
                  strata::component<strata::pim::ReramCore, strata::pim::CoreParams>("pim.reram_core")
                  .summary("ReRAM core of N ISAAC tiles: load_weights programs crossbars, gemm runs MVMs on them")
                  .description(
                      "Closed form from plugins/pim/model (ISAAC ISCA 2016 Table I; Atleus; PUMA writes). "
                      "load_weights (weight_id, k, n, weight_bits; m = input vectors per gemm, the copy "
                      "cap) slices weights over cells, tiles them over crossbars, places them on whole free "
                      "tiles (capacity_error when they do not fit), programs them (row-serial writes) and "
                      "counts wear per tile; a reload of the same weight_id replaces the old copy in place. "
                      "gemm with static_weights = true runs m input vectors through the stored matrix; an "
                      "unknown weight_id, dynamic operands or vector ops answer unsupported, a k/n that "
                      "contradicts the stored shape answers refused. With `mem` linked a load first reads "
                      "the matrix (k x n x weight_bits / 8 bytes) from memory. fit = duplicate | error | "
                      "reprogram: copies up to m, one copy, or one copy with least-recently-used eviction and "
                      "reprogramming of evicted matrices on demand (every write counted). op = \"gemm_t\": "
                      "transposed products y = W x through the stored matrix (activation gradients through "
                      "frozen weights; k, n name the stored matrix), slices reads per input step with the "
                      "rows sensed (model.hpp evaluate_mvm_transposed)."))
                  .port("mem", strata::PortDir::out, "mem", "optional: weight reads for load_weights (MemRequest)")
                  .counter("gemms", "count", "GEMMs completed")
                  .counter("loads", "count", "load_weights completed")
                  .counter("unsupported", "count", "requests answered unsupported (vector ops, unknown weights)")
                  .counter("capacity_errors", "count", "load_weights refused because the matrix does not fit")
                  .counter("refused", "count", "gemms whose k/n contradict the stored matrix")
                  .counter("mem_errors", "count", "weight reads answered with a failure status")
                  .counter("busy", "ps", "time serving requests")
                  .counter("crossbar_reads", "count", "crossbar read operations")
                  .counter("adc_conversions", "count", "ADC conversions")
                  .counter("dac_activations", "count", "row (DAC) activations (columns in a transposed gemm)")
                  .counter("shift_adds", "count", "shift-and-add operations")
                  .counter("dequant_ops", "count", "per-crossbar dequantisations")
                  .counter("edram_read", "B", "eDRAM bytes read (inputs)")
                  .counter("edram_written", "B", "eDRAM bytes written (outputs)")
                  .counter("weights_programmed", "count", "matrices programmed")
                  .counter("cells_written", "count", "cells programmed (all copies)")
                  .counter("rows_written", "count", "crossbar rows programmed")
                  .counter("max_writes_per_cell", "count", "writes of the most-written cell")
                  .counter("worn_tiles", "count", "tiles past their cell endurance")
                  .counter("capacity_used_peak", "tile", "most tiles occupied at once")
                  .counter("dram_read", "B", "weight bytes read from memory")
                  .accumulator("queue_wait", "ps", "time a request waited in the queue (a wake-up included)")
                  .accumulator("service", "ps", "service time per completed request")
                  .accumulator("crossbar_utilisation", "ratio", "per gemm: crossbars used / crossbars of the tiles used")
                  .accumulator("cell_utilisation", "ratio", "per gemm: cells holding weights / cells of the crossbars used")
                  .accumulator("capacity_used", "ratio", "after each load: occupied tiles / tiles")
                  .accumulator("duplication", "count", "copies per load")
                  .counter("transposed_gemms", "count", "gemms with op = \"gemm_t\" (also counted in gemms)")
                  .counter("evictions", "count", "matrices evicted to make room (fit = reprogram)")
                  .counter("reprograms", "count", "evicted matrices programmed again for a gemm (fit = reprogram)")
                  .counter("reprogram_cells", "count", "cells written by those reprograms (also in cells_written)")
                  .counter("reprogram_time", "ps", "time spent reprogramming evicted matrices (part of busy)")
                  .counter("copies", "count", "copies placed by completed loads (fit = duplicate may place > 1)")
                  .counter("duplicated_loads", "count", "loads placed with more than one copy")
                  .accumulator("utilisation", "ratio",
                               "one sample at the end: crossbar-time computing (crossbars of the copies a gemm "
                               "uses x its MVM time, summed) / (tiles x crossbars x run time)")
                  .energy("crossbar_read")
                  .energy("adc_conversion")
                  .energy("dac")
                  .energy("shift_add")
                  .energy("edram")
                  .energy("dequant")
                  .energy("cell_write")))
