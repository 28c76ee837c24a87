// Mapping policies (see mapping.hpp and README.md, "Mapping").
#include "mapping.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace strata::transformer {

using opgraph::Graph;
using opgraph::Op;
using opgraph::OpId;
using opgraph::OpKind;
using opgraph::ParamId;

std::string_view to_string(Policy p) {
  switch (p) {
    case Policy::atleus: return "atleus";
    case Policy::sa_only: return "sa_only";
    case Policy::pim_only: return "pim_only";
  }
  return "?";
}

std::vector<std::int32_t> effective_layers(const Graph& g, const opgraph::Adjacency& adj) {
  constexpr std::int32_t unset = -1;
  std::vector<std::int32_t> eff(g.ops.size(), unset);
  for (const auto& op : g.ops) eff[static_cast<std::size_t>(op.id)] = op.layer >= 0 ? op.layer : unset;
  const auto order = g.topological_order();
  for (OpId id : order) {  // producers first: final norm, heads, loss, updates
    auto& e = eff[static_cast<std::size_t>(id)];
    for (std::size_t ei : adj.in[static_cast<std::size_t>(id)]) {
      if (e != unset) break;
      e = eff[static_cast<std::size_t>(g.edges[ei].src)];
    }
  }
  for (auto it = order.rbegin(); it != order.rend(); ++it) {  // then consumers: embeddings
    auto& e = eff[static_cast<std::size_t>(*it)];
    for (std::size_t ei : adj.out[static_cast<std::size_t>(*it)]) {
      if (e != unset) break;
      e = eff[static_cast<std::size_t>(g.edges[ei].dst)];
    }
  }
  for (auto& e : eff)
    if (e == unset) e = 0;
  return eff;
}

bool is_frozen_static_gemm(const Graph& g, const Op& op) {
  if (op.kind != OpKind::gemm || !op.b.is_static || op.b.bits == 0) return false;
  if (op.params.empty()) return true;  // a replayed graph may name no parameter: frozen
  return !g.parameters[static_cast<std::size_t>(op.params.front())].trainable;
}

std::uint64_t shard_bytes(std::uint64_t bytes, const OpPlacement& p, std::size_t shard, bool as_output) {
  if (p.shards.size() <= 1) return bytes;
  const bool sliced = as_output ? p.split == Split::columns : p.split == Split::reduction;
  if (!sliced) return bytes;
  const Shard& s = p.shards[shard];
  using u128 = unsigned __int128;
  const auto at = [&](std::uint64_t col) { return static_cast<std::uint64_t>(u128{bytes} * col / s.total); };
  return at(s.hi) - at(s.lo);
}

std::uint64_t PimGeometry::crossbars_per_group(std::uint64_t rows) const { return (rows + xbar_rows - 1) / xbar_rows; }

std::uint64_t PimGeometry::columns_per_group(std::uint32_t bits) const {
  const std::uint32_t slices = (bits + cell_bits - 1) / cell_bits;
  if (slices == 0 || slices > xbar_cols)
    throw MappingError(fmt::format("a {}-bit weight needs {} cells of {} bits, more than a crossbar row's {}", bits,
                                   slices, cell_bits, xbar_cols));
  return xbar_cols / slices;
}

std::uint64_t PimGeometry::tiles_for(std::uint64_t rows, std::uint64_t cols, std::uint32_t bits) const {
  if (rows == 0 || cols == 0) return 0;
  const std::uint64_t per = columns_per_group(bits);
  const std::uint64_t xbars = crossbars_per_group(rows) * ((cols + per - 1) / per);
  return (xbars + tile_crossbars - 1) / tile_crossbars;
}

