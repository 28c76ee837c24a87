// Closed-form electrical and timing models of NoC links, TSVs and routers, at the
// abstraction a transaction-level simulator needs: energy per bit, propagation delay,
// bandwidth, flit counts and zero-load wormhole latency. Time is picoseconds (strata::Time),
// capacitance farads, resistance ohms, voltage volts (plain doubles, SI); energies and clocks
// are the SDK's unit types (strata/units.hpp, header only: the model calls none of libstrata),
// so noc.router and noc.ni derive their parameters from these structs and declare the
// model's own fields for TOML and `strata info` (one struct per model, no mirror).
// Not modelled: inductance and skin effect of TSVs, TSV-to-TSV coupling, crosstalk,
// repeater insertion on planar wires, leakage/static power, data-dependent activity.
//
// Every default below is the only copy of that number; sources and assumptions are next to
// each one. Atleus publishes the TSV geometry and R, C; it does NOT publish Vdd, driver
// size, flit width, NoC energy per hop or TSV energy per bit (DESIGN.md), so those are
// Strata's documented choices.
#pragma once

#include <strata/units.hpp>

#include <cstdint>

namespace strata::noc {

// ---- a driven RC line: TSV or short wire ---------------------------------------------

// The fields stay plain SI doubles: noc.router declares them as `real` TOML values (F, ohm,
// V: tsv_capacitance = 37e-15), and the SDK has no capacitance, resistance or voltage type.
struct RcLinkParams {
  // Atleus TSV (5 um diameter, 15 um height): 37 fF, 20 mOhm (Atleus, arXiv:2501.09588;
  // DESIGN.md "reference chip").
  double capacitance = 37e-15;
  double resistance = 20e-3;
  // ASSUMPTION: nominal supply of a 32 nm high-performance process (the node of the
  // ISAAC/Atleus cores); PTM 32 nm HP (ASU Predictive Technology Model) uses 0.9 V.
  double vdd = 0.9;
  // Probability that a bit line makes a 0->1 transition per transferred bit. Uniform random
  // data: P(previous 0) * P(next 1) = 1/4.
  double activity = 0.25;
  // ASSUMPTION: output resistance of the TSV driver, about a 4x-minimum inverter at 32 nm
  // (order of kilo-ohms for a unit inverter; a larger driver is ~1/size of that).
  double driver_resistance = 1e3;
  // ASSUMPTION: receiver input capacitance (a few unit-inverter gates), 2 fF.
  double load_capacitance = 2e-15;
};

// Energy per transferred bit, J:  E_bit = activity * (C_line + C_load) * Vdd^2.
// Source: dynamic switching energy, Rabaey, Chandrakasan & Nikolic, "Digital Integrated
// Circuits", 2nd ed., 2003, ch. 5 (power of the CMOS inverter): a 0->1 transition draws
// C*Vdd^2 from the supply (half dissipated in the pull-up, half stored and dissipated on the
// later 1->0 discharge), so with `activity` = P(0->1) there is NO extra 0.5 factor. (The 0.5*C*V^2
// form counts energy per transition of either direction with a toggle rate of 2 * activity; same
// result.)
double energy_per_bit(const RcLinkParams& p);

// 50% propagation delay of a driver into the line, s (Elmore delay of the lumped-pi model):
//   t = 0.69 * ( R_drv * (C_line + C_load) + R_line * (C_line / 2 + C_load) ).
// Source: Elmore, "The transient response of damped linear networks", J. Appl. Phys. 19(1),
// 1948, applied to a lumped pi model of the line (half its C at each end); 0.69 = ln 2 turns
// the RC time constant into a 50% delay (Rabaey et al., ch. 4, wire models). For a
// distributed line Bakoglu ("Circuits, Interconnections, and Packaging for VLSI", 1990)
// uses 0.38 * R_line * C_line instead of 0.69 * R_line * C_line / 2; with R_tsv = 20 mOhm
// that term is ~1e-16 s either way, the driver term dominates.
double elmore_delay(const RcLinkParams& p);
// The same, rounded up to whole picoseconds and at least 1 ps (a link latency must be > 0).
Time elmore_delay_ps(const RcLinkParams& p);

// `segments` identical lines in series (a skip TSV through that many tiers, one TSV per
// tier): line capacitance and resistance add up; driver, receiver, Vdd and activity are
// those of the one driven end. Throws if segments < 1.
RcLinkParams in_series(const RcLinkParams& one, int segments);

// Lumped TSV parasitics from geometry, for sanity checks and what-ifs (defaults: Atleus).
// R = rho * h / (pi r^2)  (DC resistance of a copper cylinder);
// C = 2 pi eps_ox h / ln((r + t_ox) / r)  (coaxial oxide-liner capacitance, Katti et al.,
// "Electrical modeling and characterization of through silicon via for three-dimensional
// ICs", IEEE Trans. Electron Devices 57(1), 2010; depletion capacitance ignored).
struct TsvGeometry {
  double diameter = 5e-6;                       // m (Atleus)
  double height = 15e-6;                        // m (Atleus)
  double liner_thickness = 0.23e-6;             // m, SiO2 liner: ASSUMPTION, chosen so C = 37 fF
  double resistivity = 1.68e-8;                 // ohm*m, bulk copper at 20 C
  double liner_permittivity = 3.9 * 8.854e-12;  // F/m, SiO2
};
double tsv_resistance(const TsvGeometry& g);
double tsv_capacitance(const TsvGeometry& g);

// ---- bandwidth and timing ------------------------------------------------------------

// The only copy of the NoC's flit width and clock defaults (noc.router and noc.ni declare
// these fields as flit_width and clock).
struct LinkTiming {
  std::uint32_t width_bits = 128;  // ASSUMPTION: flit/phit width (Atleus: unpublished)
  Frequency frequency{1e9};        // ASSUMPTION: 1 GHz NoC clock
};
// bits per second = width * frequency.
double bandwidth_bits_per_s(const LinkTiming& t);
double bandwidth_bytes_per_s(const LinkTiming& t);
// Duration of `cycles` clock cycles in ps, rounded up once over the whole count (so 3 cycles
// at 1.2 GHz are exactly 2500 ps, not 3 * ceil(833.3)). Throws if frequency_hz == 0.
Time cycles_to_ps(std::uint64_t cycles, std::uint64_t frequency_hz);

// ---- packets, flits, wormhole latency ---------------------------------------------------

// flits = ceil(8 * bytes / flit_bits); 0 bytes still need 1 (header) flit. Throws if
// flit_bits == 0.
std::uint64_t flit_count(std::uint64_t bytes, std::uint32_t flit_bits);
// Wormhole single hop: the head flit spends `pipeline_cycles` in the router; the body
// follows one flit per cycle: cycles = pipeline + flits - 1 (flits >= 1).
std::uint64_t wormhole_cycles(std::uint32_t pipeline_cycles, std::uint64_t flits);
// Zero-load latency over `hops` router-plus-link hops: T0 = hops * (t_router + t_link) +
// (flits - 1), the head latency plus serialization (Dally & Towles, "Principles and
// Practices of Interconnection Networks", 2004, ch. 3: T0 = H*tr + L/b). With hops = 0
// only the serialization term flits - 1 remains. Throws if flits == 0.
std::uint64_t zero_load_cycles(std::uint32_t hops, std::uint32_t router_pipeline_cycles,
                               std::uint32_t link_cycles, std::uint64_t flits);

// ---- planar wires ----------------------------------------------------------------------

struct PlanarWireParams {
  // Energy per bit per mm of a full-swing repeated on-chip wire. Derivation: measured
  // conventional full-swing links of 310 fJ/bit/mm at 130 nm, 1.2 V (survey table in
  // "A Survey Addressing On-Chip Interconnect: Energy and Reliability Considerations", ISRN
  // Electronics 2012, Table 1), scaled by Vdd^2 to 0.9 V assuming capacitance per mm stays
  // roughly constant across nodes (Ho, Mai & Horowitz, "The future of wires", Proc. IEEE
  // 89(4), 2001): 310 * (0.9 / 1.2)^2 = 174 fJ/bit/mm. Low-swing circuits reach
  // ~40 fJ/bit/mm at 45 nm (Park et al., DATE 2013), a lower bound.
  double energy_per_bit_per_mm = 174e-15;
  double length_mm = 2.5;  // ASSUMPTION: core pitch of a 4 x 4 grid on a 10 x 10 mm tier
};
double planar_energy_per_bit(const PlanarWireParams& p);  // J/bit over the whole length

// ---- routers ---------------------------------------------------------------------------

// ASSUMPTIONS, order-of-magnitude values for a 5-port input-buffered VC router at 32 nm,
// chosen to match the range ORION 2.0 (Kahng et al., DATE 2009) and DSENT (Sun et al.,
// NOCS 2012) report; they are not taken from a table of either and should be replaced by a
// DSENT/ORION run for the chosen flit width when one is available.
struct RouterEnergyParams {
  Energy buffer_write_per_bit{8e-15};           // per bit, input-buffer write
  Energy buffer_read_per_bit{6e-15};            // per bit, input-buffer read
  Energy crossbar_per_bit{10e-15};              // per bit, crossbar traversal
  Energy switch_arbitration_per_flit{0.2e-12};  // per flit, switch allocator
  Energy vc_allocation_per_packet{0.3e-12};     // per packet (head flit), VC allocator
};
// E_flit = flit_bits * (write + read + crossbar) + switch arbitration, J.
double router_energy_per_flit(const RouterEnergyParams& p, std::uint32_t flit_bits);
// E_packet = flits * E_flit + VC allocation, J.
double router_energy_per_packet(const RouterEnergyParams& p, std::uint32_t flit_bits,
                                std::uint64_t flits);

}  // namespace strata::noc
