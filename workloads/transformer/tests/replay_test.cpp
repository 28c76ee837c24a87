// Replay of op graphs on fake cores/NIs with closed-form timing: end-to-end time equals
// the critical path computed here from op FLOPs and edge bytes; every op issues once,
// after its inputs; transfers only for cross-core edges; a written graph file replays
// exactly like the generated graph.
#include "test_util.hpp"

#include "mapping.hpp"

#include <strata/opgraph/graph_io.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

using namespace tf_test;
using strata::Time;
using strata::transformer::is_frozen_static_gemm;

TEST_CASE("replay: a 1-layer graph ends after its critical path (op FLOPs, edge bytes, link latencies)",
          "[transformer][replay]") {
  TempDir tmp;
  const auto model = tmp.write("tiny.toml", kTinyModel);
  const auto mode = GENERATE(og::Mode::inference, og::Mode::lora_finetune);
  const og::Graph g = model_graph(model, mode, 2, 16);

  // One PIM and one SA core, both serving every request at once (no queueing), so the
  // answer is the longest path. Frozen static GEMMs on the PIM core, the rest on SA.
  Chip chip;
  chip.pim_params += ", parallel = true";
  chip.sa_params += ", parallel = true";
  const Time Lc = 1000, Ln = 2000, ni_lat = 10000, byte_time = 5;
  const Time pim_flop = 1, sa_flop = 2, sa_elem = 3, pim_load = 1;
  auto on_pim = [&](const og::Op& op) {
    return is_frozen_static_gemm(g, op) || (op.kind == og::OpKind::grad_gemm_dx && op.b.is_static &&
                                            !g.parameters[static_cast<std::size_t>(op.params.front())].trainable);
  };
  auto service = [&](const og::Op& op) -> Time {
    if (og::kind_info(op.kind).gemm_like) return op.flops() * (on_pim(op) ? pim_flop : sa_flop);
    return op.shape.elements * sa_elem;  // vector ops are all on SA
  };

  // Setup: every distinct stored weight is loaded at once; the last answer starts the run.
  Time longest_load = 0;
  std::uint64_t weight_bytes = 0;
  std::set<og::ParamId> loaded;
  for (const auto& op : g.ops)
    if (is_frozen_static_gemm(g, op) && loaded.insert(op.params.front()).second) {
      const auto bytes = og::bytes_of(op.shape.k * op.shape.n, op.b.bits);
      weight_bytes += bytes;
      longest_load = std::max(longest_load, bytes * pim_load);
    }
  const Time t0 = Lc + longest_load + Lc;

  std::vector<Time> finish(g.ops.size(), 0);
  std::uint64_t cross_bytes = 0, cross_edges = 0;
  const auto adj = g.adjacency();
  for (og::OpId id : g.topological_order()) {
    const auto& op = g.ops[static_cast<std::size_t>(id)];
    Time ready = t0;
    for (std::size_t ei : adj.in[static_cast<std::size_t>(id)]) {
      const auto& e = g.edges[ei];
      const auto& src = g.ops[static_cast<std::size_t>(e.src)];
      Time arrive = finish[static_cast<std::size_t>(e.src)];
      if (on_pim(src) != on_pim(op) && e.bytes > 0) arrive += Ln + ni_lat + e.bytes * byte_time + Ln;
      ready = std::max(ready, arrive);
    }
    finish[static_cast<std::size_t>(id)] = ready + Lc + service(op) + Lc;
  }
  for (const auto& e : g.edges)
    if (on_pim(g.ops[static_cast<std::size_t>(e.src)]) != on_pim(g.ops[static_cast<std::size_t>(e.dst)]) && e.bytes > 0) {
      cross_bytes += e.bytes;
      ++cross_edges;
    }
  const Time end = *std::max_element(finish.begin(), finish.end());
  REQUIRE(cross_edges > 0);

  strata::testing::Harness h;
  // Off-chip loads off: this is the pure compute + network critical path (loads: offchip_test).
  const auto r = h.run(chip_toml(chip, fmt::format(R"(model = "{}", mode = "{}", batch = 2, seq_len = 16, offchip = "")",
                                                   model.string(), og::to_string(mode))));
  const auto& s = wl_stats(r);
  CHECK(s["setup_time"].get<Time>() == t0);
  CHECK(s["weight_bytes"].get<std::uint64_t>() == weight_bytes);
  CHECK(s["latency"].get<Time>() == end - t0);
  CHECK(r.result.end_time == end);
  CHECK(s["ops"].get<std::uint64_t>() == g.ops.size());
  CHECK(s["requests"].get<std::uint64_t>() == g.ops.size());
  CHECK(s["transfers"].get<std::uint64_t>() == cross_edges);
  CHECK(s["bytes_moved"].get<std::uint64_t>() == cross_bytes);
  CHECK(s["local_edges"].get<std::uint64_t>() == g.edges.size() - cross_edges);
  CHECK(s["throughput"]["sum"].get<double>() == Approx(2.0 / ((end - t0) * 1e-12)));
  // Per op class and phase: counts and the busy time the cores reported.
  std::map<std::string, std::pair<std::uint64_t, Time>> by_class;
  for (const auto& op : g.ops) {
    auto& c = by_class[fmt::format("op.{}.{}", og::to_string(op.kind), og::to_string(op.phase))];
    ++c.first;
    c.second += service(op);
  }
  for (const auto& [name, c] : by_class) {
    INFO(name);
    CHECK(s[name + ".count"].get<std::uint64_t>() == c.first);
    CHECK(s[name + ".busy"]["sum"].get<double>() == Approx(static_cast<double>(c.second)));
  }
  // The fakes agree: the NIs moved exactly the cross-core bytes.
  CHECK(r.stats["components"]["ni[0]"]["stats"]["bytes"].get<std::uint64_t>() +
            r.stats["components"]["ni[1]"]["stats"]["bytes"].get<std::uint64_t>() ==
        cross_bytes);
}

