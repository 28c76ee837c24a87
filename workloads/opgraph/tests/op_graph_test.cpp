#include <catch2/catch.hpp>

#include <algorithm>

#include <strata/opgraph/op_graph.hpp>

using namespace strata::opgraph;

namespace {
Op vec_op(std::string name, std::uint64_t elements) {
  Op op;
  op.name = std::move(name);
  op.kind = OpKind::softmax;
  op.shape.elements = elements;
  op.a = {8, false, false};
  op.out_bits = 8;
  return op;
}

Op gemm_op(std::string name, std::uint64_t m, std::uint64_t k, std::uint64_t n, bool static_b) {
  Op op;
  op.name = std::move(name);
  op.kind = OpKind::gemm;
  op.shape = {1, m, k, n, 0};
  op.a = {8, false, false};
  op.b = {4, static_b, false};
  op.out_bits = 16;
  op.acc_bits = 32;
  return op;
}
}  // namespace

TEST_CASE("op: GEMM flops = 2*batch*m*k*n, operand bytes from precision", "[opgraph][ir]") {
  Op op = gemm_op("g", 128, 768, 3072, true);
  op.shape.batch = 3;
  CHECK(op.flops() == 2ull * 3 * 128 * 768 * 3072);
  CHECK(op.a_bytes() == 3ull * 128 * 768 * 8 / 8);
  CHECK(op.b_bytes() == 768ull * 3072 * 4 / 8);  // a stored weight is shared by the batch
  CHECK(op.out_bytes() == 3ull * 128 * 3072 * 16 / 8);
  op.b.is_static = false;
  CHECK(op.b_bytes() == 3ull * 768 * 3072 * 4 / 8);  // a dynamic operand is per batch entry
}

TEST_CASE("op: elementwise bytes round up to whole bytes", "[opgraph][ir]") {
  Op op = vec_op("s", 3);
  op.a.bits = 4;
  CHECK(op.a_bytes() == 2);  // 12 bits
  CHECK(op.b_bytes() == 0);
  CHECK(op.flops() == 3 * kind_info(OpKind::softmax).flops_per_element);
  CHECK(bytes_of(1, 1) == 1);
  CHECK(bytes_of(UINT64_MAX, 64) == UINT64_MAX);  // saturates instead of wrapping
}

TEST_CASE("op kinds: every kind has a unique name that parses back", "[opgraph][ir]") {
  for (int k = 0; k < op_kind_count; ++k) {
    const auto kind = static_cast<OpKind>(k);
    REQUIRE(parse_op_kind(to_string(kind)) == kind);
  }
  CHECK_FALSE(parse_op_kind("gemmm").has_value());
  CHECK(parse_phase("backward") == Phase::backward);
}

TEST_CASE("graph: parameter counts split total and trainable", "[opgraph][ir]") {
  Graph g;
  g.add_parameter({"w", 1000, 8, false});
  g.add_parameter({"lora", 64, 16, true});
  CHECK(g.parameter_count() == 1064);
  CHECK(g.trainable_parameter_count() == 64);
}

TEST_CASE("graph: topological order respects edges given out of id order", "[opgraph][ir]") {
  Graph g;
  for (int i = 0; i < 5; ++i) g.add_op(vec_op("op" + std::to_string(i), 10));
  g.add_edge(4, 0, 1);
  g.add_edge(3, 4, 1);
  g.add_edge(0, 2, 1);
  g.add_edge(1, 2, 1);
  g.validate();
  const auto order = g.topological_order();
  REQUIRE(order.size() == 5);
  std::vector<std::size_t> pos(5);
  for (std::size_t i = 0; i < order.size(); ++i) pos[static_cast<std::size_t>(order[i])] = i;
  for (const auto& e : g.edges) CHECK(pos[static_cast<std::size_t>(e.src)] < pos[static_cast<std::size_t>(e.dst)]);
}

TEST_CASE("graph: add_edge merges a repeated producer-consumer pair", "[opgraph][ir]") {
  Graph g;
  g.add_op(vec_op("a", 1));
  g.add_op(vec_op("b", 1));
  g.add_edge(0, 1, 10);
  g.add_edge(0, 1, 5);
  g.add_edge(-1, 1, 7);  // no producer: ignored
  REQUIRE(g.edges.size() == 1);
  CHECK(g.edges[0].bytes == 15);
}

TEST_CASE("graph: a cycle is reported with an op on it", "[opgraph][ir]") {
  Graph g;
  g.add_op(vec_op("source", 1));
  g.add_op(vec_op("x", 1));
  g.add_op(vec_op("y", 1));
  g.add_op(vec_op("downstream", 1));
  g.add_edge(0, 1, 1);
  g.add_edge(1, 2, 1);
  g.add_edge(2, 1, 1);
  g.add_edge(2, 3, 1);
  try {
    g.validate();
    FAIL("cycle not detected");
  } catch (const GraphError& e) {
    const std::string what = e.what();
    CHECK_THAT(what, Catch::Contains("cycle"));
    CHECK((e.op() == 1 || e.op() == 2));
    CHECK_THAT(what, Catch::Contains("\"x\"") && Catch::Contains("\"y\""));
    CHECK_THAT(what, !Catch::Contains("\"downstream\""));
  }
}

TEST_CASE("graph: validation names the broken op", "[opgraph][ir]") {
  Graph g;
  g.add_op(gemm_op("ok", 1, 1, 1, true));
  g.add_op(gemm_op("bad", 1, 0, 1, true));
  CHECK_THROWS_WITH(g.validate(), Catch::Contains("op 1 \"bad\"") && Catch::Contains("shape.k"));
  g.ops[1].shape.k = 1;
  g.ops[1].params = {3};
  CHECK_THROWS_WITH(g.validate(), Catch::Contains("parameter 3"));
  g.ops[1].params.clear();
  g.edges.push_back({0, 7, 1});
  CHECK_THROWS_WITH(g.validate(), Catch::Contains("dangling edge"));
}
