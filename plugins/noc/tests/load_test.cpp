// Latency vs offered load under uniform random traffic, on the 4x4 mesh, the 4x4x4 mesh and
// torus and the Atleus NoC examples, through their sweep experiments (experiments/noc_latency_load/*.toml, run here
// with the same code as `strata sweep`, so CI runs them): accepted throughput rises with
// offered load and saturates below the bisection bound, computed here from the built
// system's router links; latency rises sharply near saturation; no byte is lost or
// duplicated at any NI (counted per NI).
#include "network_map.hpp"
#include "noc_test_util.hpp"
#include "sweep.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace fs = std::filesystem;
using noc_test::stats;
using noc_test::sum_over;

namespace {

// The smallest number of router-router links cut by splitting a grid dimension of even
// extent K in half (index < K/2 against >= K/2): the channel bisection B_C of the network
// (each link is one channel in each direction).
struct Bisection {
  int links = 0;
  int dim = -1;
  std::size_t routers = 0;
};
Bisection bisection(const strata::SystemView& sys) {
  std::map<std::string, std::vector<int>> pos;
  std::vector<int> extent;
  for (const auto& c : sys.components) {
    if (c.type != "noc.router") continue;
    pos[c.name] = c.index;
    extent.resize(std::max(extent.size(), c.index.size()), 0);
    for (std::size_t d = 0; d < c.index.size(); ++d) extent[d] = std::max(extent[d], c.index[d] + 1);
  }
  Bisection b;
  b.routers = pos.size();
  for (std::size_t d = 0; d < extent.size(); ++d) {
    if (extent[d] < 2 || extent[d] % 2) continue;
    const int half = extent[d] / 2;
    int cut = 0;
    for (const auto& l : sys.links) {
      auto a = pos.find(l.a.component), z = pos.find(l.b.component);
      if (a == pos.end() || z == pos.end()) continue;
      cut += (a->second[d] < half) != (z->second[d] < half);
    }
    if (b.dim < 0 || cut < b.links) b.links = cut, b.dim = static_cast<int>(d);
  }
  return b;
}

// The channel-load bound of up*/down* routing under uniform traffic, in transfers per cycle
// per node: walk the route the routers' shared table gives every (source, destination) pair
// of NIs, counting the flits each directed router-router channel carries per transfer
// (data_flits along source -> destination, ack_flits back along destination -> source). Each
// NI sends 1/(E-1) of its transfers to each other NI, so a channel carrying F flits over all
// pairs runs at lambda * F / (E-1) flits/cycle and saturates at lambda = (E-1) / F_max.
// Far tighter than the bisection bound on a graph of chains, where a few links carry most
// routes.
double updown_channel_bound(const strata::SystemView& sys, double data_flits, double ack_flits) {
  const strata::noc::NetworkMap map(sys);
  const auto endpoints = static_cast<std::uint32_t>(map.endpoints());
  std::map<std::pair<std::uint32_t, std::uint32_t>, double> flits;  // (router, port) -> flits
  auto walk = [&](std::uint32_t from, std::uint32_t to, double f) {
    for (std::uint32_t r = from, hops = 0; r != to; ++hops) {
      REQUIRE(hops < map.routers());  // a route never revisits a router
      const std::uint32_t port = map.updown_port(r, to);
      flits[{r, port}] += f;
      const auto& next = map.neighbours(r);
      auto it = std::find_if(next.begin(), next.end(), [&](const auto& nb) { return nb.port == port; });
      REQUIRE(it != next.end());
      r = it->router;
    }
  };
  for (std::uint32_t s = 0; s < endpoints; ++s)
    for (std::uint32_t d = 0; d < endpoints; ++d) {
      if (s == d) continue;
      walk(map.endpoint(s).router, map.endpoint(d).router, data_flits);
      walk(map.endpoint(d).router, map.endpoint(s).router, ack_flits);
    }
  double busiest = 0;
  for (const auto& [channel, f] : flits) busiest = std::max(busiest, f);
  REQUIRE(busiest > 0);
  return (endpoints - 1) / busiest;
}

std::vector<std::map<std::string, std::string>> read_csv(const fs::path& file) {
  std::ifstream f(file);
  std::vector<std::map<std::string, std::string>> rows;
  std::vector<std::string> header;
  std::string line;
  auto split = [](const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string cell;
    while (std::getline(ss, cell, ',')) out.push_back(cell);
    if (!s.empty() && s.back() == ',') out.emplace_back();
    return out;
  };
  if (std::getline(f, line)) header = split(line);
  while (std::getline(f, line)) {
    auto cells = split(line);
    std::map<std::string, std::string> row;
    for (std::size_t i = 0; i < header.size() && i < cells.size(); ++i) row[header[i]] = cells[i];
    rows.push_back(std::move(row));
  }
  return rows;
}

double num(const std::map<std::string, std::string>& row, const std::string& col) {
  auto it = row.find(col);
  REQUIRE(it != row.end());
  REQUIRE(!it->second.empty());
  return std::stod(it->second);
}

}  // namespace

