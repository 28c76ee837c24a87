// Routing: delivery, route lengths against closed forms, and deadlock freedom checked by
// building the channel dependency graph (Dally & Seitz 1987: a routing function is
// deadlock-free if its CDG is acyclic) independently of the library.
#include "strata/noc/routing.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <tuple>

using namespace strata::noc;

namespace {

// A channel = one direction of a link on one VC class.
using Channel = std::tuple<NodeId, NodeId, int>;

class Cdg {
 public:
  void add_route(const std::vector<Channel>& route) {
    for (const Channel& c : route) id(c);
    for (std::size_t i = 0; i + 1 < route.size(); ++i) {
      const std::size_t from = id(route[i]);
      const std::size_t to = id(route[i + 1]);
      if (adj_.size() <= std::max(from, to)) adj_.resize(std::max(from, to) + 1);
      adj_[from].insert(to);
    }
  }
  std::size_t channels() const { return ids_.size(); }
  // Kahn's algorithm: acyclic iff every channel can be removed in topological order.
  bool acyclic() const {
    const std::size_t n = ids_.size();
    std::vector<std::size_t> indeg(n, 0);
    for (const auto& out : adj_)
      for (const std::size_t t : out) ++indeg[t];
    std::vector<std::size_t> ready;
    for (std::size_t i = 0; i < n; ++i)
      if (indeg[i] == 0) ready.push_back(i);
    std::size_t removed = 0;
    while (!ready.empty()) {
      const std::size_t c = ready.back();
      ready.pop_back();
      ++removed;
      if (c < adj_.size())
        for (const std::size_t t : adj_[c])
          if (--indeg[t] == 0) ready.push_back(t);
    }
    return removed == n;
  }

 private:
  std::size_t id(const Channel& c) {
    const auto [it, inserted] = ids_.emplace(c, ids_.size());
    if (inserted && adj_.size() < ids_.size()) adj_.resize(ids_.size());
    return it->second;
  }
  std::map<Channel, std::size_t> ids_;
  std::vector<std::set<std::size_t>> adj_;
};

int manhattan(Coord a, Coord b) {
  return std::abs(a.x - b.x) + std::abs(a.y - b.y) + std::abs(a.z - b.z);
}

int ring(int a, int b, int k) {
  const int d = std::abs(a - b);
  return k >= 3 ? std::min(d, k - d) : d;
}

// Follow dor_next_port hop by hop on the graph; returns channels and checks each hop.
std::vector<Channel> walk_dor(const Graph& g, const DorConfig& cfg, NodeId src, NodeId dst,
                              std::size_t bound) {
  std::vector<Channel> route;
  DorArrival arrived;
  NodeId cur = src;
  while (auto hop = dor_next_port(g, cfg, cur, dst, arrived)) {
    REQUIRE(hop->port < g.degree(cur));
    REQUIRE(g.neighbor(cur, hop->port) == hop->next);
    REQUIRE(hop->vc_class < kDorVcClasses);
    route.emplace_back(cur, hop->next, hop->vc_class);
    // The packet header carries what the previous router decided.
    const auto h = dor_next_hop(cfg, grid_coord(cfg.dims, cur), grid_coord(cfg.dims, dst), arrived);
    REQUIRE(h);
    REQUIRE(h->vc_class == hop->vc_class);
    REQUIRE(hop->arrival.dim == h->dim);
    REQUIRE(hop->arrival.dir == h->dir);
    REQUIRE(hop->arrival.vc_class == h->vc_class);
    arrived = hop->arrival;
    cur = hop->next;
    REQUIRE(route.size() <= bound);
  }
  REQUIRE(cur == dst);
  return route;
}

std::vector<Channel> walk_table(const Graph& g, const RoutingTable& t, NodeId src, NodeId dst) {
  const auto path = table_path(g, t, src, dst);
  REQUIRE(path.front() == src);
  REQUIRE(path.back() == dst);
  REQUIRE(path.size() - 1 == t.hops(src, dst));
  std::vector<Channel> route;
  for (std::size_t i = 0; i + 1 < path.size(); ++i) {
    REQUIRE(g.find_edge(path[i], path[i + 1]));
    route.emplace_back(path[i], path[i + 1], 0);
  }
  return route;
}

// A connected irregular graph: random spanning tree plus extra random links.
Graph random_graph(std::uint32_t seed, int nodes, int extra) {
  std::mt19937 rng(seed);  // mt19937's output sequence is fixed by the standard
  Graph g;
  for (int i = 0; i < nodes; ++i) g.add_node({i, 0, 0});
  for (int i = 1; i < nodes; ++i)
    g.add_edge(static_cast<NodeId>(i), static_cast<NodeId>(rng() % static_cast<unsigned>(i)),
               EdgeKind::planar);
  for (int added = 0; added < extra;) {
    const auto a = static_cast<NodeId>(rng() % static_cast<unsigned>(nodes));
    const auto b = static_cast<NodeId>(rng() % static_cast<unsigned>(nodes));
    if (a == b || g.find_edge(a, b)) continue;
    g.add_edge(a, b, EdgeKind::planar);
    ++added;
  }
  return g;
}

void check_updown(const Graph& g, const UpDownRouting& r) {
  const std::size_t n = g.node_count();
  const auto dist = hop_distances(g);
  Cdg cdg;
  for (NodeId s = 0; s < n; ++s) {
    for (NodeId d = 0; d < n; ++d) {
      const auto route = walk_table(g, r.table, s, d);
      REQUIRE(route.size() < n);  // bounded: a table route never revisits a node
      REQUIRE(static_cast<int>(route.size()) >= dist[s][d]);
      // Legal up*/down*: no up hop after a down hop.
      bool went_down = false;
      for (const auto& [u, v, vc] : route) {
        const bool up = r.is_up(u, v);
        REQUIRE_FALSE((went_down && up));
        went_down = went_down || !up;
      }
      cdg.add_route(route);
    }
  }
  CHECK(cdg.acyclic());
}

}  // namespace

