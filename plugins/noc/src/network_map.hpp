// network_map.hpp - the router graph of a built system, as every noc component sees it.
//
// Built from the SystemView at init (no messages): routers are the `noc.router`
// components (id = position in name order), endpoints the `noc.ni` components (id =
// SystemView::ordinal, docs/PROTOCOLS.md), router-router links those joining two
// `port[k]` elements. Every router of a system shares one map (cached per SystemView,
// released with the last router), so the up*/down* table is computed once, not once per
// router: O(N^2) memory and time instead of O(N^3).
#pragma once

#include <strata/component.hpp>
#include <strata/noc/routing.hpp>
#include <strata/noc/topology.hpp>

#include "noc_protocol.hpp"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace strata::noc {


class NetworkMap {
 public:
  /// The map of `sys`, built on first use and shared while any holder keeps it.
  static std::shared_ptr<const NetworkMap> of(const SystemView& sys);
  explicit NetworkMap(const SystemView& sys);

  struct Attachment {
    std::uint32_t router = kNone;  // router id the endpoint's NI is linked to
    std::uint32_t port = 0;        // that router's port[] element
  };
  struct Neighbour {
    std::uint32_t port;    // local port[] element
    std::uint32_t router;  // router id on the other end
  };

  std::size_t routers() const { return names_.size(); }
  std::size_t endpoints() const { return endpoints_.size(); }
  const std::string& router_name(std::uint32_t r) const { return names_[r]; }
  std::uint32_t router_id(std::string_view name) const;
  const Attachment& endpoint(std::uint32_t e) const { return endpoints_[e]; }
  /// Router-router links of router r, by local port.
  const std::vector<Neighbour>& neighbours(std::uint32_t r) const { return adjacency_[r]; }

  /// Grid coordinates: valid when every router has a grid index of 1..3 dimensions and no
  /// two routers share one (else grid_error() says why).
  bool has_grid() const { return grid_error_.empty(); }
  const std::string& grid_error() const { return grid_error_; }
  Coord coord(std::uint32_t r) const { return coords_[r]; }
  /// Dimension-order configuration: grid extents, and wrap[d] when some link joins the two
  /// ends of a ring of K >= 3 routers in dimension d (a torus).
  const DorConfig& dor() const { return dor_; }

  /// up*/down* next local port per (router, destination router); kNone on the diagonal.
  /// Computed once, on first use, thread-safe.
  std::uint32_t updown_port(std::uint32_t router, std::uint32_t dest) const;
  const UpDownRouting& updown() const;

 private:
  void build_updown() const;
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::uint32_t> ids_;
  std::vector<std::vector<Neighbour>> adjacency_;
  std::vector<Attachment> endpoints_;
  std::vector<Coord> coords_;
  std::string grid_error_;
  DorConfig dor_;
  Graph graph_;  // routers as nodes (positions synthetic), first link of each pair only
  mutable std::once_flag updown_once_;
  mutable std::unique_ptr<UpDownRouting> updown_;
  mutable std::vector<std::uint32_t> updown_ports_;  // [router * N + dest]
};

/// "port[3]" -> 3 when the name is `base[k]`, else -1.
int element_index(std::string_view port, std::string_view base);

}  // namespace strata::noc