// One latency-vs-load experiment and what its topology must look like: the number of routers
// and the smallest cut found by halving one grid dimension.
struct LoadCase {
  std::string experiment;
  double routers;
  int bisection_links;
  bool updown = false;  // routed by up*/down* tables: also bound by the busiest channel
};

TEST_CASE("noc: latency-vs-load sweeps on the 4x4 mesh, 4x4x4 mesh and torus and the Atleus NoC: throughput "
          "saturates below the bisection bound, latency rises sharply, nothing lost",
          "[noc][load][sweep]") {
  const LoadCase c = GENERATE(
      // 4x4 mesh: halving a dimension cuts the 4 links between the middle rows.
      LoadCase{"mesh4x4", 16, 4},
      // 4x4x4 mesh: 4x4 links between the middle planes; the torus adds the 16 wrap links.
      LoadCase{"mesh4x4x4", 64, 16}, LoadCase{"torus4x4x4", 64, 32},
      // Atleus: halving x cuts each ReRAM tier's Hilbert chain once (it visits the left
      // half's two quadrants, then the right half's) and the SA tier's 4 mesh rows; halving
      // the tiers would cut 16 TSVs and 16 skip TSVs.
      LoadCase{"atleus", 64, 3 * 1 + 4, true});
  const std::string which = c.experiment;
  CAPTURE(which);
  const fs::path file = strata::testing::source_dir() / "experiments" / "noc_latency_load" / (which + ".toml");
  REQUIRE(fs::exists(file));
  strata::testing::Harness h;

  // 1. The bound, from the topology the experiment builds.
  strata::detail::Diagnostics diag;
  strata::detail::Builder builder(h.registry, diag);
  auto spec = builder.load(file, {});
  REQUIRE(spec);
  auto engine = builder.build(*spec);
  REQUIRE(engine);
  const Bisection b = bisection(engine->system());
  const double n = static_cast<double>(b.routers);
  REQUIRE(n == c.routers);
  CHECK(b.links == c.bisection_links);
  // Uniform traffic: a node in one half sends (N/2)/(N-1) of its load across the cut, so
  // N/2 * lambda * (N/2)/(N-1) <= B_C channels x 1 flit/cycle, lambda in flits/cycle/node.
  // A 64-byte transfer is 4 data flits of 128 bits across and a 1-flit completion back.
  const double flits_per_transfer = 4 + 1, bytes = 64, ghz = 1e9;
  const double bound_flits = 4.0 * b.links * (n - 1) / (n * n);
  const double bisection_bps = bound_flits / flits_per_transfer * bytes * ghz;  // payload B/s per node
  const double channel_bps =
      c.updown ? updown_channel_bound(engine->system(), 4, 1) * bytes * ghz : bisection_bps;
  CHECK(channel_bps <= bisection_bps * (1 + 1e-12));  // a channel's share is never above the cut's
  const double bound_bps = std::min(bisection_bps, channel_bps);
  // The NI's injection and ejection channels: 1 flit/cycle each.
  const double ni_bound_bps = 1.0 / flits_per_transfer * bytes * ghz;

  // 2. The sweep, as `strata sweep` runs it.
  const auto plan = strata::detail::plan_sweep(file.string(), diag);
  REQUIRE(!diag.has_errors());
  REQUIRE(plan.points.size() >= 6);
  // One folder per process: several build trees may run this test at once.
  const fs::path out = fs::temp_directory_path() / ("strata_noc_load_" + which + "_" + std::to_string(::getpid()));
  fs::remove_all(out);
  strata::detail::SweepOptions opts;
  opts.jobs = 2;
  opts.out_dir = out.string();
  auto summary = strata::detail::run_sweep(h.registry, file.string(), plan, opts);
  strata::detail::merge_sweep_table(summary.out_dir, plan, summary);
  CHECK(summary.failed == 0);
  const auto rows = read_csv(out / "sweep.csv");
  REQUIRE(rows.size() == plan.points.size());

  std::vector<double> rate, offered, accepted, latency;
  for (const auto& row : rows) {
    CHECK(row.at("status") == "ok");
    rate.push_back(num(row, "traffic.rate"));
    offered.push_back(num(row, "traffic.offered_throughput.mean"));
    accepted.push_back(num(row, "traffic.accepted_throughput.mean"));
    latency.push_back(num(row, "traffic.latency.mean"));
    // Nothing lost or duplicated: every transfer completed, and at every NI the bytes
    // addressed to it equal the bytes it reported arrived.
    CHECK(num(row, "traffic.transfers_completed") == num(row, "traffic.transfers_offered"));
    CHECK(num(row, "traffic.node_arrival_error.min") == 0);
    CHECK(num(row, "traffic.node_arrival_error.max") == 0);
  }
  CHECK(std::is_sorted(rate.begin(), rate.end()));
  const std::size_t last = rows.size() - 1;
  std::ostringstream curve;
  curve << "bisection bound " << bisection_bps << " B/s/node, busiest-channel bound " << channel_bps
        << ", NI bound " << ni_bound_bps << "\n";
  for (std::size_t i = 0; i < rows.size(); ++i)
    curve << "rate " << rate[i] << ": offered " << offered[i] << " accepted " << accepted[i] << " latency "
          << latency[i] << "\n";
  INFO(curve.str());

  // The sweep reaches beyond the bound, and nothing is ever accepted above it.
  CHECK(offered[last] > std::min(bound_bps, ni_bound_bps));
  for (double a : accepted) CHECK(a <= bound_bps);
  // Below saturation accepted follows offered (the first points, up to half the bound).
  std::size_t light = 0;
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (offered[i] <= 0.5 * std::min(bound_bps, ni_bound_bps)) {
      CHECK(accepted[i] == Approx(offered[i]).epsilon(0.05));
      ++light;
    }
  CHECK(light >= 3);
  // Accepted rises with offered load up to saturation, then stays flat (no collapse).
  const double peak = *std::max_element(accepted.begin(), accepted.end());
  std::size_t knee = 0;
  while (knee < last && accepted[knee + 1] > accepted[knee]) ++knee;
  CHECK(knee >= light - 1);
  CHECK(accepted[last] >= 0.85 * peak);
  // Saturation comes near the tighter bound, not far below it: the routers waste little
  // of the channels the routing leaves them (measured: 0.76-0.96 of it).
  CHECK(peak >= 0.6 * std::min(bound_bps, ni_bound_bps));
  // Saturated: the heaviest load is not accepted.
  CHECK(accepted[last] < 0.85 * offered[last]);
  // Latency rises with load, sharply near saturation: the last step costs more than all of
  // the light-load range together, and the heaviest point is many times the lightest.
  for (std::size_t i = 0; i + 1 < rows.size(); ++i) CHECK(latency[i + 1] >= 0.97 * latency[i]);
  CHECK(latency[last] - latency[last - 1] > latency[light - 1] - latency[0]);
  CHECK(latency[last] > 5 * latency[0]);
  fs::remove_all(out);
}