TEST_CASE("routing: CDG checker finds the cycle of a ring without dateline") {
  // Negative control: a unidirectional 4-ring routed all on class 0 is cyclic.
  Cdg cdg;
  for (NodeId s = 0; s < 4; ++s) {
    std::vector<Channel> r;
    for (NodeId i = 0; i < 2; ++i) r.emplace_back((s + i) % 4, (s + i + 1) % 4, 0);
    cdg.add_route(r);
  }
  CHECK_FALSE(cdg.acyclic());
}

TEST_CASE("routing: DOR path length on a mesh = Manhattan distance, routes are X then Y then Z") {
  for (const GridDims d :
       {GridDims{4, 4, 1}, GridDims{5, 3, 1}, GridDims{4, 4, 4}, GridDims{3, 2, 5}}) {
    const DorConfig cfg = mesh_dor(d);
    const Graph g = mesh_3d(d);
    Cdg cdg;
    for (NodeId s = 0; s < g.node_count(); ++s) {
      for (NodeId t = 0; t < g.node_count(); ++t) {
        const Coord a = grid_coord(d, s);
        const Coord b = grid_coord(d, t);
        const auto route = dor_route(cfg, a, b);
        REQUIRE(static_cast<int>(route.size()) == manhattan(a, b));
        REQUIRE(dor_distance(cfg, a, b) == manhattan(a, b));
        for (std::size_t i = 0; i + 1 < route.size(); ++i) {
          REQUIRE(route[i].dim <= route[i + 1].dim);  // dimension order never goes back
          REQUIRE(route[i].vc_class == 0);
        }
        const auto walked = walk_dor(g, cfg, s, t, static_cast<std::size_t>(d.x + d.y + d.z));
        REQUIRE(walked.size() == route.size());
        cdg.add_route(walked);
      }
    }
    CHECK(cdg.acyclic());
  }
}

