// Every expected number is derived here from the parameters, never copied from output.
#include "strata/memory/model.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <stdexcept>

using namespace strata::memory;
using u64 = std::uint64_t;

namespace {

u64 cdiv(u64 a, u64 b) { return (a + b - 1) / b; }

// ceil(bytes * 1e12 / bandwidth) with an integral bandwidth in bytes per second.
u64 serialise_ps(u64 bytes, u64 bytes_per_second) {
  return cdiv(bytes * 1'000'000'000'000ULL, bytes_per_second);
}

}  // namespace

TEST_CASE("memory: HBM2 (Atleus) peak = channels x width x rate / 8 = 256 GB/s over 1024 bits",
          "[memory]") {
  const auto p = hbm2_atleus();
  CHECK(u64{p.channels} * p.channel_width.count * 8 == 1024);
  CHECK(peak_bandwidth(p) == double(p.channels) * double(p.channel_width.count * 8) * p.data_rate.hz / 8);
  CHECK(peak_bandwidth(p) == 256e9);
  CHECK(channel_bandwidth(p) == 256e9 / p.channels);
  // The published 600 MHz cannot be the pin clock: DDR at 600 MHz on 1024 bits is
  // 153.6 GB/s, not 256 GB/s (see hbm2_atleus()).
  CHECK(1024.0 * 2 * 600e6 / 8 == 153.6e9);
  CHECK(validate(p).empty());
}

TEST_CASE("memory: LPDDR4-3200 x64 peak = 4 x 16 bit x 3.2 GT/s / 8 = 25.6 GB/s", "[memory]") {
  const auto p = lpddr4();
  CHECK(peak_bandwidth(p) == Approx(25.6e9));
  CHECK(validate(p).empty());
  CHECK(dram_preset("lpddr4").has_value());
  CHECK(dram_preset("hbm2_atleus").has_value());
  CHECK_FALSE(dram_preset("ddr5").has_value());
}

TEST_CASE("memory: one channel: time = latency + bursts x burst / channel bandwidth",
          "[memory]") {
  const auto p = hbm2_atleus();
  const u64 ch_bw = u64(channel_bandwidth(p));
  SECTION("whole bursts") {
    const u64 bytes = 4096;
    const auto r = channel_transfer(p, bytes);
    CHECK(r.channels == 1);
    CHECK(r.bytes_moved == bytes);
    CHECK(r.time_ps == p.access_latency.ps + serialise_ps(bytes, ch_bw));
  }
  SECTION("a partial burst is rounded up to a whole one") {
    const auto r = channel_transfer(p, p.burst.count + 1);
    CHECK(r.bytes_moved == 2 * p.burst.count);
    CHECK(r.time_ps == p.access_latency.ps + serialise_ps(2 * p.burst.count, ch_bw));
  }
  SECTION("zero bytes cost nothing") {
    const auto r = channel_transfer(p, 0);
    CHECK(r.time_ps == 0);
    CHECK(r.energy == 0.0);
  }
}

TEST_CASE("memory: striping over n channels: the slowest moves ceil(bursts / n) bursts",
          "[memory]") {
  const auto p = hbm2_atleus();
  const u64 ch_bw = u64(channel_bandwidth(p));
  SECTION("even split over all channels: serialisation 1/channels of one channel's") {
    const u64 bytes = u64{1} << 20;
    const auto all = striped_transfer(p, bytes);
    const auto one = channel_transfer(p, bytes);
    CHECK(all.channels == p.channels);
    CHECK(all.bytes_per_channel == bytes / p.channels);
    CHECK(all.time_ps == p.access_latency.ps + serialise_ps(bytes / p.channels, ch_bw));
    CHECK((one.time_ps - p.access_latency.ps) == p.channels * (all.time_ps - p.access_latency.ps));
    CHECK(all.time_ps == p.access_latency.ps + serialise_ps(bytes, u64(peak_bandwidth(p))));
  }
  SECTION("uneven split: 5 bursts over 4 channels, one channel moves 2") {
    const u64 bytes = 5 * p.burst.count;
    const auto r = striped_transfer(p, bytes, 4);
    CHECK(r.channels == 4);
    CHECK(r.bytes_per_channel == cdiv(5, 4) * p.burst.count);
    CHECK(r.time_ps == p.access_latency.ps + serialise_ps(2 * p.burst.count, ch_bw));
  }
  SECTION("asking for more channels than exist uses them all") {
    CHECK(striped_transfer(p, 4096, 64).channels == p.channels);
  }
}

TEST_CASE("memory: energy = bytes moved x 8 x energy per bit; static = power x time",
          "[memory][energy]") {
  const auto p = hbm2_atleus();
  const u64 bytes = 1000;  // not a burst multiple: 32 bursts = 1024 bytes moved
  const auto r = striped_transfer(p, bytes);
  CHECK(r.bytes_moved == cdiv(bytes, p.burst.count) * p.burst.count);
  CHECK(r.energy == Approx(double(r.bytes_moved) * 8 * p.energy_per_bit.joules));
  CHECK(r.energy == Approx(1024 * 8 * 3.9e-12));
  CHECK(static_energy(p, 2'000'000) == Approx(p.static_power.watts * 2e-6));
}

TEST_CASE("memory: invalid params are all reported and refused", "[memory]") {
  DramParams p;
  p.channels = 0;
  p.channel_width = strata::Bytes{0};
  p.data_rate = strata::Frequency{0.0};
  CHECK(validate(p).size() == 3);
  CHECK_THROWS_AS(channel_transfer(p, 64), std::invalid_argument);
}
