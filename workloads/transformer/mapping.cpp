// Mapping policies (see mapping.hpp and README.md, "Mapping").
#include "mapping.hpp"

#include <strata/opgraph/model_config.hpp>  // closest_match

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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
    case Policy::haima: return "haima";
  }
  return "?";
}

bool glob_match(std::string_view p, std::string_view t) {
  std::size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == t[ti])) {
      ++pi;
      ++ti;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

int match_rule(const std::vector<MappingRule>& rules, const Op& op) {
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const MappingRule& r = rules[i];
    if (!r.op.empty() && !glob_match(r.op, op.name)) continue;
    if (!r.kind.empty() && !glob_match(r.kind, opgraph::to_string(op.kind))) continue;
    if (r.shape >= 0 && (r.shape == 0) != opgraph::kind_info(op.kind).gemm_like) continue;
    if (r.phase >= 0 && r.phase != static_cast<int>(op.phase)) continue;
    if (r.layer != -2 && r.layer != op.layer) continue;
    if (r.head != -2 && r.head != op.head) continue;
    return static_cast<int>(i);
  }
  return -1;
}

namespace {

using ojson = nlohmann::ordered_json;

struct TableParser {
  std::string source;

  [[noreturn]] void fail(const std::string& ptr, const std::string& reason) const {
    throw MappingError(fmt::format("{}: error: {}: {}", source, ptr.empty() ? "/" : ptr, reason));
  }

  void target(const ojson& v, const std::string& ptr, MappingRule& r) const {
    if (v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0)) {
      r.target = Target::core;
      r.core = static_cast<std::uint32_t>(v.get<std::uint64_t>());
      return;
    }
    if (v.is_string()) {
      const auto s = v.get<std::string>();
      if (s == "pim") r.target = Target::pim;
      else if (s == "sa") r.target = Target::sa;
      else if (s == "policy") r.target = Target::policy;
      else fail(ptr, fmt::format("unknown target \"{}\": use \"pim\", \"sa\", \"policy\" or a core index (0-based, in cores[] order)", s));
      return;
    }
    fail(ptr, fmt::format("a target is \"pim\", \"sa\", \"policy\" or a core index, not {}", v.dump()));
  }

  void kind(const std::string& k, const std::string& ptr) const {
    if (k.find_first_of("*?") != std::string::npos || opgraph::parse_op_kind(k)) return;
    std::vector<std::string_view> names;
    for (int i = 0; i < opgraph::op_kind_count; ++i) names.push_back(opgraph::to_string(static_cast<OpKind>(i)));
    std::string reason = fmt::format("unknown op kind \"{}\"", k);
    if (auto m = opgraph::closest_match(k, names); !m.empty()) reason += fmt::format(" (did you mean \"{}\"?)", m);
    fail(ptr, reason);
  }

  std::int32_t phase(const std::string& p, const std::string& ptr) const {
    auto ph = opgraph::parse_phase(p);
    if (!ph) fail(ptr, fmt::format("unknown phase \"{}\" (forward, backward or update)", p));
    return static_cast<std::int32_t>(*ph);
  }

  std::int32_t shape(const std::string& s, const std::string& ptr) const {
    if (s == "gemm") return 0;
    if (s == "vector") return 1;
    fail(ptr, fmt::format("unknown shape \"{}\" (gemm or vector)", s));
  }

  std::int32_t index(const ojson& v, const std::string& ptr) const {
    if (!v.is_number_integer() || v.get<std::int64_t>() < -1 || v.get<std::int64_t>() > (1LL << 31))
      fail(ptr, fmt::format("expected an integer >= -1, got {}", v.dump()));
    return static_cast<std::int32_t>(v.get<std::int64_t>());
  }

  std::string str(const ojson& v, const std::string& ptr) const {
    if (!v.is_string()) fail(ptr, fmt::format("expected a string, got {}", v.dump()));
    return v.get<std::string>();
  }

