// NoC graphs: routers at integer (x, y, z) positions, joined by undirected links tagged
// planar / vertical (TSV between adjacent tiers) / skip (TSV across several tiers).
// Builders for 2D/3D meshes and tori, curve-chained tiers and the Atleus reference NoC
// (DESIGN.md "reference chip"). Pure data and graph algebra, no simulator dependency.
//
// Conventions every builder keeps, so the topology builder can name routers by coordinate:
//   * grid builders create all nodes of a GridDims first, id = x + X*(y + Y*z)
//     (grid_node_id); tier = z.
//   * a node's ports are its incident edges in the order the edges were added; port p of
//     node n is graph.ports(n)[p]. Builders add edges in a fixed order (documented per
//     builder), so the same parameters always give the same ids and ports.
//   * no self-loops and no parallel edges: add_edge refuses them, and the torus builders
//     skip a wrap link that would duplicate a mesh link (a ring of 2 is a single link).
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/noc/sfc.hpp"

namespace strata::noc {

using NodeId = std::uint32_t;
using EdgeId = std::uint32_t;
using PortIndex = std::uint32_t;
inline constexpr PortIndex kNoPort = static_cast<PortIndex>(-1);

struct Coord {
  int x = 0;
  int y = 0;
  int z = 0;
  friend auto operator<=>(const Coord&, const Coord&) = default;
};

enum class EdgeKind : std::uint8_t {
  planar,    // within a tier
  vertical,  // TSV between adjacent tiers
  skip,      // TSV across non-adjacent tiers
};
std::string_view to_string(EdgeKind kind) noexcept;

struct Node {
  Coord pos;
  int tier = 0;      // defaults to pos.z
  std::string kind;  // free label, e.g. "reram", "sa"; empty when unused
};

struct Edge {
  NodeId a = 0;
  NodeId b = 0;
  EdgeKind kind = EdgeKind::planar;
  bool wrap = false;  // a torus wraparound link (longer wire; the dateline lives here)
};

class Graph {
 public:
  // Throws std::invalid_argument if a node already sits at `pos`.
  NodeId add_node(Coord pos, std::string kind = {});
  NodeId add_node(Coord pos, int tier, std::string kind);
  // Throws std::invalid_argument on an unknown id, a self-loop or an existing a-b edge.
  EdgeId add_edge(NodeId a, NodeId b, EdgeKind kind, bool wrap = false);

  std::size_t node_count() const noexcept { return nodes_.size(); }
  std::size_t edge_count() const noexcept { return edges_.size(); }
  const Node& node(NodeId id) const { return nodes_.at(id); }
  const Edge& edge(EdgeId id) const { return edges_.at(id); }
  const std::vector<Node>& nodes() const noexcept { return nodes_; }
  const std::vector<Edge>& edges() const noexcept { return edges_; }

  // The node's ports: incident edges in insertion order.
  std::span<const EdgeId> ports(NodeId id) const { return ports_.at(id); }
  std::size_t degree(NodeId id) const { return ports_.at(id).size(); }
  // The node across edge `e` from `from` (which must be one of its ends).
  NodeId other_end(EdgeId e, NodeId from) const;
  // The neighbour reached through port `port` of `id`.
  NodeId neighbor(NodeId id, PortIndex port) const;
  // Port of `from` whose edge leads to `to`, or kNoPort.
  PortIndex port_to(NodeId from, NodeId to) const;

  std::optional<NodeId> find(Coord pos) const;
  std::optional<EdgeId> find_edge(NodeId a, NodeId b) const;
  std::size_t count_edges(EdgeKind kind) const noexcept;
  bool connected() const;

 private:
  std::vector<Node> nodes_;
  std::vector<Edge> edges_;
  std::vector<std::vector<EdgeId>> ports_;
  std::map<Coord, NodeId> by_pos_;
};

// A box of routers, X x Y per tier, Z tiers.
struct GridDims {
  int x = 1;
  int y = 1;
  int z = 1;
  std::size_t count() const noexcept {
    return static_cast<std::size_t>(x) * static_cast<std::size_t>(y) * static_cast<std::size_t>(z);
  }
  friend bool operator==(const GridDims&, const GridDims&) = default;
};
NodeId grid_node_id(const GridDims& dims, Coord c);
Coord grid_coord(const GridDims& dims, NodeId id);

// Nodes only, ids in grid order; `tier_kind(z)` labels each tier (may be empty).
// Throws std::invalid_argument if any dimension < 1.
Graph make_grid_nodes(const GridDims& dims, const std::vector<std::string>& tier_kind = {});

// Planar links of tier z as a 2D mesh, optionally wrapped per dimension (a torus).
// Edge order: all X links (row by row, x ascending, wrap link last in its row), then all
// Y links (column by column). A wrap link is skipped when the ring has fewer than 3 nodes.
void add_planar_grid(Graph& g, const GridDims& dims, int z, bool wrap_x, bool wrap_y);
// Planar chain of tier z through the cells in `order` (consecutive cells joined; they must
// be grid neighbours, e.g. a curve_order()). Throws if two consecutive cells are not adjacent.
void add_planar_chain(Graph& g, const GridDims& dims, int z, const std::vector<Cell>& order);
// Vertical links between tier z and z+1 at `cells` (all cells when empty). kind = vertical.
void add_vertical_links(Graph& g, const GridDims& dims, int z, std::span<const Cell> cells = {});
// Links from tier `from` to tier `to` at `cells` (all cells when empty); kind = skip when the
// tiers are not adjacent, vertical otherwise. Throws if from == to.
void add_skip_links(Graph& g, const GridDims& dims, int from, int to,
                    std::span<const Cell> cells = {});

// Complete topologies (nodes and links; edge order: tier by tier planar, then vertical
// layer by layer, z-wrap last).
Graph mesh_2d(int x, int y);
Graph torus_2d(int x, int y);
Graph mesh_3d(const GridDims& dims);
Graph torus_3d(const GridDims& dims);

// The Atleus NoC ("Atleus: Accelerating Transformers on the Edge Enabled by 3D Heterogeneous
// Manycore Architectures", arXiv:2501.09588, 2025; DESIGN.md "reference chip"), parametric. Tiers
// 0..reram_tiers-1 are ReRAM (kind "reram"), each chained along `curve`; the tiers above are
// systolic ("sa"), each a 2D mesh. Every adjacent tier pair gets `vertical_per_pair` TSVs (< 0: one
// per cell), and `skip_count` skip TSVs (< 0: one per cell) join tier `skip_from` (< 0: the top
// tier) to tier `skip_to` (the far ReRAM tier). Partial counts use spread_along() over the
// tier's curve order. Defaults: 4 tiers of 4 x 4, 3 ReRAM + 1 SA, Hilbert chain,
// 3 x 16 = 48 vertical TSVs and 16 skip TSVs from tier 3 to tier 0: 64 nodes, 3*15 chain
// links + 24 mesh links + 48 + 16 = 133 links.
struct AtleusParams {
  int width = 4;
  int height = 4;
  int reram_tiers = 3;
  int sa_tiers = 1;
  CurveKind curve = CurveKind::hilbert;
  int vertical_per_pair = -1;
  int skip_count = -1;
  int skip_from = -1;
  int skip_to = 0;
};
Graph atleus(const AtleusParams& params = {});

// All-pairs hop distances by BFS (unreachable: -1), result[src][dst]. O(N * E).
std::vector<std::vector<int>> hop_distances(const Graph& g);

}  // namespace strata::noc
