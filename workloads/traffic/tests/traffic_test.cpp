// workload.traffic: injection processes, destination patterns, throughput accounting,
// per-node random streams. Runs on a real noc.router/noc.ni network.
#include "noc_test_util.hpp"  // plugins/noc/tests: the network these tests drive

#include <catch2/catch.hpp>

#include <cmath>
#include <string>

namespace {

// A mesh (4x4 unless `grid` says otherwise) with one NI per router and the traffic
// generator `gen` (plugins/noc/tests/noc_test_util.hpp builds it).
std::string mesh(const std::string& traffic, const std::string& grid = "[4, 4]") {
  noc_test::Net n;
  n.grid = grid;
  n.traffic = traffic;
  return n.toml();
}

const nlohmann::ordered_json& gen(const strata::testing::Run& r) { return noc_test::stats(r, "gen"); }
std::uint64_t received(const strata::testing::Run& r, int x, int y) {
  return r.stats.at("components")
      .at("ni[" + std::to_string(x) + "," + std::to_string(y) + "]")
      .at("stats")
      .at("transfers_received")
      .get<std::uint64_t>();
}

}  // namespace

TEST_CASE("traffic: periodic injection sends exactly duration * rate transfers per node", "[traffic]") {
  // rate 0.25 per 1 ns cycle over 100 ns: at t = 0, 4, ..., 96 ns = 25 transfers per node.
  strata::testing::Harness h;
  auto r = h.run(mesh("process = \"periodic\", rate = 0.25, duration = \"100ns\", size = \"32B\""));
  CHECK(gen(r).at("transfers_offered") == 16 * 25);
  CHECK(gen(r).at("transfers_completed") == 16 * 25);
  CHECK(gen(r).at("bytes_offered") == 16 * 25 * 32);
  CHECK(gen(r).at("arrivals") == 16 * 25);
  // Offered throughput per node = 25 * 32 B over 100 ns.
  CHECK(gen(r).at("offered_throughput").at("mean").get<double>() == Approx(25 * 32 / 100e-9));
  CHECK(r.stats["simulation"]["stop_reason"] == "requested");
}

TEST_CASE("traffic: Bernoulli and Poisson injection offer `rate` transfers per cycle on average", "[traffic]") {
  auto process = GENERATE(std::string("bernoulli"), std::string("poisson"));
  strata::testing::Harness h;
  // 0.05 per cycle x 4000 cycles x 16 nodes = 3200 expected; binomial sd ~ 55.
  auto r = h.run(mesh("process = \"" + process + "\", rate = 0.05, duration = \"4us\", size = \"16B\""));
  CHECK(gen(r).at("transfers_offered").get<double>() == Approx(3200).epsilon(0.06));
  CHECK(gen(r).at("transfers_completed") == gen(r).at("transfers_offered"));
  // The same load given as bytes per second: 0.05 x 16 B per ns = 0.8 GB/s.
  auto b = h.run(mesh("process = \"" + process + "\", bandwidth = \"0.8GB/s\", duration = \"4us\", size = \"16B\""));
  CHECK(gen(b).at("transfers_offered") == gen(r).at("transfers_offered"));
}

TEST_CASE("traffic: count mode sends count transfers per node and ends when all completed", "[traffic]") {
  strata::testing::Harness h;
  auto r = h.run(mesh("count = 7, rate = 0.1, size = \"100B\""));
  CHECK(gen(r).at("transfers_offered") == 16 * 7);
  CHECK(gen(r).at("transfers_completed") == 16 * 7);
  // Nothing is accepted outside the window: in count mode the window is the whole run.
  CHECK(gen(r).at("bytes_accepted") == 16 * 7 * 100);
  CHECK(gen(r).at("accepted_throughput").at("sum").get<double>() ==
        Approx(16 * 7 * 100 / (r.stats["simulation"]["end_time_ps"].get<double>() * 1e-12)));
}

