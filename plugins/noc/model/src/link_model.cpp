// Closed forms of link_model.hpp; the formulas and their sources are documented there.
#include "strata/noc/link_model.hpp"

#include <fmt/format.h>

#include <cmath>
#include <numbers>
#include <stdexcept>

namespace strata::noc {
namespace {

__extension__ typedef unsigned __int128 U128;  // GCC/Clang; exact 64x64-bit products

void check_rc(const RcLinkParams& p) {
  if (!(p.capacitance >= 0) || !(p.resistance >= 0) || !(p.vdd >= 0) ||
      !(p.activity >= 0 && p.activity <= 1) || !(p.driver_resistance >= 0) ||
      !(p.load_capacitance >= 0)) {
    throw std::invalid_argument(fmt::format(
        "rc link: need C, R, Vdd, R_drv, C_load >= 0 and activity in [0, 1] (got C = {}, "
        "R = {}, Vdd = {}, activity = {}, R_drv = {}, C_load = {})",
        p.capacitance, p.resistance, p.vdd, p.activity, p.driver_resistance, p.load_capacitance));
  }
}

}  // namespace

double energy_per_bit(const RcLinkParams& p) {
  check_rc(p);
  return p.activity * (p.capacitance + p.load_capacitance) * p.vdd * p.vdd;
}

double elmore_delay(const RcLinkParams& p) {
  check_rc(p);
  return 0.69 * (p.driver_resistance * (p.capacitance + p.load_capacitance) +
                 p.resistance * (p.capacitance / 2 + p.load_capacitance));
}

Time elmore_delay_ps(const RcLinkParams& p) {
  // Round to a femtosecond first so that an exact value (27.000000000001 ps from binary
  // floating point) does not round up to the next picosecond.
  const double fs = std::round(elmore_delay(p) * 1e15);
  const auto ps = static_cast<Time>(std::ceil(fs / 1e3));
  return ps == 0 ? 1 : ps;
}

RcLinkParams in_series(const RcLinkParams& one, int segments) {
  if (segments < 1) throw std::invalid_argument(fmt::format("rc link: {} segments in series (need >= 1)", segments));
  RcLinkParams line = one;
  line.capacitance = one.capacitance * segments;
  line.resistance = one.resistance * segments;
  return line;
}

double tsv_resistance(const TsvGeometry& g) {
  const double r = g.diameter / 2;
  return g.resistivity * g.height / (std::numbers::pi * r * r);
}

double tsv_capacitance(const TsvGeometry& g) {
  const double r = g.diameter / 2;
  return 2 * std::numbers::pi * g.liner_permittivity * g.height /
         std::log((r + g.liner_thickness) / r);
}

double bandwidth_bits_per_s(const LinkTiming& t) {
  return static_cast<double>(t.width_bits) * t.frequency.hz;
}

double bandwidth_bytes_per_s(const LinkTiming& t) { return bandwidth_bits_per_s(t) / 8; }

Time cycles_to_ps(std::uint64_t cycles, std::uint64_t frequency_hz) {
  if (frequency_hz == 0) throw std::invalid_argument("cycles_to_ps: frequency is 0 Hz");
  // ceil(cycles * 1e12 / f) in exact integer arithmetic.
  const U128 num = static_cast<U128>(cycles) * 1'000'000'000'000ULL;
  const U128 ps = (num + frequency_hz - 1) / frequency_hz;
  if (ps > static_cast<U128>(UINT64_MAX)) {
    throw std::overflow_error("cycles_to_ps: result does not fit 64-bit picoseconds");
  }
  return static_cast<Time>(ps);
}

std::uint64_t flit_count(std::uint64_t bytes, std::uint32_t flit_bits) {
  if (flit_bits == 0) throw std::invalid_argument("flit_count: flit width is 0 bits");
  if (bytes == 0) return 1;
  if (bytes > UINT64_MAX / 8) throw std::overflow_error("flit_count: packet too large");
  return (8 * bytes + flit_bits - 1) / flit_bits;
}

std::uint64_t wormhole_cycles(std::uint32_t pipeline_cycles, std::uint64_t flits) {
  if (flits == 0) throw std::invalid_argument("wormhole_cycles: a packet has >= 1 flit");
  return pipeline_cycles + flits - 1;
}

std::uint64_t zero_load_cycles(std::uint32_t hops, std::uint32_t router_pipeline_cycles,
                               std::uint32_t link_cycles, std::uint64_t flits) {
  if (flits == 0) throw std::invalid_argument("zero_load_cycles: a packet has >= 1 flit");
  return static_cast<std::uint64_t>(hops) *
             (static_cast<std::uint64_t>(router_pipeline_cycles) + link_cycles) +
         flits - 1;
}

double planar_energy_per_bit(const PlanarWireParams& p) {
  if (!(p.energy_per_bit_per_mm >= 0) || !(p.length_mm >= 0)) {
    throw std::invalid_argument("planar wire: energy per bit per mm and length must be >= 0");
  }
  return p.energy_per_bit_per_mm * p.length_mm;
}

double router_energy_per_flit(const RouterEnergyParams& p, std::uint32_t flit_bits) {
  return static_cast<double>(flit_bits) *
             (p.buffer_write_per_bit.joules + p.buffer_read_per_bit.joules + p.crossbar_per_bit.joules) +
         p.switch_arbitration_per_flit.joules;
}

double router_energy_per_packet(const RouterEnergyParams& p, std::uint32_t flit_bits,
                                std::uint64_t flits) {
  return static_cast<double>(flits) * router_energy_per_flit(p, flit_bits) +
         p.vc_allocation_per_packet.joules;
}

}  // namespace strata::noc
