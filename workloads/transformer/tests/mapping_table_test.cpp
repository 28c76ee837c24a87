// Mapping tables (a user's own placement, from a JSON file or a graph file's mapping_table)
// and pim_only's dynamic operand writes: parsing, placement, pinning, scratch tiles, and the
// replay on fakes (closed-form busy time of the PIM core, every write counted).
#include "mapping.hpp"

#include "test_util.hpp"

#include <strata/opgraph/graph_io.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <tuple>

using namespace strata::transformer;
using namespace tf_test;

namespace {

std::vector<CoreInfo> chip(int pim, int sa) {
  std::vector<CoreInfo> c;
  for (int i = 0; i < pim; ++i) c.push_back({fmt::format("pim[{}]", i), "pim.reram_core", CoreClass::pim, {i}});
  for (int i = 0; i < sa; ++i) c.push_back({fmt::format("sa[{}]", i), "systolic.array", CoreClass::sa, {i}});
  return c;
}

std::uint32_t core_of(const Mapping& m, const og::Op& op) { return m.ops[static_cast<std::size_t>(op.id)].shards.front().core; }

}  // namespace

TEST_CASE("mapping table: globs, the shorthand, the rules form and the array form", "[transformer][mapping_table]") {
  CHECK(glob_match("L*.attn.h?.score", "L3.attn.h7.score"));
  CHECK_FALSE(glob_match("L*.attn.h?.score", "L3.attn.h17.score"));
  CHECK(glob_match("*", ""));
  CHECK(glob_match("*grad*", "attention_score_grad"));
  CHECK_FALSE(glob_match("gemm", "gemm2"));

  const auto s = parse_mapping_table(
      R"({"kind:softmax": "pim", "L0.attn.*": "sa", "shape:vector": 3, "phase:backward": "policy", "layer:1": "sa"})",
      "t.json");
  REQUIRE(s.size() == 5);  // file order kept
  CHECK((s[0].kind == "softmax" && s[0].target == Target::pim));
  CHECK((s[1].op == "L0.attn.*" && s[1].target == Target::sa));
  CHECK((s[2].shape == 1 && s[2].target == Target::core && s[2].core == 3));
  CHECK((s[3].phase == static_cast<int>(og::Phase::backward) && s[3].target == Target::policy));
  CHECK((s[4].layer == 1 && s[4].target == Target::sa));
  CHECK(s[1].where == "t.json: /L0.attn.*");

  const auto r = parse_mapping_table(R"({"comment": "mine", "rules": [
      {"op": "L*.ffn.*", "kind": "gemm", "shape": "gemm", "phase": "forward", "layer": 2, "head": -1, "core": 5},
      {"kind": "*_grad", "core": "sa", "comment": "gradients on SA"}]})",
                                     "r.json");
  REQUIRE(r.size() == 2);
  CHECK((r[0].op == "L*.ffn.*" && r[0].kind == "gemm" && r[0].shape == 0 && r[0].phase == 0 && r[0].layer == 2 &&
         r[0].head == -1 && r[0].core == 5));
  CHECK(r[1].where == "r.json: /rules/1");
  CHECK(parse_mapping_table(R"([{"kind": "softmax", "core": 0}])", "a.json").size() == 1);

  og::Op op;
  op.name = "L2.ffn.ff1";
  op.kind = og::OpKind::gemm;
  op.layer = 2;
  CHECK(match_rule(r, op) == 0);
  op.layer = 3;
  CHECK(match_rule(r, op) == -1);
  op.kind = og::OpKind::softmax_grad;
  CHECK(match_rule(r, op) == 1);
}

