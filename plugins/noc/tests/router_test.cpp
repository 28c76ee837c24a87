// noc.router and noc.ni: timing, flow control and energy against closed forms derived
// here from the parameters (never copied from a run).
#include "noc_test_util.hpp"

#include <catch2/catch.hpp>
#include <strata/noc/link_model.hpp>
#include <strata/noc/sfc.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

using noc_test::energy;
using noc_test::flits;
using noc_test::router_links;
using noc_test::Net;
using noc_test::one_transfer;
using noc_test::stats;
using noc_test::sum_over;
using strata::Time;


TEST_CASE("noc: zero-load packet latency = (H+1) links + H pipelines + (flits-1) cycles", "[noc][timing]") {
  struct Case {
    int pipeline;
    double ghz;
    Time link_ps;
    std::uint64_t bytes, width;
  };
  auto c = GENERATE(Case{3, 1.0, 1000, 64, 128}, Case{2, 2.0, 1500, 100, 64}, Case{1, 0.5, 4000, 16, 128},
                    Case{0, 1.0, 1000, 128, 32});
  const Time cycle = static_cast<Time>(std::llround(1000.0 / c.ghz));
  const std::string clock = std::to_string(c.ghz) + "GHz";
  Net n;
  n.router = "pipeline = " + std::to_string(c.pipeline) + ", clock = \"" + clock +
             "\", flit_width = " + std::to_string(c.width);
  n.ni = "clock = \"" + clock + "\", flit_width = " + std::to_string(c.width) + ", max_packet = \"1KiB\"";
  n.link = n.ni_link = std::to_string(c.link_ps) + "ps";
  n.traffic = one_transfer(0, 3, c.bytes);
  strata::testing::Harness h;
  auto r = h.run(n.toml());
  const Time hops = 4;  // routers r[0]..r[3]
  const Time f = flits(c.bytes, c.width);
  const Time expect = (hops + 1) * c.link_ps + hops * static_cast<Time>(c.pipeline) * cycle + (f - 1) * cycle;
  const auto& lat = stats(r, "ni[3]").at("packet_latency");
  CHECK(lat.at("count") == 1);
  CHECK(lat.at("min").get<double>() == static_cast<double>(expect));
  CHECK(stats(r, "ni[3]").at("hops").at("mean").get<double>() == 4.0);
  // The traffic generator sees the ctrl link on top of it.
  CHECK(stats(r, "gen").at("latency").at("max").get<double>() == static_cast<double>(expect + 1000));
  CHECK(r.stats["simulation"]["stop_reason"] == "requested");
}

TEST_CASE("noc: a transfer of B bytes is ceil(B / max_packet) packets, streamed one flit per cycle",
          "[noc][timing]") {
  const std::uint64_t max_packet = 96, width = 128;
  auto bytes = GENERATE(std::uint64_t{1}, std::uint64_t{96}, std::uint64_t{97}, std::uint64_t{1000});
  Net n;
  n.router = "pipeline = 3, vcs = 2, vc_depth = 4";
  n.ni = "max_packet = \"" + std::to_string(max_packet) + "B\", ack_size = \"8B\"";
  n.traffic = one_transfer(0, 3, bytes);
  strata::testing::Harness h;
  auto r = h.run(n.toml());
  const std::uint64_t packets = (bytes + max_packet - 1) / max_packet;
  CHECK(stats(r, "ni[0]").at("packets_sent") == packets);
  CHECK(stats(r, "ni[3]").at("packets_received") == packets);
  CHECK(stats(r, "ni[3]").at("bytes_received") == bytes);
  CHECK(stats(r, "ni[3]").at("transfers_received") == 1);
  CHECK(stats(r, "ni[3]").at("acks_sent") == 1);
  CHECK(stats(r, "ni[0]").at("transfers") == 1);
  CHECK(stats(r, "gen").at("arrivals") == 1);
  // Every packet but the last is full; they leave the NI back to back, one flit per cycle.
  const Time cycle = 1000, link = 1000, hops = 4, pipe = 3;
  const Time f_full = flits(max_packet, width);
  const Time f_last = flits(bytes - (packets - 1) * max_packet, width);
  const Time expect = link /* ctrl */ + (packets - 1) * f_full * cycle + (hops + 1) * link + hops * pipe * cycle +
                      (f_last - 1) * cycle;
  CHECK(stats(r, "gen").at("latency").at("max").get<double>() == static_cast<double>(expect));
  CHECK(noc_test::sum_over(r, "noc.router", "credit_stalls") == 0);
}

