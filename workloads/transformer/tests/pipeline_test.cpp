// Streams of sequences (sequences, inflight, rate) and weight replication (replicate), on
// fake cores whose service times are closed forms: throughput, latency and stage delays of
// a two-stage pipeline, a GEMM split over replicas, the replication policies' placement.
#include "one_gemm_graph.hpp"
#include "test_util.hpp"

#include "mapping.hpp"

#include <strata/opgraph/graph_io.hpp>

#include <catch2/catch.hpp>

using namespace tf_test;
using strata::Time;

namespace {

double acc(const nlohmann::ordered_json& s, const std::string& name, const char* field) {
  return s.at(name).at(field).get<double>();
}

// Stage 1: a projection through a frozen stored weight (PIM); stage 2: a GELU (SA).
constexpr std::uint64_t kM = 16, kK = 64, kN = 64, kElements = 1024, kBytes = 1024;
std::string two_stage_graph() {
  return fmt::format(R"({{
  "format": "strata-opgraph", "version": 1, "model": {{"name": "two-stage"}},
  "workload": {{"batch": 1, "seq_len": {m}}},
  "parameters": [{{"name": "L0.attn.q_proj.weight", "elements": {kn}, "bits": 8}}],
  "ops": [
    {{"id": 0, "name": "L0.attn.q_proj", "kind": "gemm", "phase": "forward", "layer": 0, "shape": {{"batch": 1, "m": {m}, "k": {k}, "n": {n}}},
     "a": {{"bits": 8}}, "b": {{"bits": 8, "static": true}}, "out": {{"bits": 8, "acc_bits": 32}}, "params": [0]}},
    {{"id": 1, "name": "L0.ffn.gelu", "kind": "gelu", "phase": "forward", "layer": 0, "shape": {{"elements": {e}}},
     "a": {{"bits": 8}}, "out": {{"bits": 8}}}}
  ],
  "edges": [{{"src": 0, "dst": 1, "bytes": {b}}}]
}})",
                     fmt::arg("m", kM), fmt::arg("k", kK), fmt::arg("n", kN), fmt::arg("kn", kK * kN),
                     fmt::arg("e", kElements), fmt::arg("b", kBytes));
}

struct TwoStage {
  Time d1 = 0, d2 = 0, unloaded = 0;  // stage delays and one sequence alone, ps
  Chip chip;
};

// Fake PIM: 1 ps per FLOP; fake SA: `sa_element_ps` per element; links 1 ns (cores) and
// 2 ns (NIs); an NI transfer takes 10 ns + 5 ps per byte (test_util.hpp, Chip).
TwoStage two_stage(Time sa_element_ps) {
  TwoStage t;
  t.chip.sa_params = fmt::format(R"(flop_time = "2ps", element_time = "{}ps")", sa_element_ps);
  const Time Lc = 1000, Ln = 2000, ni = 10000, byte = 5;
  t.d1 = 2 * kM * kK * kN;
  t.d2 = kElements * sa_element_ps;
  // request, stage 1, answer; transfer (to the NI, its time, back); request, stage 2, answer
  t.unloaded = Lc + t.d1 + Lc + (Ln + ni + kBytes * byte + Ln) + Lc + t.d2 + Lc;
  return t;
}

}  // namespace

