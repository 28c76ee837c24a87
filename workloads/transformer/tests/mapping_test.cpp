// Mapping policies, checked without a simulator: what goes on PIM and SA, how weights
// pack into ReRAM cores, how oversized weights split.
#include "mapping.hpp"

#include "test_util.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <numeric>
#include <set>

using namespace strata::transformer;
using namespace tf_test;

namespace {

std::vector<CoreInfo> chip(int pim, int sa) {
  std::vector<CoreInfo> c;
  for (int i = 0; i < pim; ++i) c.push_back({fmt::format("reram[{},{},{}]", i % 4, (i / 4) % 4, i / 16), "pim.reram_core", CoreClass::pim, {i % 4, (i / 4) % 4, i / 16}});
  for (int i = 0; i < sa; ++i) c.push_back({fmt::format("sa[{},{}]", i % 4, i / 4), "systolic.array", CoreClass::sa, {i % 4, i / 4}});
  return c;
}

bool frozen_dx(const og::Graph& g, const og::Op& op) {
  return op.kind == og::OpKind::grad_gemm_dx && op.b.is_static &&
         !g.parameters[static_cast<std::size_t>(op.params.front())].trainable;
}

}  // namespace

TEST_CASE("mapping atleus: frozen static GEMMs on PIM, everything else (LoRA included) on SA", "[transformer][mapping]") {
  const auto g = library_graph("bert-base", og::Mode::lora_finetune);
  const auto cores = chip(48, 16);
  const Mapping m = map_graph(g, cores, {});
  std::uint64_t pim_ops = 0, lora_ops = 0;
  for (const auto& op : g.ops) {
    const auto& pl = m.ops[static_cast<std::size_t>(op.id)];
    const bool want_pim = is_frozen_static_gemm(g, op) || frozen_dx(g, op);
    INFO(op.name);
    for (const auto& s : pl.shards) CHECK((cores[s.core].cls == CoreClass::pim) == want_pim);
    CHECK(pl.stored == want_pim);
    pim_ops += want_pim;
    if (op.kind == og::OpKind::lora_down || op.kind == og::OpKind::lora_up) {
      ++lora_ops;
      CHECK(cores[pl.shards.front().core].cls == CoreClass::sa);
    }
  }
  CHECK(pim_ops > 0);
  CHECK(lora_ops == 12 * 2 * 2);  // 12 layers, q and v, down and up
  // The dX through a frozen weight uses the very shards that hold it.
  for (const auto& op : g.ops)
    if (frozen_dx(g, op)) {
      const auto& fwd = m.ops[static_cast<std::size_t>(op.grad_of)];
      const auto& dx = m.ops[static_cast<std::size_t>(op.id)];
      REQUIRE(fwd.shards.size() == dx.shards.size());
      for (std::size_t i = 0; i < dx.shards.size(); ++i) CHECK(fwd.shards[i].weight_id == dx.shards[i].weight_id);
    }

  MappingOptions on_sa;
  on_sa.frozen_dx = DxPlacement::sa;
  const Mapping m2 = map_graph(g, cores, on_sa);
  for (const auto& op : g.ops)
    if (frozen_dx(g, op)) CHECK(cores[m2.ops[static_cast<std::size_t>(op.id)].shards.front().core].cls == CoreClass::sa);
}

TEST_CASE("mapping atleus: bert-base layers each start on a fresh pair of 6 MiB ReRAM cores", "[transformer][mapping]") {
  const auto g = library_graph("bert-base", og::Mode::inference);
  const Mapping m = map_graph(g, chip(48, 16), {});
  CHECK(m.layer_aligned);
  CHECK(m.pim_cores_used == 25);  // 12 layers x 2 + the pooler
  CHECK(m.overflow_bytes == 0);
  std::map<int, std::set<std::uint32_t>> layer_cores;
  for (const auto& op : g.ops)
    if (op.layer >= 0 && m.ops[static_cast<std::size_t>(op.id)].stored)
      for (const auto& s : m.ops[static_cast<std::size_t>(op.id)].shards) layer_cores[op.layer].insert(s.core);
  for (int l = 0; l < 12; ++l) CHECK(layer_cores[l] == std::set<std::uint32_t>{std::uint32_t(2 * l), std::uint32_t(2 * l + 1)});
  // SA ops of layer l on SA core l (cores 48.. are the SA cores).
  for (const auto& op : g.ops) {
    const auto& pl = m.ops[static_cast<std::size_t>(op.id)];
    if (!pl.stored) CHECK(pl.shards.front().core == 48 + static_cast<std::uint32_t>(pl.layer));
  }
}

