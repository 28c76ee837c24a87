// DRAM transfer model: presets and the two service-time functions of model.hpp.
#include "strata/memory/model.hpp"

#include "strata/models_common/units.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <stdexcept>

namespace strata::memory {
namespace {

void require_valid(const DramParams& p) {
  const auto errors = validate(p);
  if (!errors.empty()) {
    throw std::invalid_argument(fmt::format("dram params: {}", fmt::join(errors, "; ")));
  }
}

}  // namespace

DramParams hbm2_atleus() { return DramParams{}; }

DramParams lpddr4() {
  DramParams p;
  p.channels = 4;
  p.channel_width = Bytes{2};  // 16 bits
  p.data_rate = Frequency{3.2e9};
  p.access_latency = Duration{60'000};
  p.burst = Bytes{32};
  p.energy_per_bit = Energy{5e-12};
  p.static_power = Power{0.1};
  return p;
}

std::optional<DramParams> dram_preset(std::string_view name) {
  if (name == "hbm2_atleus") return hbm2_atleus();
  if (name == "lpddr4") return lpddr4();
  return std::nullopt;
}

std::vector<std::string> validate(const DramParams& p) {
  std::vector<std::string> errors;
  auto require = [&](bool ok, std::string message) {
    if (!ok) errors.push_back(std::move(message));
  };
  require(p.channels > 0, "channels: must be > 0");
  require(p.channel_width.count > 0, "channel_width: must be > 0");
  require(p.data_rate.hz > 0.0, "data_rate: must be > 0");
  require(p.burst.count > 0, "burst: must be > 0");
  require(p.energy_per_bit.joules >= 0.0, "energy_per_bit: must be >= 0");
  require(p.static_power.watts >= 0.0, "static_power: must be >= 0");
  return errors;
}

double channel_bandwidth(const DramParams& p) noexcept {
  return static_cast<double>(p.channel_width.count) * p.data_rate.hz;
}

double peak_bandwidth(const DramParams& p) noexcept {
  return static_cast<double>(p.channels) * channel_bandwidth(p);
}

TransferResult striped_transfer(const DramParams& p, std::uint64_t bytes, std::uint32_t channels) {
  require_valid(p);
  TransferResult r;
  if (bytes == 0) return r;
  r.channels = channels == 0 ? p.channels : std::min(channels, p.channels);
  const std::uint64_t bursts = models::ceil_div(bytes, p.burst.count);
  r.bytes_moved = bursts * p.burst.count;
  r.bytes_per_channel = models::ceil_div(bursts, r.channels) * p.burst.count;
  r.time_ps = p.access_latency.ps + models::bytes_to_ps(r.bytes_per_channel, channel_bandwidth(p));
  r.energy = static_cast<double>(r.bytes_moved) * 8.0 * p.energy_per_bit.joules;
  return r;
}

TransferResult channel_transfer(const DramParams& p, std::uint64_t bytes) {
  return striped_transfer(p, bytes, 1);
}

double static_energy(const DramParams& p, std::uint64_t duration_ps) noexcept {
  return p.static_power.watts * models::ps_to_seconds(duration_ps);
}

}  // namespace strata::memory
