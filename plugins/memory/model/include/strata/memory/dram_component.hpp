// dram_component.hpp - what every component built on the DRAM model (memory.hbm,
// memory.hbm_pim) shares: the declaration of the model's parameters (DramParams itself, its
// fields bound under their TOML names), the channels as a component serves them (address
// interleaving, per-channel occupancy), and the service and statistics of ordinary accesses
// (MemRequests), so that memory.hbm_pim's ordinary traffic costs and counts exactly what
// memory.hbm's does. Header-only; plugins only (it needs the SDK).
#pragma once

#include <strata/memory/model.hpp>
#include <strata/strata.hpp>

#include <strata/models_common/units.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <vector>

namespace strata::memory {

// The DRAM model's seven fields, declared for a component's params struct P derived from
// DramParams: its fields bound where they are (one declaration for memory.hbm and
// memory.hbm_pim, so a parameter added to DramParams is declared here once, for both
// components and `strata info` alike). `burst_doc` and `energy_doc` say what a burst and a
// bit mean for that component.
template <class P>
void declare_dram_params(ParamSpec<P>& s, const char* burst_doc, const char* energy_doc) {
  static_assert(std::is_base_of_v<DramParams, P>, "a DRAM component's params derive from DramParams");
  s.param("channels", &DramParams::channels, "independent channels").range(1, 1024);
  s.param("channel_width", &DramParams::channel_width, "data width of one channel (e.g. \"128b\")").range(1, 1 << 16);
  s.param("data_rate", &DramParams::data_rate, "transfers per second per pin (\"2GHz\" = 2 GT/s)").min(1);
  s.param("access_latency", &DramParams::access_latency, "idle-channel access latency (activate + column + controller)");
  s.param("burst", &DramParams::burst, burst_doc).range(1, 1 << 20);
  s.param("energy_per_bit", &DramParams::energy_per_bit, energy_doc).min(0);
  s.param("static_power", &DramParams::static_power, "background power (refresh, standby)").min(0);
}

// The channels of one device as a component serves ordinary accesses: addresses interleave
// over the channels every `interleave` bytes, each channel moves its bursts in arrival order
// (busy until the last one it accepted), and a request completes `access_latency` after its
// slowest channel (the latency is pipelined: it does not occupy the channel).
class DramChannels {
 public:
  // `interleave_bytes` is a multiple of m.burst (the component checks it).
  void reset(const DramParams& m, std::uint64_t interleave_bytes) {
    channel_bw_ = channel_bandwidth(m);
    burst_ = m.burst.count;
    bursts_per_block_ = interleave_bytes / burst_;
    access_latency_ = m.access_latency.ps;
    busy_until_.assign(m.channels, 0);
  }
  struct Access {
    Time done = 0;               // the answer's time
    Time wait = 0;               // the longest a channel made the request wait
    std::uint64_t moved = 0;     // bytes rounded to whole bursts
    std::uint32_t channels = 0;  // channels touched
  };
  // Serve [address, address + bytes) (bytes > 0) arriving at `arrival`; `on_channel(c, xfer)`
  // is called for every channel c the request occupies, with its transfer time.
  template <class OnChannel>
  Access access(Time arrival, std::uint64_t address, std::uint64_t bytes, OnChannel&& on_channel) {
    const std::uint64_t first = address / burst_;
    const std::uint64_t end = (address + bytes - 1) / burst_ + 1;
    Access a;
    Time last = arrival;
    for (std::uint32_t c = 0; c < busy_until_.size(); ++c) {
      const std::uint64_t bursts = bursts_on(c, first, end);
      if (bursts == 0) continue;
      const Time start = std::max(arrival, busy_until_[c]);
      const Time xfer = models::bytes_to_ps(bursts * burst_, channel_bw_);
      busy_until_[c] = start + xfer;
      last = std::max(last, start + xfer);
      a.wait = std::max(a.wait, start - arrival);
      ++a.channels;
      on_channel(c, xfer);
    }
    a.moved = (end - first) * burst_;
    a.done = last + access_latency_;
    return a;
  }
  // Every channel busy until `t` at least (an all-bank operation holding the whole device).
  Time hold_all(Time from, Time duration) {
    Time start = from;
    for (Time b : busy_until_) start = std::max(start, b);
    std::fill(busy_until_.begin(), busy_until_.end(), start + duration);
    return start;
  }
  std::size_t count() const { return busy_until_.size(); }

