// DRAM (HBM2, LPDDR4) at transaction level: a transfer of B bytes costs an access latency
// plus B at the bandwidth of the channels it uses, and B x 8 x energy per bit. Channel
// occupancy (queueing between transfers) belongs to the caller: these functions give one
// transfer's service time on an idle channel or channel set. Sources: JEDEC HBM2/LPDDR4
// organisation; energy per bit after O'Connor et al., "Fine-Grained DRAM", MICRO 2017.
// Not modelled: banks, row-buffer hits and misses, refresh stalls, read/write turnaround.
#pragma once

#include <strata/units.hpp>  // SDK unit types (header only): one struct serves the model and the TOML declaration

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::memory {

// One DRAM device or stack. Defaults: the Atleus HBM2 stack (see hbm2_atleus() for how
// its published numbers reconcile). This struct is the only copy of each default and the
// only declaration: memory.hbm's and memory.hbm_pim's parameters derive from it and bind its
// fields under the same names (memory::declare_dram_params), so its quantities carry the
// SDK's unit types (the model reads .count, .hz, .ps, .joules, .watts).
struct DramParams {
  std::uint32_t channels = 8;
  Bytes channel_width{16};  // 128 bits
  Frequency data_rate{2e9};  // transfers per second per pin (2 Gb/s/pin, DDR at 1 GHz)
  // Idle-channel access latency: activate + column read (HBM2 tRCD ~14 ns + tCL ~14 ns)
  // plus controller and PHY (~17 ns). Assumed, order of magnitude of JEDEC HBM2 bins.
  Duration access_latency{45'000};
  // Access granularity: transfers are rounded up to whole bursts (128-bit channel, BL2).
  Bytes burst{32};
  // ~3.9 pJ/bit for HBM2 (O'Connor et al., MICRO 2017, the HBM2 baseline: array + I/O).
  Energy energy_per_bit{3.9e-12};
  // Background power of the stack (refresh, standby). Not published for Atleus;
  // assumed 0.5 W for an HBM2 stack. Booked by the caller over simulated time.
  Power static_power{0.5};
};

// Atleus: "HBM2, 256 GB/s, 1024-bit, 600 MHz". 256 GB/s over 1024 bits needs 2 GT/s per
// pin (1024 x 2e9 / 8 = 256e9): JEDEC HBM2's top bin, 8 channels x 128 bits. A 600 MHz
// DDR interface would give only 1024 x 1.2e9 / 8 = 153.6 GB/s, so the 600 MHz cannot be
// the pin clock; we keep the published bandwidth and width, and read 600 MHz as another
// clock (e.g. the controller's), which this model does not need.
DramParams hbm2_atleus();
// LPDDR4-3200 x64 package: 4 channels x 16 bits at 3.2 GT/s = 25.6 GB/s, 32-byte bursts
// (BL16 x 16 bits). Latency ~60 ns (tRCD 18 ns + RL ~17.5 ns + controller) and ~5 pJ/bit
// (middle of the 4-6 pJ/bit range reported for LPDDR4) are assumptions; 0.1 W background.
DramParams lpddr4();
std::optional<DramParams> dram_preset(std::string_view name);

// Every problem with `p`, one message each; empty when valid.
std::vector<std::string> validate(const DramParams& p);

// channel_width x data_rate, bytes per second.
double channel_bandwidth(const DramParams& p) noexcept;
// channels x channel_bandwidth.
double peak_bandwidth(const DramParams& p) noexcept;

struct TransferResult {
  std::uint64_t time_ps = 0;         // latency + slowest channel's bytes / channel bandwidth
  std::uint64_t bytes_moved = 0;     // requested bytes rounded up to whole bursts
  std::uint32_t channels = 0;        // channels the transfer occupies
  std::uint64_t bytes_per_channel = 0;  // the most any one channel moves
  double energy = 0.0;               // bytes_moved x 8 x energy_per_bit
};

// B bytes over one channel: time = access_latency + ceil(B / burst) * burst / channel bw.
// A zero-byte transfer costs nothing. Throws std::invalid_argument on invalid params.
TransferResult channel_transfer(const DramParams& p, std::uint64_t bytes);

// B bytes striped burst by burst over `channels` channels (0 = all): the slowest channel
// moves ceil(bursts / channels) bursts, so time = access_latency + that / channel bw.
TransferResult striped_transfer(const DramParams& p, std::uint64_t bytes,
                                std::uint32_t channels = 0);

// static_power over `duration_ps`, joules.
double static_energy(const DramParams& p, std::uint64_t duration_ps) noexcept;

}  // namespace strata::memory