TEST_CASE("pipeline: a 2-stage stream runs at 1 / max(stage delay), a sequence alone takes the sum of the stages",
          "[transformer][pipeline]") {
  TempDir tmp;
  const auto file = tmp.write("two.json", two_stage_graph());
  {
    const Time sa_element = GENERATE(Time{64}, Time{256});  // stage 1 the bottleneck, then stage 2
    const TwoStage t = two_stage(sa_element);
    const Time slowest = std::max(t.d1, t.d2);
    REQUIRE(t.d1 != t.d2);
    const std::string base = fmt::format(R"(graph_file = "{}", offchip = "", sequences = 8)", file.string());
    INFO("stage delays " << t.d1 << " and " << t.d2 << " ps");

    SECTION("all released at once: completions one slowest stage apart") {
      strata::testing::Harness h;
      const auto r = h.run(chip_toml(t.chip, base));
      const auto& s = wl_stats(r);
      CHECK(s["stream.sequences"].get<std::uint64_t>() == 8);
      CHECK(s["stream.micro_batches"].get<std::uint64_t>() == 8);
      CHECK(s["stream.window"].get<Time>() == 7 * slowest);
      CHECK(acc(s, "stream.throughput", "mean") == Approx(1e12 / static_cast<double>(slowest)).epsilon(1e-12));
      CHECK(acc(s, "stream.token_throughput", "mean") ==
            Approx(kM * 1e12 / static_cast<double>(slowest)).epsilon(1e-12));
      CHECK(acc(s, "stream.sequence_latency", "min") == static_cast<double>(t.unloaded));
      // Stage delays: each stage is one op on its own core, once per micro-batch.
      CHECK(acc(s, "stage.pim.proj.forward.delay", "count") == 8);
      CHECK(acc(s, "stage.pim.proj.forward.delay", "mean") == static_cast<double>(t.d1));
      CHECK(acc(s, "stage.sa.vector.forward.delay", "mean") == static_cast<double>(t.d2));
      CHECK(acc(s, "stage.sa.proj.forward.delay", "count") == 0);  // the projection ran on PIM only
      CHECK(acc(s, "stream.core_busy", "mean") == static_cast<double>(slowest));
      CHECK(s["stream.busiest_core"].get<std::uint64_t>() == (t.d1 > t.d2 ? 0u : 1u));
      CHECK(acc(s, "stream.throughput_bound", "mean") == Approx(1e12 / static_cast<double>(slowest)).epsilon(1e-12));
    }
    SECTION("at a rate below capacity: throughput = rate, every sequence takes the sum of the stages") {
      strata::testing::Harness h;
      const auto r = h.run(chip_toml(t.chip, base + ", rate = 1e6"));  // one sequence per microsecond
      const auto& s = wl_stats(r);
      REQUIRE(t.unloaded < 1000000);
      CHECK(s["stream.window"].get<Time>() == 7 * 1000000);
      CHECK(acc(s, "stream.throughput", "mean") == Approx(1e6).epsilon(1e-12));
      CHECK(acc(s, "stream.sequence_latency", "min") == static_cast<double>(t.unloaded));
      CHECK(acc(s, "stream.sequence_latency", "max") == static_cast<double>(t.unloaded));
    }
    SECTION("closed loop, one in flight: the next starts when the last completes") {
      strata::testing::Harness h;
      const auto r = h.run(chip_toml(t.chip, base + ", inflight = 1"));
      const auto& s = wl_stats(r);
      CHECK(s["stream.window"].get<Time>() == 7 * t.unloaded);
      CHECK(acc(s, "stream.throughput", "mean") == Approx(1e12 / static_cast<double>(t.unloaded)).epsilon(1e-12));
      CHECK(acc(s, "stream.sequence_latency", "max") == static_cast<double>(t.unloaded));
    }
  }
}

TEST_CASE("pipeline: the run summary names the bottleneck stage and the stream's throughput",
          "[transformer][pipeline][cli]") {
  TempDir tmp;
  const auto file = tmp.write("two.json", two_stage_graph());
  const TwoStage t = two_stage(256);  // stage 2 (the GELU on SA) is the slower
  const auto exp = tmp.write(
      "exp.toml", "[experiment]\nname = \"two_stage\"\n" +
                      chip_toml(t.chip, fmt::format(R"(graph_file = "{}", offchip = "", sequences = 4)", file.string())));
  const auto r = strata_cli(fmt::format("run {} --out {}", exp.string(), (tmp.path / "out").string()));
  INFO(r.out);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("pipeline     wl: 4 sequences in 4 micro-batches") != std::string::npos);
  CHECK(r.out.find("bottleneck   wl: stage sa.vector.forward (layer 0)") != std::string::npos);
  CHECK(r.out.find("busiest core cores[1]") != std::string::npos);
  CHECK(r.out.find("not in a steady state") == std::string::npos);  // a real pipeline: at the bound
}