TEST_CASE("replay: every op issues exactly once, after its inputs arrived, on the core its policy names",
          "[transformer][replay]") {
  TempDir tmp;
  const auto model = tmp.write("tiny.toml", kTinyModel);
  Chip chip{.pim = 2, .sa = 2};  // FIFO cores and NIs: queueing happens
  chip.ni_params += ", parallel = false";
  strata::testing::Harness h;
  const std::string mode = GENERATE("inference", "lora_finetune");
  const auto t = run_traced(
      h,
      chip_toml(chip, fmt::format(R"(model = "{}", mode = "{}", batch = 2, micro_batches = 2, attention_cores = 2, seq_len = 16)",
                                  model.string(), mode)),
      tmp.path / "trace.json");
  const og::Graph g = model_graph(model, *og::parse_mode(mode), 1, 16);  // one micro-batch
  const std::uint64_t instances = 2;

  struct Span {
    int count = 0;
    Time issued = 0, done = 0, start = 0;
    std::string core;
  };
  std::map<std::pair<std::int64_t, std::uint64_t>, Span> ops;           // (op, instance)
  std::map<std::tuple<std::int64_t, std::int64_t, std::uint64_t>, Time> xfers;  // (src, dst, src instance) -> arrival
  for (const auto& ev : t.trace["traceEvents"]) {
    if (ev["ph"] != "X") continue;
    const auto& a = ev["args"];
    if (ev["cat"] == "xfer") {
      xfers[{a["src_op"].get<std::int64_t>(), a["dst_op"].get<std::int64_t>(), a["src_instance"].get<std::uint64_t>()}] =
          std::llround(ev["ts"].get<double>() * 1e6 + ev["dur"].get<double>() * 1e6);
    } else if (ev["cat"] != "load_weights" && ev["cat"] != "mem") {
      auto& s = ops[{a["op"].get<std::int64_t>(), a["instance"].get<std::uint64_t>()}];
      ++s.count;
      s.issued = a["issued"].get<Time>();
      s.done = a["done"].get<Time>();
      s.start = std::llround(ev["ts"].get<double>() * 1e6);
      s.core = a["core"].get<std::string>();
    }
  }
  std::uint64_t expected_nodes = 0;
  for (const auto& op : g.ops) expected_nodes += op.phase == og::Phase::update ? 1 : instances;
  CHECK(ops.size() == expected_nodes);
  CHECK(wl_stats(t.run)["ops_issued"].get<std::uint64_t>() == expected_nodes);
  std::uint64_t violations = 0, misplaced = 0, missing_xfer = 0;
  const auto adj = g.adjacency();
  for (const auto& [key, s] : ops) {
    const auto& op = g.ops[static_cast<std::size_t>(key.first)];
    CHECK(s.count == 1);
    if (s.start < s.issued) ++violations;
    const bool pim = is_frozen_static_gemm(g, op) ||
                     (op.kind == og::OpKind::grad_gemm_dx && op.b.is_static &&
                      !g.parameters[static_cast<std::size_t>(op.params.front())].trainable);
    if (s.core.rfind(pim ? "pim[" : "sa[", 0) != 0) ++misplaced;
    for (std::size_t ei : adj.in[static_cast<std::size_t>(key.first)]) {
      const auto& e = g.edges[ei];
      const bool update = op.phase == og::Phase::update;
      const std::vector<std::uint64_t> src_instances =
          update ? std::vector<std::uint64_t>{0, 1} : std::vector<std::uint64_t>{key.second};
      for (auto si : src_instances) {
        const auto& src = ops.at({e.src, si});
        if (s.issued < src.done) ++violations;
        if (src.core != s.core && e.bytes > 0) {
          auto it = xfers.find({e.src, key.first, si});
          if (it == xfers.end())
            ++missing_xfer;
          else if (s.issued < it->second)
            ++violations;
        }
      }
    }
  }
  CHECK(violations == 0);
  CHECK(misplaced == 0);
  CHECK(missing_xfer == 0);
}

