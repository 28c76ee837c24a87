// Off-chip data: embedding rows, LoRA adapters, other non-resident parameters and KV caches
// beyond kv_cache_capacity are loaded from memory before the op that needs them, through
// mem[] when linked (fake memory here), else on the workload's analytic channel. Expected
// times and bytes are derived here from the graph.
#include "test_util.hpp"

#include "mapping.hpp"

#include <catch2/catch.hpp>

using namespace tf_test;
using strata::Time;

namespace {

const og::Op& op_named(const og::Graph& g, const std::string& name) {
  for (const auto& op : g.ops)
    if (op.name == name) return op;
  throw std::runtime_error("no op " + name);
}

// Bytes an op loads in category "lora" / "embedding" / "weights" when nothing is in crossbars.
std::uint64_t static_bytes(const og::Op& op) {
  return (op.a.is_static ? op.a_bytes() : 0) + (op.b.is_static ? op.b_bytes() : 0);
}
std::string category(const og::Graph& g, const og::Op& op) {
  if (op.kind == og::OpKind::embedding) return "embedding";
  for (auto p : op.params)
    if (g.parameters[static_cast<std::size_t>(p)].name.find(".lora_") != std::string::npos) return "lora";
  return "weights";
}

std::string fake_mem(const std::string& params, const std::string& link = "3ns") {
  return fmt::format(R"(
[[component]]
name = "mem"
type = "test.fake_mem"
params = {{ {} }}

[[link]]
from = "wl.mem[]"
to = "mem.port[]"
latency = "{}"
)",
                     params, link);
}

}  // namespace

TEST_CASE("offchip: the embedding rows load on the analytic channel before the first op", "[transformer][offchip]") {
  TempDir tmp;
  const auto model = tmp.write("tiny.toml", kTinyModel);
  const og::Graph g = model_graph(model, og::Mode::inference, 2, 16);
  const std::uint64_t bytes = op_named(g, "embed").a_bytes();  // batch x seq x hidden at 8 bits
  REQUIRE(bytes == 2 * 16 * 64);
  Chip chip{.pim = 0};  // one FIFO SA core: every op depends on the embedding, so the run shifts by the load
  const std::string base = fmt::format(R"(model = "{}", batch = 2, seq_len = 16, mapping = "sa_only", )", model.string());
  strata::testing::Harness h1, h2;
  const auto off = h1.run(chip_toml(chip, base + R"(offchip = "")"));
  const auto on = h2.run(chip_toml(chip, base + R"(offchip = "embedding", mem_bandwidth = "1GB/s", mem_latency = "7ns")"));
  const auto& s = wl_stats(on);
  // 1 GB/s = 1000 ps per byte, then the 7 ns access latency.
  CHECK(s["latency"].get<Time>() - wl_stats(off)["latency"].get<Time>() == bytes * 1000 + 7000);
  CHECK(s["mem_loads"].get<std::uint64_t>() == 1);
  CHECK(s["mem_load_bytes"].get<std::uint64_t>() == bytes);
  CHECK(s["mem.embedding.bytes"].get<std::uint64_t>() == bytes);
  CHECK(s["mem_load_time"]["sum"].get<double>() == static_cast<double>(bytes * 1000 + 7000));
  CHECK(s["mem_energy"]["sum"].get<double>() == Approx(static_cast<double>(bytes) * 8 * 3.9e-12));
  CHECK(wl_stats(off)["mem_loads"].get<std::uint64_t>() == 0);
}