TEST_CASE("routing: DOR order is configurable (YX routing)") {
  DorConfig cfg = mesh_dor({4, 4, 1});
  cfg.order = {1, 0, 2};
  const auto route = dor_route(cfg, {0, 0, 0}, {2, 3, 0});
  REQUIRE(route.size() == 5);
  CHECK(route.front().dim == 1);
  CHECK(route.back().dim == 0);
  cfg.order = {0, 0, 2};
  CHECK_THROWS_AS(dor_route(cfg, {0, 0, 0}, {1, 0, 0}), std::invalid_argument);
}

TEST_CASE("routing: torus DOR length = sum of min(d, K-d); dateline CDG is acyclic") {
  for (const GridDims d : {GridDims{4, 4, 1}, GridDims{5, 3, 1}, GridDims{8, 1, 1},
                           GridDims{3, 4, 5}, GridDims{2, 2, 4}, GridDims{4, 4, 4}}) {
    INFO(d.x << "x" << d.y << "x" << d.z);
    const DorConfig cfg = torus_dor(d);
    const Graph g = torus_3d(d);
    Cdg with_dateline;
    Cdg single_class;
    for (NodeId s = 0; s < g.node_count(); ++s) {
      for (NodeId t = 0; t < g.node_count(); ++t) {
        const Coord a = grid_coord(d, s);
        const Coord b = grid_coord(d, t);
        const int expect = ring(a.x, b.x, d.x) + ring(a.y, b.y, d.y) + ring(a.z, b.z, d.z);
        REQUIRE(dor_distance(cfg, a, b) == expect);
        const auto walked = walk_dor(g, cfg, s, t, static_cast<std::size_t>(d.x + d.y + d.z));
        REQUIRE(static_cast<int>(walked.size()) == expect);
        with_dateline.add_route(walked);
        auto flat = walked;
        for (auto& c : flat) std::get<2>(c) = 0;
        single_class.add_route(flat);
      }
    }
    CHECK(with_dateline.acyclic());
    // Rings of >= 4 routers need the dateline: without it the CDG has the ring cycle.
    // (A ring of 3 has routes of <= 1 hop per direction, so no dependency chains at all.)
    if (d.x >= 4 || d.y >= 4 || d.z >= 4) CHECK_FALSE(single_class.acyclic());
  }
}

TEST_CASE("routing: dateline -- class 0 up to and including the wrap link, 1 after it") {
  const DorConfig cfg = torus_dor({8, 1, 1});
  // 6 -> 1 goes + (3 hops: 6->7, 7->0 wrap, 0->1).
  const auto r = dor_route(cfg, {6, 0, 0}, {1, 0, 0});
  REQUIRE(r.size() == 3);
  CHECK(r[0].dir == +1);
  CHECK((r[0].vc_class == 0 && !r[0].wrap));
  CHECK((r[1].vc_class == 0 && r[1].wrap));
  CHECK(r[2].vc_class == 1);
  // 1 -> 6 goes - (1->0, 0->7 wrap, 7->6).
  const auto back = dor_route(cfg, {1, 0, 0}, {6, 0, 0});
  REQUIRE(back.size() == 3);
  CHECK(back[0].dir == -1);
  CHECK(back[1].wrap);
  CHECK(back[2].vc_class == 1);
  // Tie (distance K/2) goes +.
  const auto tie = dor_route(cfg, {1, 0, 0}, {5, 0, 0});
  CHECK(tie.front().dir == +1);
  // The class restarts at 0 in the next dimension.
  const DorConfig cfg2 = torus_dor({4, 4, 1});
  const auto r2 = dor_route(cfg2, {3, 3, 0}, {0, 0, 0});
  REQUIRE(r2.size() == 2);
  CHECK((r2[0].dim == 0 && r2[0].wrap && r2[0].vc_class == 0));
  CHECK((r2[1].dim == 1 && r2[1].wrap && r2[1].vc_class == 0));
}

TEST_CASE("routing: 3D-TPU baseline (2x2 per tier, 4 tiers, 3D torus) routes minimally") {
  const GridDims d{2, 2, 4};
  const Graph g = torus_3d(d);
  const auto dist = hop_distances(g);
  for (NodeId s = 0; s < g.node_count(); ++s)
    for (NodeId t = 0; t < g.node_count(); ++t)
      REQUIRE(dor_distance(torus_dor(d), grid_coord(d, s), grid_coord(d, t)) == dist[s][t]);
}

