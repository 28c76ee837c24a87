// Link, TSV and router models against closed forms derived here from the parameters.
#include "strata/noc/link_model.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>
#include <stdexcept>

using namespace strata::noc;
using Catch::Detail::Approx;

TEST_CASE("link: TSV energy per bit = activity * (C_tsv + C_load) * Vdd^2") {
  const RcLinkParams p;  // Atleus TSV + Strata defaults
  CHECK(p.capacitance == 37e-15);
  CHECK(p.resistance == 20e-3);
  const double expect = 0.25 * (37e-15 + 2e-15) * 0.9 * 0.9;  // 7.8975 fJ
  CHECK(energy_per_bit(p) == Approx(expect).epsilon(1e-12));
  CHECK(energy_per_bit(p) == Approx(7.8975e-15).epsilon(1e-9));

  RcLinkParams q = p;
  q.activity = 0.5;
  q.vdd = 1.0;
  q.load_capacitance = 0;
  CHECK(energy_per_bit(q) == Approx(0.5 * 37e-15).epsilon(1e-12));
  q.activity = 1.5;
  CHECK_THROWS_AS(energy_per_bit(q), std::invalid_argument);
}

TEST_CASE("link: TSV delay is the Elmore pi-model form") {
  RcLinkParams p;
  const double expect = 0.69 * (1e3 * (37e-15 + 2e-15) + 20e-3 * (37e-15 / 2 + 2e-15));
  CHECK(elmore_delay(p) == Approx(expect).epsilon(1e-12));
  // 26.91 ps -> 27 ps.
  CHECK(elmore_delay_ps(p) == 27);
  // Exact values do not round up: 0.69 * 1 kOhm * 100 fF = 69 ps exactly.
  p.driver_resistance = 1e3;
  p.capacitance = 100e-15;
  p.load_capacitance = 0;
  p.resistance = 0;
  CHECK(elmore_delay_ps(p) == 69);
  // Never 0: a link latency must be > 0.
  p.driver_resistance = 0;
  CHECK(elmore_delay_ps(p) == 1);
}

TEST_CASE("link: n TSVs in series add line C and R, keep driver, load, Vdd and activity") {
  RcLinkParams one;
  one.capacitance = 40e-15;
  one.resistance = 0.05;
  one.vdd = 1.0;
  one.activity = 0.5;
  one.driver_resistance = 2e3;
  one.load_capacitance = 1e-15;
  const RcLinkParams three = in_series(one, 3);
  CHECK(three.capacitance == Approx(120e-15));
  CHECK(three.resistance == Approx(0.15));
  CHECK(three.vdd == one.vdd);
  CHECK(three.activity == one.activity);
  CHECK(three.driver_resistance == one.driver_resistance);
  CHECK(three.load_capacitance == one.load_capacitance);
  // E_bit = activity * (3 C + C_load) * Vdd^2: only the line's share grows with the length.
  CHECK(energy_per_bit(three) == Approx(0.5 * (120e-15 + 1e-15) * 1.0 * 1.0));
  CHECK(in_series(one, 1).capacitance == one.capacitance);
  CHECK_THROWS_AS(in_series(one, 0), std::invalid_argument);
}

TEST_CASE("link: TSV geometry gives R and C of the published order") {
  const TsvGeometry g;  // 5 um x 15 um
  const double r = 2.5e-6;
  CHECK(tsv_resistance(g) == Approx(1.68e-8 * 15e-6 / (std::numbers::pi * r * r)).epsilon(1e-12));
  // Bulk copper alone gives ~13 mOhm; the published 20 mOhm includes more than the
  // cylinder (contacts, barrier), so only the order of magnitude is checked.
  CHECK(tsv_resistance(g) > 20e-3 / 2);
  CHECK(tsv_resistance(g) < 20e-3 * 2);
  const double c =
      2 * std::numbers::pi * 3.9 * 8.854e-12 * 15e-6 / std::log((2.5e-6 + 0.23e-6) / 2.5e-6);
  CHECK(tsv_capacitance(g) == Approx(c).epsilon(1e-12));
  CHECK(tsv_capacitance(g) == Approx(37e-15).epsilon(0.01));
}