TEST_CASE("noc: under a permutation every NI receives exactly the bytes its partner sent (counted per NI)",
          "[noc][load][conservation]") {
  // Bit complement on 64 nodes: node s sends only to 63 - s, so per NI the bytes received
  // must equal what its one sender's NI sent; near saturation, so queues are long.
  const std::string topo = GENERATE(std::string("noc_mesh4x4x4_uniform"), std::string("noc_torus4x4x4_uniform"));
  CAPTURE(topo);
  std::ifstream f(strata::testing::source_dir() / "topologies" / "examples" / (topo + ".toml"));
  REQUIRE(f);
  std::stringstream text;
  text << f.rdbuf();
  strata::testing::Harness h;
  auto r = h.run(text.str(), strata::kTimeMax,
                 {"traffic.pattern=\"bit_complement\"", "traffic.rate=0.15", "traffic.duration=\"1us\"",
                  "traffic.warmup=\"0ns\""});
  CHECK(r.stats["simulation"]["stop_reason"] == "requested");
  auto name = [](int k) {
    return "ni[" + std::to_string(k % 4) + "," + std::to_string(k / 4 % 4) + "," + std::to_string(k / 16) + "]";
  };
  double total = 0;
  for (int d = 0; d < 64; ++d) {
    const int s = 63 - d;
    const auto& dst = stats(r, name(d));
    const auto& src = stats(r, name(s));
    CAPTURE(d);
    CHECK(dst.at("bytes_received").get<double>() > 0);
    CHECK(dst.at("bytes_received") == src.at("bytes_sent"));
    CHECK(dst.at("transfers_received") == src.at("transfers"));
    total += dst.at("bytes_received").get<double>();
  }
  const auto& g = stats(r, "traffic");
  CHECK(total == g.at("bytes_offered").get<double>());
  CHECK(g.at("bytes_arrived") == g.at("bytes_offered"));
  CHECK(g.at("node_arrival_error").at("count") == 64);
  CHECK(g.at("node_arrival_error").at("min").get<double>() == 0);
  CHECK(g.at("node_arrival_error").at("max").get<double>() == 0);
  CHECK(g.at("node_completion_error").at("max").get<double>() == 0);
  CHECK(sum_over(r, "noc.ni", "packets_received") == sum_over(r, "noc.ni", "packets_sent") -
                                                          sum_over(r, "noc.ni", "acks_sent"));
}