TEST_CASE("mapping table: mistakes name the file, the JSON pointer and the fix", "[transformer][mapping_table]") {
  CHECK_THROWS_WITH(parse_mapping_table("{\"a\": ", "x.json"), Catch::Contains("x.json") && Catch::Contains("not valid JSON"));
  CHECK_THROWS_WITH(parse_mapping_table(R"({"rules": [{"kind": "softmax", "cor": "sa"}]})", "x.json"),
                    Catch::Contains("x.json: error: /rules/0/cor") && Catch::Contains("did you mean \"core\""));
  CHECK_THROWS_WITH(parse_mapping_table(R"({"kind:softmx": "sa"})", "x.json"),
                    Catch::Contains("unknown op kind \"softmx\"") && Catch::Contains("did you mean \"softmax\""));
  CHECK_THROWS_WITH(parse_mapping_table(R"({"L0.*": "gpu"})", "x.json"),
                    Catch::Contains("/L0.*") && Catch::Contains("unknown target \"gpu\""));
  CHECK_THROWS_WITH(parse_mapping_table(R"([{"kind": "softmax"}])", "x.json"),
                    Catch::Contains("/0") && Catch::Contains("missing required key \"core\""));
  CHECK_THROWS_WITH(parse_mapping_table(R"("sa")", "x.json"), Catch::Contains("a mapping table is an object"));
  CHECK_THROWS_WITH(parse_mapping_table(R"({"rules": [], "extra": 1})", "x.json"), Catch::Contains("/extra"));
}

TEST_CASE("mapping table: rules move ops between classes, pin weights, and fall back to the policy",
          "[transformer][mapping_table]") {
  TempDir tmp;
  const auto model = tmp.write("tiny.toml", kTinyModel);
  const og::Graph g = model_graph(model, og::Mode::inference, 2, 16);
  const auto cores = chip(2, 2);  // cores 0, 1 PIM; 2, 3 SA
  const Mapping base = map_graph(g, cores, {});

  MappingOptions o;
  o.rules = parse_mapping_table(R"({"kind:softmax": "pim", "L0.attn.q_proj": "sa", "L0.ffn.ff1": 1})", "t.json");
  const Mapping m = map_graph(g, cores, o);
  std::uint64_t softmax = 0;
  for (const auto& op : g.ops) {
    INFO(op.name);
    const auto& pl = m.ops[static_cast<std::size_t>(op.id)];
    if (op.kind == og::OpKind::softmax) {
      ++softmax;
      CHECK(cores[core_of(m, op)].cls == CoreClass::pim);
      CHECK(pl.rule == 0);
      CHECK_FALSE(pl.dynamic_write);  // a vector op: nothing to write
    } else if (op.name == "L0.attn.q_proj") {
      CHECK(cores[core_of(m, op)].cls == CoreClass::sa);
      CHECK_FALSE(pl.stored);
    } else if (op.name == "L0.ffn.ff1") {
      CHECK(core_of(m, op) == 1);
      CHECK(pl.stored);
    } else {
      CHECK(pl.rule == -1);
      CHECK(cores[core_of(m, op)].cls == cores[core_of(base, op)].cls);  // the policy decides
    }
  }
  CHECK(m.rule_ops == std::vector<std::uint64_t>{softmax, 1, 1});
  // q_proj's weight is no longer stored; ff1's is, on core 1.
  CHECK(m.loads.size() == base.loads.size() - 1);
  for (const auto& ld : m.loads) {
    CHECK(ld.name != "L0.attn.q_proj.weight");
    if (ld.name == "L0.ffn.ff1.weight") CHECK(ld.core == 1);
  }

  MappingOptions bad;
  bad.rules = parse_mapping_table(R"({"kind:gelu": 9})", "t.json");
  CHECK_THROWS_WITH(map_graph(g, cores, bad), Catch::Contains("t.json: /kind:gelu") && Catch::Contains("core 9 does not exist"));
  MappingOptions to_pim;
  to_pim.policy = Policy::sa_only;
  to_pim.rules = parse_mapping_table(R"({"kind:gelu": "pim"})", "t.json");
  CHECK_THROWS_WITH(map_graph(g, chip(0, 2), to_pim), Catch::Contains("t.json: /kind:gelu") &&
                                                           Catch::Contains("none of cores[] is a PIM core"));
  // Decode: every token's q_proj reads the same weight; pinning it to two cores is refused.
  const auto dec_model = tmp.write("tiny-dec.toml", kTinyDecoder);
  const og::Graph d = model_graph(dec_model, og::Mode::decode, 1, 8, 2);
  MappingOptions pins;
  pins.rules = parse_mapping_table(R"({"T0.L0.attn.q_proj": 0, "T1.L0.attn.q_proj": 1})", "p.json");
  CHECK_THROWS_WITH(map_graph(d, cores, pins), Catch::Contains("pinned it to core 0"));
  pins.rules = parse_mapping_table(R"({"T*.L0.attn.q_proj": 1})", "p.json");
  const Mapping pm = map_graph(d, cores, pins);
  for (const auto& op : d.ops)
    if (op.name.ends_with("L0.attn.q_proj")) CHECK(core_of(pm, op) == 1);

  // The dX GEMM through a pinned frozen weight: on its core it reads the stored weight, on
  // another PIM core it writes it first, on SA it streams it.
  const og::Graph ft = model_graph(dec_model, og::Mode::lora_finetune, 1, 8);
  const og::Op* dx = nullptr;
  for (const auto& op : ft.ops)
    if (op.name == "L1.attn.o_proj.dx") dx = &op;
  REQUIRE(dx != nullptr);
  for (const auto& [table, core, stored, write] :
       {std::tuple{R"({"L1.attn.o_proj": 1, "L1.attn.o_proj.dx": 1})", 1u, true, false},
        std::tuple{R"({"L1.attn.o_proj": 1, "L1.attn.o_proj.dx": 0})", 0u, false, true},
        std::tuple{R"({"L1.attn.o_proj": 1, "L1.attn.o_proj.dx": 3})", 3u, false, false},
        std::tuple{R"({"L1.attn.o_proj": 1, "L1.attn.o_proj.dx": "pim"})", 1u, true, false}}) {
    INFO(table);
    MappingOptions mo;
    mo.rules = parse_mapping_table(table, "dx.json");
    const Mapping dm = map_graph(ft, cores, mo);
    const auto& pl = dm.ops[static_cast<std::size_t>(dx->id)];
    CHECK(pl.shards.front().core == core);
    CHECK(pl.stored == stored);
    CHECK(pl.dynamic_write == write);
  }
}