// Tiles a K x N matrix of b-bit weights takes on an Atleus ReRAM core, written from the
// crossbar geometry (128 x 128 cells, 2 bits per cell, 96 crossbars per tile).
std::uint64_t atleus_tiles(std::uint64_t k, std::uint64_t n, std::uint64_t bits, std::uint64_t per_tile = 96) {
  const std::uint64_t per_row = 128 / ((bits + 1) / 2);
  const std::uint64_t xbars = ((k + 127) / 128) * ((n + per_row - 1) / per_row);
  return (xbars + per_tile - 1) / per_tile;
}

TEST_CASE("mapping atleus: loads never exceed a core's tiles; what does not fit overflows to SA",
          "[transformer][mapping]") {
  const auto g = library_graph("bert-large", og::Mode::inference);
  const auto cores = chip(48, 16);
  const Mapping m = map_graph(g, cores, {});
  // Whole tiles per matrix (as pim.reram_core allocates): a 1024 x 1024 projection takes
  // 256 crossbars = 3 tiles, so a layer needs 34 tiles, not 32, and 24 layers do not fit.
  CHECK(atleus_tiles(1024, 1024, 8) == 3);
  std::map<std::uint32_t, std::uint64_t> per_core;
  for (const auto& ld : m.loads) {
    CHECK(ld.tiles == atleus_tiles(ld.rows, ld.cols, ld.bits));
    per_core[ld.core] += ld.tiles;
  }
  CHECK(per_core.size() == 48);
  for (const auto& [core, tiles] : per_core) {
    CHECK(tiles <= 16);
    CHECK(m.tiles_used[core] == tiles);
  }
  CHECK_FALSE(m.layer_aligned);
  std::uint64_t total = 0;
  std::set<og::ParamId> seen;
  for (const auto& op : g.ops)
    if (is_frozen_static_gemm(g, op) && seen.insert(op.params.front()).second) total += op.b_bytes();
  CHECK(m.stored_bytes + m.overflow_bytes == total);
  std::set<std::string> overflowed;
  for (const auto& op : g.ops)
    if (m.ops[static_cast<std::size_t>(op.id)].overflowed) {
      overflowed.insert(op.name);
      CHECK(cores[m.ops[static_cast<std::size_t>(op.id)].shards.front().core].cls == CoreClass::sa);
    }
  CHECK(overflowed.count("pooler") == 1);
  CHECK(overflowed.count("L23.ffn.ff2") == 1);
  CHECK(overflowed.count("L0.attn.q_proj") == 0);

  MappingOptions strict;
  strict.overflow = Overflow::error;
  CHECK_THROWS_WITH(map_graph(g, cores, strict), Catch::Contains("do not fit the PIM cores") &&
                                                     Catch::Contains("overflow = \"sa\""));
}

TEST_CASE("mapping atleus: with crossbar-granular allocation bert-large's 24 layers exactly fill 48 cores",
          "[transformer][mapping]") {
  const auto g = library_graph("bert-large", og::Mode::inference);
  const auto cores = chip(48, 16);
  MappingOptions o;
  o.pim.tile_crossbars = 1;  // allocate crossbars, not tiles
  o.pim.tiles = 16 * 96;
  const Mapping m = map_graph(g, cores, o);
  std::map<std::uint32_t, std::uint64_t> per_core;
  for (const auto& ld : m.loads) per_core[ld.core] += ld.tiles;
  CHECK(per_core.size() == 48);
  for (const auto& [core, xbars] : per_core) CHECK(xbars == 16 * 96);
  CHECK(m.stored_bytes == 24ULL * (4 * 1024 * 1024 + 2 * 1024 * 4096));
  CHECK(m.overflow_bytes == 1024ULL * 1024);  // the pooler
}