 private:
  // Bursts j in [first, end) on channel c: burst j lies in block j / bursts_per_block, which
  // sits on channel block % channels.
  std::uint64_t bursts_on(std::uint32_t c, std::uint64_t first, std::uint64_t end) const {
    const std::uint64_t b = bursts_per_block_;
    const std::uint64_t period = b * busy_until_.size();
    auto below = [&](std::uint64_t x) {  // bursts j < x on channel c
      const std::uint64_t r = x % period, lo = c * b;
      return (x / period) * b + (r > lo ? std::min(r - lo, b) : 0);
    };
    return below(end) - below(first);
  }

  double channel_bw_ = 0;  // bytes/s per channel
  std::uint64_t burst_ = 1, bursts_per_block_ = 1;
  Time access_latency_ = 0;
  std::vector<Time> busy_until_;  // per channel
};

// The ordinary accesses of a DRAM component: a MemRequest of zero bytes is due ok at once,
// one past `capacity` address_error at once, any other is served by DramChannels and due at
// its completion (the component answers: mem_batch.hpp's serve_requests). Books reads/writes,
// bytes, bursts moved, channel busy time, latency, queue delay and the read/write energy per
// bit moved.
class DramAccesses {
 public:
  explicit DramAccesses(Energy energy_per_bit) : e_read_(energy_per_bit), e_write_(energy_per_bit) {}

  // reads, writes, bytes_read, bytes_written, bytes_moved, address_errors, busy, latency,
  // queue_delay, in that order (a component adds its own statistics after them).
  void register_stats(Component& c) {
    c.stat("reads", reads_);
    c.stat("writes", writes_);
    c.stat("bytes_read", bytes_read_);
    c.stat("bytes_written", bytes_written_);
    c.stat("bytes_moved", bytes_moved_);
    c.stat("address_errors", address_errors_);
    c.stat("busy", busy_);
    c.stat("latency", latency_);
    c.stat("queue_delay", queue_delay_);
  }
  // The energy actions "read" and "write".
  void register_energy(Component& c) {
    c.energy("read", e_read_);
    c.energy("write", e_write_);
  }

  // Book `r`, a MemRequest arriving now, and set its status. `on_channel(c, xfer)` is called
  // for every channel the request occupies (after busy time is booked); the channel access is
  // returned for a component's own statistics and the answer's time, a->done (none, and the
  // answer is due now, when answered without one). The caller answers (mem_batch.hpp's
  // serve_requests: one request, or a batch of them).
  template <class OnChannel>
  std::optional<DramChannels::Access> book(Component& c, MemRequest& r, DramChannels& channels, std::uint64_t capacity,
                                           OnChannel&& on_channel) {
    const bool write = r.op == MemRequest::Op::write;
    const Time arrival = c.now();
    if (r.bytes == 0) {
      r.status = Status::ok;
      return std::nullopt;
    }
    if (r.address >= capacity || r.bytes > capacity - r.address) {
      ++address_errors_;
      r.status = Status::address_error;
      return std::nullopt;
    }
    const DramChannels::Access a = channels.access(arrival, r.address, r.bytes, [&](std::uint32_t ch, Time xfer) {
      busy_ += xfer;
      on_channel(ch, xfer);
    });
    ++(write ? writes_ : reads_);
    (write ? bytes_written_ : bytes_read_) += r.bytes;
    bytes_moved_ += a.moved;
    (write ? e_write_ : e_read_).add(a.moved * 8);
    latency_.add(static_cast<double>(a.done - arrival));
    queue_delay_.add(static_cast<double>(a.wait));
    r.status = Status::ok;
    return a;
  }

  // Channel busy time of the accesses served, summed over channels (ps).
  std::uint64_t busy() const { return busy_.value(); }

 private:
  Counter reads_, writes_, bytes_read_, bytes_written_, bytes_moved_, address_errors_, busy_;
  Accumulator latency_, queue_delay_;
  EnergyAction e_read_, e_write_;
};

}  // namespace strata::memory