namespace {

// Hilbert index of (x, y) in an n x n grid, n a power of two.
std::uint64_t hilbert_index(std::uint64_t n, std::uint64_t x, std::uint64_t y) {
  std::uint64_t d = 0;
  for (std::uint64_t s = n / 2; s > 0; s /= 2) {
    const std::uint64_t rx = (x & s) ? 1 : 0, ry = (y & s) ? 1 : 0;
    d += s * s * ((3 * rx) ^ ry);
    if (ry == 0) {
      if (rx == 1) {
        x = n - 1 - x;
        y = n - 1 - y;
      }
      std::swap(x, y);
    }
  }
  return d;
}

// PIM cores in packing order.
std::vector<std::uint32_t> pim_order(const std::vector<CoreInfo>& cores, PimOrder order) {
  std::vector<std::uint32_t> pim;
  for (std::uint32_t i = 0; i < cores.size(); ++i)
    if (cores[i].cls == CoreClass::pim) pim.push_back(i);
  if (order != PimOrder::hilbert || pim.empty()) return pim;
  int w = 0, h = 0;
  for (auto i : pim) {
    const auto& ix = cores[i].index;
    if (ix.size() < 2) return pim;  // no coordinates: keep port order
    w = std::max(w, ix[0] + 1);
    h = std::max(h, ix[1] + 1);
  }
  const int n = std::max(w, h);
  if ((n & (n - 1)) != 0) return pim;  // Hilbert needs a power-of-two square
  auto key = [&](std::uint32_t i) {
    const auto& ix = cores[i].index;
    const std::uint64_t tier = ix.size() > 2 ? static_cast<std::uint64_t>(ix[2]) : 0;
    return std::pair{tier, hilbert_index(static_cast<std::uint64_t>(n), static_cast<std::uint64_t>(ix[0]),
                                         static_cast<std::uint64_t>(ix[1]))};
  };
  std::stable_sort(pim.begin(), pim.end(), [&](auto a, auto b) { return key(a) < key(b); });
  return pim;
}

struct Weight {
  std::int64_t key;  // parameter id, or -(op id + 1) when the op names none
  ParamId param;
  std::string name;
  std::uint64_t rows, cols;
  std::uint32_t bits;
  std::int64_t group;  // layer, or a unique negative id for weights outside layers
  std::uint64_t bytes() const { return opgraph::bytes_of(rows * cols, bits); }
};

struct Packing {
  std::map<std::int64_t, std::vector<Shard>> shards;  // by weight key
  std::set<std::int64_t> overflow;
  std::uint64_t overflow_bytes = 0;
};

// Greedy packing in whole column groups (the columns one crossbar row holds), counting
// whole tiles per shard as the ReRAM core allocates them.
Packing pack(const std::vector<Weight>& ws, const std::vector<std::uint32_t>& pim, const PimGeometry& geo,
             bool aligned) {
  Packing r;
  std::size_t c = 0;
  std::uint64_t used = 0;
  std::int64_t group = 0;
  bool first = true;
  for (const auto& w : ws) {
    if (aligned && !first && w.group != group && used > 0) {
      ++c;
      used = 0;
    }
    first = false;
    group = w.group;
    const std::uint64_t per = geo.columns_per_group(w.bits);
    const std::uint64_t xbars = geo.crossbars_per_group(w.rows);
    // Dry run from the cursor: does the whole weight fit in what is left?
    std::vector<Shard> out;
    std::size_t cc = c;
    std::uint64_t uu = used, col = 0;
    while (col < w.cols && cc < pim.size()) {
      const std::uint64_t groups = (geo.tiles - uu) * geo.tile_crossbars / xbars;
      if (groups == 0) {
        ++cc;
        uu = 0;
        continue;
      }
      const std::uint64_t take = std::min(groups * per, w.cols - col);
      out.push_back(Shard{pim[cc], col, col + take, w.cols, 0});
      uu += geo.tiles_for(w.rows, take, w.bits);
      col += take;
    }
    if (col < w.cols) {
      r.overflow.insert(w.key);
      r.overflow_bytes += w.bytes();
      continue;
    }
    c = cc;
    used = uu;
    r.shards[w.key] = std::move(out);
  }
  return r;
}

}  // namespace