TEST_CASE("offchip: with mem[] linked the loads are MemRequests to the memory, at the parameters' addresses",
          "[transformer][offchip]") {
  TempDir tmp;
  const auto model = tmp.write("tiny.toml", kTinyModel);
  const og::Graph g = model_graph(model, og::Mode::inference, 2, 16);
  const og::Op& embed = op_named(g, "embed");
  const std::uint64_t bytes = embed.a_bytes();
  // Parameters are laid out in order from mem_base, each on a 256-byte boundary.
  std::uint64_t addr = 1 << 20;
  for (og::ParamId p = 0; p < embed.params.front(); ++p)
    addr = (addr + g.parameters[static_cast<std::size_t>(p)].bytes() + 255) / 256 * 256;
  Chip chip{.pim = 0};
  const std::string base = fmt::format(R"(model = "{}", batch = 2, seq_len = 16, mapping = "sa_only", )", model.string());
  strata::testing::Harness h1, h2;
  const auto off = h1.run(chip_toml(chip, base + R"(offchip = "")"));
  const auto on = h2.run(chip_toml(chip, base + R"(offchip = "embedding", mem_base = "1MiB")") +
                         fake_mem(R"(latency = "5ns", byte_time = "2ps")"));
  const auto& s = wl_stats(on);
  // Link there (3 ns), 5 ns + 2 ps per byte in the memory, link back (3 ns).
  CHECK(s["latency"].get<Time>() - wl_stats(off)["latency"].get<Time>() == 3000 + 5000 + bytes * 2 + 3000);
  const auto& m = on.stats["components"]["mem"]["stats"];
  CHECK(m["reads"].get<std::uint64_t>() == 1);
  CHECK(m["bytes"].get<std::uint64_t>() == bytes);
  CHECK(m["max_end"].get<std::uint64_t>() == addr + bytes);
  CHECK(s["mem_energy"]["count"].get<std::uint64_t>() == 0);  // the memory books its own energy
}

TEST_CASE("offchip: LoRA adapters, embeddings and (with offchip = all) streamed weights load once per use",
          "[transformer][offchip]") {
  TempDir tmp;
  const auto model = tmp.write("tiny.toml", kTinyModel);
  const og::Graph g = model_graph(model, og::Mode::lora_finetune, 1, 16);  // one micro-batch's graph
  Chip chip{.pim = 2, .sa = 2};
  for (const std::string mapping : {"atleus", "sa_only"}) {
    for (const std::string offchip : {"lora,embedding,kv_cache", "all"}) {
      INFO(mapping << " / " << offchip);
      std::map<std::string, std::uint64_t> bytes;
      std::uint64_t loads = 0;
      for (const auto& op : g.ops) {
        const bool stored = mapping == "atleus" && strata::transformer::is_frozen_static_gemm(g, op);
        const bool frozen_dx = mapping == "atleus" && op.kind == og::OpKind::grad_gemm_dx && op.b.is_static &&
                               !g.parameters[static_cast<std::size_t>(op.params.front())].trainable;
        const std::uint64_t b = stored || frozen_dx ? 0 : static_bytes(op);
        const std::string cat = category(g, op);
        if (b == 0 || (cat == "weights" && offchip != "all")) continue;
        const std::uint64_t times = op.phase == og::Phase::update ? 1 : 2;  // two micro-batches
        bytes[cat] += b * times;
        loads += times;
      }
      REQUIRE(bytes["lora"] > 0);
      strata::testing::Harness h;
      const auto r = h.run(chip_toml(chip, fmt::format(R"(model = "{}", mode = "lora_finetune", batch = 2, micro_batches = 2, )"
                                                       R"(seq_len = 16, mapping = "{}", offchip = "{}")",
                                                       model.string(), mapping, offchip)));
      const auto& s = wl_stats(r);
      CHECK(s["mem.lora.bytes"].get<std::uint64_t>() == bytes["lora"]);
      CHECK(s["mem.embedding.bytes"].get<std::uint64_t>() == bytes["embedding"]);
      CHECK(s["mem.weights.bytes"].get<std::uint64_t>() == bytes["weights"]);
      CHECK(s["mem_loads"].get<std::uint64_t>() == loads);
      CHECK(s["mem_load_bytes"].get<std::uint64_t>() == bytes["lora"] + bytes["embedding"] + bytes["weights"]);
      CHECK(s["ops"].get<std::uint64_t>() == s["ops_issued"].get<std::uint64_t>());
    }
  }
}