TEST_CASE("routing: dor_next_port refuses a graph that lacks the link") {
  const GridDims d{4, 4, 1};
  const Graph chain = atleus({4, 4, 1, 0, CurveKind::snake, -1, 0, -1, 0});
  // Snake row 0 ends at (3,0): (0,0)-(0,1) is not a link, but XY needs it for 0 -> 4.
  CHECK_THROWS_AS(dor_next_port(chain, mesh_dor(d), 0, 4), std::invalid_argument);
}

TEST_CASE("routing: up*/down* on Atleus delivers every pair with an acyclic CDG") {
  for (const CurveKind curve : {CurveKind::hilbert, CurveKind::snake}) {
    AtleusParams p;
    p.curve = curve;
    const Graph g = atleus(p);
    const UpDownRouting r = updown_routing(g);
    check_updown(g, r);
    // Shallow tree from a centre root.
    CHECK(*std::max_element(r.level.begin(), r.level.end()) <= 6);
  }
}

TEST_CASE("routing: up*/down* on random irregular graphs delivers with an acyclic CDG") {
  for (std::uint32_t seed = 1; seed <= 12; ++seed) {
    INFO("seed " << seed);
    const Graph g =
        random_graph(seed, 30 + static_cast<int>(seed), 10 + 3 * static_cast<int>(seed));
    check_updown(g, updown_routing(g));
    check_updown(g, updown_routing(g, {NodeId{0}}));  // any root works
  }
}

TEST_CASE("routing: up*/down* on meshes, tori and chains") {
  for (const Graph& g :
       {mesh_2d(4, 4), torus_2d(4, 4), mesh_3d({3, 3, 3}), torus_3d({4, 3, 3}), mesh_2d(9, 1)}) {
    check_updown(g, updown_routing(g));
  }
  // On a tree (a chain) up*/down* is exactly shortest-path routing.
  const Graph chain = mesh_2d(9, 1);
  CHECK(updown_routing(chain).table.hop_counts() == minimal_routing(chain).hop_counts());
}

TEST_CASE("routing: up*/down* tables are deterministic and stay close to minimal") {
  const Graph g = atleus();
  const UpDownRouting a = updown_routing(g);
  const UpDownRouting b = updown_routing(atleus());
  CHECK(a.root == b.root);
  CHECK(a.table == b.table);

  const RoutingTable minimal = minimal_routing(g);
  double sum_ud = 0;
  double sum_min = 0;
  for (NodeId s = 0; s < g.node_count(); ++s) {
    for (NodeId d = 0; d < g.node_count(); ++d) {
      sum_ud += a.table.hops(s, d);
      sum_min += minimal.hops(s, d);
    }
  }
  // The up*/down* restriction costs some hops, but not many on this graph.
  CHECK(sum_ud >= sum_min);
  CHECK(sum_ud <= 1.25 * sum_min);
}

TEST_CASE("routing: minimal tables follow BFS distances") {
  const Graph g = atleus();
  const RoutingTable t = minimal_routing(g);
  const auto dist = hop_distances(g);
  for (NodeId s = 0; s < g.node_count(); ++s)
    for (NodeId d = 0; d < g.node_count(); ++d) {
      REQUIRE(static_cast<int>(table_path(g, t, s, d).size()) - 1 == dist[s][d]);
      REQUIRE(static_cast<int>(t.hops(s, d)) == dist[s][d]);
    }
}

TEST_CASE("routing: up*/down* refuses disconnected graphs and bad roots") {
  Graph g;
  g.add_node({0, 0, 0});
  g.add_node({1, 0, 0});
  CHECK_THROWS_AS(updown_routing(g), std::invalid_argument);
  g.add_edge(0, 1, EdgeKind::planar);
  CHECK_NOTHROW(updown_routing(g));
  CHECK_THROWS_AS(updown_routing(g, {NodeId{5}}), std::invalid_argument);
  CHECK_THROWS_AS(updown_routing(Graph{}), std::invalid_argument);
}