TEST_CASE("pim_only: dynamic operands are written into crossbars, with scratch tiles kept free on every core",
          "[transformer][mapping_table][pim_only]") {
  const auto g = library_graph("bert-base", og::Mode::full_finetune, 128);  // every weight trainable: all GEMMs dynamic
  const auto cores = chip(48, 16);
  MappingOptions o;
  o.policy = Policy::pim_only;
  const Mapping m = map_graph(g, cores, o);
  CHECK(m.loads.empty());
  std::uint64_t largest = 0;
  for (const auto& op : g.ops) {
    const auto& pl = m.ops[static_cast<std::size_t>(op.id)];
    CHECK(cores[core_of(m, op)].cls == CoreClass::pim);
    if (!og::kind_info(op.kind).gemm_like) {
      CHECK_FALSE(pl.dynamic_write);
      continue;
    }
    INFO(op.name);
    CHECK(pl.dynamic_write);
    CHECK(pl.write_rows == op.shape.k);
    CHECK(pl.write_cols == op.shape.n);
    CHECK(pl.write_bits == op.b.bits);
    CHECK(pl.write_copies == (op.b.is_static ? 1 : op.shape.batch));
    largest = std::max(largest, o.pim.tiles_for(op.shape.k, op.shape.n, op.b.bits));
  }
  // FF-1's dX reads W^T (3072 x 768 at 8 bits): 24 x 24 crossbars = 6 tiles, the largest.
  CHECK(largest == 6);
  CHECK(m.scratch_tiles == 6);

  // A fixed scratch smaller than an operand: those GEMMs overflow to SA, or stop the mapping.
  o.scratch_tiles = 2;
  const Mapping small = map_graph(g, cores, o);
  std::uint64_t overflowed = 0;
  for (const auto& op : g.ops) {
    const auto& pl = small.ops[static_cast<std::size_t>(op.id)];
    if (!pl.overflowed) continue;
    ++overflowed;
    CHECK(o.pim.tiles_for(op.shape.k, op.shape.n, op.b.bits) > 2);
    CHECK(cores[core_of(small, op)].cls == CoreClass::sa);
  }
  CHECK(overflowed > 0);
  o.overflow = Overflow::error;
  CHECK_THROWS_WITH(map_graph(g, cores, o), Catch::Contains("pim_scratch_tiles") && Catch::Contains("overflow = \"sa\""));

  // Frozen weights still pack, leaving the scratch free on every core they use.
  const auto inf = library_graph("bert-base", og::Mode::lora_finetune, 128);
  MappingOptions p;
  p.policy = Policy::pim_only;
  const Mapping pm = map_graph(inf, cores, p);
  CHECK(pm.scratch_tiles > 0);
  for (std::size_t c = 0; c < 48; ++c) CHECK(pm.tiles_used[c] + pm.scratch_tiles <= 16);
  MappingOptions stream = p;
  stream.dynamic = DynamicOperands::stream;
  const Mapping sm = map_graph(inf, cores, stream);
  CHECK(sm.scratch_tiles == 0);
  for (const auto& pl : sm.ops) CHECK_FALSE(pl.dynamic_write);
}