  MappingRule rule(const ojson& j, const std::string& ptr) const {
    if (!j.is_object()) fail(ptr, "a rule is an object, e.g. {\"kind\": \"softmax\", \"core\": \"sa\"}");
    MappingRule r;
    r.where = fmt::format("{}: {}", source, ptr);
    bool has_target = false;
    for (const auto& [key, v] : j.items()) {
      const std::string kp = ptr + "/" + key;
      if (key == "op") r.op = str(v, kp);
      else if (key == "kind") kind(r.kind = str(v, kp), kp);
      else if (key == "shape") r.shape = shape(str(v, kp), kp);
      else if (key == "phase") r.phase = phase(str(v, kp), kp);
      else if (key == "layer") r.layer = index(v, kp);
      else if (key == "head") r.head = index(v, kp);
      else if (key == "core") {
        target(v, kp, r);
        has_target = true;
      } else if (key == "comment") {
      } else {
        const std::vector<std::string_view> keys{"op", "kind", "shape", "phase", "layer", "head", "core", "comment"};
        std::string reason = fmt::format("unknown key \"{}\"", key);
        if (auto m = opgraph::closest_match(key, keys); !m.empty()) reason += fmt::format(" (did you mean \"{}\"?)", m);
        fail(kp, reason + "; a rule has op, kind, shape, phase, layer, head, core, comment");
      }
    }
    if (!has_target) fail(ptr, "missing required key \"core\" (\"pim\", \"sa\", \"policy\" or a core index)");
    return r;
  }

  std::vector<MappingRule> parse(const ojson& root) const {
    std::vector<MappingRule> out;
    auto rules = [&](const ojson& arr, const std::string& ptr) {
      if (!arr.is_array()) fail(ptr, "expected an array of rules");
      for (std::size_t i = 0; i < arr.size(); ++i) out.push_back(rule(arr[i], fmt::format("{}/{}", ptr, i)));
    };
    if (root.is_array()) {
      rules(root, "");
    } else if (root.is_object() && root.contains("rules")) {
      for (const auto& [key, v] : root.items())
        if (key != "rules" && key != "comment")
          fail("/" + key, fmt::format("unknown key \"{}\" beside \"rules\" (only \"comment\" may join it)", key));
      rules(root["rules"], "/rules");
    } else if (root.is_object()) {
      // Shorthand: {"pattern": target, ...}, first match wins in file order.
      for (const auto& item : root.items()) {
        const std::string key = item.key();  // not a structured binding: lambdas capture it
        const auto& v = item.value();
        const std::string kp = "/" + key;
        MappingRule r;
        r.where = fmt::format("{}: {}", source, kp);
        auto after = [&](std::string_view prefix) { return key.substr(prefix.size()); };
        if (key.rfind("kind:", 0) == 0) kind(r.kind = after("kind:"), kp);
        else if (key.rfind("shape:", 0) == 0) r.shape = shape(after("shape:"), kp);
        else if (key.rfind("phase:", 0) == 0) r.phase = phase(after("phase:"), kp);
        else if (key.rfind("layer:", 0) == 0) {
          try {
            r.layer = static_cast<std::int32_t>(std::stol(after("layer:")));
          } catch (const std::exception&) {
            fail(kp, "layer:<n> needs an integer");
          }
        } else {
          r.op = key;
        }
        target(v, kp, r);
        out.push_back(std::move(r));
      }
    } else {
      fail("", "a mapping table is an object ({\"rules\": [...]} or {\"pattern\": target, ...}) or an array of rules");
    }
    return out;
  }
};

}  // namespace