TEST_CASE("noc: two flows contending for one output take about twice as long, shared round-robin",
          "[noc][contention]") {
  const std::uint64_t packets = 64, max_packet = 128;
  Net n;
  n.ni = "max_packet = \"128B\"";
  n.traffic = one_transfer(0, 3, packets * max_packet);
  strata::testing::Harness h;
  auto one = h.run(n.toml());
  const double t1 = stats(one, "gen").at("latency").at("max").get<double>();
  // Flows 0 -> 3 and 1 -> 3 share the output r[1] -> r[2].
  n.traffic = "pattern = \"hotspot\", hotspots = [3], hotspot_fraction = 1.0, active = [0, 1], count = 1, "
              "process = \"periodic\", size = \"" + std::to_string(packets * max_packet) + "B\"";
  auto two = h.run(n.toml());
  const auto& lat = stats(two, "gen").at("latency");
  CHECK(lat.at("count") == 2);
  const double t2 = lat.at("max").get<double>();
  CHECK(t2 / t1 == Approx(2.0).margin(0.06));
  // Round robin: both flows get half the link, so they finish close together.
  CHECK(lat.at("max").get<double>() - lat.at("min").get<double>() < 0.05 * t2);
  // The shared output was busy nearly all the time: its router forwarded both flows.
  CHECK(stats(two, "r[1]").at("packets").get<std::uint64_t>() >= 2 * packets);
  // ... and its busiest output was busy 2 * 64 packets * 8 flits of the ~1.05 us run.
  const double end = two.stats["simulation"]["end_time_ps"].get<double>();
  CHECK(stats(two, "r[1]").at("port_utilisation").at("max").get<double>() == Approx(2.0 * packets * 8 * 1000 / end));
  CHECK(stats(two, "r[1]").at("buffer_occupancy").at("max").get<double>() <= 2 * 4);  // vcs x vc_depth
}

TEST_CASE("noc: a 1-packet buffer in front of a slow sink stalls the upstream routers (credits)",
          "[noc][credits]") {
  // Every buffer holds one packet; the destination consumes a packet in D = bytes / sink.
  // Packet k+1 can enter the NI only after packet k's credit returned: the sink idles for
  // the credit round trip, so packets are consumed every 2L + (F-1) cycles + D.
  const std::uint64_t packets = 16, bytes = 64, width = 128;
  const Time cycle = 1000, link = 1000, pipe = 3, hops = 4;
  const Time drain = 64'000;  // 64 B at 1 GB/s
  Net n;
  n.router = "vcs = 1, vc_depth = 1";
  n.ni = "vcs = 1, vc_depth = 1, max_packet = \"64B\", sink_bandwidth = \"1GB/s\"";
  n.traffic = one_transfer(0, 3, packets * bytes);
  strata::testing::Harness h;
  auto slow = h.run(n.toml());
  const Time f = flits(bytes, width);
  const Time first = (hops + 1) * link + hops * pipe * cycle + (f - 1) * cycle + drain;
  const Time period = 2 * link + (f - 1) * cycle + drain;
  const Time expect = link /* ctrl */ + first + (packets - 1) * period;
  CHECK(stats(slow, "gen").at("latency").at("max").get<double>() == static_cast<double>(expect));
  // The last router waits for the sink's credit before each of the later packets: it
  // becomes ready (P + F cycles + 2 links after the previous one left) and stalls until
  // the credit is back.
  CHECK(stats(slow, "r[3]").at("credit_stalls") == packets - 1);
  CHECK(stats(slow, "r[3]").at("credit_stall_time") ==
        (packets - 1) * (period - (f * cycle + 2 * link + pipe * cycle)));
  // Back-pressure reaches the first router and the injecting NI.
  CHECK(stats(slow, "r[0]").at("credit_stall_time").get<double>() > 0);
  CHECK(stats(slow, "ni[0]").at("credit_stall_time").get<double>() > 0.5 * static_cast<double>(expect));

  n.ni = "vcs = 1, vc_depth = 1, max_packet = \"64B\"";
  auto fast = h.run(n.toml());
  CHECK(stats(fast, "gen").at("latency").at("max").get<double>() < 0.25 * static_cast<double>(expect));
  CHECK(stats(fast, "r[3]").at("credit_stall_time").get<double>() <
        0.1 * stats(slow, "r[3]").at("credit_stall_time").get<double>());
}

