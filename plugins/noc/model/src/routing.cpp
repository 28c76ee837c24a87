// Dimension-order routing with dateline VC classes, and up*/down* table construction.
// Sources are listed in routing.hpp.
#include "strata/noc/routing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace strata::noc {
namespace {

int get(Coord c, int dim) { return dim == 0 ? c.x : dim == 1 ? c.y : c.z; }
void set(Coord& c, int dim, int v) { (dim == 0 ? c.x : dim == 1 ? c.y : c.z) = v; }
int size_of(const GridDims& d, int dim) { return dim == 0 ? d.x : dim == 1 ? d.y : d.z; }

void check_config(const DorConfig& cfg) {
  if (cfg.dims.x < 1 || cfg.dims.y < 1 || cfg.dims.z < 1) {
    throw std::invalid_argument(fmt::format("dor: grid {} x {} x {} must be >= 1 each", cfg.dims.x,
                                            cfg.dims.y, cfg.dims.z));
  }
  std::array<int, 3> sorted = cfg.order;
  std::sort(sorted.begin(), sorted.end());
  if (sorted != std::array<int, 3>{0, 1, 2}) {
    throw std::invalid_argument(fmt::format("dor: order ({}, {}, {}) is not a permutation of 0,1,2",
                                            cfg.order[0], cfg.order[1], cfg.order[2]));
  }
}

void check_coord(const DorConfig& cfg, Coord c) {
  for (int dim = 0; dim < 3; ++dim) {
    if (get(c, dim) < 0 || get(c, dim) >= size_of(cfg.dims, dim)) {
      throw std::invalid_argument(fmt::format("dor: ({}, {}, {}) outside grid {} x {} x {}", c.x,
                                              c.y, c.z, cfg.dims.x, cfg.dims.y, cfg.dims.z));
    }
  }
}

constexpr std::uint32_t kInf = std::numeric_limits<std::uint32_t>::max();

}  // namespace

// ---- DOR ----------------------------------------------------------------------------

DorConfig mesh_dor(const GridDims& dims) { return {dims, {false, false, false}, {0, 1, 2}}; }
DorConfig torus_dor(const GridDims& dims) { return {dims, {true, true, true}, {0, 1, 2}}; }

bool dor_dimension_wraps(const DorConfig& cfg, int dim) noexcept {
  return dim >= 0 && dim < 3 && cfg.wrap[static_cast<std::size_t>(dim)] &&
         size_of(cfg.dims, dim) >= 3;
}

std::optional<DorHop> dor_next_hop(const DorConfig& cfg, Coord cur, Coord dst, DorArrival arrived) {
  check_config(cfg);
  check_coord(cfg, cur);
  check_coord(cfg, dst);
  for (const int dim : cfg.order) {
    const int c = get(cur, dim);
    const int t = get(dst, dim);
    if (c == t) continue;
    const int k = size_of(cfg.dims, dim);
    DorHop hop;
    hop.from = cur;
    hop.dim = dim;
    int next = 0;
    if (dor_dimension_wraps(cfg, dim)) {
      // Shorter way round the ring; ties (t - c == K/2) go the + way.
      const int forward = ((t - c) % k + k) % k;
      hop.dir = forward <= k - forward ? +1 : -1;
      next = ((c + hop.dir) % k + k) % k;
      hop.wrap = (hop.dir > 0 && c == k - 1) || (hop.dir < 0 && c == 0);
      // Dateline: class 0 until the packet has crossed this ring's wrap link, then class 1.
      // The class survives only while the packet keeps going the same way in the same
      // dimension; having just arrived over the wrap link means it was crossed.
      const bool same_ring = arrived.dim == dim && arrived.dir == hop.dir;
      const bool arrived_over_wrap = (hop.dir > 0 && c == 0) || (hop.dir < 0 && c == k - 1);
      hop.vc_class = same_ring && (arrived.vc_class == 1 || arrived_over_wrap) ? 1 : 0;
    } else {
      hop.dir = t > c ? +1 : -1;
      next = c + hop.dir;
      hop.vc_class = 0;
    }
    hop.next = cur;
    set(hop.next, dim, next);
    return hop;
  }
  return std::nullopt;
}

std::vector<DorHop> dor_route(const DorConfig& cfg, Coord src, Coord dst) {
  std::vector<DorHop> route;
  DorArrival arrived;
  Coord cur = src;
  const int bound = cfg.dims.x + cfg.dims.y + cfg.dims.z;  // > any DOR route length
  while (auto hop = dor_next_hop(cfg, cur, dst, arrived)) {
    route.push_back(*hop);
    arrived = hop->arrival();
    cur = hop->next;
    if (static_cast<int>(route.size()) > bound) {
      throw std::logic_error("dor_route: route longer than the grid allows");
    }
  }
  return route;
}

