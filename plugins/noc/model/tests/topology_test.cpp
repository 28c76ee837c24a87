// Graph builders: node/edge counts from closed forms, degrees, ids, Atleus composition.
#include "strata/noc/topology.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <stdexcept>

using namespace strata::noc;

namespace {

// Links of a ring of k routers: k - 1 for a line, k for a ring of >= 3 (2 would duplicate).
std::size_t ring_links(int k, bool wrap) {
  return static_cast<std::size_t>(wrap && k >= 3 ? k : k - 1);
}

std::size_t grid_links(const GridDims& d, bool wrap) {
  const auto X = static_cast<std::size_t>(d.x);
  const auto Y = static_cast<std::size_t>(d.y);
  const auto Z = static_cast<std::size_t>(d.z);
  return ring_links(d.x, wrap) * Y * Z + ring_links(d.y, wrap) * X * Z +
         ring_links(d.z, wrap) * X * Y;
}

}  // namespace

TEST_CASE("topology: grid ids are x + X*(y + Y*z) and round-trip") {
  const GridDims d{3, 4, 2};
  const Graph g = make_grid_nodes(d);
  REQUIRE(g.node_count() == 24);
  for (NodeId id = 0; id < g.node_count(); ++id) {
    const Coord c = grid_coord(d, id);
    CHECK(grid_node_id(d, c) == id);
    CHECK(g.node(id).pos == c);
    CHECK(g.node(id).tier == c.z);
    CHECK(g.find(c) == id);
  }
  CHECK(grid_node_id(d, {2, 3, 1}) == 2 + 3 * (3 + 4 * 1));
  CHECK_THROWS_AS(grid_node_id(d, {3, 0, 0}), std::invalid_argument);
}

TEST_CASE("topology: mesh and torus link counts match the closed form") {
  for (const GridDims d : {GridDims{1, 1, 1}, GridDims{4, 4, 1}, GridDims{5, 3, 1},
                           GridDims{2, 2, 4}, GridDims{4, 4, 4}, GridDims{3, 5, 2}}) {
    INFO(d.x << "x" << d.y << "x" << d.z);
    const Graph m = mesh_3d(d);
    const Graph t = torus_3d(d);
    CHECK(m.node_count() == d.count());
    CHECK(m.edge_count() == grid_links(d, false));
    CHECK(t.edge_count() == grid_links(d, true));
    CHECK(m.connected());
    CHECK(t.connected());
  }
  CHECK(mesh_2d(4, 4).edge_count() == 24);
  CHECK(torus_2d(4, 4).edge_count() == 32);
}

TEST_CASE("topology: every router of a k>=3 torus has degree 2 per dimension") {
  const Graph t = torus_3d({4, 3, 5});
  for (NodeId n = 0; n < t.node_count(); ++n) CHECK(t.degree(n) == 6);
  const Graph m = mesh_2d(4, 4);
  CHECK(m.degree(grid_node_id({4, 4, 1}, {0, 0, 0})) == 2);
  CHECK(m.degree(grid_node_id({4, 4, 1}, {1, 0, 0})) == 3);
  CHECK(m.degree(grid_node_id({4, 4, 1}, {1, 1, 0})) == 4);
}

TEST_CASE("topology: torus wrap links are flagged; a ring of 2 has none") {
  const GridDims d{4, 2, 1};
  const Graph t = torus_3d(d);
  std::size_t wraps = 0;
  for (const Edge& e : t.edges()) {
    if (!e.wrap) continue;
    ++wraps;
    const Coord a = t.node(e.a).pos;
    const Coord b = t.node(e.b).pos;
    CHECK(std::abs(a.x - b.x) == d.x - 1);
  }
  CHECK(wraps == 2);  // one per row in x, none in y (size 2)
}

TEST_CASE("topology: 3D torus closes the z ring with wrap links") {
  const GridDims d{2, 2, 4};
  const Graph t = torus_3d(d);
  const auto top = grid_node_id(d, {1, 1, 3});
  const auto bottom = grid_node_id(d, {1, 1, 0});
  const auto e = t.find_edge(top, bottom);
  REQUIRE(e);
  CHECK(t.edge(*e).wrap);
}

TEST_CASE("topology: ports are incident edges in insertion order") {
  Graph g;
  const NodeId a = g.add_node({0, 0, 0});
  const NodeId b = g.add_node({1, 0, 0});
  const NodeId c = g.add_node({0, 1, 0});
  g.add_edge(a, c, EdgeKind::planar);
  g.add_edge(a, b, EdgeKind::vertical);
  REQUIRE(g.degree(a) == 2);
  CHECK(g.neighbor(a, 0) == c);
  CHECK(g.neighbor(a, 1) == b);
  CHECK(g.port_to(a, b) == 1);
  CHECK(g.port_to(b, c) == kNoPort);
  CHECK_THROWS_AS(g.add_edge(b, a, EdgeKind::planar), std::invalid_argument);  // duplicate
  CHECK_THROWS_AS(g.add_edge(a, a, EdgeKind::planar), std::invalid_argument);  // self-loop
  CHECK_THROWS_AS(g.add_edge(a, 7, EdgeKind::planar), std::invalid_argument);
  CHECK_THROWS_AS(g.add_node({1, 0, 0}), std::invalid_argument);
}

