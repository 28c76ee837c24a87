// fidelity = "message" against fidelity = "flit" (plugins/noc/README.md "Fidelity"): the
// message level must give the flit level's zero-load latency exactly (closed form), the same
// packet/flit counts and energy, latency within 10% below half of saturation and a
// saturation point within 15% on the 4x4 mesh, in far fewer events.
#include "noc_test_util.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using noc_test::flits;
using noc_test::Net;
using noc_test::one_transfer;
using noc_test::stats;
using noc_test::sum_over;
using strata::Time;

namespace {

std::vector<std::string> fidelity(const std::string& level, const std::string& router = "r") {
  return {router + ".fidelity=" + level, "ni.fidelity=" + level};
}

// The NI of endpoint k on a grid of `width` columns (grid order) or on a line (width 0).
std::string ni_name(int k, int width) {
  return width ? "ni[" + std::to_string(k / width) + "," + std::to_string(k % width) + "]"
               : "ni[" + std::to_string(k) + "]";
}

std::string read(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// One point of the 4x4 mesh example's latency-load curve (experiments/noc_latency_load/
// mesh4x4.toml: 1.5 us of uniform 64 B transfers, throughput window from 0.5 us).
struct Point {
  double offered, accepted, latency, events;
};
Point mesh_point(strata::testing::Harness& h, const std::string& level, double rate) {
  static const std::string toml =
      read(strata::testing::source_dir() / "topologies" / "examples" / "noc_mesh4x4_uniform.toml");
  auto sets = fidelity(level, "router");
  sets.push_back("traffic.rate=" + std::to_string(rate));
  sets.push_back("traffic.duration=\"1.5us\"");
  sets.push_back("traffic.warmup=\"0.5us\"");
  auto r = h.run(toml, strata::kTimeMax, sets);
  const auto& t = stats(r, "traffic");
  return {t.at("offered_throughput").at("mean").get<double>(), t.at("accepted_throughput").at("mean").get<double>(),
          t.at("latency").at("mean").get<double>(), static_cast<double>(r.result.events)};
}

}  // namespace

TEST_CASE("noc fidelity: message-level zero-load latency = (H+1) links + H pipelines + (all flits - 1) cycles, "
          "as the flit level",
          "[noc][fidelity]") {
  struct Case {
    std::string grid;
    int src, dst;
    Time hops;  // routers traversed
    std::uint64_t bytes, max_packet;
    int pipeline;
    double ghz;
  };
  auto c = GENERATE(Case{"[4]", 0, 3, 4, 64, 128, 3, 1.0}, Case{"[4]", 0, 3, 4, 1000, 96, 2, 2.0},
                    Case{"[4, 4]", 0, 15, 7, 64, 128, 3, 1.0}, Case{"[4, 4]", 0, 15, 7, 4096, 128, 3, 1.0},
                    Case{"[4, 4]", 5, 10, 3, 0, 128, 1, 1.0});
  CAPTURE(c.grid, c.bytes, c.max_packet);
  const Time cycle = static_cast<Time>(std::llround(1000.0 / c.ghz)), link = 1000;
  const std::string clock = std::to_string(c.ghz) + "GHz";
  Net n;
  n.grid = c.grid;
  n.router = "pipeline = " + std::to_string(c.pipeline) + ", clock = \"" + clock + "\"";
  n.ni = "clock = \"" + clock + "\", max_packet = \"" + std::to_string(c.max_packet) + "B\"";
  n.traffic = one_transfer(c.src, c.dst, c.bytes);
  // The flit level streams the packets back to back: P - 1 full ones, then the rest.
  const std::uint64_t packets = std::max<std::uint64_t>(1, (c.bytes + c.max_packet - 1) / c.max_packet);
  const Time all_flits =
      (packets - 1) * flits(c.max_packet, 128) + flits(c.bytes - (packets - 1) * c.max_packet, 128);
  const Time expect = (c.hops + 1) * link + c.hops * static_cast<Time>(c.pipeline) * cycle + (all_flits - 1) * cycle;
  strata::testing::Harness h;
  auto flit = h.run(n.toml(), strata::kTimeMax, fidelity("flit"));
  auto msg = h.run(n.toml(), strata::kTimeMax, fidelity("message"));
  const int width = c.grid == "[4]" ? 0 : 4;
  const std::string dst = ni_name(c.dst, width), src = ni_name(c.src, width);
  for (const auto* r : {&flit, &msg}) {
    // the requester's view: issue over the ctrl link to the last byte at the destination
    CHECK(stats(*r, "gen").at("latency").at("max").get<double>() == static_cast<double>(expect + link));
    CHECK(stats(*r, dst).at("packets_received") == packets);
    CHECK(stats(*r, dst).at("bytes_received") == c.bytes);
  }
  CHECK(stats(msg, dst).at("packet_latency").at("max").get<double>() == static_cast<double>(expect));
  CHECK(stats(msg, src).at("transfers") == 1);
  CHECK(stats(msg, src).at("packets_sent") == packets);
  // one event per hop each way, not per packet and flit
  CHECK(msg.result.events < flit.result.events);
}

TEST_CASE("noc fidelity: with a sink_bandwidth the message level consumes packet by packet, as the flit level",
          "[noc][fidelity]") {
  // 1000 B = 7 full 128 B packets + 104 B, consumed at 4 GB/s (a packet per 32 ns, slower
  // than the 8 ns a packet takes on the link); the 2 x 4 slots of the destination's buffer
  // hold all 8 packets, so the flit level never stalls and both levels give the closed form.
  Net n;
  n.grid = "[4]";
  n.ni = "max_packet = \"128B\", sink_bandwidth = \"4GB/s\"";
  n.traffic = one_transfer(0, 3, 1000);
  strata::testing::Harness h;
  auto flit = h.run(n.toml(), strata::kTimeMax, fidelity("flit"));
  auto msg = h.run(n.toml(), strata::kTimeMax, fidelity("message"));
  const Time cycle = 1000, link = 1000, hops = 4, pipe = 3, per_byte = 250;  // ps per byte at 4 GB/s
  // packet k's tail arrives head + (8 (k + 1) - 1) cycles; the sink takes them in turn
  Time head = (hops + 1) * link + hops * pipe * cycle, sink_free = 0, flits_in = 0;
  for (std::uint64_t k = 0; k < 8; ++k) {
    const std::uint64_t bytes = k < 7 ? 128 : 104;
    flits_in += flits(bytes, 128);
    sink_free = std::max(head + (flits_in - 1) * cycle, sink_free) + bytes * per_byte;
  }
  // the generator's latency: issue (over the ctrl link) to the last byte consumed
  for (const auto* r : {&flit, &msg})
    CHECK(stats(*r, "gen").at("latency").at("max").get<double>() == static_cast<double>(link + sink_free));
}

TEST_CASE("noc fidelity: message-level credits: a slow sink behind 1-message buffers stalls the routers upstream",
          "[noc][fidelity][credits]") {
  // 16 transfers of one packet each, issued back to back; every buffer holds one packet and
  // the sink consumes one per D = 64 ns: transfer k+1 reaches the NI only after transfer k's
  // credit came back, so the last router stalls for each of the later 15, as at the flit level:
  // period 2L + (F-1) cycles + D, stalled for period - (F cycles + 2L + pipeline).
  const std::uint64_t transfers = 16, bytes = 64, width = 128;
  const Time cycle = 1000, link = 1000, pipe = 3;
  const Time drain = 64'000;  // 64 B at 1 GB/s
  Net n;
  n.router = "vcs = 1, vc_depth = 1";
  n.ni = "vcs = 1, vc_depth = 1, max_packet = \"64B\", sink_bandwidth = \"1GB/s\"";
  n.traffic = "pattern = \"hotspot\", hotspots = [3], hotspot_fraction = 1.0, active = [0], count = " +
              std::to_string(transfers) + ", process = \"periodic\", rate = 1.0, size = \"64B\"";
  strata::testing::Harness h;
  const Time f = flits(bytes, width), period = 2 * link + (f - 1) * cycle + drain;
  for (const char* level : {"flit", "message"}) {
    CAPTURE(level);
    auto r = h.run(n.toml(), strata::kTimeMax, fidelity(level));
    CHECK(stats(r, "ni[3]").at("transfers_received") == transfers);
    CHECK(stats(r, "r[3]").at("credit_stalls") == transfers - 1);
    CHECK(stats(r, "r[3]").at("credit_stall_time") == (transfers - 1) * (period - (f * cycle + 2 * link + pipe * cycle)));
    CHECK(stats(r, "r[0]").at("credit_stall_time").get<double>() > 0);
    CHECK(stats(r, "ni[0]").at("credit_stall_time").get<double>() > 0);
  }
}

TEST_CASE("noc fidelity: the message level books the flit level's packets, flits and energy on the same routes",
          "[noc][fidelity]") {
  Net n;
  n.grid = "[4, 4]";
  n.ni = "max_packet = \"128B\"";
  // transfers of several packets, at a moderate uniform load (contention, same routes)
  n.traffic = "pattern = \"uniform\", rate = 0.01, size = \"1000B\", duration = \"2us\"";
  strata::testing::Harness h;
  auto flit = h.run(n.toml(), strata::kTimeMax, fidelity("flit"));
  auto msg = h.run(n.toml(), strata::kTimeMax, fidelity("message"));
  REQUIRE(sum_over(flit, "noc.ni", "transfers") > 100);
  CHECK(sum_over(msg, "noc.ni", "transfers") == sum_over(flit, "noc.ni", "transfers"));
  for (int r = 0; r < 16; ++r) {
    const std::string name = "r[" + std::to_string(r / 4) + "," + std::to_string(r % 4) + "]";
    CAPTURE(name);
    CHECK(stats(msg, name).at("packets") == stats(flit, name).at("packets"));
    CHECK(stats(msg, name).at("flits") == stats(flit, name).at("flits"));
  }
  for (const char* action : {"buffer_write", "buffer_read", "crossbar", "arbitration", "vc_allocation", "link"}) {
    CAPTURE(action);
    CHECK(sum_over(msg, "noc.router", "joules", action) ==
          Approx(sum_over(flit, "noc.router", "joules", action)).epsilon(1e-12));
  }
  // (static energy follows the run's length, which contention changes a little)
  CHECK(msg.stats["totals"]["dynamic_j"].get<double>() ==
        Approx(flit.stats["totals"]["dynamic_j"].get<double>()).epsilon(1e-12));
  // 8 packets per transfer: several times fewer events
  CHECK(static_cast<double>(msg.result.events) < 0.25 * static_cast<double>(flit.result.events));
}

TEST_CASE("noc fidelity: on the 4x4 mesh the message level is within 10% in latency below half of saturation, "
          "within 15% at saturation",
          "[noc][fidelity][load]") {
  strata::testing::Harness h;
  // Light load: up to half of the flit level's saturation (9.7 GB/s/node, README; checked below).
  for (double rate : {0.01, 0.03, 0.05, 0.07}) {
    CAPTURE(rate);
    const Point f = mesh_point(h, "flit", rate), m = mesh_point(h, "message", rate);
    CHECK(m.offered == f.offered);  // the same injected traffic
    CHECK(m.latency == Approx(f.latency).epsilon(0.10));
    CHECK(m.accepted == Approx(f.accepted).epsilon(0.10));
    CHECK(m.events < f.events);
  }
  // Saturated (offered ~1.4x the flit level's saturation): accepted throughput is where each
  // level saturates.
  const Point f = mesh_point(h, "flit", 0.22), m = mesh_point(h, "message", 0.22);
  CHECK(f.accepted < 0.85 * f.offered);  // really saturated
  CHECK(m.accepted < 0.85 * m.offered);
  CHECK(f.offered > 2 * 0.5 * 9.0e9);     // so the light points above were below half of it
  CHECK(m.accepted == Approx(f.accepted).epsilon(0.15));
  CHECK(m.latency > 5 * mesh_point(h, "message", 0.01).latency);  // latency climbs there too
}

TEST_CASE("noc fidelity: routers and NIs of different fidelity are refused", "[noc][fidelity][errors]") {
  Net n;
  n.grid = "[4]";
  n.traffic = one_transfer(0, 3, 64);
  strata::testing::Harness h;
  CHECK_THROWS_WITH(h.run(n.toml(), strata::kTimeMax, {"r.fidelity=message"}),
                    Catch::Contains("set fidelity alike"));
  CHECK_THAT(h.errors(n.toml(), {"r.fidelity=packet"}), Catch::Contains("fidelity"));
}

TEST_CASE("noc fidelity: message-level results are the same at any thread count", "[noc][fidelity][determinism]") {
  static const std::string toml =
      read(strata::testing::source_dir() / "topologies" / "examples" / "noc_mesh4x4_uniform.toml");
  strata::testing::Harness h;
  auto sets = fidelity("message", "router");
  sets.push_back("traffic.duration=\"1us\"");
  sets.push_back("traffic.warmup=\"0.2us\"");
  sets.push_back("traffic.rate=0.14");
  auto one = h.run(toml, strata::kTimeMax, sets);
  sets.push_back("threads=2");
  auto two = h.run(toml, strata::kTimeMax, sets);
  CHECK(two.engine->partitions() == 2);
  CHECK(one.stats.dump() == two.stats.dump());
}
