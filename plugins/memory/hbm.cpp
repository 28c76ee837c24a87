#include "hbm.hpp"

#include <strata/memory/mem_batch.hpp>
#include <strata/models_common/units.hpp>

#include <algorithm>

namespace strata::memory {

void HbmParams::declare(ParamSpec<HbmParams>& s) {
  using P = HbmParams;
  declare_dram_params(s, "access granularity; transfers round up to whole bursts", "energy per bit moved (array + I/O)");
  s.param("capacity", &P::capacity, "addressable bytes; requests beyond answer address_error").min(1);
  s.param("interleave", &P::interleave, "channel interleaving granularity (a multiple of burst)").min(1);
  s.preset("hbm2_atleus", "Atleus HBM2: 8 x 128-bit channels at 2 GT/s = 256 GB/s over 1024 bits",
           [](P& p) { static_cast<DramParams&>(p) = hbm2_atleus(); });
  s.preset("lpddr4", "LPDDR4-3200 x64: 4 x 16-bit channels at 3.2 GT/s = 25.6 GB/s",
           [](P& p) {
             static_cast<DramParams&>(p) = lpddr4();
             p.capacity = Bytes{4ull << 30};  // a 4 GiB package (assumed)
           });
}

Hbm::Hbm(const ComponentContext& ctx)
    : Component(ctx),
      p_(ctx.params<HbmParams>()),
      accesses_(p_.energy_per_bit),
      channel_requests_(0.0, static_cast<double>(p_.channels), p_.channels) {
  std::string errors;
  for (const auto& e : validate(m_)) errors += (errors.empty() ? "" : "; ") + e;
  if (p_.interleave.count % p_.burst.count != 0)
    errors += (errors.empty() ? "" : "; ") + std::string("interleave: must be a multiple of burst");
  if (!errors.empty()) throw ConfigError(name() + ": " + errors);
  channels_.reset(m_, p_.interleave.count);
  set_static_power(p_.static_power);
  on_receive<&Hbm::on_request>("port", this);

  accesses_.register_stats(*this);
  stat("channels_per_request", channels_per_request_);
  stat("utilisation", utilisation_);
  stat("channel_requests", channel_requests_);
  accesses_.register_energy(*this);
}

void Hbm::finish() {
  const double capacity = static_cast<double>(now()) * static_cast<double>(p_.channels);
  utilisation_.add(capacity > 0 ? static_cast<double>(accesses_.busy()) / capacity : 0.0);
}

void Hbm::on_request(Port& port, TxnPtr<> t) {
  serve_requests(port, std::move(t), [this](MemRequest& r) {
    const auto a = accesses_.book(*this, r, channels_, p_.capacity.count,
                                  [&](std::uint32_t c, Time) { channel_requests_.add(static_cast<double>(c)); });
    if (!a) return Time{0};
    channels_per_request_.add(a->channels);
    return a->done - now();
  });
}

}  // namespace strata::memory

// A batch of MemRequests (mem_batch.hpp) crosses MPI ranks by value.
STRATA_TRANSACTION_TYPE(strata::memory::MemBatch);

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
                  .multi_port("port", strata::PortDir::inout, "mem", "one element per requester (MemRequest, or a MemBatch of them: mem_batch.hpp)")
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