TEST_CASE("mapping: a weight larger than a core splits along its columns; slices sum exactly",
          "[transformer][mapping]") {
  const auto g = library_graph("gpt2-small", og::Mode::inference, 64);
  const auto cores = chip(48, 16);
  const Mapping m = map_graph(g, cores, {});
  const auto it = std::find_if(g.ops.begin(), g.ops.end(), [](const og::Op& op) { return op.name == "lm_head"; });
  REQUIRE(it != g.ops.end());
  const auto& pl = m.ops[static_cast<std::size_t>(it->id)];
  CHECK(pl.split == Split::columns);
  REQUIRE(pl.shards.size() >= 7);  // 768 x 50257 B = 36.8 MiB over 6 MiB cores
  std::uint64_t cols = 0, prev_hi = 0;
  for (const auto& s : pl.shards) {
    CHECK(s.lo == prev_hi);
    prev_hi = s.hi;
    cols += s.hi - s.lo;
    CHECK(s.total == it->shape.n);
  }
  CHECK(cols == it->shape.n);
  for (std::uint64_t bytes : {0ULL, 1ULL, 999ULL, 1234567ULL, 1ULL << 49}) {
    std::uint64_t sum = 0;
    for (std::size_t s = 0; s < pl.shards.size(); ++s) sum += shard_bytes(bytes, pl, s, true);
    CHECK(sum == bytes);
    CHECK(shard_bytes(bytes, pl, 0, false) == bytes);  // every shard reads the whole input
  }
}

TEST_CASE("mapping sa_only and pim_only put every op on one class of core", "[transformer][mapping]") {
  const auto g = library_graph("bert-base", og::Mode::lora_finetune, 64);
  const auto cores = chip(48, 16);
  MappingOptions sa;
  sa.policy = Policy::sa_only;
  const Mapping ms = map_graph(g, cores, sa);
  CHECK(ms.loads.empty());
  for (const auto& pl : ms.ops) CHECK(cores[pl.shards.front().core].cls == CoreClass::sa);
  MappingOptions pim;
  pim.policy = Policy::pim_only;
  const Mapping mp = map_graph(g, cores, pim);
  CHECK_FALSE(mp.loads.empty());
  for (const auto& pl : mp.ops)
    for (const auto& s : pl.shards) CHECK(cores[s.core].cls == CoreClass::pim);
}

TEST_CASE("mapping: attention heads spread over attention_cores SA cores", "[transformer][mapping]") {
  const auto g = library_graph("bert-base", og::Mode::inference, 64);
  MappingOptions o;
  o.attention_cores = 4;
  const Mapping m = map_graph(g, chip(48, 16), o);
  std::set<std::uint32_t> layer0;
  for (const auto& op : g.ops)
    if (op.layer == 0 && op.head >= 0) layer0.insert(m.ops[static_cast<std::size_t>(op.id)].shards.front().core);
  CHECK(layer0 == std::set<std::uint32_t>{48, 49, 50, 51});
}

TEST_CASE("mapping: hilbert order fills grid neighbours one after another", "[transformer][mapping]") {
  const auto g = library_graph("bert-base", og::Mode::inference, 64);
  const auto cores = chip(16, 16);
  MappingOptions o;
  o.pim_order = PimOrder::hilbert;
  o.pim.tiles = 0;  // unlimited: one layer per core, in fill order
  const Mapping m = map_graph(g, cores, o);
  std::vector<std::uint32_t> order;
  for (const auto& ld : m.loads)
    if (order.empty() || order.back() != ld.core) order.push_back(ld.core);
  REQUIRE(order.size() >= 12);
  for (std::size_t i = 1; i < 12; ++i) {
    const auto& a = cores[order[i - 1]].index;
    const auto& b = cores[order[i]].index;
    CHECK(std::abs(a[0] - b[0]) + std::abs(a[1] - b[1]) == 1);
  }
}

TEST_CASE("mapping: impossible chips are errors that say what to change", "[transformer][mapping]") {
  const auto g = library_graph("bert-base", og::Mode::inference, 64);
  CHECK_THROWS_WITH(map_graph(g, chip(0, 4), {}), Catch::Contains("none of cores[] is a PIM core") &&
                                                      Catch::Contains("sa_only"));
  CHECK_THROWS_WITH(map_graph(g, chip(4, 0), {}), Catch::Contains("none of cores[] is an SA core"));
  MappingOptions sa;
  sa.policy = Policy::sa_only;
  CHECK_NOTHROW(map_graph(g, chip(0, 4), sa));
  CHECK_THROWS_WITH(map_graph(g, {}, {}), Catch::Contains("no cores"));
}