TEST_CASE("topology: a chain along a curve joins consecutive cells only") {
  const GridDims d{4, 4, 1};
  for (const CurveKind kind : {CurveKind::snake, CurveKind::hilbert}) {
    Graph g = make_grid_nodes(d);
    const auto order = curve_order(kind, 4, 4);
    add_planar_chain(g, d, 0, order);
    CHECK(g.edge_count() == 15);
    for (std::size_t i = 0; i + 1 < order.size(); ++i) {
      CHECK(g.find_edge(grid_node_id(d, {order[i].x, order[i].y, 0}),
                        grid_node_id(d, {order[i + 1].x, order[i + 1].y, 0})));
    }
    // Ends of the chain have degree 1, the rest 2.
    CHECK(g.degree(grid_node_id(d, {order.front().x, order.front().y, 0})) == 1);
    CHECK(g.degree(grid_node_id(d, {order.back().x, order.back().y, 0})) == 1);
    CHECK(g.connected());
  }
  Graph g = make_grid_nodes(d);
  CHECK_THROWS_AS(add_planar_chain(g, d, 0, {{0, 0}, {1, 1}}), std::invalid_argument);
}

TEST_CASE("topology: Atleus default is 64 cores, 45 chain + 24 mesh + 48 TSV + 16 skip links") {
  const Graph g = atleus();
  CHECK(g.node_count() == 64);
  CHECK(g.count_edges(EdgeKind::planar) == 3 * 15 + 24);
  CHECK(g.count_edges(EdgeKind::vertical) == 48);
  CHECK(g.count_edges(EdgeKind::skip) == 16);
  CHECK(g.edge_count() == 133);
  CHECK(g.connected());
  const GridDims d{4, 4, 4};
  for (NodeId n = 0; n < g.node_count(); ++n) {
    const Node& node = g.node(n);
    CHECK(node.kind == (node.tier < 3 ? "reram" : "sa"));
  }
  // Every core links to the core above; every SA core has a skip TSV to tier 0.
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 4; ++x) {
      for (int z = 0; z < 3; ++z) {
        const auto e = g.find_edge(grid_node_id(d, {x, y, z}), grid_node_id(d, {x, y, z + 1}));
        REQUIRE(e);
        CHECK(g.edge(*e).kind == EdgeKind::vertical);
      }
      const auto s = g.find_edge(grid_node_id(d, {x, y, 3}), grid_node_id(d, {x, y, 0}));
      REQUIRE(s);
      CHECK(g.edge(*s).kind == EdgeKind::skip);
    }
  }
  // ReRAM tiers are chains along the Hilbert curve: planar degree <= 2.
  for (NodeId n = 0; n < 48; ++n) {
    std::size_t planar = 0;
    for (const EdgeId e : g.ports(n)) planar += g.edge(e).kind == EdgeKind::planar ? 1 : 0;
    CHECK(planar <= 2);
  }
}

TEST_CASE("topology: Atleus is parametric (sizes, tier mix, TSV counts)") {
  AtleusParams p;
  p.width = 8;
  p.height = 8;
  p.reram_tiers = 2;
  p.sa_tiers = 2;
  p.curve = CurveKind::snake;
  p.vertical_per_pair = 8;
  p.skip_count = 4;
  p.skip_from = 3;
  p.skip_to = 0;
  const Graph g = atleus(p);
  CHECK(g.node_count() == 256);
  CHECK(g.count_edges(EdgeKind::planar) == 2 * 63 + 2 * 112);
  CHECK(g.count_edges(EdgeKind::vertical) == 3 * 8);
  CHECK(g.count_edges(EdgeKind::skip) == 4);
  CHECK(g.connected());

  AtleusParams bad;
  bad.skip_to = 2;  // tier 3 -> 2 is adjacent: a duplicate of the vertical TSVs
  CHECK_THROWS_AS(atleus(bad), std::invalid_argument);
  AtleusParams none;
  none.skip_count = 0;
  CHECK(atleus(none).count_edges(EdgeKind::skip) == 0);
  AtleusParams too_many;
  too_many.vertical_per_pair = 17;
  CHECK_THROWS_AS(atleus(too_many), std::invalid_argument);
}

TEST_CASE("topology: same parameters give identical graphs") {
  const Graph a = atleus();
  const Graph b = atleus();
  REQUIRE(a.edge_count() == b.edge_count());
  for (EdgeId e = 0; e < a.edge_count(); ++e) {
    CHECK(a.edge(e).a == b.edge(e).a);
    CHECK(a.edge(e).b == b.edge(e).b);
    CHECK(a.edge(e).kind == b.edge(e).kind);
  }
}

TEST_CASE("topology: hop distances on a mesh are Manhattan distances") {
  const GridDims d{4, 3, 2};
  const Graph g = mesh_3d(d);
  const auto dist = hop_distances(g);
  for (NodeId s = 0; s < g.node_count(); ++s) {
    for (NodeId t = 0; t < g.node_count(); ++t) {
      const Coord a = grid_coord(d, s);
      const Coord b = grid_coord(d, t);
      REQUIRE(dist[s][t] == std::abs(a.x - b.x) + std::abs(a.y - b.y) + std::abs(a.z - b.z));
    }
  }
}