TEST_CASE("pim_only replay: every dynamic write is a load_weights right before its GEMM; busy time in closed form",
          "[transformer][mapping_table][pim_only]") {
  TempDir tmp;
  const auto model = tmp.write("tiny.toml", kTinyModel);
  const og::Graph g = model_graph(model, og::Mode::inference, 2, 16);  // one micro-batch of 2 sequences
  // One FIFO PIM core that refuses a GEMM on stored weights unless the weight it names was
  // loaded with the same k x n: two micro-batches interleave, so this checks the pairing.
  Chip chip{.pim = 1, .sa = 0};
  chip.pim_params += ", check_weights = true";
  std::uint64_t stored_bytes = 0, writes = 0, write_bytes = 0, gemm_flops = 0, elements = 0, dyn_ops = 0;
  std::set<og::ParamId> seen;
  for (const auto& op : g.ops) {
    if (!og::kind_info(op.kind).gemm_like) {
      elements += op.shape.elements;
      continue;
    }
    gemm_flops += op.flops();
    if (is_frozen_static_gemm(g, op)) {
      if (seen.insert(op.params.front()).second) stored_bytes += og::bytes_of(op.shape.k * op.shape.n, op.b.bits);
      continue;
    }
    const std::uint64_t copies = op.b.is_static ? 1 : op.shape.batch;
    ++dyn_ops;
    writes += copies;
    write_bytes += copies * og::bytes_of(op.shape.k * op.shape.n, op.b.bits);
  }
  REQUIRE(writes > 0);
  strata::testing::Harness h;
  const auto r = h.run(chip_toml(chip, fmt::format(R"(model = "{}", batch = 4, micro_batches = 2, seq_len = 16, )"
                                                   R"(mapping = "pim_only", offchip = "")",
                                                   model.string())));
  const auto& s = wl_stats(r);
  CHECK(s["dynamic_writes"].get<std::uint64_t>() == 2 * writes);
  CHECK(s["dynamic_write_bytes"].get<std::uint64_t>() == 2 * write_bytes);
  CHECK(s["reram_writes"].get<std::uint64_t>() == seen.size() + 2 * writes);
  CHECK(s["reram_write_bytes"].get<std::uint64_t>() == stored_bytes + 2 * write_bytes);
  CHECK(s["pim_scratch_tiles"].get<std::uint64_t>() > 0);
  CHECK(s["ops"].get<std::uint64_t>() == 2 * g.ops.size());
  // The core's busy time: 1 ps per weight byte written, per GEMM FLOP, per vector element.
  const auto& core = r.stats["components"]["pim[0]"]["stats"];
  CHECK(core["busy"]["sum"].get<double>() ==
        static_cast<double>(stored_bytes + 2 * (write_bytes + gemm_flops + elements)));
  // Requests: the setup loads, then per micro-batch one per op, or a write + GEMM pair per copy.
  CHECK(core["requests"].get<std::uint64_t>() == seen.size() + 2 * (g.ops.size() - dyn_ops + 2 * writes));
  // Streaming instead: no writes, one request per op.
  strata::testing::Harness h2;
  const auto st = h2.run(chip_toml(chip, fmt::format(R"(model = "{}", batch = 4, micro_batches = 2, seq_len = 16, )"
                                                     R"(mapping = "pim_only", offchip = "", dynamic_operands = "stream")",
                                                     model.string())));
  CHECK(wl_stats(st)["dynamic_writes"].get<std::uint64_t>() == 0);
  CHECK(st.stats["components"]["pim[0]"]["stats"]["requests"].get<std::uint64_t>() == seen.size() + 2 * g.ops.size());
}

