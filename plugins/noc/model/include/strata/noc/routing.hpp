// Deterministic, deadlock-free routing functions, independent of the simulator.
//
// 1. Dimension-order routing (DOR) on 2D/3D meshes and tori: correct one dimension at a time
//    in a fixed order (X, then Y, then Z by default). On a torus ring each packet takes the
//    shorter way round (ties: the + direction) and uses two virtual-channel classes with a
//    dateline on the wrap link: class 0 up to and including the hop over the wrap link,
//    class 1 after it; the class restarts at 0 in each new dimension. This breaks the cyclic
//    channel dependency of every ring, and DOR orders the dimensions, so the channel
//    dependency graph is acyclic (Dally & Seitz, "Deadlock-free message routing in
//    multiprocessor interconnection networks", IEEE TC 36(5), 1987; Dally & Towles,
//    "Principles and Practices of Interconnection Networks", 2004, ch. 14, dateline VCs).
// 2. Table routing for any connected graph: up*/down* (Schroeder et al., "Autonet: a
//    high-speed, self-configuring local area network using point-to-point links", IEEE JSAC
//    9(8), 1991). A BFS spanning tree from a root gives each node a level; every link is
//    oriented "up" towards the end with the smaller (level, id). A legal route is zero or
//    more up hops followed by zero or more down hops, so no cycle of channel dependencies can
//    form (the down->up turn is forbidden). One VC class suffices.
//
// Both are pure functions of their inputs: the same graph gives the same tables.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "strata/noc/topology.hpp"

namespace strata::noc {

// ---- dimension-order routing ---------------------------------------------------------

struct DorConfig {
  GridDims dims;
  std::array<bool, 3> wrap{false, false, false};  // torus ring per dimension (x, y, z)
  std::array<int, 3> order{0, 1, 2};              // dimension order: a permutation of 0,1,2
};
DorConfig mesh_dor(const GridDims& dims);
DorConfig torus_dor(const GridDims& dims);
// A ring of fewer than 3 routers has no separate wrap link (see add_planar_grid), so a
// wrapped dimension with size < 3 is routed like a mesh dimension (no dateline either).
bool dor_dimension_wraps(const DorConfig& cfg, int dim) noexcept;

inline constexpr int kNoDim = -1;
inline constexpr std::uint8_t kDorVcClasses = 2;  // classes a torus needs; a mesh uses only 0

// How a packet reached the router it is at: the previous hop's dimension, direction (+1/-1)
// and VC class. A freshly injected packet has the default {kNoDim, 0, 0}.
struct DorArrival {
  int dim = kNoDim;
  int dir = 0;
  std::uint8_t vc_class = 0;
};

struct DorHop {
  Coord from;
  Coord next;
  int dim = 0;                // 0 = x, 1 = y, 2 = z
  int dir = 0;                // +1 or -1
  std::uint8_t vc_class = 0;  // 0 or 1 (1 only after crossing a dateline)
  bool wrap = false;          // this hop uses the wraparound link
  DorArrival arrival() const noexcept { return {dim, dir, vc_class}; }
};

// Next hop from `cur` towards `dst`, or nullopt when cur == dst. Throws std::invalid_argument
// for coordinates outside the grid or an invalid config.
std::optional<DorHop> dor_next_hop(const DorConfig& cfg, Coord cur, Coord dst,
                                   DorArrival arrived = {});
// The whole route, hop by hop (empty when src == dst).
std::vector<DorHop> dor_route(const DorConfig& cfg, Coord src, Coord dst);
// Closed-form route length: sum over dimensions of |d| on a mesh dimension and
// min(d mod K, K - d mod K) on a ring of K >= 3.
int dor_distance(const DorConfig& cfg, Coord src, Coord dst);

// ---- routing on a Graph ----------------------------------------------------------------

struct NextHop {
  PortIndex port = kNoPort;  // index into graph.ports(node)
  NodeId next = 0;
  std::uint8_t vc_class = 0;
};

// DOR on a grid-built Graph (node ids as grid_node_id): the port to take, the VC class, and
// the DorArrival the next router needs (carry it in the packet header). nullopt when
// cur == dst. Throws std::invalid_argument if the graph lacks the needed link.
struct DorPortHop {
  PortIndex port = kNoPort;
  NodeId next = 0;
  std::uint8_t vc_class = 0;
  DorArrival arrival;  // pass to dor_next_port at `next`
};
std::optional<DorPortHop> dor_next_port(const Graph& g, const DorConfig& cfg, NodeId cur,
                                        NodeId dst, DorArrival arrived = {});

// Next-hop tables for N nodes: next_port(node, dest) is a port of `node` (kNoPort when
// node == dest), hops(node, dest) the route length from node to dest following the table.
class RoutingTable {
 public:
  RoutingTable() = default;
  explicit RoutingTable(std::size_t nodes);

  std::size_t node_count() const noexcept { return nodes_; }
  PortIndex next_port(NodeId node, NodeId dest) const { return port_.at(index(node, dest)); }
  std::uint32_t hops(NodeId node, NodeId dest) const { return hops_.at(index(node, dest)); }
  void set(NodeId node, NodeId dest, PortIndex port, std::uint32_t hops);

  // Raw row-major arrays [node * N + dest], e.g. for serialisation.
  const std::vector<PortIndex>& ports() const noexcept { return port_; }
  const std::vector<std::uint32_t>& hop_counts() const noexcept { return hops_; }
  friend bool operator==(const RoutingTable&, const RoutingTable&) = default;

 private:
  std::size_t index(NodeId node, NodeId dest) const;
  std::size_t nodes_ = 0;
  std::vector<PortIndex> port_;
  std::vector<std::uint32_t> hops_;
};

// Next hop by table (VC class always 0); nullopt when cur == dst.
std::optional<NextHop> table_next_hop(const Graph& g, const RoutingTable& t, NodeId cur,
                                      NodeId dst);
// Nodes visited from src to dst inclusive. Throws std::logic_error if the table loops or
// dead-ends (never the case for tables built here).
std::vector<NodeId> table_path(const Graph& g, const RoutingTable& t, NodeId src, NodeId dst);

struct UpDownOptions {
  // BFS root. Default: a centre of the graph (smallest eccentricity, lowest id on ties),
  // which keeps the tree shallow and the detours short.
  std::optional<NodeId> root;
};

struct UpDownRouting {
  NodeId root = 0;
  std::vector<std::uint32_t> level;  // BFS depth from the root
  RoutingTable table;
  // True when the hop from -> to (neighbours) goes "up": to has the smaller (level, id).
  bool is_up(NodeId from, NodeId to) const;
};

// up*/down* tables. Every route is legal (ups, then downs) and follows the table: at each
// node, if some down-only path to the destination is used by the table it is a shortest
// down-only path, otherwise the packet goes up to the neighbour with the shortest table
// route. Nodes that route downward form a set closed under next hop, which is what makes
// one table per (node, dest) consistent for every source (see routing.cpp). Routes are not
// always the shortest legal up*/down* routes, and not always minimal in the graph.
// Throws std::invalid_argument for an empty or disconnected graph or a bad root.
UpDownRouting updown_routing(const Graph& g, const UpDownOptions& options = {});

// Shortest-path tables (BFS, lowest port on ties). NOT deadlock-free on graphs with cycles;
// for trees, chains, and as a yardstick for the others.
RoutingTable minimal_routing(const Graph& g);

}  // namespace strata::noc