TEST_CASE("replay: FIFO cores queue independent ops in issue order", "[transformer][replay]") {
  // Two independent softmax ops and a residual add joining them, all on one SA core.
  TempDir tmp;
  const auto file = tmp.write("g.json", R"({
  "format": "strata-opgraph", "version": 1, "model": {"name": "hand"},
  "ops": [
    {"id": 0, "name": "a", "kind": "softmax", "phase": "forward", "shape": {"elements": 1000}, "a": {"bits": 8}, "out": {"bits": 8}},
    {"id": 1, "name": "b", "kind": "softmax", "phase": "forward", "shape": {"elements": 3000}, "a": {"bits": 8}, "out": {"bits": 8}},
    {"id": 2, "name": "c", "kind": "residual_add", "phase": "forward", "shape": {"elements": 500}, "a": {"bits": 8}, "b": {"bits": 8}, "out": {"bits": 8}}
  ],
  "edges": [{"src": 0, "dst": 2, "bytes": 1000}, {"src": 1, "dst": 2, "bytes": 3000}]
})");
  Chip chip{.pim = 0};
  strata::testing::Harness h;
  const auto r = h.run(chip_toml(chip, fmt::format(R"(graph_file = "{}", mapping = "sa_only")", file.string())));
  // a: [1ns, 1ns+3000ps); b queues behind it: ends 1ns + 12000ps; answer +1ns; c: +1ns + 1500ps + 1ns.
  const Time Lc = 1000, e = 3;
  const Time b_done = Lc + (1000 + 3000) * e + Lc;
  CHECK(wl_stats(r)["latency"].get<Time>() == b_done + Lc + 500 * e + Lc);
  CHECK(wl_stats(r)["transfers"].get<std::uint64_t>() == 0);
  CHECK(wl_stats(r)["local_edges"].get<std::uint64_t>() == 2);
}

TEST_CASE("replay: a graph file written by graph_io replays exactly like the generated graph",
          "[transformer][replay][graph_io]") {
  TempDir tmp;
  const auto model = tmp.write("tiny.toml", kTinyModel);
  const auto file = tmp.path / "g.json";
  og::write_graph(model_graph(model, og::Mode::lora_finetune, 1, 16), file);

  Chip chip{.pim = 2, .sa = 2};
  strata::testing::Harness h1, h2;
  const auto gen = h1.run(chip_toml(
      chip, fmt::format(R"(model = "{}", mode = "lora_finetune", batch = 2, micro_batches = 2, seq_len = 16)",
                        model.string())));
  const auto rep = h2.run(chip_toml(chip, fmt::format(R"(graph_file = "{}", micro_batches = 2)", file.string())));
  CHECK(gen.result.end_time == rep.result.end_time);
  CHECK(gen.result.events == rep.result.events);
  const auto& a = wl_stats(gen);
  const auto& b = wl_stats(rep);
  CHECK(a.dump() == b.dump());
}