TEST_CASE("mapping table through the plugin: mapping_file and a graph file's mapping_table place ops alike",
          "[transformer][mapping_table]") {
  TempDir tmp;
  const auto model = tmp.write("tiny.toml", kTinyModel);
  const std::string table = R"({"rules": [{"kind": "softmax", "core": "pim"}, {"op": "pooler", "core": 3}]})";
  const auto file = tmp.write("map.json", table);
  og::Graph g = model_graph(model, og::Mode::inference, 1, 16);
  std::uint64_t softmax = 0;
  for (const auto& op : g.ops) softmax += op.kind == og::OpKind::softmax;
  g.mapping_table = nlohmann::ordered_json::parse(table).dump();
  const auto graph = tmp.path / "g.json";
  og::write_graph(g, graph);
  REQUIRE(og::read_graph(graph).mapping_table == g.mapping_table);

  Chip chip{.pim = 2, .sa = 2};
  strata::testing::Harness h1, h2;
  const auto a = run_traced(h1, chip_toml(chip, fmt::format(R"(model = "{}", seq_len = 16, mapping_file = "{}")",
                                                            model.string(), file.string())),
                            tmp.path / "a.json");
  const auto b = h2.run(chip_toml(chip, fmt::format(R"(graph_file = "{}")", graph.string())));
  CHECK(wl_stats(a.run)["mapping_rule_ops"].get<std::uint64_t>() == softmax + 1);
  CHECK(wl_stats(a.run).dump() == wl_stats(b).dump());
  std::uint64_t on_pim = 0;
  for (const auto& ev : a.trace["traceEvents"]) {
    if (ev["ph"] != "X") continue;
    if (ev["cat"] == "softmax") on_pim += ev["args"]["core"].get<std::string>().rfind("pim[", 0) == 0;
    if (ev["name"] == "pooler") CHECK(ev["args"]["core"] == "sa[1]");  // cores[3]: the second SA core
  }
  CHECK(on_pim == softmax);

  strata::testing::Harness h3;
  CHECK_THAT(h3.errors(chip_toml(chip, fmt::format(R"(mapping_file = "{}")", (tmp.path / "none.json").string()))),
             Catch::Contains("mapping_file: cannot open"));
  const auto broken = tmp.write("broken.json", R"({"kind:softmax": "gpu"})");
  strata::testing::Harness h4;
  CHECK_THAT(h4.errors(chip_toml(chip, fmt::format(R"(mapping_file = "{}")", broken.string()))),
             Catch::Contains("broken.json: error: /kind:softmax") && Catch::Contains("unknown target"));
}
