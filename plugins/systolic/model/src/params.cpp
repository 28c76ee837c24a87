// Systolic params: presets, validation, derived powers. The numbers live in model.hpp.
#include "strata/systolic/model.hpp"

#include <fmt/format.h>

namespace strata::systolic {

std::string_view to_string(Dataflow dataflow) noexcept {
  switch (dataflow) {
    case Dataflow::output_stationary: return "os";
    case Dataflow::weight_stationary: return "ws";
    case Dataflow::input_stationary: return "is";
  }
  return "?";
}

std::optional<Dataflow> parse_dataflow(std::string_view text) noexcept {
  if (text == "os" || text == "output_stationary") return Dataflow::output_stationary;
  if (text == "ws" || text == "weight_stationary") return Dataflow::weight_stationary;
  if (text == "is" || text == "input_stationary") return Dataflow::input_stationary;
  return std::nullopt;
}

SystolicParams atleus_sa() { return SystolicParams{}; }

Dataflow dataflow(const SystolicParams& p) noexcept {
  return parse_dataflow(p.dataflow).value_or(Dataflow::output_stationary);
}

double sram_bytes_per_cycle(const SystolicParams& p) noexcept {
  return p.frequency.hz > 0 ? p.sram_bandwidth.bytes_per_s / p.frequency.hz : 0.0;
}

double dram_bytes_per_cycle(const SystolicParams& p) noexcept {
  return p.ideal_dram || p.frequency.hz <= 0 ? 0.0 : p.dram_bandwidth.bytes_per_s / p.frequency.hz;
}

// The Atleus paper's 3D-TPU baseline: 2x2 cores of 128 x 128 PEs per tier at 800 MHz.
// Weight stationary as in TPU v1 (Jouppi et al., ISCA 2017). Not published for that
// baseline, so assumed by scaling the Atleus SA core with its PE count (x4): SRAM 4 Mb
// (same 1/2, 1/4, 1/4 split), power 4 x 2.13 W, one vector lane per column. The DRAM share
// stays 20 B/cycle (16 cores on one 256 GB/s HBM2 stack, as for Atleus).
SystolicParams tpu_128x128() {
  SystolicParams p;
  p.rows = 128;
  p.cols = 128;
  p.dataflow = "ws";
  p.ifmap_sram_size = Bytes{4 * 65536};
  p.filter_sram_size = Bytes{4 * 32768};
  p.ofmap_sram_size = Bytes{4 * 32768};
  p.vector_lanes = 128;
  p.power = Power{4 * 2.13};
  return p;
}

std::optional<SystolicParams> systolic_preset(std::string_view name) {
  if (name == "atleus_sa") return atleus_sa();
  if (name == "tpu_128x128") return tpu_128x128();
  return std::nullopt;
}

double full_activity_dynamic_power(const SystolicParams& p) noexcept {
  const double pes = static_cast<double>(p.rows) * static_cast<double>(p.cols);
  const double edge_bytes = static_cast<double>(p.rows) + static_cast<double>(p.cols);
  return pes * p.frequency.hz * p.mac_energy.joules + edge_bytes * p.frequency.hz * p.sram_read_energy_per_byte.joules;
}

double static_power(const SystolicParams& p) noexcept {
  return p.power.watts - full_activity_dynamic_power(p);
}

std::vector<std::string> validate(const SystolicParams& p) {
  std::vector<std::string> errors;
  auto require = [&](bool ok, std::string message) {
    if (!ok) errors.push_back(std::move(message));
  };
  require(p.rows > 0, "rows: must be > 0");
  require(p.cols > 0, "cols: must be > 0");
  require(parse_dataflow(p.dataflow).has_value(), "dataflow: must be os, ws or is, not '" + p.dataflow + "'");
  require(p.frequency.hz > 0.0, "frequency: must be > 0");
  require(p.ifmap_sram_size.count > 0, "ifmap_sram_size: must be > 0");
  require(p.filter_sram_size.count > 0, "filter_sram_size: must be > 0");
  require(p.ofmap_sram_size.count > 0, "ofmap_sram_size: must be > 0");
  require(p.sram_bandwidth.bytes_per_s > 0.0, "sram_bandwidth: must be > 0");
  require(p.dram_bandwidth.bytes_per_s >= 0.0, "dram_bandwidth: must be >= 0 (0 = unlimited)");
  require(p.accumulator_bits > 0, "accumulator_bits: must be > 0");
  require(p.vector_lanes > 0, "vector_lanes: must be > 0");
  require(p.mac_energy.joules >= 0.0 && p.sram_read_energy_per_byte.joules >= 0.0 &&
              p.sram_write_energy_per_byte.joules >= 0.0 && p.dram_interface_energy_per_byte.joules >= 0.0 &&
              p.vector_op_energy.joules >= 0.0,
          "energies: must be >= 0");
  if (errors.empty()) {
    require(static_power(p) >= 0.0,
            fmt::format("power: {} W is below the dynamic power at full activity ({} W); "
                        "raise power or lower the per-action energies",
                        p.power.watts, full_activity_dynamic_power(p)));
  }
  return errors;
}

}  // namespace strata::systolic