TEST_CASE("noc: router energy = flits x per-flit energies, planar link energy per bit per grid step",
          "[noc][energy]") {
  const std::uint64_t bytes = 200, width = 64, ack = 8;
  const double w = 12e-15, rd = 7e-15, xb = 9e-15, arb = 0.5e-12, vca = 0.25e-12, wire = 300e-15;
  Net n;
  n.router = "flit_width = 64, buffer_write = \"12fJ\", buffer_read = \"7fJ\", crossbar = \"9fJ\", "
             "arbitration = \"0.5pJ\", vc_allocation = \"0.25pJ\", planar_link = \"300fJ\", static_power = \"1mW\"";
  n.ni = "flit_width = 64, max_packet = \"1KiB\", ack_size = \"8B\"";
  n.traffic = one_transfer(0, 3, bytes);
  strata::testing::Harness h;
  auto r = h.run(n.toml());
  // 4 routers each forward the data packet and the completion packet coming back.
  const double f = static_cast<double>(flits(bytes, width) + flits(ack, width));
  const double routers = 4, links = 3;
  CHECK(sum_over(r, "noc.router", "flits") == routers * f);
  CHECK(sum_over(r, "noc.router", "joules", "buffer_write") == Approx(routers * f * w * width));
  CHECK(sum_over(r, "noc.router", "joules", "buffer_read") == Approx(routers * f * rd * width));
  CHECK(sum_over(r, "noc.router", "joules", "crossbar") == Approx(routers * f * xb * width));
  CHECK(sum_over(r, "noc.router", "joules", "arbitration") == Approx(routers * f * arb));
  CHECK(sum_over(r, "noc.router", "joules", "vc_allocation") == Approx(routers * 2 * vca));
  CHECK(sum_over(r, "noc.router", "joules", "link") == Approx(links * f * width * wire));
  CHECK(sum_over(r, "noc.router", "joules", "tsv") == 0);
  const double seconds = r.stats["simulation"]["end_time_ps"].get<double>() * 1e-12;
  CHECK(r.stats["components"]["r[2]"]["energy"]["static_j"].get<double>() == Approx(1e-3 * seconds));
}

TEST_CASE("noc: a TSV books activity * C * Vdd^2 per bit and adds its Elmore delay", "[noc][tsv]") {
  const double c = 50e-15, res = 0.05, vdd = 1.0, act = 0.5, rdrv = 2000, cl = 0;
  const std::uint64_t bytes = 64, width = 128;
  Net n;
  n.grid = "[1, 1, 2]";
  n.router = "tsv_capacitance = 50e-15, tsv_resistance = 0.05, vdd = 1.0, activity = 0.5, "
             "driver_resistance = 2000.0, load_capacitance = 0.0";
  n.wiring = router_links("vertical");
  n.traffic = one_transfer(0, 1, bytes);
  strata::testing::Harness h;
  auto r = h.run(n.toml());
  const double e_bit = act * c * vdd * vdd;
  const double f = static_cast<double>(flits(bytes, width) + flits(8, width));  // data up, ack down
  CHECK(sum_over(r, "noc.router", "joules", "tsv") == Approx(f * width * e_bit));
  CHECK(sum_over(r, "noc.router", "count", "tsv") == f);
  CHECK(sum_over(r, "noc.router", "joules", "link") == 0);
  const Time delay = static_cast<Time>(std::ceil(0.69 * (rdrv * (c + cl) + res * (c / 2 + cl)) * 1e12 - 1e-6));
  const Time cycle = 1000, link = 1000, pipe = 3, hops = 2;
  const Time expect = (hops + 1) * link + hops * pipe * cycle + (flits(bytes, width) - 1) * cycle + delay;
  CHECK(stats(r, "ni[0,0,1]").at("packet_latency").at("min").get<double>() == static_cast<double>(expect));
}

TEST_CASE("noc: Atleus TSV defaults: 37 fF, 20 mOhm give the link model's energy per bit", "[noc][tsv]") {
  strata::noc::RcLinkParams atleus;
  CHECK(atleus.capacitance == 37e-15);
  CHECK(atleus.resistance == 20e-3);
  Net n;
  n.grid = "[1, 1, 2]";
  n.wiring = router_links("vertical");
  n.traffic = one_transfer(0, 1, 16);
  strata::testing::Harness h;
  auto r = h.run(n.toml());
  const double bits = 2 * 128;  // one data flit up, one ack flit down
  const double e_bit = atleus.activity * (atleus.capacitance + atleus.load_capacitance) * atleus.vdd * atleus.vdd;
  CHECK(sum_over(r, "noc.router", "joules", "tsv") == Approx(bits * e_bit));
  CHECK(e_bit == Approx(strata::noc::energy_per_bit(atleus)));
  // Elmore delay of the default driver into the TSV: 0.69 * (1 kOhm * 39 fF + ...) = 26.9 ps -> 27 ps.
  const double elmore = 0.69 * (atleus.driver_resistance * (atleus.capacitance + atleus.load_capacitance) +
                                atleus.resistance * (atleus.capacitance / 2 + atleus.load_capacitance));
  const Time delay = static_cast<Time>(std::ceil(elmore * 1e12));
  CHECK(delay == 27);
  CHECK(stats(r, "ni[0,0,1]").at("packet_latency").at("min").get<double>() == static_cast<double>(3 * 1000 + 2 * 3000 + delay));
}