int dor_distance(const DorConfig& cfg, Coord src, Coord dst) {
  check_config(cfg);
  check_coord(cfg, src);
  check_coord(cfg, dst);
  int total = 0;
  for (int dim = 0; dim < 3; ++dim) {
    const int d = std::abs(get(dst, dim) - get(src, dim));
    total += dor_dimension_wraps(cfg, dim) ? std::min(d, size_of(cfg.dims, dim) - d) : d;
  }
  return total;
}

std::optional<DorPortHop> dor_next_port(const Graph& g, const DorConfig& cfg, NodeId cur,
                                        NodeId dst, DorArrival arrived) {
  const auto hop = dor_next_hop(cfg, grid_coord(cfg.dims, cur), grid_coord(cfg.dims, dst), arrived);
  if (!hop) return std::nullopt;
  const NodeId next = grid_node_id(cfg.dims, hop->next);
  const PortIndex port = g.port_to(cur, next);
  if (port == kNoPort) {
    throw std::invalid_argument(
        fmt::format("dor: graph has no link {} -> {} needed by the route", cur, next));
  }
  return DorPortHop{port, next, hop->vc_class, hop->arrival()};
}

// ---- tables -------------------------------------------------------------------------

RoutingTable::RoutingTable(std::size_t nodes)
    : nodes_(nodes), port_(nodes * nodes, kNoPort), hops_(nodes * nodes, 0) {}

std::size_t RoutingTable::index(NodeId node, NodeId dest) const {
  if (node >= nodes_ || dest >= nodes_) {
    throw std::out_of_range(
        fmt::format("routing table: ({}, {}) outside {} nodes", node, dest, nodes_));
  }
  return static_cast<std::size_t>(node) * nodes_ + dest;
}

void RoutingTable::set(NodeId node, NodeId dest, PortIndex port, std::uint32_t hops) {
  const std::size_t i = index(node, dest);
  port_[i] = port;
  hops_[i] = hops;
}

std::optional<NextHop> table_next_hop(const Graph& g, const RoutingTable& t, NodeId cur,
                                      NodeId dst) {
  if (cur == dst) return std::nullopt;
  const PortIndex port = t.next_port(cur, dst);
  if (port == kNoPort) {
    throw std::logic_error(fmt::format("routing table: no port at {} towards {}", cur, dst));
  }
  return NextHop{port, g.neighbor(cur, port), 0};
}

std::vector<NodeId> table_path(const Graph& g, const RoutingTable& t, NodeId src, NodeId dst) {
  std::vector<NodeId> path{src};
  NodeId cur = src;
  while (auto hop = table_next_hop(g, t, cur, dst)) {
    cur = hop->next;
    path.push_back(cur);
    if (path.size() > g.node_count()) {
      throw std::logic_error(fmt::format("routing table: {} -> {} loops", src, dst));
    }
  }
  return path;
}

RoutingTable minimal_routing(const Graph& g) {
  const auto dist = hop_distances(g);
  const std::size_t n = g.node_count();
  RoutingTable t(n);
  for (NodeId dst = 0; dst < n; ++dst) {
    for (NodeId node = 0; node < n; ++node) {
      if (node == dst) continue;
      const int d = dist[node][dst];
      if (d < 0) throw std::invalid_argument("minimal_routing: graph is not connected");
      const auto ports = g.ports(node);
      for (PortIndex p = 0; p < ports.size(); ++p) {
        if (dist[g.other_end(ports[p], node)][dst] == d - 1) {
          t.set(node, dst, p, static_cast<std::uint32_t>(d));
          break;
        }
      }
    }
  }
  return t;
}

// ---- up*/down* ----------------------------------------------------------------------

bool UpDownRouting::is_up(NodeId from, NodeId to) const {
  const auto lf = level.at(from);
  const auto lt = level.at(to);
  return lt < lf || (lt == lf && to < from);
}