TEST_CASE("pipeline: micro-batches of batch / micro_batches, one weight update per optimizer step",
          "[transformer][pipeline]") {
  TempDir tmp;
  const auto model = tmp.write("tiny.toml", kTinyModel);
  Chip chip{.pim = 2, .sa = 2};
  const std::string wl = fmt::format(
      R"(model = "{}", mode = "lora_finetune", batch = 2, micro_batches = 2, seq_len = 16, offchip = "")", model.string());
  strata::testing::Harness h1, h2;
  const auto one = h1.run(chip_toml(chip, wl));
  const auto three = h2.run(chip_toml(chip, wl + ", sequences = 6"));
  const auto& a = wl_stats(one);
  const auto& b = wl_stats(three);
  // Three optimizer steps of two micro-batches: every forward/backward op 6 times, every
  // update 3 times, where one batch runs them 2 and 1 times.
  const auto upd = a["op.weight_update.update.count"].get<std::uint64_t>();
  REQUIRE(upd > 0);
  CHECK(b["op.weight_update.update.count"].get<std::uint64_t>() == 3 * upd);
  CHECK(b["ops"].get<std::uint64_t>() == 3 * a["ops"].get<std::uint64_t>());
  CHECK(b["stream.micro_batches"].get<std::uint64_t>() == 6);
  CHECK(acc(b, "stream.sequence_latency", "count") == 6);
  CHECK(a.contains("stream.throughput") == false);  // no stream statistics without sequences
}

TEST_CASE("pipeline: bad stream and replication parameters are configuration errors", "[transformer][pipeline]") {
  TempDir tmp;
  const auto model = tmp.write("tiny.toml", kTinyModel);
  Chip chip;
  const std::string wl = fmt::format(R"(model = "{}", seq_len = 16, offchip = "")", model.string());
  auto error_of = [&](const std::string& extra) {
    strata::testing::Harness h;
    return h.errors(chip_toml(chip, wl + ", " + extra));
  };
  CHECK_THAT(error_of("batch = 4, micro_batches = 2, sequences = 5"),
             Catch::Contains("sequences = 5 is not a multiple of the micro-batch size 2"));
  CHECK_THAT(error_of("inflight = 2"), Catch::Contains("inflight applies to a stream: set sequences"));
  CHECK_THAT(error_of("rate = 100.0"), Catch::Contains("rate applies to a stream"));
  CHECK_THAT(error_of("replicate = \"two\""), Catch::Contains("replicate = \"two\": expected \"off\", \"auto\""));
  CHECK_THAT(error_of("replicate = \"0\""), Catch::Contains("a number of copies >= 1"));
  CHECK_THAT(error_of("mode = \"lora_finetune\", batch = 2, micro_batches = 2, sequences = 3"),
             Catch::Contains("sequences = 3 is not a whole number of optimizer steps of 2 sequences"));
}

TEST_CASE("replication: 2 copies halve a stored GEMM's time, and the copy is programmed through load_weights",
          "[transformer][replication]") {
  TempDir tmp;
  const std::uint64_t K = 256, N = 96;
  Chip chip{.pim = 2, .sa = 1};  // fake PIM: 1 ps per FLOP and per loaded byte, 1 pJ per loaded byte
  const Time Lc = 1000;
  for (std::uint64_t m : {std::uint64_t{64}, std::uint64_t{65}}) {
    const auto file = tmp.write("g.json", one_gemm_graph(m, K, N));
    const std::string wl = fmt::format(R"(graph_file = "{}", offchip = "")", file.string());
    strata::testing::Harness h1, h2;
    const auto off = h1.run(chip_toml(chip, wl));
    const auto two = h2.run(chip_toml(chip, wl + R"(, replicate = "2")"));
    const auto& a = wl_stats(off);
    const auto& b = wl_stats(two);
    const Time whole = 2 * m * K * N, half = 2 * ((m + 1) / 2) * K * N;  // the larger share: ceil(m / 2) rows
    CHECK(a["latency"].get<Time>() == Lc + whole + Lc);
    CHECK(b["latency"].get<Time>() == Lc + half + Lc);
    CHECK(acc(b, "op.gemm.forward.busy", "count") == 2);
    CHECK(acc(b, "op.gemm.forward.busy", "sum") == static_cast<double>(whole));  // same work, on two cores
    CHECK(b["ops"].get<std::uint64_t>() == 1);
    CHECK(b["requests"].get<std::uint64_t>() == 2);  // one per copy
    CHECK(a["requests"].get<std::uint64_t>() == 1);
    // The copy: one more load_weights on the idle core, in parallel with the original.
    CHECK(b["weight_loads"].get<std::uint64_t>() == 2);
    CHECK(b["replica_loads"].get<std::uint64_t>() == 1);
    CHECK(b["replica_bytes"].get<std::uint64_t>() == K * N);
    CHECK(acc(b, "replica_write_energy", "sum") == Approx(static_cast<double>(K * N) * 1e-12));
    CHECK(acc(b, "replica_load_time", "sum") == static_cast<double>(K * N));
    CHECK(b["setup_time"].get<Time>() == a["setup_time"].get<Time>());
    CHECK(b["pim_cores_used"].get<std::uint64_t>() == 2);
    // Crossbars: 8-bit weights on 2-bit cells, 128 x 128 crossbars: 32 weights per row.
    const std::uint64_t xbars = (K + 127) / 128 * ((N + 31) / 32);
    CHECK(b["replica_crossbars"].get<std::uint64_t>() == xbars);
    CHECK(b["replica_cells"].get<std::uint64_t>() == K * N * 4);
    CHECK(b["tier.0.crossbars"].get<std::uint64_t>() == 2 * xbars);
    CHECK(b["tier.0.replica_crossbars"].get<std::uint64_t>() == xbars);
    CHECK(b["tier.0.crossbar_capacity"].get<std::uint64_t>() == 2 * 16 * 96);
    CHECK_FALSE(a.contains("replica_loads"));  // off: no replication statistics
  }
}

