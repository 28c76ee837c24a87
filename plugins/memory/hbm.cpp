#include "hbm.hpp"

#include <strata/models_common/units.hpp>

#include <algorithm>

namespace strata::memory {

void HbmParams::declare(ParamSpec<HbmParams>& s) {
  using P = HbmParams;
  DramFields::declare(s, "access granularity; transfers round up to whole bursts", "energy per bit moved (array + I/O)");
  s.param("capacity", &P::capacity, "addressable bytes; requests beyond answer address_error").min(1);
  s.param("interleave", &P::interleave, "channel interleaving granularity (a multiple of burst)").min(1);
  s.preset("hbm2_atleus", "Atleus HBM2: 8 x 128-bit channels at 2 GT/s = 256 GB/s over 1024 bits",
           [](P& p) { p.assign(hbm2_atleus()); });
  s.preset("lpddr4", "LPDDR4-3200 x64: 4 x 16-bit channels at 3.2 GT/s = 25.6 GB/s",
           [](P& p) {
             p.assign(lpddr4());
             p.capacity = Bytes{4ull << 30};  // a 4 GiB package (assumed)
           });
}

Hbm::Hbm(const ComponentContext& ctx)
    : Component(ctx),
      p_(ctx.params<HbmParams>()),
      m_(p_.model()),
      channel_requests_(0.0, static_cast<double>(p_.channels), p_.channels),
      e_read_(p_.energy_per_bit),
      e_write_(p_.energy_per_bit) {
  std::string errors;
  for (const auto& e : validate(m_)) errors += (errors.empty() ? "" : "; ") + e;
  if (p_.interleave.count % p_.burst.count != 0)
    errors += (errors.empty() ? "" : "; ") + std::string("interleave: must be a multiple of burst");
  if (!errors.empty()) throw ConfigError(name() + ": " + errors);
  channel_bw_ = channel_bandwidth(m_);
  bursts_per_block_ = p_.interleave.count / p_.burst.count;
  busy_until_.assign(p_.channels, 0);
  set_static_power(p_.static_power);
  on_receive<&Hbm::on_request>("port", this);

  stat("reads", reads_);
  stat("writes", writes_);
  stat("bytes_read", bytes_read_);
  stat("bytes_written", bytes_written_);
  stat("bytes_moved", bytes_moved_);
  stat("address_errors", address_errors_);
  stat("busy", busy_);
  stat("latency", latency_);
  stat("queue_delay", queue_delay_);
  stat("channels_per_request", channels_per_request_);
  stat("utilisation", utilisation_);
  stat("channel_requests", channel_requests_);
  energy("read", e_read_);
  energy("write", e_write_);
}

void Hbm::finish() {
  const double capacity = static_cast<double>(now()) * static_cast<double>(p_.channels);
  utilisation_.add(capacity > 0 ? static_cast<double>(busy_.value()) / capacity : 0.0);
}

std::uint64_t Hbm::bursts_on(std::uint32_t c, std::uint64_t first, std::uint64_t end) const {
  // Burst j lies in block j / bursts_per_block, which sits on channel block % channels.
  const std::uint64_t b = bursts_per_block_;
  const std::uint64_t period = b * p_.channels;
  auto below = [&](std::uint64_t x) {  // bursts j < x on channel c
    const std::uint64_t r = x % period, lo = c * b;
    return (x / period) * b + (r > lo ? std::min(r - lo, b) : 0);
  };
  return below(end) - below(first);
}

void Hbm::on_request(Port& port, TxnPtr<> t) {
  auto r = std::move(t).as<MemRequest>();
  const bool write = r->op == MemRequest::Op::write;
  const Time arrival = now();
  if (r->bytes == 0) {
    r->status = Status::ok;
    port.send(std::move(r));
    return;
  }
  if (r->address >= p_.capacity.count || r->bytes > p_.capacity.count - r->address) {
    ++address_errors_;
    r->status = Status::address_error;
    port.send(std::move(r));
    return;
  }
  const std::uint64_t first = r->address / p_.burst.count;
  const std::uint64_t end = (r->address + r->bytes - 1) / p_.burst.count + 1;
  Time last = arrival;
  Time wait = 0;
  std::uint32_t touched = 0;
  for (std::uint32_t c = 0; c < p_.channels; ++c) {
    const std::uint64_t bursts = bursts_on(c, first, end);
    if (bursts == 0) continue;
    const Time start = std::max(arrival, busy_until_[c]);
    const Time xfer = models::bytes_to_ps(bursts * p_.burst.count, channel_bw_);
    busy_until_[c] = start + xfer;
    last = std::max(last, start + xfer);
    wait = std::max(wait, start - arrival);
    busy_ += xfer;
    ++touched;
    channel_requests_.add(static_cast<double>(c));
  }
  const std::uint64_t moved = (end - first) * p_.burst.count;
  const Time done = last + m_.access_latency;
  ++(write ? writes_ : reads_);
  (write ? bytes_written_ : bytes_read_) += r->bytes;
  bytes_moved_ += moved;
  (write ? e_write_ : e_read_).add(moved * 8);
  latency_.add(static_cast<double>(done - arrival));
  queue_delay_.add(static_cast<double>(wait));
  channels_per_request_.add(touched);
  r->status = Status::ok;
  port.send(std::move(r), done - arrival);
}

}  // namespace strata::memory

STRATA_PLUGIN("memory", "1.0", "DRAM memories (HBM2, LPDDR4) with channel contention",
              strata::component<strata::memory::Hbm, strata::memory::HbmParams>("memory.hbm")
                  .summary("Multi-channel DRAM: address-interleaved channels, FIFO per channel, latency + bytes/bw")
                  .description(
                      "Closed-form service per channel from plugins/memory/model (JEDEC organisation, "
                      "O'Connor et al. MICRO 2017 energy per bit). A request [address, address + bytes) is "
                      "rounded to bursts; burst j goes to channel (j / (interleave / burst)) % channels. "
                      "Each channel moves its bursts at channel_width x data_rate after it finishes the "
                      "bursts queued before them; the request completes access_latency after its slowest "
                      "channel. An idle aligned request of B bytes spread over all channels takes the "
                      "model's striped_transfer time. Requests past `capacity` answer address_error.")
                  .multi_port("port", strata::PortDir::inout, "mem", "one element per requester (MemRequest)")
                  .counter("reads", "count", "read requests served")
                  .counter("writes", "count", "write requests served")
                  .counter("bytes_read", "B", "bytes requested by reads")
                  .counter("bytes_written", "B", "bytes requested by writes")
                  .counter("bytes_moved", "B", "bytes moved on the channels (whole bursts)")
                  .counter("address_errors", "count", "requests beyond capacity")
                  .counter("busy", "ps", "channel busy time, summed over channels")
                  .accumulator("latency", "ps", "arrival to completion per request")
                  .accumulator("queue_delay", "ps", "per request: longest wait for a busy channel")
                  .accumulator("channels_per_request", "count", "channels a request is striped over")
                  .accumulator("utilisation", "ratio", "one sample at the end: busy / (channels x run time)")
                  .histogram("channel_requests", "channel", "requests touching each channel")
                  .energy("read")
                  .energy("write"))