TEST_CASE("traffic: transpose sends (x, y) to (y, x); the diagonal stays silent", "[traffic][pattern]") {
  strata::testing::Harness h;
  auto r = h.run(mesh("pattern = \"transpose\", count = 5, process = \"periodic\", rate = 0.1"));
  CHECK(gen(r).at("transfers_offered") == 12 * 5);  // 16 nodes minus the 4 on the diagonal
  for (int x = 0; x < 4; ++x)
    for (int y = 0; y < 4; ++y) CHECK(received(r, x, y) == (x == y ? 0u : 5u));
}

TEST_CASE("traffic: bit complement and neighbour are permutations", "[traffic][pattern]") {
  strata::testing::Harness h;
  for (std::string p : {"bit_complement", "neighbour"}) {
    auto r = h.run(mesh("pattern = \"" + p + "\", count = 3, process = \"periodic\", rate = 0.1"));
    INFO(p);
    CHECK(gen(r).at("transfers_offered") == 16 * 3);
    for (int x = 0; x < 4; ++x)
      for (int y = 0; y < 4; ++y) CHECK(received(r, x, y) == 3u);
  }
  // Neighbour on a grid: (x, y) -> (x + 1 mod 4, y): one hop, or 3 back along the row.
  auto r = h.run(mesh("pattern = \"neighbour\", count = 1, process = \"periodic\", rate = 0.1"));
  const auto& hops = r.stats["components"]["ni[0,2]"]["stats"]["hops"];
  CHECK(hops["max"].get<double>() == 4.0);  // from (3, 2): routers x = 3, 2, 1, 0
  CHECK(r.stats["components"]["ni[1,2]"]["stats"]["hops"]["max"].get<double>() == 2.0);
}

TEST_CASE("traffic: hotspot sends hotspot_fraction of the transfers to the hotspots", "[traffic][pattern]") {
  strata::testing::Harness h;
  auto all = h.run(mesh("pattern = \"hotspot\", hotspots = [5], hotspot_fraction = 1.0, count = 4, rate = 0.1"));
  CHECK(received(all, 1, 1) == 15 * 4);  // node 5 = (1, 1); it does not send to itself
  CHECK(gen(all).at("transfers_offered") == 15 * 4);
  auto half = h.run(mesh("pattern = \"hotspot\", hotspots = [5], hotspot_fraction = 0.5, count = 200, rate = 0.1"));
  // 16 x 200 draws; the 15 other nodes send 1/2 + 1/2 * 1/15 of theirs to node 5.
  const double expect = 15 * 200 * (0.5 + 0.5 / 15);
  CHECK(static_cast<double>(received(half, 1, 1)) == Approx(expect).epsilon(0.05));
}

TEST_CASE("traffic: each node has its own random stream", "[traffic][rng]") {
  // Node 0's offered load is the same whether or not node 1 also sends.
  strata::testing::Harness h;
  auto one = h.run(mesh("process = \"poisson\", rate = 0.05, duration = \"1us\", active = [0]"));
  auto two = h.run(mesh("process = \"poisson\", rate = 0.05, duration = \"1us\", active = [0, 1]"));
  const double node0 = gen(one).at("offered_throughput").at("sum").get<double>();
  const auto& t = gen(two).at("offered_throughput");
  CHECK((t.at("min").get<double>() == node0 || t.at("max").get<double>() == node0));
  CHECK(gen(two).at("offered_throughput").at("count") == 2);
}

TEST_CASE("traffic: accepted falls behind offered beyond saturation", "[traffic]") {
  strata::testing::Harness h;
  auto r = h.run(mesh("pattern = \"hotspot\", hotspots = [0], hotspot_fraction = 1.0, process = \"periodic\", "
                      "rate = 0.25, size = \"64B\", duration = \"500ns\""));
  // 15 nodes offer 0.25 x 4 flits per cycle into one ejection port of 1 flit per cycle.
  const double offered = gen(r).at("offered_throughput").at("sum").get<double>();
  const double accepted = gen(r).at("accepted_throughput").at("sum").get<double>();
  CHECK(accepted < 0.35 * offered);
  CHECK(accepted <= 16e9 * 1.01);  // the hotspot's ejection link: 128 bit x 1 GHz
  CHECK(gen(r).at("transfers_completed") == gen(r).at("transfers_offered"));
}