namespace {

std::vector<strata::transformer::CoreInfo> pim_chip(int pim) {
  using strata::transformer::CoreClass;
  std::vector<strata::transformer::CoreInfo> c;
  for (int i = 0; i < pim; ++i) c.push_back({fmt::format("reram[{}]", i), "pim.reram_core", CoreClass::pim, {i, 0, 0}});
  c.push_back({"sa[0]", "systolic.array", CoreClass::sa, {0, 0}});
  return c;
}

}  // namespace

TEST_CASE("replication: auto copies the busiest weight first, N gives every weight its copies in turn",
          "[transformer][replication][mapping]") {
  namespace tr = strata::transformer;
  TempDir tmp;
  // Two 128 x 128 weights of one layer, the first read by 64 rows, the second by 16; one
  // tile per core, so each core holds one weight (4 crossbars) and cores 2 and 3 are idle.
  const auto file = tmp.write("g.json", R"({
  "format": "strata-opgraph", "version": 1, "model": {"name": "two-weights"},
  "parameters": [{"name": "L0.attn.q_proj.weight", "elements": 16384, "bits": 8},
                 {"name": "L0.attn.k_proj.weight", "elements": 16384, "bits": 8}],
  "ops": [
    {"id": 0, "name": "L0.attn.q_proj", "kind": "gemm", "phase": "forward", "layer": 0, "shape": {"m": 64, "k": 128, "n": 128},
     "a": {"bits": 8}, "b": {"bits": 8, "static": true}, "out": {"bits": 8, "acc_bits": 32}, "params": [0]},
    {"id": 1, "name": "L0.attn.k_proj", "kind": "gemm", "phase": "forward", "layer": 0, "shape": {"m": 16, "k": 128, "n": 128},
     "a": {"bits": 8}, "b": {"bits": 8, "static": true}, "out": {"bits": 8, "acc_bits": 32}, "params": [1]}
  ],
  "edges": []
})");
  const og::Graph g = og::read_graph(file);
  tr::MappingOptions opt;
  opt.pim.tiles = 1;
  opt.pim.tile_crossbars = 4;
  auto replicas = [&](tr::Replication::Mode mode, std::uint32_t copies) {
    opt.replicate = {mode, copies};
    const auto m = tr::map_graph(g, pim_chip(4), opt);
    REQUIRE(m.ops[0].shards.size() == 1);
    REQUIRE(m.ops[0].shards[0].core == 0);
    REQUIRE(m.ops[1].shards[0].core == 1);
    std::uint64_t replica_loads = 0;
    for (const auto& ld : m.loads) replica_loads += ld.replica ? 1 : 0;
    CHECK(replica_loads == m.replica_loads);
    return std::pair{m.ops[0].shards[0].replicas, m.ops[1].shards[0].replicas};
  };
  using V = std::vector<std::uint32_t>;
  CHECK(replicas(tr::Replication::Mode::off, 1) == std::pair{V{}, V{}});
  // auto: q (64 rows per copy) gets core 2; with 32 per copy it still beats k's 16: core 3.
  CHECK(replicas(tr::Replication::Mode::fill, 1) == std::pair{V{2, 3}, V{}});
  // 2 copies each: q first (more rows), then k; a third copy finds no room.
  CHECK(replicas(tr::Replication::Mode::copies, 2) == std::pair{V{2}, V{3}});
  CHECK(replicas(tr::Replication::Mode::copies, 3) == std::pair{V{2}, V{3}});
}