TEST_CASE("noc: a skip link across tiers is one hop of |dz| TSV segments (table routing)", "[noc][tsv]") {
  // Four tiers stacked, adjacent tiers joined, plus a skip link from tier 3 to tier 0.
  const double c = 37e-15, res = 20e-3, vdd = 0.9, act = 0.25, rdrv = 1000, cl = 2e-15;
  Net n;
  n.grid = "[1, 1, 4]";
  n.router = "routing = \"table\"";
  n.wiring = router_links("vertical") + router_links("skip", "layers = [3, 0]\n");
  n.traffic = one_transfer(3, 0, 16);
  strata::testing::Harness h;
  auto r = h.run(n.toml());
  CHECK(stats(r, "ni[0,0,0]").at("hops").at("mean").get<double>() == 2.0);  // r[..3] then r[..0]
  const double e_skip = act * (3 * c + cl) * vdd * vdd;
  // data and ack both take the skip link (1 flit each)
  CHECK(sum_over(r, "noc.router", "joules", "tsv") == Approx(2 * 128 * e_skip));
  const Time delay = static_cast<Time>(std::ceil(0.69 * (rdrv * (3 * c + cl) + 3 * res * (3 * c / 2 + cl)) * 1e12 - 1e-6));
  const Time expect = 3 * 1000 + 2 * 3 * 1000 + 0 + delay;
  CHECK(stats(r, "ni[0,0,0]").at("packet_latency").at("min").get<double>() == static_cast<double>(expect));
}

TEST_CASE("noc: configuration mistakes are reported", "[noc][errors]") {
  struct Mistake {
    const char* what;
    Net net;              // the mistake (traffic, unless set: one transfer per node)
    const char* message;  // what the error must name
  };
  auto m = GENERATE_COPY(
      Mistake{"a torus under DOR needs two VC classes",
              Net{.grid = "[4, 4]", .router = "vcs = 1", .ni = "vcs = 1", .wiring = router_links("torus")},
              "vcs >= 2"},
      Mistake{"DOR needs a full mesh",
              Net{.grid = "[4, 4]", .wiring = router_links("chain", "curve = \"snake\"\n")}, "routing = \"table\""},
      Mistake{"routers and NIs must agree on the buffer geometry", Net{.ni = "vc_depth = 2"}, "vc_depth"},
      Mistake{"noc links are serialised by the routers, not by a link bandwidth",
              Net{.wiring = router_links("mesh", "bandwidth = \"16GB/s\"\n")}, "must not set a bandwidth"},
      Mistake{"a traffic generator that would never end", Net{.traffic = "rate = 0.1"}, "duration or count"});
  CAPTURE(m.what);
  if (m.net.traffic.empty()) m.net.traffic = "count = 1";
  strata::testing::Harness h;
  CHECK_THROWS_WITH(h.run(m.net.toml()), Catch::Contains(m.message));
}

// Zero-load latency on every generator, against the closed form derived from the route the
// routing function must take: H routers, H + 1 links (NI -> router, H - 1 router links,
// router -> NI), H pipelines, flits - 1 cycles of serialisation, plus the Elmore delay of
// each TSV crossed (|dz| segments in series for a link spanning |dz| tiers).
namespace {
struct ZeroLoad {
  const char* name;
  std::string grid, wiring, router;
  int dims[3];        // grid extents
  int src[3], dst[3]; // node coordinates
  Time hops;          // routers on the route, derived in the test case below
  std::vector<int> tsv_spans;  // |dz| of every vertical link crossed
};

Time tsv_delay_ps(int tiers) {  // defaults of noc.router: the Atleus TSV and driver
  const double c = 37e-15 * tiers, res = 20e-3 * tiers, rdrv = 1e3, cl = 2e-15;
  const double s = 0.69 * (rdrv * (c + cl) + res * (c / 2 + cl));
  return std::max<Time>(1, static_cast<Time>(std::ceil(s * 1e12 - 1e-6)));
}

int node_index(const int* dims, const int* c) { return c[0] + dims[0] * (c[1] + dims[1] * c[2]); }
std::string ni_name(const ZeroLoad& z, const int* c) {
  std::string s = "ni[" + std::to_string(c[0]) + "," + std::to_string(c[1]);
  if (z.grid.find(',') != z.grid.rfind(',')) s += "," + std::to_string(c[2]);
  return s + "]";
}
}  // namespace

