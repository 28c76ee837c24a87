// NoC graph and generators. Ids and port orders are a pure function of the parameters
// (see topology.hpp for the conventions the topology builder relies on).
#include "strata/noc/topology.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <stdexcept>

namespace strata::noc {
namespace {

void check_dims(const GridDims& d) {
  if (d.x < 1 || d.y < 1 || d.z < 1) {
    throw std::invalid_argument(
        fmt::format("grid {} x {} x {}: every dimension must be >= 1", d.x, d.y, d.z));
  }
}

void check_tier(const GridDims& d, int z) {
  if (z < 0 || z >= d.z) {
    throw std::invalid_argument(fmt::format("tier {} outside [0, {})", z, d.z));
  }
}

void check_cell(const GridDims& d, Cell c) {
  if (c.x < 0 || c.x >= d.x || c.y < 0 || c.y >= d.y) {
    throw std::invalid_argument(
        fmt::format("cell ({}, {}) outside the {} x {} tier", c.x, c.y, d.x, d.y));
  }
}

std::vector<Cell> all_cells(const GridDims& d) {
  std::vector<Cell> cells;
  for (int y = 0; y < d.y; ++y)
    for (int x = 0; x < d.x; ++x) cells.push_back({x, y});
  return cells;
}

void link_tiers(Graph& g, const GridDims& dims, int from, int to, std::span<const Cell> cells,
                EdgeKind kind) {
  std::vector<Cell> owned;
  if (cells.empty()) {
    owned = all_cells(dims);
    cells = owned;
  }
  for (const Cell c : cells) {
    check_cell(dims, c);
    g.add_edge(grid_node_id(dims, {c.x, c.y, from}), grid_node_id(dims, {c.x, c.y, to}), kind);
  }
}

}  // namespace

std::string_view to_string(EdgeKind kind) noexcept {
  switch (kind) {
    case EdgeKind::planar:
      return "planar";
    case EdgeKind::vertical:
      return "vertical";
    case EdgeKind::skip:
      return "skip";
  }
  return "?";
}

// ---- Graph --------------------------------------------------------------------------

NodeId Graph::add_node(Coord pos, std::string kind) {
  return add_node(pos, pos.z, std::move(kind));
}

NodeId Graph::add_node(Coord pos, int tier, std::string kind) {
  if (by_pos_.contains(pos)) {
    throw std::invalid_argument(
        fmt::format("node at ({}, {}, {}) already exists", pos.x, pos.y, pos.z));
  }
  const auto id = static_cast<NodeId>(nodes_.size());
  nodes_.push_back({pos, tier, std::move(kind)});
  ports_.emplace_back();
  by_pos_.emplace(pos, id);
  return id;
}

EdgeId Graph::add_edge(NodeId a, NodeId b, EdgeKind kind, bool wrap) {
  if (a >= nodes_.size() || b >= nodes_.size()) {
    throw std::invalid_argument(
        fmt::format("edge {}-{}: node id out of range (have {})", a, b, nodes_.size()));
  }
  if (a == b) throw std::invalid_argument(fmt::format("edge {}-{}: self-loop", a, b));
  if (find_edge(a, b)) {
    throw std::invalid_argument(fmt::format("edge {}-{}: already exists", a, b));
  }
  const auto id = static_cast<EdgeId>(edges_.size());
  edges_.push_back({a, b, kind, wrap});
  ports_[a].push_back(id);
  ports_[b].push_back(id);
  return id;
}

NodeId Graph::other_end(EdgeId e, NodeId from) const {
  const Edge& ed = edges_.at(e);
  if (ed.a == from) return ed.b;
  if (ed.b == from) return ed.a;
  throw std::invalid_argument(fmt::format("node {} is not an end of edge {}", from, e));
}

NodeId Graph::neighbor(NodeId id, PortIndex port) const {
  return other_end(ports_.at(id).at(port), id);
}

PortIndex Graph::port_to(NodeId from, NodeId to) const {
  const auto& ps = ports_.at(from);
  for (std::size_t p = 0; p < ps.size(); ++p) {
    if (other_end(ps[p], from) == to) return static_cast<PortIndex>(p);
  }
  return kNoPort;
}

std::optional<NodeId> Graph::find(Coord pos) const {
  const auto it = by_pos_.find(pos);
  if (it == by_pos_.end()) return std::nullopt;
  return it->second;
}

std::optional<EdgeId> Graph::find_edge(NodeId a, NodeId b) const {
  if (a >= ports_.size()) return std::nullopt;
  for (const EdgeId e : ports_[a]) {
    if (other_end(e, a) == b) return e;
  }
  return std::nullopt;
}

std::size_t Graph::count_edges(EdgeKind kind) const noexcept {
  return static_cast<std::size_t>(std::count_if(edges_.begin(), edges_.end(),
                                                [kind](const Edge& e) { return e.kind == kind; }));
}

bool Graph::connected() const {
  if (nodes_.empty()) return true;
  std::vector<bool> seen(nodes_.size(), false);
  std::deque<NodeId> queue{0};
  seen[0] = true;
  std::size_t reached = 1;
  while (!queue.empty()) {
    const NodeId n = queue.front();
    queue.pop_front();
    for (const EdgeId e : ports_[n]) {
      const NodeId m = other_end(e, n);
      if (!seen[m]) {
        seen[m] = true;
        ++reached;
        queue.push_back(m);
      }
    }
  }
  return reached == nodes_.size();
}

// ---- grids --------------------------------------------------------------------------

NodeId grid_node_id(const GridDims& d, Coord c) {
  if (c.x < 0 || c.x >= d.x || c.y < 0 || c.y >= d.y || c.z < 0 || c.z >= d.z) {
    throw std::invalid_argument(
        fmt::format("({}, {}, {}) outside grid {} x {} x {}", c.x, c.y, c.z, d.x, d.y, d.z));
  }
  return static_cast<NodeId>(c.x + d.x * (c.y + d.y * c.z));
}

Coord grid_coord(const GridDims& d, NodeId id) {
  if (id >= d.count()) {
    throw std::invalid_argument(fmt::format("node {} outside grid of {}", id, d.count()));
  }
  const int i = static_cast<int>(id);
  return {i % d.x, (i / d.x) % d.y, i / (d.x * d.y)};
}

Graph make_grid_nodes(const GridDims& dims, const std::vector<std::string>& tier_kind) {
  check_dims(dims);
  Graph g;
  for (int z = 0; z < dims.z; ++z) {
    const std::string kind = static_cast<std::size_t>(z) < tier_kind.size()
                                 ? tier_kind[static_cast<std::size_t>(z)]
                                 : std::string{};
    for (int y = 0; y < dims.y; ++y)
      for (int x = 0; x < dims.x; ++x) g.add_node({x, y, z}, kind);
  }
  return g;
}

void add_planar_grid(Graph& g, const GridDims& dims, int z, bool wrap_x, bool wrap_y) {
  check_tier(dims, z);
  for (int y = 0; y < dims.y; ++y) {
    for (int x = 0; x + 1 < dims.x; ++x)
      g.add_edge(grid_node_id(dims, {x, y, z}), grid_node_id(dims, {x + 1, y, z}),
                 EdgeKind::planar);
    if (wrap_x && dims.x >= 3)
      g.add_edge(grid_node_id(dims, {dims.x - 1, y, z}), grid_node_id(dims, {0, y, z}),
                 EdgeKind::planar, true);
  }
  for (int x = 0; x < dims.x; ++x) {
    for (int y = 0; y + 1 < dims.y; ++y)
      g.add_edge(grid_node_id(dims, {x, y, z}), grid_node_id(dims, {x, y + 1, z}),
                 EdgeKind::planar);
    if (wrap_y && dims.y >= 3)
      g.add_edge(grid_node_id(dims, {x, dims.y - 1, z}), grid_node_id(dims, {x, 0, z}),
                 EdgeKind::planar, true);
  }
}

void add_planar_chain(Graph& g, const GridDims& dims, int z, const std::vector<Cell>& order) {
  check_tier(dims, z);
  for (std::size_t i = 0; i + 1 < order.size(); ++i) {
    const Cell a = order[i];
    const Cell b = order[i + 1];
    check_cell(dims, a);
    check_cell(dims, b);
    if (std::abs(a.x - b.x) + std::abs(a.y - b.y) != 1) {
      throw std::invalid_argument(fmt::format(
          "chain: cells ({}, {}) and ({}, {}) are not grid neighbours", a.x, a.y, b.x, b.y));
    }
    g.add_edge(grid_node_id(dims, {a.x, a.y, z}), grid_node_id(dims, {b.x, b.y, z}),
               EdgeKind::planar);
  }
}

void add_vertical_links(Graph& g, const GridDims& dims, int z, std::span<const Cell> cells) {
  check_tier(dims, z);
  check_tier(dims, z + 1);
  link_tiers(g, dims, z, z + 1, cells, EdgeKind::vertical);
}

void add_skip_links(Graph& g, const GridDims& dims, int from, int to, std::span<const Cell> cells) {
  check_tier(dims, from);
  check_tier(dims, to);
  if (from == to) throw std::invalid_argument(fmt::format("skip links: tier {} to itself", from));
  const EdgeKind kind = std::abs(from - to) == 1 ? EdgeKind::vertical : EdgeKind::skip;
  link_tiers(g, dims, from, to, cells, kind);
}

Graph mesh_2d(int x, int y) { return mesh_3d({x, y, 1}); }
Graph torus_2d(int x, int y) { return torus_3d({x, y, 1}); }

Graph mesh_3d(const GridDims& dims) {
  Graph g = make_grid_nodes(dims);
  for (int z = 0; z < dims.z; ++z) add_planar_grid(g, dims, z, false, false);
  for (int z = 0; z + 1 < dims.z; ++z) add_vertical_links(g, dims, z);
  return g;
}

Graph torus_3d(const GridDims& dims) {
  Graph g = make_grid_nodes(dims);
  for (int z = 0; z < dims.z; ++z) add_planar_grid(g, dims, z, true, true);
  for (int z = 0; z + 1 < dims.z; ++z) add_vertical_links(g, dims, z);
  if (dims.z >= 3) {
    // The z ring closes with a wrap link from the top tier back to tier 0 (a "vertical"
    // link in graph terms; physically it would be a skip TSV through the stack).
    for (const Cell c : all_cells(dims))
      g.add_edge(grid_node_id(dims, {c.x, c.y, dims.z - 1}), grid_node_id(dims, {c.x, c.y, 0}),
                 EdgeKind::skip, true);
  }
  return g;
}

Graph atleus(const AtleusParams& p) {
  if (p.reram_tiers < 0 || p.sa_tiers < 0 || p.reram_tiers + p.sa_tiers < 1) {
    throw std::invalid_argument(
        fmt::format("atleus: reram_tiers = {}, sa_tiers = {}: need >= 0 each and >= 1 tier",
                    p.reram_tiers, p.sa_tiers));
  }
  const GridDims dims{p.width, p.height, p.reram_tiers + p.sa_tiers};
  check_dims(dims);
  std::vector<std::string> kinds;
  for (int z = 0; z < dims.z; ++z) kinds.emplace_back(z < p.reram_tiers ? "reram" : "sa");
  Graph g = make_grid_nodes(dims, kinds);

  const std::vector<Cell> order = curve_order(p.curve, p.width, p.height);
  for (int z = 0; z < dims.z; ++z) {
    if (z < p.reram_tiers) {
      add_planar_chain(g, dims, z, order);
    } else {
      add_planar_grid(g, dims, z, false, false);
    }
  }
  const auto pick = [&](int count, const char* what) {
    if (count < 0) return std::vector<Cell>{};  // all cells
    if (count == 0 || static_cast<std::size_t>(count) > order.size()) {
      throw std::invalid_argument(fmt::format("atleus: {} = {} outside [1, {}] (or < 0 for all)",
                                              what, count, order.size()));
    }
    return spread_along(order, static_cast<std::size_t>(count));
  };
  const std::vector<Cell> vcells = pick(p.vertical_per_pair, "vertical_per_pair");
  for (int z = 0; z + 1 < dims.z; ++z) add_vertical_links(g, dims, z, vcells);

  if (p.skip_count != 0) {
    const int from = p.skip_from < 0 ? dims.z - 1 : p.skip_from;
    if (std::abs(from - p.skip_to) < 2) {
      throw std::invalid_argument(fmt::format(
          "atleus: skip links need tiers at least 2 apart, got {} -> {} (set skip_count = 0 "
          "for none)",
          from, p.skip_to));
    }
    add_skip_links(g, dims, from, p.skip_to, pick(p.skip_count, "skip_count"));
  }
  return g;
}

std::vector<std::vector<int>> hop_distances(const Graph& g) {
  const std::size_t n = g.node_count();
  std::vector<std::vector<int>> dist(n, std::vector<int>(n, -1));
  for (NodeId s = 0; s < n; ++s) {
    auto& d = dist[s];
    d[s] = 0;
    std::deque<NodeId> queue{s};
    while (!queue.empty()) {
      const NodeId u = queue.front();
      queue.pop_front();
      for (const EdgeId e : g.ports(u)) {
        const NodeId v = g.other_end(e, u);
        if (d[v] < 0) {
          d[v] = d[u] + 1;
          queue.push_back(v);
        }
      }
    }
  }
  return dist;
}

}  // namespace strata::noc
