#include "network_map.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <stdexcept>

namespace strata::noc {

int element_index(std::string_view port, std::string_view base) {
  if (port.size() < base.size() + 3 || port.substr(0, base.size()) != base || port[base.size()] != '[' ||
      port.back() != ']')
    return -1;
  auto digits = port.substr(base.size() + 1, port.size() - base.size() - 2);
  int k = -1;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), k);
  return ec == std::errc() && p == digits.data() + digits.size() ? k : -1;
}

std::shared_ptr<const NetworkMap> NetworkMap::of(const SystemView& sys) {
  // Keyed by the view's address: a view lives as long as its engine, and so do the routers
  // holding the map, so an entry expires before its address can be reused. The size check
  // guards the unlikely reuse while a stale weak entry lingers.
  struct Entry {
    std::weak_ptr<const NetworkMap> map;
    std::size_t components, links;
  };
  static std::mutex mutex;
  static std::map<const SystemView*, Entry> cache;
  std::lock_guard lock(mutex);
  for (auto it = cache.begin(); it != cache.end();) it = it->second.map.expired() ? cache.erase(it) : std::next(it);
  auto& e = cache[&sys];
  if (auto m = e.map.lock(); m && e.components == sys.components.size() && e.links == sys.links.size()) return m;
  auto m = std::make_shared<const NetworkMap>(sys);
  e = Entry{m, sys.components.size(), sys.links.size()};
  return m;
}

NetworkMap::NetworkMap(const SystemView& sys) {
  std::unordered_map<std::string, std::uint32_t> ni_ids;
  for (const auto& c : sys.components) {
    if (c.type == "noc.router") {
      ids_.emplace(c.name, static_cast<std::uint32_t>(names_.size()));
      names_.push_back(c.name);
    } else if (c.type == "noc.ni") {
      ni_ids.emplace(c.name, static_cast<std::uint32_t>(ni_ids.size()));
    }
  }
  adjacency_.resize(names_.size());
  endpoints_.resize(ni_ids.size());
  for (const auto& l : sys.links) {
    auto ra = ids_.find(l.a.component), rb = ids_.find(l.b.component);
    int ka = element_index(l.a.port, "port"), kb = element_index(l.b.port, "port");
    if (ra != ids_.end() && rb != ids_.end() && ka >= 0 && kb >= 0) {
      adjacency_[ra->second].push_back({static_cast<std::uint32_t>(ka), rb->second});
      adjacency_[rb->second].push_back({static_cast<std::uint32_t>(kb), ra->second});
      continue;
    }
    for (int side = 0; side < 2; ++side) {
      const auto& ni = side ? l.b : l.a;
      const auto& rt = side ? l.a : l.b;
      auto n = ni_ids.find(ni.component);
      auto r = ids_.find(rt.component);
      int k = element_index(rt.port, "port");
      if (n != ni_ids.end() && ni.port == "router" && r != ids_.end() && k >= 0)
        endpoints_[n->second] = {r->second, static_cast<std::uint32_t>(k)};
    }
  }
  for (auto& a : adjacency_)
    std::sort(a.begin(), a.end(), [](const Neighbour& x, const Neighbour& y) { return x.port < y.port; });

  // Grid coordinates and the DOR configuration.
  coords_.resize(names_.size());
  std::set<Coord> seen;
  int ext[3] = {1, 1, 1};
  for (std::uint32_t r = 0; r < names_.size() && grid_error_.empty(); ++r) {
    const auto* info = sys.find(names_[r]);
    if (!info || info->index.empty() || info->index.size() > 3) {
      grid_error_ = "router '" + names_[r] + "' has no grid index of 1 to 3 dimensions";
      break;
    }
    Coord c{info->index[0], info->index.size() > 1 ? info->index[1] : 0,
            info->index.size() > 2 ? info->index[2] : 0};
    if (!seen.insert(c).second) grid_error_ = "two routers share grid position of '" + names_[r] + "'";
    coords_[r] = c;
    ext[0] = std::max(ext[0], c.x + 1);
    ext[1] = std::max(ext[1], c.y + 1);
    ext[2] = std::max(ext[2], c.z + 1);
  }
  dor_.dims = GridDims{ext[0], ext[1], ext[2]};
  if (grid_error_.empty()) {
    auto get = [](Coord c, int d) { return d == 0 ? c.x : d == 1 ? c.y : c.z; };
    for (std::uint32_t r = 0; r < names_.size(); ++r)
      for (const auto& n : adjacency_[r]) {
        Coord a = coords_[r], b = coords_[n.router];
        int differ = 0, dim = 0;
        for (int d = 0; d < 3; ++d)
          if (get(a, d) != get(b, d)) ++differ, dim = d;
        int k = dim == 0 ? ext[0] : dim == 1 ? ext[1] : ext[2];
        if (differ == 1 && k >= 3 && std::abs(get(a, dim) - get(b, dim)) == k - 1)
          dor_.wrap[static_cast<std::size_t>(dim)] = true;
      }
  }

  // Router graph for table routing: synthetic positions (ids), one edge per router pair.
  for (std::uint32_t r = 0; r < names_.size(); ++r) graph_.add_node(Coord{static_cast<int>(r), 0, 0});
  for (std::uint32_t r = 0; r < names_.size(); ++r)
    for (const auto& n : adjacency_[r])
      if (n.router > r && !graph_.find_edge(r, n.router)) graph_.add_edge(r, n.router, EdgeKind::planar);
}

std::uint32_t NetworkMap::router_id(std::string_view name) const {
  auto it = ids_.find(std::string(name));
  return it == ids_.end() ? kNone : it->second;
}

void NetworkMap::build_updown() const {
  std::call_once(updown_once_, [this] {
    auto r = std::make_unique<UpDownRouting>(updown_routing(graph_));
    const std::size_t n = names_.size();
    updown_ports_.assign(n * n, kNone);
    for (std::uint32_t v = 0; v < n; ++v)
      for (std::uint32_t d = 0; d < n; ++d) {
        if (v == d) continue;
        NodeId next = graph_.neighbor(v, r->table.next_port(v, d));
        for (const auto& nb : adjacency_[v])
          if (nb.router == next) {
            updown_ports_[v * n + d] = nb.port;
            break;
          }
      }
    updown_ = std::move(r);
  });
}

const UpDownRouting& NetworkMap::updown() const {
  build_updown();
  return *updown_;
}

std::uint32_t NetworkMap::updown_port(std::uint32_t router, std::uint32_t dest) const {
  build_updown();
  return updown_ports_[static_cast<std::size_t>(router) * names_.size() + dest];
}

}  // namespace strata::noc