TEST_CASE("noc: zero-load latency closed form on mesh, torus, 3D mesh, 3D torus and chain generators",
          "[noc][timing][zero-load]") {
  // Snake order on 4x4: row y runs x ascending when y is even, descending when odd, so
  // (0,0) is position 0 and (0,1) position 7; a chain is a path, and up*/down* on a path
  // takes the only route: |7 - 0| links between routers, 8 routers.
  const int snake_from = 0, snake_to = 1 * 4 + (4 - 1 - 0);
  // Hilbert on 4x4 (model's curve, the builder's chain uses the same order).
  const auto hil = strata::noc::curve_index(strata::noc::hilbert_order(4, 4), 4, 4);
  const auto hil_a = hil[0 * 4 + 0], hil_b = hil[3 * 4 + 0];  // (0,0) and (0,3)
  const Time hil_hops = static_cast<Time>(hil_a > hil_b ? hil_a - hil_b : hil_b - hil_a) + 1;

  const Time tsv1 = tsv_delay_ps(1), tsv3 = tsv_delay_ps(3);
  auto c = GENERATE_COPY(
      // 2D mesh: X then Y, |dx| + |dy| router links.
      ZeroLoad{"mesh 4x4", "[4, 4]", router_links("mesh"), "", {4, 4, 1}, {0, 0, 0}, {3, 2, 0}, 3 + 2 + 1, {}},
      // 2D torus: x 0 -> 3 is one hop back over the wrap link; y 0 -> 2 is a tie (2 either way,
      // the + direction is taken): 1 + 2 links.
      ZeroLoad{"torus 4x4", "[4, 4]", router_links("torus"), "", {4, 4, 1}, {0, 0, 0}, {3, 2, 0}, 1 + 2 + 1, {}},
      // 3D mesh: X, Y, then Z through 3 single-tier TSVs.
      ZeroLoad{"mesh 4x4x4", "[4, 4, 4]", router_links("mesh"), "", {4, 4, 4}, {0, 0, 0}, {1, 3, 3}, 1 + 3 + 3 + 1, {1, 1, 1}},
      // 3D torus: z 0 -> 3 is one hop over the Z wrap link, a TSV through 3 tiers.
      ZeroLoad{"torus 4x4x4", "[4, 4, 4]", router_links("torus"), "", {4, 4, 4}, {0, 0, 0}, {3, 1, 3}, 1 + 1 + 1 + 1, {3}},
      ZeroLoad{"snake chain 4x4", "[4, 4]", router_links("chain", "curve = \"snake\"\n"), "routing = \"table\"", {4, 4, 1},
               {0, 0, 0}, {0, 1, 0}, static_cast<Time>(snake_to - snake_from) + 1, {}},
      ZeroLoad{"hilbert chain 4x4", "[4, 4]", router_links("chain", "curve = \"hilbert\"\n"), "routing = \"table\"",
               {4, 4, 1}, {0, 0, 0}, {0, 3, 0}, hil_hops, {}});
  CAPTURE(c.name);
  const std::uint64_t bytes = 100, width = 128;
  const Time cycle = 1000, link = 1000, pipe = 3;
  Net n;
  n.grid = c.grid;
  n.router = c.router;
  n.wiring = c.wiring;
  n.ni = "max_packet = \"1KiB\"";
  n.traffic = one_transfer(node_index(c.dims, c.src), node_index(c.dims, c.dst), bytes);
  strata::testing::Harness h;
  auto r = h.run(n.toml());
  Time tsv = 0;
  for (int span : c.tsv_spans) tsv += span == 1 ? tsv1 : tsv3;
  const Time expect = (c.hops + 1) * link + c.hops * pipe * cycle + (flits(bytes, width) - 1) * cycle + tsv;
  const auto& dst = stats(r, ni_name(c, c.dst));
  CHECK(dst.at("hops").at("mean").get<double>() == static_cast<double>(c.hops));
  CHECK(dst.at("packet_latency").at("count") == 1);
  CHECK(dst.at("packet_latency").at("min").get<double>() == static_cast<double>(expect));
  CHECK(stats(r, "gen").at("latency").at("max").get<double>() == static_cast<double>(expect + link /* ctrl */));
  if (!c.tsv_spans.empty()) CHECK(sum_over(r, "noc.router", "count", "tsv") > 0);
}