TEST_CASE("replay: micro-batches pipeline through the cores", "[transformer][replay][pipeline]") {
  TempDir tmp;
  const auto model = tmp.write("tiny.toml", kTinyModel);
  Chip chip{.pim = 2, .sa = 2};
  auto latency = [&](int micro) {
    strata::testing::Harness h;
    const auto r = h.run(chip_toml(
        chip, fmt::format(R"(model = "{}", batch = 8, seq_len = 32, micro_batches = {})", model.string(), micro)));
    double busiest = 0;
    for (const char* c : {"pim[0]", "pim[1]", "sa[0]", "sa[1]"})
      busiest = std::max(busiest, r.stats["components"][c]["stats"]["busy"]["sum"].get<double>());
    return std::pair{wl_stats(r)["latency"].get<double>(), busiest};
  };
  const auto [one, one_busiest] = latency(1);
  const auto [eight, eight_busiest] = latency(8);
  CHECK(eight < one);             // overlap across cores beats one big batch
  CHECK(eight >= eight_busiest);  // but no core does more than it can
  CHECK(eight_busiest == Approx(one_busiest));  // the same work in total
}

TEST_CASE("replay: bert-base inference on an Atleus-shaped chip of fakes (48 PIM + 16 SA)",
          "[transformer][replay][atleus]") {
  Chip chip{.pim = 48, .sa = 16};
  strata::testing::Harness h;
  const auto r = h.run(chip_toml(chip, R"(model = "bert-base", seq_len = 128)"));
  og::WorkloadSpec w;
  const og::Graph g = og::generate(og::load_model_config(models_dir() / "bert-base.toml"), w);
  const auto& s = wl_stats(r);
  // 12 layers x (4 x 768^2 + 2 x 768 x 3072) B at 8 bits, plus the pooler (768^2).
  const std::uint64_t layer = 4ULL * 768 * 768 + 2ULL * 768 * 3072;
  CHECK(s["weight_bytes"].get<std::uint64_t>() == 12 * layer + 768 * 768);
  // 6.75 MiB per layer: two 6 MiB cores each, every layer on fresh cores, the pooler on a 25th.
  CHECK(s["pim_cores_used"].get<std::uint64_t>() == 25);
  CHECK(s["sa_cores_used"].get<std::uint64_t>() == 12);
  CHECK(s["overflow_ops"].get<std::uint64_t>() == 0);
  CHECK(s["ops"].get<std::uint64_t>() == g.ops.size());
  CHECK(s["latency"].get<std::uint64_t>() > 0);
  CHECK(r.result.reason == strata::detail::StopReason::requested);
}

TEST_CASE("replay: the example experiment runs to completion", "[transformer][replay][example]") {
  strata::testing::Harness h;
  strata::detail::Diagnostics diag;
  strata::detail::Builder b(h.registry, diag);
  auto spec = b.load(source_dir() / "workloads" / "transformer" / "examples" / "bert_base_lora.toml", {});
  REQUIRE(spec);
  auto engine = b.build(*spec);
  INFO(diag.str());
  REQUIRE(engine);
  engine->init();
  const auto result = engine->run(spec->stop);
  engine->finish();
  const auto stats = strata::detail::stats_json(*engine, result, *spec);
  const auto& s = stats["components"]["wl"]["stats"];
  CHECK(result.reason == strata::detail::StopReason::requested);
  CHECK(s["ops"].get<std::uint64_t>() == s["ops_issued"].get<std::uint64_t>());
  CHECK(s["weight_bytes"].get<std::uint64_t>() == 12ULL * (4 * 768 * 768 + 2 * 768 * 3072) + 768 * 768);
  CHECK(s["throughput"]["sum"].get<double>() > 0);
}
