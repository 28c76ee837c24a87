// memory.hbm through the harness, driven by workload.mem_ops. Expected times are derived
// here from the parameters: access latency + bytes on the busiest channel / channel
// bandwidth, with channels chosen by (address / interleave) % channels.
#include "compute_driver.hpp"
#include "harness.hpp"

#include <strata/memory/mem_batch.hpp>
#include <strata/memory/model.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

namespace {

using u64 = std::uint64_t;
using strata::testing::Harness;

constexpr u64 kNs = 1000;
// hbm2_atleus: 8 channels x 128 bit x 2 GT/s = 32 GB/s each (1 B per 31.25 ps), 45 ns
// access, 32 B bursts, 256 B interleaving.
constexpr u64 kChannels = 8, kBlock = 256, kBurst = 32, kLatency = 45 * kNs;
constexpr double kChannelBw = 128.0 / 8.0 * 2e9;

u64 ps_for(u64 bytes, double bw) { return static_cast<u64>(static_cast<double>(bytes) / bw * 1e12 + 0.5); }

std::string hbm(const std::string& preset = "hbm2_atleus", const std::string& params = "") {
  return strata::testing::preset_component("hbm", "memory.hbm", preset, params);
}

std::string driver(const std::string& name, const std::string& params) {
  return R"(
[[component]]
name = ")" + name + R"("
type = "workload.mem_ops"
params = { )" + params + R"( }

[[link]]
from = ")" + name + R"(.mem"
to = "hbm.port[]"
latency = "1ns"
)";
}

const auto& stats(const strata::testing::Run& r, const std::string& c) { return r.stats["components"][c]["stats"]; }

}  // namespace

TEST_CASE("memory.hbm: HBM2 (Atleus) peak = 8 channels x 128 bit x 2 GT/s = 256 GB/s over 1024 bits",
          "[memory][plugin]") {
  const strata::memory::DramParams m = strata::memory::hbm2_atleus();
  CHECK(m.channels * m.channel_width.count * 8 == 1024);
  CHECK(strata::memory::peak_bandwidth(m) == Approx(256e9));
  CHECK(kChannels * kChannelBw == Approx(256e9));
}

TEST_CASE("memory.hbm: an idle request striped over every channel takes latency + B / (channels x channel bw)",
          "[memory][plugin]") {
  const u64 bytes = 64 * kBlock;  // 8 blocks on each channel
  Harness h;
  auto r = h.run(hbm() + driver("drv", "address = [0], bytes = [16384]"));
  const u64 t = kLatency + ps_for(bytes / kChannels, kChannelBw);
  CHECK(stats(r, "hbm")["latency"]["max"] == Approx(double(t)));
  CHECK(stats(r, "hbm")["channels_per_request"]["mean"] == Approx(double(kChannels)));
  CHECK(stats(r, "drv")["latency"]["max"] == Approx(double(t + 2 * kNs)));
  // Burst-by-burst striping in the closed-form model gives the same time.
  CHECK(strata::memory::striped_transfer(strata::memory::hbm2_atleus(), bytes).time_ps == t);
}

TEST_CASE("memory.hbm: a request inside one interleave block uses one channel: latency + B / channel bw",
          "[memory][plugin]") {
  Harness h;
  auto r = h.run(hbm() + driver("drv", "address = [0], bytes = [256]"));
  CHECK(stats(r, "hbm")["latency"]["max"] == Approx(double(kLatency + ps_for(kBlock, kChannelBw))));
  CHECK(stats(r, "hbm")["channels_per_request"]["mean"] == Approx(1.0));
}

TEST_CASE("memory.hbm: two requesters on the same channel queue; on different channels they do not",
          "[memory][plugin][contention]") {
  const u64 xfer = ps_for(kBlock, kChannelBw);
  SECTION("same channel: the second waits one transfer") {
    Harness h;
    auto r = h.run(hbm() + driver("a", "address = [0], bytes = [256], end_run = false") +
                   driver("b", "address = [0], bytes = [256], end_run = false"));
    const auto& s = stats(r, "hbm");
    CHECK(s["latency"]["min"] == Approx(double(kLatency + xfer)));
    CHECK(s["latency"]["max"] == Approx(double(kLatency + 2 * xfer)));
    CHECK(s["queue_delay"]["max"] == Approx(double(xfer)));
  }
  SECTION("adjacent blocks sit on different channels") {
    Harness h;
    auto r = h.run(hbm() + driver("a", "address = [0], bytes = [256], end_run = false") +
                   driver("b", "address = [256], bytes = [256], end_run = false"));
    const auto& s = stats(r, "hbm");
    CHECK(s["latency"]["max"] == Approx(double(kLatency + xfer)));
    CHECK(s["queue_delay"]["max"] == Approx(0.0));
  }
}

TEST_CASE("memory.hbm: back-to-back requests on one channel complete at latency + n x B / channel bw",
          "[memory][plugin][contention]") {
  Harness h;
  auto r = h.run(hbm() + driver("drv", "address = [0], bytes = [256], repeat = 4"));
  const u64 xfer = ps_for(kBlock, kChannelBw);
  CHECK(stats(r, "hbm")["latency"]["max"] == Approx(double(kLatency + 4 * xfer)));
  CHECK(stats(r, "hbm")["busy"] == 4 * xfer);
}