TEST_CASE("offchip: KV caches beyond kv_cache_capacity are read from and written to memory, layer by layer",
          "[transformer][offchip][decode]") {
  TempDir tmp;
  const auto model = tmp.write("tiny-dec.toml", kTinyDecoder);
  const og::Graph g = model_graph(model, og::Mode::decode, 2, 8, 2);
  // One layer's cache at the longest key length: K and V, batch 2, 8 + 2 keys, 64 wide, 8 bits.
  const std::uint64_t layer_cache = 2 * 2 * (8 + 2) * 64;
  std::uint64_t appends = 0, written = 0;
  std::map<int, std::uint64_t> read;  // per layer: KV bytes the heads read
  const auto adj = g.adjacency();
  for (const auto& op : g.ops) {
    if (op.kind != og::OpKind::kv_cache_append) continue;
    ++appends;
    written += op.a_bytes();
    for (std::size_t ei : adj.out[static_cast<std::size_t>(op.id)]) read[op.layer] += g.edges[ei].bytes;
  }
  REQUIRE(appends == 4);  // 2 layers x 2 tokens
  Chip chip{.pim = 2, .sa = 2};
  auto run = [&](const std::string& capacity) {
    strata::testing::Harness h;
    return h.run(chip_toml(chip, fmt::format(R"(model = "{}", mode = "decode", batch = 2, seq_len = 8, decode_tokens = 2, )"
                                             R"(kv_cache_capacity = "{}", offchip = "kv_cache")",
                                             model.string(), capacity)));
  };
  const auto all = run("0B");
  const auto& s = wl_stats(all);
  CHECK(s["kv_cache_bytes"].get<std::uint64_t>() == 2 * layer_cache);
  CHECK(s["kv_offchip_layers"].get<std::uint64_t>() == 2);
  CHECK(s["mem.kv_cache.bytes"].get<std::uint64_t>() == read[0] + read[1]);
  CHECK(s["mem_writes"].get<std::uint64_t>() == appends);
  CHECK(s["mem_write_bytes"].get<std::uint64_t>() == written);
  // Layer 0 fits exactly: only layer 1 goes to memory.
  const auto half = run(fmt::format("{}B", layer_cache));
  CHECK(wl_stats(half)["kv_offchip_layers"].get<std::uint64_t>() == 1);
  CHECK(wl_stats(half)["mem.kv_cache.bytes"].get<std::uint64_t>() == read[1]);
  CHECK(wl_stats(half)["mem_writes"].get<std::uint64_t>() == 2);
  const auto none = run("1MiB");
  CHECK(wl_stats(none)["kv_offchip_layers"].get<std::uint64_t>() == 0);
  CHECK(wl_stats(none)["mem_loads"].get<std::uint64_t>() == 0);
  // Reads from memory replace the on-chip transfers of the cache, and cost time.
  CHECK(s["latency"].get<Time>() > wl_stats(none)["latency"].get<Time>());
}

TEST_CASE("offchip: a memory that refuses a load stops the run naming the op; bad categories are named",
          "[transformer][offchip][errors]") {
  TempDir tmp;
  const auto model = tmp.write("tiny.toml", kTinyModel);
  Chip chip{.pim = 0};
  strata::testing::Harness h;
  std::string what;
  try {
    h.run(chip_toml(chip, fmt::format(R"(model = "{}", seq_len = 16, mapping = "sa_only")", model.string())) +
          fake_mem(R"(capacity = "512B")"));
  } catch (const std::exception& e) {
    what = e.what();
  }
  CHECK_THAT(what, Catch::Contains("off-chip load") && Catch::Contains("\"embed\"") &&
                       Catch::Contains("address-error") && Catch::Contains("mem_base"));
  strata::testing::Harness h2;
  CHECK_THAT(h2.errors(chip_toml(chip, R"(offchip = "lora,kv")")),
             Catch::Contains("offchip: unknown category \"kv\"") && Catch::Contains("kv_cache"));
}