Mapping map_graph(const Graph& g, const std::vector<CoreInfo>& cores, const MappingOptions& opt) {
  if (cores.empty()) throw MappingError("no cores are linked to cores[]: link them with a fanout generator");
  const auto adj = g.adjacency();
  const auto eff = effective_layers(g, adj);
  const auto pim = pim_order(cores, opt.pim_order);
  std::vector<std::uint32_t> sa;
  for (std::uint32_t i = 0; i < cores.size(); ++i)
    if (cores[i].cls == CoreClass::sa) sa.push_back(i);
  const std::string policy(to_string(opt.policy));

  // Stored weights, in order of first use.
  std::vector<Weight> ws;
  std::map<std::int64_t, std::size_t> by_key;
  std::int64_t outside_group = -1;
  const bool store = opt.policy != Policy::sa_only;
  if (store) {
    for (const auto& op : g.ops) {
      if (!is_frozen_static_gemm(g, op)) continue;
      const std::int64_t key = op.params.empty() ? -(op.id + 1) : op.params.front();
      if (auto it = by_key.find(key); it != by_key.end()) {
        const Weight& w = ws[it->second];
        if (w.rows != op.shape.k || w.cols != op.shape.n)
          throw MappingError(fmt::format("op {} \"{}\" uses stored weight \"{}\" as {}x{}, an earlier op as {}x{}",
                                         op.id, op.name, w.name, op.shape.k, op.shape.n, w.rows, w.cols));
        continue;
      }
      Weight w{key, op.params.empty() ? -1 : op.params.front(),
               op.params.empty() ? op.name : g.parameters[static_cast<std::size_t>(op.params.front())].name,
               op.shape.k, op.shape.n, op.b.bits, op.layer >= 0 ? op.layer : outside_group--};
      by_key.emplace(key, ws.size());
      ws.push_back(std::move(w));
    }
    if (!ws.empty() && pim.empty())
      throw MappingError(fmt::format(
          "mapping \"{}\" stores {} weight matrices on PIM cores, but none of cores[] is a PIM core "
          "(see pim_types); use mapping = \"sa_only\" for an SA-only chip",
          policy, ws.size()));
  }

  Mapping m;
  m.ops.resize(g.ops.size());
  m.tiles_used.assign(cores.size(), 0);
  Packing packing;
  if (!ws.empty()) {
    for (const auto& w : ws) (void)opt.pim.columns_per_group(w.bits);  // a weight no crossbar row holds
    if (opt.pim.tiles == 0) {  // unlimited: one layer group per core, round robin
      std::map<std::int64_t, std::size_t> group_core;
      for (const auto& w : ws) {
        auto [it, fresh] = group_core.emplace(w.group, group_core.size() % pim.size());
        packing.shards[w.key] = {Shard{pim[it->second], 0, w.cols, w.cols, 0}};
      }
      m.layer_aligned = true;
    } else {
      packing = pack(ws, pim, opt.pim, true);
      m.layer_aligned = packing.overflow.empty();
      if (!packing.overflow.empty()) packing = pack(ws, pim, opt.pim, false);
    }
    if (!packing.overflow.empty() && opt.overflow == Overflow::error) {
      std::uint64_t need = 0;
      for (const auto& w : ws) need += w.bytes();
      const auto first = std::find_if(ws.begin(), ws.end(), [&](const Weight& w) { return packing.overflow.count(w.key); });
      throw MappingError(fmt::format(
          "stored weights do not fit the PIM cores: {} B of weights, {} PIM cores x {} tiles of {} crossbars; "
          "{} weight matrices ({} B) left over, the first \"{}\" ({}x{} at {} bits). "
          "Set overflow = \"sa\" to run them on SA cores, or give the cores more tiles",
          need, pim.size(), opt.pim.tiles, opt.pim.tile_crossbars, packing.overflow.size(), packing.overflow_bytes,
          first->name, first->rows, first->cols, first->bits));
    }
    std::uint64_t next_id = 1;
    for (const auto& w : ws) {
      auto it = packing.shards.find(w.key);
      if (it == packing.shards.end()) continue;
      for (auto& s : it->second) {
        s.weight_id = next_id++;
        m.loads.push_back(WeightLoad{s.core, s.weight_id, w.param, w.name, w.rows, s.hi - s.lo, w.bits,
                                     opgraph::bytes_of(w.rows * (s.hi - s.lo), w.bits),
                                     opt.pim.tiles_for(w.rows, s.hi - s.lo, w.bits)});
        m.stored_bytes += m.loads.back().bytes;
        m.tiles_used[s.core] += m.loads.back().tiles;
      }
    }
    m.overflow_bytes = packing.overflow_bytes;
  }

  // A layer's home PIM core (pim_only): where its first weight lives.
  std::map<std::int32_t, std::uint32_t> pim_home;
  for (const auto& w : ws)
    if (w.group >= 0)
      if (auto it = packing.shards.find(w.key); it != packing.shards.end())
        pim_home.emplace(static_cast<std::int32_t>(w.group), it->second.front().core);
  const std::uint32_t A = std::max<std::uint32_t>(1, opt.attention_cores);

  for (const auto& op : g.ops) {
    auto& pl = m.ops[static_cast<std::size_t>(op.id)];
    const std::int32_t l = eff[static_cast<std::size_t>(op.id)];
    pl.layer = l;
    const bool frozen = store && is_frozen_static_gemm(g, op);
    const bool frozen_dx = store && opt.frozen_dx == DxPlacement::pim && op.kind == OpKind::grad_gemm_dx &&
                           op.b.is_static && !op.params.empty() &&
                           !g.parameters[static_cast<std::size_t>(op.params.front())].trainable;
    if (frozen || frozen_dx) {
      const std::int64_t key = op.params.empty() ? -(op.id + 1) : op.params.front();
      auto it = packing.shards.find(key);
      if (it != packing.shards.end()) {
        pl.shards = it->second;
        pl.stored = true;
        pl.split = pl.shards.size() > 1 ? (frozen ? Split::columns : Split::reduction) : Split::none;
        continue;
      }
      pl.overflowed = frozen;
    }
    const bool on_pim = opt.policy == Policy::pim_only && !pl.overflowed;
    if (on_pim) {
      auto it = pim_home.find(l);
      pl.shards = {Shard{it != pim_home.end() ? it->second : pim[static_cast<std::size_t>(l) % pim.size()], 0, 1, 1, 0}};
      continue;
    }
    if (sa.empty())
      throw MappingError(fmt::format(
          "mapping \"{}\" puts op {} \"{}\" ({}) on an SA core, but none of cores[] is an SA core (see sa_types){}",
          policy, op.id, op.name, opgraph::to_string(op.kind),
          pl.overflowed ? "; it overflowed the PIM capacity (overflow = \"sa\")" : ""));
    const std::uint64_t base = static_cast<std::uint64_t>(l) * A;
    const std::uint64_t lane = op.head >= 0 ? static_cast<std::uint64_t>(op.head) % A : 0;
    pl.shards = {Shard{sa[(base + lane) % sa.size()], 0, 1, 1, 0}};
  }

  std::set<std::uint32_t> used;
  for (const auto& pl : m.ops)
    for (const auto& s : pl.shards) used.insert(s.core);
  for (const auto& ld : m.loads) used.insert(ld.core);
  for (auto c : used) (cores[c].cls == CoreClass::pim ? m.pim_cores_used : m.sa_cores_used)++;
  return m;
}

}  // namespace strata::transformer