TEST_CASE("memory.hbm: block b goes to channel b % channels (striping histogram)", "[memory][plugin]") {
  Harness h;
  auto r = h.run(hbm() + driver("drv", "address = [512], bytes = [1024]"));  // blocks 2..5
  const auto& s = stats(r, "hbm");
  CHECK(s["channels_per_request"]["mean"] == Approx(4.0));
  CHECK(s["channel_requests"]["bins"] == nlohmann::json({0, 0, 1, 1, 1, 1, 0, 0}));
  CHECK(s["latency"]["max"] == Approx(double(kLatency + ps_for(kBlock, kChannelBw))));
}

TEST_CASE("memory.hbm: transfers round up to whole bursts; energy = bits moved x energy per bit",
          "[memory][plugin][energy]") {
  Harness h;
  // 64 bytes from address 16 touch bursts 0, 1 and 2.
  auto r = h.run(hbm() + driver("drv", "address = [16, 0], bytes = [64, 100]"));
  const u64 moved = 3 * kBurst + 4 * kBurst;
  const auto& c = r.stats["components"]["hbm"];
  CHECK(c["stats"]["bytes_read"] == 64 + 100);
  CHECK(c["stats"]["bytes_moved"] == moved);
  CHECK(c["energy"]["dynamic"]["read"]["joules"] == Approx(double(moved * 8) * 3.9e-12));
  CHECK(c["energy"]["static_j"] == Approx(0.5 * double(r.result.end_time) * 1e-12));
}

TEST_CASE("memory.hbm: writes are counted and timed like reads", "[memory][plugin]") {
  Harness h;
  auto r = h.run(hbm() + driver("drv", R"(op = "write", address = [0], bytes = [256])"));
  CHECK(stats(r, "hbm")["writes"] == 1);
  CHECK(stats(r, "hbm")["bytes_written"] == 256);
  CHECK(stats(r, "hbm")["latency"]["max"] == Approx(double(kLatency + ps_for(kBlock, kChannelBw))));
}

TEST_CASE("memory.hbm: a request past capacity answers address_error", "[memory][plugin]") {
  Harness h;
  auto r = h.run(hbm("hbm2_atleus", R"(capacity = "1MiB")") +
                 driver("drv", "address = [1048476, 1048476], bytes = [100, 200]"));
  CHECK(stats(r, "drv")["ok"] == 1);
  CHECK(stats(r, "drv")["address_error"] == 1);
  CHECK(stats(r, "hbm")["address_errors"] == 1);
}

TEST_CASE("memory.hbm: LPDDR4 preset = 4 channels x 16 bit x 3.2 GT/s (25.6 GB/s), 60 ns", "[memory][plugin][preset]") {
  Harness h;
  auto r = h.run(hbm("lpddr4") + driver("drv", "address = [0], bytes = [1024]"));  // one block per channel
  const double channel_bw = 16.0 / 8.0 * 3.2e9;
  CHECK(4 * channel_bw == Approx(25.6e9));
  CHECK(stats(r, "hbm")["latency"]["max"] == Approx(double(60 * kNs + ps_for(256, channel_bw))));
}

TEST_CASE("memory.hbm: an interleave that is not a multiple of the burst is a configuration error",
          "[memory][plugin]") {
  Harness h;
  CHECK_THROWS_WITH(h.run(hbm("hbm2_atleus", R"(interleave = "48B")") + driver("drv", "bytes = [1]")),
                    Catch::Contains("interleave"));
}

TEST_CASE("mem.batch: crosses MPI ranks by value: deserialize(serialize(b)) holds the same requests in the same order, "
          "and wire bytes = the writes' bytes",
          "[memory][batch]") {
  strata::memory::MemBatch b;
  for (u64 i = 0; i < 3; ++i) {
    auto r = strata::make<strata::MemRequest>();
    r->op = i == 2 ? strata::MemRequest::Op::write : strata::MemRequest::Op::read;
    r->address = 1000 * i;
    r->bytes = 64 + i;
    r->tag = i;
    r->requester = 7;
    r->issued_at = 5 * i;
    b.add(std::move(r));
  }
  CHECK(b.wire_bytes() == 66);  // a MemRequest's wire bytes: a write's payload, none for a read
  strata::ByteBuffer buf;
  b.serialize(buf);
  strata::memory::MemBatch c;
  c.deserialize(buf);
  CHECK(buf.remaining() == 0);
  REQUIRE(c.count == 3);
  for (u64 i = 0; i < 3; ++i) {
    CHECK(c.requests[i]->op == b.requests[i]->op);
    CHECK(c.requests[i]->address == 1000 * i);
    CHECK(c.requests[i]->bytes == 64 + i);
    CHECK(c.requests[i]->tag == i);
    CHECK(c.requests[i]->requester == 7);
    CHECK(c.requests[i]->issued_at == 5 * i);
  }
  b.add(strata::make<strata::MemRequest>());  // the 4th: a full batch (kCapacity)
  CHECK(b.count == strata::memory::MemBatch::kCapacity);
  CHECK_THROWS(b.add(strata::make<strata::MemRequest>()));
}
