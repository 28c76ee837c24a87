#include <catch2/catch.hpp>

#include <sstream>

#include <fmt/format.h>

#include <strata/opgraph/importers.hpp>

#include "proto_writer.hpp"
#include "test_support.hpp"

using namespace opg_test;

namespace {

Graph generated(Mode mode, const std::string& model = "bert-base") {
  ModelConfig m = opg_test::model(model);
  m.layers = 2;
  WorkloadSpec w;
  w.mode = mode;
  w.seq_len = 16;
  w.batch = 2;
  if (mode == Mode::decode) w.decode_tokens = 2;
  return generate(m, w);
}

std::string to_et(const Graph& g) {
  std::ostringstream s;
  write_chakra(g, s);
  return s.str();
}

std::string error_of(const std::string& bytes) {
  try {
    read_chakra_bytes(bytes, "t.et");
  } catch (const GraphFormatError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("chakra: a written trace reads back as the identical graph", "[opgraph][chakra]") {
  for (Mode mode : {Mode::inference, Mode::lora_finetune, Mode::full_finetune, Mode::decode}) {
    Graph g = generated(mode, mode == Mode::decode ? "gpt2-small" : "bert-base");
    g.mapping_table = R"({"kind:softmax":"sa"})";
    ImportReport rep;
    const Graph back = read_chakra_bytes(to_et(g), "g.et", {}, &rep);
    CHECK(back.info == g.info);
    CHECK(back.parameters == g.parameters);
    CHECK(back.edges == g.edges);
    CHECK(back.mapping_table == g.mapping_table);
    REQUIRE(back.ops.size() == g.ops.size());
    for (std::size_t i = 0; i < g.ops.size(); ++i) REQUIRE(back.ops[i] == g.ops[i]);
    CHECK(rep.nodes == g.ops.size());
    CHECK(rep.skipped_count() == 0);
    CHECK(rep.imported_flops() == g.total_flops());
    CHECK(rep.unknown_attributes.empty());
  }
}

TEST_CASE("chakra: written nodes carry Chakra's num_ops and tensor_size for other tools", "[opgraph][chakra]") {
  const Graph g = generated(Mode::inference);
  // Read back as a foreign trace would be (no strata.* attributes understood): drop the
  // metadata's strata.format by writing a plain GlobalMetadata in front of the nodes.
  std::string et = to_et(g);
  std::uint64_t len = 0, shift = 0, pos = 0;
  while (true) {
    const auto c = static_cast<unsigned char>(et[pos++]);
    len |= static_cast<std::uint64_t>(c & 0x7f) << shift;
    if (!(c & 0x80)) break;
    shift += 7;
  }
  const std::string foreign = delimited({chakra_metadata()}) + et.substr(pos + len);
  ImportReport rep;
  const Graph f = read_chakra_bytes(foreign, "f.et", {}, &rep);
  REQUIRE(f.ops.size() == g.ops.size());
  // Every op's operation count survives: vector kinds by their FLOPs per element, GEMMs by
  // their (unrecoverable) count as 1-FLOP-per-element ops.
  CHECK(rep.imported_flops() == g.total_flops());
  CHECK(rep.unknown_attributes.count("strata.kind") == 1);
  CHECK(rep.unknown_attributes.at("strata.kind") == g.ops.size());
  for (std::size_t i = 0; i < g.ops.size(); ++i) CHECK(f.ops[i].flops() >= g.ops[i].flops());
}

TEST_CASE("chakra: foreign nodes map to ops; what is not modelled is counted", "[opgraph][chakra]") {
  const std::uint64_t M = 128, K = 768, N = 3072;
  Msg mm = chakra_node(10, "aten::addmm", COMP)
               .m(8, Msg{}.s(2, "[[3072], [128, 768], [768, 3072]]"))
               .m(10, chakra_attr_int("num_ops", 2 * M * K * N));
  Msg sm = chakra_node(11, "aten::softmax", COMP).u(5, 10).m(10, chakra_attr_int("num_ops", 5000));
  Msg coll = chakra_node(12, "all_reduce", COMM_COLL)
                 .u(5, 11)
                 .m(10, chakra_attr_int("comm_type", 0))
                 .m(10, chakra_attr_int("comm_size", 4096));
  Msg opaque = chakra_node(13, "my_kernel", COMP).u(5, 12).m(10, chakra_attr_int("num_ops", 77)).m(10, chakra_attr_int("my_attr", 1));
  Msg store = chakra_node(14, "store", MEM_STORE).u(5, 13).m(10, chakra_attr_int("tensor_size", 64));
  Msg cpu = chakra_node(15, "aten::empty", COMP).m(10, chakra_attr_bool("is_cpu_op", true)).m(10, chakra_attr_int("num_ops", 9));
  Msg weird = chakra_node(16, "future", 42).u(4, 14);
  Msg load = chakra_node(17, "load", MEM_LOAD).m(10, chakra_attr_int("tensor_size", 1024));
  ImportOptions opt;  // 8-bit operands
  ImportReport rep;
  const Graph g =
      read_chakra_bytes(delimited({chakra_metadata(), mm, sm, coll, opaque, store, cpu, weird, load}), "x.et", opt, &rep);
  REQUIRE(g.ops.size() == 4);  // gemm, softmax, opaque, load
  CHECK(g.ops[0].kind == OpKind::gemm);
  CHECK(g.ops[0].shape == Shape{1, M, K, N, 0});
  CHECK(g.ops[0].flops() == 2 * M * K * N);
  CHECK(g.ops[1].kind == OpKind::softmax);
  CHECK(g.ops[1].shape.elements == 5000 / 5);  // 5 FLOPs per softmax element
  CHECK(g.ops[2].kind == OpKind::residual_add);  // by operation count: 1 FLOP per element
  CHECK(g.ops[2].flops() == 77);
  CHECK(g.ops[3].kind == OpKind::embedding);  // an off-chip load of its bytes
  CHECK(g.ops[3].a_bytes() == 1024);
  // gemm -> softmax carries the gemm's output; the collective's payload goes softmax -> opaque.
  REQUIRE(g.edges.size() == 2);
  CHECK(g.edges[0] == Edge{0, 1, M * N});
  CHECK(g.edges[1] == Edge{1, 2, 4096});
  CHECK(rep.recovered_gemms == 1);
  CHECK(rep.opaque_ops == 2);
  CHECK(rep.unknown_node_types == 1);
  CHECK(rep.unknown_attributes.at("my_attr") == 1);
  CHECK(rep.skipped_count() == 4);  // collective, store, cpu op, unknown type
  CHECK(rep.skipped.at("COMM_COLL_NODE ALL_REDUCE (one chip: payload moved on-chip)").bytes == 4096);
  CHECK(rep.skipped.at("COMP_NODE (is_cpu_op: host side)").flops == 9);
  const std::string text = rep.render_text();
  CHECK(text.find("my_attr") != std::string::npos);
  CHECK(text.find("MEM_STORE_NODE") != std::string::npos);
}

TEST_CASE("chakra: malformed traces are located errors", "[opgraph][chakra]") {
  const Msg a = chakra_node(1, "a", COMP).m(10, chakra_attr_int("num_ops", 10));
  const Msg b = chakra_node(2, "b", COMP).u(5, 1).m(10, chakra_attr_int("num_ops", 10));
  CHECK_THAT(error_of(""), Catch::Contains("t.et: error: byte 0") && Catch::Contains("empty"));
  const std::string good = delimited({chakra_metadata(), a, b});
  // cut inside the last message: its offset is where it starts
  const std::size_t b_at = delimited({chakra_metadata(), a}).size();
  CHECK_THAT(error_of(good.substr(0, good.size() - 3)),
             Catch::Contains(fmt::format("byte {}", b_at)) && Catch::Contains("only"));
  CHECK_THAT(error_of(delimited({chakra_metadata(), a, chakra_node(2, "b", COMP).u(5, 99)})),
             Catch::Contains("node 2 \"b\"") && Catch::Contains("node 99"));
  CHECK_THAT(error_of(delimited({chakra_metadata(), a, chakra_node(1, "again", COMP)})),
             Catch::Contains("duplicate node id 1"));
  CHECK_THAT(error_of(delimited({chakra_metadata(), chakra_node(1, "a", COMP).u(5, 2), b})), Catch::Contains("cycle"));
  CHECK_THAT(error_of(delimited({chakra_metadata()}) + "\x05\xff\xff"), Catch::Contains("byte"));
  Msg broken;
  broken.b = "\x12\x05" "ab";  // name: 5 bytes announced, 2 there
  CHECK_THAT(error_of(delimited({chakra_metadata(), a, broken})),
             Catch::Contains(fmt::format("byte {} (node message 1)", delimited({chakra_metadata(), a}).size())) &&
                 Catch::Contains("not a valid Node"));
  // absurd sizes are refused by the graph's limits, at the node
  CHECK_THAT(error_of(delimited({chakra_metadata(),
                                 chakra_node(7, "huge", COMP).m(10, chakra_attr_int("num_ops", 1ULL << 62))})),
             Catch::Contains("node 7 \"huge\""));
}