// Table construction, one destination d at a time:
//   D(n)  shortest down-only distance n -> d (a DAG: "down" strictly increases (level, id)).
//   S     nodes whose table entry is a down hop; d is in S. S must be closed under next hop
//         (a packet that went down may never go up again), and every S node follows a
//         shortest down-only path, so its route length is D(n).
//   L(n)  table route length: D(n) for n in S, else 1 + min L(m) over up neighbours m.
// Fixpoint: sweep nodes by increasing (level, id) -- up neighbours come first -- putting n in
// S when D(n) <= its best up alternative; then give every S node the first down neighbour m
// with D(m) = D(n) - 1 that is in S, or force the first such m into S when none is. S only
// grows, so this terminates; in the last sweep nothing is forced and L is consistent.
// The root has no up neighbour and reaches every node down the BFS tree, so it is in S and
// every other node has an up neighbour (its tree parent): every entry is defined.
UpDownRouting updown_routing(const Graph& g, const UpDownOptions& options) {
  const std::size_t n = g.node_count();
  if (n == 0) throw std::invalid_argument("updown_routing: empty graph");
  if (!g.connected()) throw std::invalid_argument("updown_routing: graph is not connected");

  UpDownRouting r;
  if (options.root) {
    if (*options.root >= n) {
      throw std::invalid_argument(
          fmt::format("updown_routing: root {} outside {} nodes", *options.root, n));
    }
    r.root = *options.root;
  } else {
    const auto dist = hop_distances(g);
    int best = std::numeric_limits<int>::max();
    for (NodeId v = 0; v < n; ++v) {
      const int ecc = *std::max_element(dist[v].begin(), dist[v].end());
      if (ecc < best) {
        best = ecc;
        r.root = v;
      }
    }
  }

  r.level.assign(n, kInf);
  r.level[r.root] = 0;
  std::deque<NodeId> queue{r.root};
  while (!queue.empty()) {
    const NodeId u = queue.front();
    queue.pop_front();
    for (const EdgeId e : g.ports(u)) {
      const NodeId v = g.other_end(e, u);
      if (r.level[v] == kInf) {
        r.level[v] = r.level[u] + 1;
        queue.push_back(v);
      }
    }
  }

  // Nodes by increasing (level, id): every up neighbour of a node precedes it.
  std::vector<NodeId> by_rank(n);
  std::iota(by_rank.begin(), by_rank.end(), NodeId{0});
  std::sort(by_rank.begin(), by_rank.end(), [&](NodeId a, NodeId b) {
    return r.level[a] != r.level[b] ? r.level[a] < r.level[b] : a < b;
  });

  r.table = RoutingTable(n);
  std::vector<std::uint32_t> down(n);
  std::vector<std::uint32_t> len(n);
  std::vector<char> in_s(n);
  std::vector<PortIndex> port(n);

  for (NodeId dst = 0; dst < n; ++dst) {
    // D(n), from the deepest nodes up: down neighbours come later in by_rank.
    for (auto it = by_rank.rbegin(); it != by_rank.rend(); ++it) {
      const NodeId v = *it;
      std::uint32_t best = v == dst ? 0 : kInf;
      if (v != dst) {
        for (const EdgeId e : g.ports(v)) {
          const NodeId m = g.other_end(e, v);
          if (!r.is_up(v, m) && down[m] != kInf) best = std::min(best, down[m] + 1);
        }
      }
      down[v] = best;
    }

    std::fill(in_s.begin(), in_s.end(), 0);
    in_s[dst] = 1;
    bool forced = true;
    while (forced) {
      forced = false;
      for (const NodeId v : by_rank) {
        if (v == dst) {
          len[v] = 0;
          port[v] = kNoPort;
          continue;
        }
        std::uint32_t up_best = kInf;
        PortIndex up_port = kNoPort;
        const auto ports = g.ports(v);
        for (PortIndex p = 0; p < ports.size(); ++p) {
          const NodeId m = g.other_end(ports[p], v);
          if (r.is_up(v, m) && len[m] != kInf && len[m] + 1 < up_best) {
            up_best = len[m] + 1;
            up_port = p;
          }
        }
        if (!in_s[v] && down[v] != kInf && down[v] <= up_best) in_s[v] = 1;
        if (in_s[v]) {
          len[v] = down[v];
        } else {
          len[v] = up_best;
          port[v] = up_port;
        }
      }
      for (const NodeId v : by_rank) {
        if (v == dst || !in_s[v]) continue;
        PortIndex first = kNoPort;
        PortIndex chosen = kNoPort;
        const auto ports = g.ports(v);
        for (PortIndex p = 0; p < ports.size(); ++p) {
          const NodeId m = g.other_end(ports[p], v);
          if (r.is_up(v, m) || down[m] != down[v] - 1) continue;
          if (first == kNoPort) first = p;
          if (in_s[m]) {
            chosen = p;
            break;
          }
        }
        if (chosen == kNoPort) {
          chosen = first;
          in_s[g.neighbor(v, first)] = 1;
          forced = true;
        }
        port[v] = chosen;
      }
    }
    for (NodeId v = 0; v < n; ++v) {
      if (v != dst && (port[v] == kNoPort || len[v] == kInf)) {
        throw std::logic_error(fmt::format("updown_routing: no route {} -> {}", v, dst));
      }
      r.table.set(v, dst, port[v], len[v]);
    }
  }
  return r;
}

}  // namespace strata::noc