TEST_CASE("link: bandwidth = width * frequency") {
  const LinkTiming t{128, strata::Frequency{1e9}};
  CHECK(bandwidth_bits_per_s(t) == Approx(128e9));
  CHECK(bandwidth_bytes_per_s(t) == Approx(16e9));
  CHECK(bandwidth_bytes_per_s({1024, strata::Frequency{600e6}}) == Approx(1024 * 600e6 / 8));
}

TEST_CASE("link: cycles_to_ps rounds up once over the whole count") {
  CHECK(cycles_to_ps(1, 1'000'000'000) == 1000);
  CHECK(cycles_to_ps(1, 800'000'000) == 1250);
  CHECK(cycles_to_ps(3, 1'200'000'000) == 2500);
  CHECK(cycles_to_ps(1, 1'200'000'000) == 834);
  CHECK(cycles_to_ps(0, 1'200'000'000) == 0);
  CHECK(cycles_to_ps(1'000'000'000'000ULL, 1'000'000'000) == 1'000'000'000'000'000ULL);
  CHECK_THROWS_AS(cycles_to_ps(1, 0), std::invalid_argument);
}

TEST_CASE("link: flits = ceil(8B / F), at least one") {
  CHECK(flit_count(0, 128) == 1);
  CHECK(flit_count(1, 128) == 1);
  CHECK(flit_count(16, 128) == 1);
  CHECK(flit_count(17, 128) == 2);
  CHECK(flit_count(64, 128) == 4);
  CHECK(flit_count(1000, 64) == 125);
  CHECK(flit_count(1001, 64) == 126);
  CHECK(flit_count(3, 5) == 5);  // 24 bits over 5-bit flits
  CHECK_THROWS_AS(flit_count(1, 0), std::invalid_argument);
}

TEST_CASE("link: wormhole cycles = pipeline + flits - 1; zero-load = H*(tr+tl) + flits - 1") {
  CHECK(wormhole_cycles(3, 1) == 3);
  CHECK(wormhole_cycles(3, 4) == 6);
  CHECK_THROWS_AS(wormhole_cycles(3, 0), std::invalid_argument);
  CHECK(zero_load_cycles(0, 3, 1, 4) == 3);
  CHECK(zero_load_cycles(1, 3, 1, 1) == 4);
  CHECK(zero_load_cycles(5, 3, 1, 4) == 5 * 4 + 3);
  // Consistent: one hop with no link delay is exactly the wormhole single-hop formula.
  CHECK(zero_load_cycles(1, 3, 0, 7) == wormhole_cycles(3, 7));
}

TEST_CASE("link: planar wire energy = E_bit_mm * length") {
  const PlanarWireParams p;
  CHECK(p.energy_per_bit_per_mm == Approx(310e-15 * (0.9 / 1.2) * (0.9 / 1.2)).epsilon(0.01));
  CHECK(planar_energy_per_bit(p) == Approx(174e-15 * 2.5));
  CHECK(planar_energy_per_bit({0.1e-12, 1.0}) == Approx(0.1e-12));
  CHECK_THROWS_AS(planar_energy_per_bit({0.1e-12, -1.0}), std::invalid_argument);
}

TEST_CASE("link: router energy per flit and per packet") {
  const RouterEnergyParams p;
  const double flit = 128 * (8e-15 + 6e-15 + 10e-15) + 0.2e-12;  // 3.272 pJ
  CHECK(router_energy_per_flit(p, 128) == Approx(flit));
  CHECK(router_energy_per_packet(p, 128, 4) == Approx(4 * flit + 0.3e-12));
  CHECK(router_energy_per_packet(p, 128, flit_count(64, 128)) ==
        Approx(router_energy_per_packet(p, 128, 4)));
}