std::vector<MappingRule> parse_mapping_table(std::string_view text, std::string_view source) {
  TableParser p{std::string(source)};
  ojson root;
  try {
    root = ojson::parse(text.begin(), text.end());
  } catch (const ojson::parse_error& e) {
    throw MappingError(fmt::format("{}: error: not valid JSON: {}", source, e.what()));
  }
  return p.parse(root);
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

std::uint64_t PimGeometry::crossbars_for(std::uint64_t rows, std::uint64_t cols, std::uint32_t bits) const {
  if (rows == 0 || cols == 0) return 0;
  const std::uint64_t per = columns_per_group(bits);
  return crossbars_per_group(rows) * ((cols + per - 1) / per);
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
// whole tiles per shard as the ReRAM core allocates them. Each core offers `cap` tiles,
// of which `preused[core]` are already taken (weights pinned there by a mapping rule).
Packing pack(const std::vector<Weight>& ws, const std::vector<std::uint32_t>& pim, const PimGeometry& geo,
             bool aligned, std::uint64_t cap, const std::vector<std::uint64_t>& preused) {
  Packing r;
  auto base = [&](std::size_t c) { return c < pim.size() ? preused[pim[c]] : 0; };
  std::size_t c = 0;
  std::uint64_t used = base(0);
  std::int64_t group = 0;
  bool first = true;
  for (const auto& w : ws) {
    if (aligned && !first && w.group != group && used > base(c)) {
      ++c;
      used = base(c);
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
      const std::uint64_t groups = uu >= cap ? 0 : (cap - uu) * geo.tile_crossbars / xbars;
      if (groups == 0) {
        ++cc;
        uu = base(cc);
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

bool is_frozen_dx(const Graph& g, const Op& op) {
  return op.kind == OpKind::grad_gemm_dx && op.b.is_static && !op.params.empty() &&
         !g.parameters[static_cast<std::size_t>(op.params.front())].trainable;
}

std::int64_t weight_key(const Op& op) { return op.params.empty() ? -(op.id + 1) : op.params.front(); }

}  // namespace

// Replication (README.md, "Weight replication"): copies of stored shards on the idle PIM
// cores. The work of a shard is the rows (tokens) its GEMMs send through it per graph
// instance; a copy takes work / copies of it. Copies of one shard sit on distinct cores
// (a second copy on the same FIFO core would gain nothing); an idle core takes the copies
// of several shards while its tiles last (a copy is whole tiles, as the ReRAM core places
// it). The idle core chosen for a copy is the one with the least work so far (then the
// first in fill order), so copies spread.
static void replicate(const Graph& g, Mapping& m, const std::vector<std::uint32_t>& idle, const MappingOptions& opt) {
  if (idle.empty()) return;
  // Stored shards (one load each) and their work.
  std::map<std::pair<std::uint32_t, std::uint64_t>, std::size_t> shard_of;  // (core, weight_id) -> load index
  for (std::size_t i = 0; i < m.loads.size(); ++i) shard_of.emplace(std::pair{m.loads[i].core, m.loads[i].weight_id}, i);
  std::vector<double> work(m.loads.size(), 0.0);
  for (const auto& op : g.ops) {
    const auto& pl = m.ops[static_cast<std::size_t>(op.id)];
    if (!pl.stored) continue;
    for (const auto& s : pl.shards)
      if (auto it = shard_of.find({s.core, s.weight_id}); it != shard_of.end())
        work[it->second] += static_cast<double>(op.shape.batch * op.shape.m);
  }
  const std::uint64_t cap = opt.pim.tiles;  // idle cores keep no scratch: they run nothing else
  std::map<std::uint32_t, std::uint64_t> free_tiles;
  std::map<std::uint32_t, double> core_work;
  for (auto c : idle) free_tiles[c] = cap, core_work[c] = 0.0;
  std::vector<std::vector<std::uint32_t>> copies(m.loads.size());
  // One more copy of load i, on the least-loaded idle core with room that has none yet.
  auto place = [&](std::size_t i) {
    const WeightLoad& ld = m.loads[i];
    const std::uint64_t need = ld.tiles;
    std::uint32_t best = 0;
    bool found = false;
    for (auto c : idle) {
      if (cap > 0 && free_tiles[c] < need) continue;
      if (std::find(copies[i].begin(), copies[i].end(), c) != copies[i].end()) continue;
      if (!found || core_work[c] < core_work[best]) best = c, found = true;
    }
    if (!found) return false;
    copies[i].push_back(best);
    if (cap > 0) free_tiles[best] -= need;
    core_work[best] += work[i] / static_cast<double>(copies[i].size() + 1);
    return true;
  };
  // Bottleneck first: shards by work per copy, largest first (ties: load order).
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < m.loads.size(); ++i)
    if (work[i] > 0) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return work[a] > work[b]; });
  if (opt.replicate.mode == Replication::Mode::copies) {
    // Level by level (every shard's second copy before any third), so scarce room is shared.
    for (std::uint32_t level = 2; level <= opt.replicate.copies; ++level)
      for (auto i : order)
        if (copies[i].size() + 2 == level) (void)place(i);
  } else {
    // Greedy fill: repeatedly the shard with the largest work per copy, while room lasts.
    // Bounded: each step adds a copy on a distinct idle core, at most idle.size() per shard.
    std::vector<bool> done(m.loads.size(), false);
    while (true) {
      std::size_t pick = m.loads.size();
      double best = -1.0;
      for (auto i : order) {
        if (done[i]) continue;
        const double per = work[i] / static_cast<double>(copies[i].size() + 1);
        if (per > best) best = per, pick = i;
      }
      if (pick == m.loads.size()) break;
      if (!place(pick)) done[pick] = true;
    }
  }
  // Loads of the copies (same weight id, on their own core), and the shards that name them.
  std::map<std::pair<std::uint32_t, std::uint64_t>, std::vector<std::uint32_t>> replicas;
  const std::size_t originals = m.loads.size();
  for (std::size_t i = 0; i < originals; ++i) {
    if (copies[i].empty()) continue;
    replicas[{m.loads[i].core, m.loads[i].weight_id}] = copies[i];
    for (auto c : copies[i]) {
      WeightLoad r = m.loads[i];
      r.core = c;
      r.replica = true;
      m.tiles_used[c] += r.tiles;
      m.loads.push_back(std::move(r));
      ++m.replica_loads;
    }
  }
  for (auto& pl : m.ops) {
    if (!pl.stored) continue;
    for (auto& s : pl.shards)
      if (auto it = replicas.find({s.core, s.weight_id}); it != replicas.end()) s.replicas = it->second;
  }
}

Mapping map_graph(const Graph& g, const std::vector<CoreInfo>& cores, const MappingOptions& opt) {
  if (opt.policy == Policy::haima && opt.pim.tiles != 0) {
    // HBM-PIM keeps weights in DRAM rows, not crossbars: no tile packing (the stack checks
    // its own capacity when the weights are written).
    MappingOptions unlimited = opt;
    unlimited.pim.tiles = 0;
    return map_graph(g, cores, unlimited);
  }
  if (cores.empty()) throw MappingError("no cores are linked to cores[]: link them with a fanout generator");
  const auto adj = g.adjacency();
  const auto eff = effective_layers(g, adj);
  const auto pim = pim_order(cores, opt.pim_order);
  std::vector<std::uint32_t> sa;
  for (std::uint32_t i = 0; i < cores.size(); ++i)
    if (cores[i].cls == CoreClass::sa) sa.push_back(i);
  const std::string policy(to_string(opt.policy));
  for (const auto& r : opt.rules)
    if (r.target == Target::core && r.core >= cores.size())
      throw MappingError(fmt::format("mapping rule {}: core {} does not exist: cores[] has {} elements (0..{})",
                                     r.where, r.core, cores.size(), cores.size() - 1));
  const std::size_t n_ops = g.ops.size();

  // HAIMA: the SA-class cores split into SRAM-PIM (sram_types) and host cores.
  std::vector<std::uint32_t> haima_host, haima_sram;
  if (opt.policy == Policy::haima) {
    for (auto i : sa) (glob_match(opt.sram_types, cores[i].type) ? haima_sram : haima_host).push_back(i);
    if (haima_sram.empty() || haima_host.empty() || pim.empty())
      throw MappingError(fmt::format(
          "mapping \"haima\" needs an HBM-PIM core (a PIM-class core, see pim_types), an SRAM-PIM core (an SA-class "
          "core whose type matches sram_types = \"{}\") and a host core (another SA-class core); cores[] has {} PIM, "
          "{} SRAM-PIM and {} host cores",
          opt.sram_types, pim.size(), haima_sram.size(), haima_host.size()));
  }
  auto haima_pick = [&](const std::vector<std::uint32_t>& v, std::size_t op) {
    return v[static_cast<std::size_t>(std::max(0, eff[op])) % v.size()];
  };

  // 1. What each op asks for: the first matching rule, else the base policy.
  std::vector<std::int32_t> rule_of(n_ops, -1);
  std::vector<Target> want(n_ops, Target::sa);
  std::vector<std::uint32_t> want_core(n_ops, 0);
  std::vector<bool> dx_on_shards(n_ops, false);
  for (const auto& op : g.ops) {
    const auto i = static_cast<std::size_t>(op.id);
    const int r = match_rule(opt.rules, op);
    rule_of[i] = r;
    Target t = r >= 0 ? opt.rules[static_cast<std::size_t>(r)].target : Target::policy;
    if (t == Target::core) want_core[i] = opt.rules[static_cast<std::size_t>(r)].core;
    if (t == Target::policy) {
      const bool dx_pim = opt.frozen_dx == DxPlacement::pim && is_frozen_dx(g, op);
      switch (opt.policy) {
        case Policy::atleus: t = is_frozen_static_gemm(g, op) || dx_pim ? Target::pim : Target::sa; break;
        case Policy::sa_only: t = Target::sa; break;
        case Policy::pim_only: t = Target::pim; break;
        case Policy::haima: {
          const bool weight = is_frozen_static_gemm(g, op) || is_frozen_dx(g, op);
          const bool w_v = weight && !op.params.empty() &&
                           g.parameters[static_cast<std::size_t>(op.params.front())].name.find(".attn.v_proj.") !=
                               std::string::npos;
          if (weight && !w_v) {
            t = Target::pim;
          } else if (op.kind == OpKind::attention_score) {
            t = Target::pim;
          } else {
            t = Target::core;
            want_core[i] = haima_pick(w_v || op.kind == OpKind::attention_value ? haima_sram : haima_host, i);
          }
          dx_on_shards[i] = t == Target::pim && is_frozen_dx(g, op);
          want[i] = t;
          continue;
        }
      }
      dx_on_shards[i] = dx_pim;
    } else {
      dx_on_shards[i] = t == Target::pim && is_frozen_dx(g, op);  // "pim": the weight's own shards
    }
    want[i] = t;
  }
  auto on_pim = [&](std::size_t i) {
    return want[i] == Target::pim || (want[i] == Target::core && cores[want_core[i]].cls == CoreClass::pim);
  };

  // 2. Stored weights: those of frozen GEMMs sent to PIM, in order of first use; a rule
  // naming a PIM core pins the weight there.
  std::vector<Weight> ws;
  std::map<std::int64_t, std::size_t> by_key;
  std::map<std::int64_t, std::uint32_t> pinned;  // weight key -> core
  std::int64_t outside_group = -1;
  for (const auto& op : g.ops) {
    const auto i = static_cast<std::size_t>(op.id);
    if (!is_frozen_static_gemm(g, op) || !on_pim(i)) continue;
    const std::int64_t key = weight_key(op);
    if (want[i] == Target::core) {
      auto [it, fresh] = pinned.emplace(key, want_core[i]);
      if (!fresh && it->second != want_core[i])
        throw MappingError(fmt::format("mapping rule {}: pins the weight of op {} \"{}\" to core {} ({}), but an "
                                       "earlier op pinned it to core {} ({})",
                                       opt.rules[static_cast<std::size_t>(rule_of[i])].where, op.id, op.name,
                                       want_core[i], cores[want_core[i]].name, it->second, cores[it->second].name));
    }
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

  // 3. Dynamic operands written into PIM crossbars: every PIM core keeps `reserve` tiles
  // free for them (the largest such operand of the graph, unless set).
  auto dyn_candidate = [&](const Op& op) {
    const auto i = static_cast<std::size_t>(op.id);
    return opt.dynamic == DynamicOperands::write && on_pim(i) && opgraph::kind_info(op.kind).gemm_like &&
           !is_frozen_static_gemm(g, op) && !(dx_on_shards[i] && by_key.count(weight_key(op)));
  };
  auto dyn_tiles = [&](const Op& op) { return opt.pim.tiles_for(op.shape.k, op.shape.n, op.b.bits); };
  std::uint64_t reserve = 0;
  if (opt.pim.tiles > 0) {
    if (opt.scratch_tiles > 0) {
      reserve = std::min(opt.scratch_tiles, opt.pim.tiles);
    } else {
      for (const auto& op : g.ops)
        if (dyn_candidate(op)) {
          const std::uint64_t t = dyn_tiles(op);
          if (t <= opt.pim.tiles) reserve = std::max(reserve, t);
        }
    }
  }
  const std::uint64_t cap = opt.pim.tiles > reserve ? opt.pim.tiles - reserve : 0;

  Mapping m;
  m.ops.resize(n_ops);
  m.tiles_used.assign(cores.size(), 0);
  m.scratch_tiles = reserve;
  m.rule_ops.assign(opt.rules.size(), 0);
  Packing packing;
  if (!ws.empty()) {
    for (const auto& w : ws) (void)opt.pim.columns_per_group(w.bits);  // a weight no crossbar row holds
    std::vector<std::uint64_t> preused(cores.size(), 0);
    std::vector<Weight> free_ws;
    for (const auto& w : ws) {
      auto pin = pinned.find(w.key);
      if (pin == pinned.end()) {
        free_ws.push_back(w);
        continue;
      }
      const std::uint64_t t = opt.pim.tiles_for(w.rows, w.cols, w.bits);
      preused[pin->second] += t;
      if (opt.pim.tiles > 0 && preused[pin->second] > cap)
        throw MappingError(fmt::format(
            "mapping table: weight \"{}\" ({}x{} at {} bits, {} tiles) is pinned to core {} ({}), which has {} tiles "
            "for weights ({} per core{}) and {} of them already taken by other pinned weights",
            w.name, w.rows, w.cols, w.bits, t, pin->second, cores[pin->second].name, cap, opt.pim.tiles,
            reserve ? fmt::format(", {} kept for dynamic operands", reserve) : "", preused[pin->second] - t));
      packing.shards[w.key] = {Shard{pin->second, 0, w.cols, w.cols, 0}};
    }
    if (opt.pim.tiles == 0) {  // unlimited: one layer group per core, round robin
      std::map<std::int64_t, std::size_t> group_core;
      for (const auto& w : free_ws) {
        auto [it, fresh] = group_core.emplace(w.group, group_core.size() % pim.size());
        packing.shards[w.key] = {Shard{pim[it->second], 0, w.cols, w.cols, 0}};
      }
      m.layer_aligned = true;
    } else {
      auto packed = pack(free_ws, pim, opt.pim, true, cap, preused);
      m.layer_aligned = packed.overflow.empty();
      if (!packed.overflow.empty()) packed = pack(free_ws, pim, opt.pim, false, cap, preused);
      for (auto& [k, v] : packed.shards) packing.shards[k] = std::move(v);
      packing.overflow = std::move(packed.overflow);
      packing.overflow_bytes = packed.overflow_bytes;
    }
    if (!packing.overflow.empty() && opt.overflow == Overflow::error) {
      std::uint64_t need = 0;
      for (const auto& w : ws) need += w.bytes();
      const auto first = std::find_if(ws.begin(), ws.end(), [&](const Weight& w) { return packing.overflow.count(w.key); });
      throw MappingError(fmt::format(
          "stored weights do not fit the PIM cores: {} B of weights, {} PIM cores x {} tiles of {} crossbars{}; "
          "{} weight matrices ({} B) left over, the first \"{}\" ({}x{} at {} bits). "
          "Set overflow = \"sa\" to run them on SA cores, or give the cores more tiles",
          need, pim.size(), opt.pim.tiles, opt.pim.tile_crossbars,
          reserve ? fmt::format(" ({} per core kept for dynamic operands)", reserve) : "", packing.overflow.size(),
          packing.overflow_bytes, first->name, first->rows, first->cols, first->bits));
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

  // A layer's home PIM core (ops sent to PIM without a stored weight): where its first
  // weight lives, else the PIM cores round robin by layer.
  std::map<std::int32_t, std::uint32_t> pim_home;
  for (const auto& w : ws)
    if (w.group >= 0)
      if (auto it = packing.shards.find(w.key); it != packing.shards.end())
        pim_home.emplace(static_cast<std::int32_t>(w.group), it->second.front().core);
  const std::uint32_t A = std::max<std::uint32_t>(1, opt.attention_cores);

  for (const auto& op : g.ops) {
    const auto i = static_cast<std::size_t>(op.id);
    auto& pl = m.ops[i];
    const std::int32_t l = eff[i];
    pl.layer = l;
    pl.rule = rule_of[i];
    const bool frozen = is_frozen_static_gemm(g, op);
    if (on_pim(i)) {
      auto it = packing.shards.find(weight_key(op));
      const bool here = want[i] == Target::core && it != packing.shards.end() && it->second.size() == 1 &&
                        it->second.front().core == want_core[i];  // a dX sent to the core its weight is pinned to
      const bool stored =
          it != packing.shards.end() && (frozen || (is_frozen_dx(g, op) && (dx_on_shards[i] || here)));
      if (stored) {
        pl.shards = it->second;
        pl.stored = true;
        pl.split = pl.shards.size() > 1 ? (frozen ? Split::columns : Split::reduction) : Split::none;
        continue;
      }
      pl.overflowed = frozen;  // its weight did not fit: streamed on SA
      // Atleus's dX through a weight that did not fit runs on SA, like its forward GEMM.
      const bool atleus_dx = !frozen && rule_of[i] < 0 && opt.policy == Policy::atleus;
      if (!frozen && !atleus_dx) {
        if (pim.empty())
          throw MappingError(fmt::format("{} puts op {} \"{}\" ({}) on a PIM core, but none of cores[] is a PIM core "
                                         "(see pim_types)",
                                         rule_of[i] >= 0 ? "mapping rule " + opt.rules[static_cast<std::size_t>(rule_of[i])].where
                                                         : fmt::format("mapping \"{}\"", policy),
                                         op.id, op.name, opgraph::to_string(op.kind)));
        std::uint32_t core = want[i] == Target::core ? want_core[i] : 0;
        if (want[i] != Target::core) {
          auto h = pim_home.find(l);
          core = h != pim_home.end() ? h->second : pim[static_cast<std::size_t>(l) % pim.size()];
        }
        if (opt.dynamic == DynamicOperands::write && opgraph::kind_info(op.kind).gemm_like) {
          const std::uint64_t t = dyn_tiles(op);
          if (opt.pim.tiles > 0 && t > reserve) {
            if (opt.overflow == Overflow::error)
              throw MappingError(fmt::format(
                  "op {} \"{}\" ({}) on a PIM core writes its {}x{} operand at {} bits into {} tiles before each use, "
                  "but a core keeps {} tiles for dynamic operands (pim_scratch_tiles; {} per core). Set overflow = "
                  "\"sa\" to run such ops on SA cores, or raise pim_scratch_tiles",
                  op.id, op.name, opgraph::to_string(op.kind), op.shape.k, op.shape.n, op.b.bits, t, reserve,
                  opt.pim.tiles));
            pl.overflowed = true;
          } else {
            pl.dynamic_write = true;
            pl.write_rows = op.shape.k;
            pl.write_cols = op.shape.n;
            pl.write_bits = op.b.bits;
            pl.write_copies = op.b.is_static ? 1 : std::max<std::uint64_t>(1, op.shape.batch);
          }
        }
        if (!pl.overflowed) {
          pl.shards = {Shard{core, 0, 1, 1, 0}};
          continue;
        }
      }
    } else if (want[i] == Target::core) {
      pl.shards = {Shard{want_core[i], 0, 1, 1, 0}};
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
  for (const auto& pl : m.ops) {
    for (const auto& s : pl.shards) used.insert(s.core);
    if (pl.rule >= 0) ++m.rule_ops[static_cast<std::size_t>(pl.rule)];
  }
  for (const auto& ld : m.loads) used.insert(ld.core);
  for (auto& ld : m.loads) ld.crossbars = opt.pim.crossbars_for(ld.rows, ld.cols, ld.bits);
  if (opt.replicate.mode != Replication::Mode::off && !m.loads.empty()) {
    std::vector<std::uint32_t> idle;
    for (auto c : pim)
      if (!used.count(c)) idle.push_back(c);
    replicate(g, m, idle, opt);
    for (const auto& ld : m.loads) used.insert(ld.core);
  }
  for (auto c : used) (cores[c].cls == CoreClass::pim ? m.pim_cores_used : m.sa_cores_used)++;
  return m;
}

}  // namespace strata::transformer