TEST_CASE("pipeline: requests carry their micro-batch's release order as age, so an oldest-first core works "
          "depth-first",
          "[transformer][pipeline]") {
  // X (layer 0) and Z (layer 1) through two stored weights on the one PIM core, Y on SA
  // between them: X -> Y -> Z. Three micro-batches released at once. Z0 reaches the PIM core
  // while X1 runs; then FIFO serves X2 (queued earlier) and oldest-first serves Z0 (age 0).
  TempDir tmp;
  const std::uint64_t M = 16, K = 64, N = 64, E = 1024, B = 1024;
  const auto file = tmp.write("xyz.json", fmt::format(R"({{
  "format": "strata-opgraph", "version": 1, "model": {{"name": "xyz"}},
  "parameters": [{{"name": "L0.attn.q_proj.weight", "elements": {kn}, "bits": 8}},
                 {{"name": "L1.attn.q_proj.weight", "elements": {kn}, "bits": 8}}],
  "ops": [
    {{"id": 0, "name": "L0.attn.q_proj", "kind": "gemm", "phase": "forward", "layer": 0, "shape": {{"m": {m}, "k": {k}, "n": {n}}},
     "a": {{"bits": 8}}, "b": {{"bits": 8, "static": true}}, "out": {{"bits": 8, "acc_bits": 32}}, "params": [0]}},
    {{"id": 1, "name": "L0.ffn.gelu", "kind": "gelu", "phase": "forward", "layer": 0, "shape": {{"elements": {e}}},
     "a": {{"bits": 8}}, "out": {{"bits": 8}}}},
    {{"id": 2, "name": "L1.attn.q_proj", "kind": "gemm", "phase": "forward", "layer": 1, "shape": {{"m": {m}, "k": {k}, "n": {n}}},
     "a": {{"bits": 8}}, "b": {{"bits": 8, "static": true}}, "out": {{"bits": 8, "acc_bits": 32}}, "params": [1]}}
  ],
  "edges": [{{"src": 0, "dst": 1, "bytes": {b}}}, {{"src": 1, "dst": 2, "bytes": {b}}}]
}})",
                                                       fmt::arg("m", M), fmt::arg("k", K), fmt::arg("n", N),
                                                       fmt::arg("kn", K * N), fmt::arg("e", E), fmt::arg("b", B)));
  const Time Lc = 1000, D = 2 * M * K * N;  // fake PIM: 1 ps per FLOP
  const Time T = 2000 + 10000 + B * 5 + 2000, e = E * 3;  // a transfer; the GELU (fake SA: 3 ps per element)
  REQUIRE(4 * Lc + 2 * T + e < D);  // Z0 arrives while X1 runs
  const std::string wl = fmt::format(R"(graph_file = "{}", offchip = "", sequences = 3)", file.string());
  for (bool oldest : {false, true}) {
    Chip chip;
    chip.pim_params += oldest ? ", oldest_first = true" : "";
    strata::testing::Harness h;
    const auto r = h.run(chip_toml(chip, wl));
    const auto& s = wl_stats(r);
    INFO((oldest ? "oldest_first" : "fifo"));
    // Micro-batch 0 completes when Z0 answers: after X0, X1, X2, Z0 (FIFO) or X0, X1, Z0.
    CHECK(acc(s, "stream.sequence_latency", "min") == static_cast<double>(Lc + (oldest ? 3 : 4) * D + Lc));
    CHECK(s["ops"].get<std::uint64_t>() == 9);
  }
}
