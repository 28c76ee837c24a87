#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <strata/opgraph/importers.hpp>

#include "proto_writer.hpp"
#include "test_support.hpp"

using namespace opg_test;

namespace {

// ONNX field numbers (onnx/onnx.proto): ModelProto ir_version 1, graph 7; GraphProto node 1,
// name 2, initializer 5, input 11, output 12, value_info 13; NodeProto input 1, output 2,
// name 3, op_type 4, attribute 5; AttributeProto name 1, i 3, type 20 (INT = 2);
// ValueInfoProto name 1, type 2; TypeProto tensor_type 1; Tensor elem_type 1, shape 2;
// TensorShapeProto dim 1; Dimension dim_value 1; TensorProto dims 1, data_type 2, name 8.
Msg value(std::string_view name, std::initializer_list<std::uint64_t> dims) {
  Msg shape;
  for (auto d : dims) shape.m(1, Msg{}.u(1, d));
  return Msg{}.s(1, name).m(2, Msg{}.m(1, Msg{}.u(1, 1).m(2, shape)));
}
Msg init(std::string_view name, std::initializer_list<std::uint64_t> dims) {
  Msg t;
  for (auto d : dims) t.u(1, d);
  return t.u(2, 1).s(8, name);
}
Msg node(std::string_view op, std::string_view name, std::initializer_list<std::string_view> in,
         std::initializer_list<std::string_view> out) {
  Msg n;
  for (auto i : in) n.s(1, i);
  for (auto o : out) n.s(2, o);
  return n.s(3, name).s(4, op);
}
Msg int_attr(std::string_view name, std::uint64_t v) { return Msg{}.s(1, name).u(3, v).u(20, 2); }

std::string model(const Msg& graph) { return Msg{}.u(1, 8).m(7, graph).b; }

}  // namespace

TEST_CASE("onnx: Gemm, Conv and MatMul shapes come from value infos; the rest is listed", "[opgraph][onnx]") {
  Msg g;
  g.s(2, "toy");
  // y = Gemm(x[16, 64], W[32, 64]^T); c = Conv(img[2, 3, 8, 8], K[8, 3, 3, 3]) -> [2, 8, 6, 6]; z = Relu(y)
  g.m(1, node("Gemm", "/layers.1/fc/Gemm", {"x", "W"}, {"y"}).m(5, int_attr("transB", 1)));
  g.m(1, node("Conv", "conv", {"img", "K"}, {"c"}));
  g.m(1, node("Relu", "relu", {"y"}, {"z"}));
  g.m(1, node("MatMul", "mm", {"z", "z2"}, {"w"}));  // z2 has no shape: listed, not guessed
  g.m(5, init("W", {32, 64})).m(5, init("K", {8, 3, 3, 3}));
  g.m(11, value("x", {16, 64})).m(11, value("img", {2, 3, 8, 8}));
  g.m(13, value("y", {16, 32})).m(13, value("c", {2, 8, 6, 6})).m(13, value("z", {16, 32}));
  ImportReport rep;
  const Graph out = read_onnx_bytes(model(g), "toy.onnx", {}, &rep);
  REQUIRE(out.ops.size() == 2);
  CHECK(out.ops[0].shape == Shape{1, 16, 64, 32, 0});
  CHECK(out.ops[0].b.transposed);
  CHECK(out.ops[0].b.is_static);
  CHECK(out.ops[0].layer == 1);
  REQUIRE(out.ops[0].params.size() == 1);
  CHECK(out.parameters[static_cast<std::size_t>(out.ops[0].params[0])].elements == 32 * 64);
  // im2col: rows = 2 images x 6 x 6 positions, k = 3 channels x 3 x 3, n = 8 filters
  CHECK(out.ops[1].shape == Shape{1, 2 * 6 * 6, 3 * 3 * 3, 8, 0});
  CHECK(rep.skipped.at("Relu (not modelled)").count == 1);
  CHECK(rep.skipped.at("Relu (not modelled)").flops == 16 * 32);
  CHECK(rep.skipped.at("MatMul (no shape in value_info)").count == 1);
  CHECK(out.info.model == "toy");
}

TEST_CASE("onnx: malformed models are located errors", "[opgraph][onnx]") {
  auto error_of = [](const std::string& bytes) -> std::string {
    try {
      read_onnx_bytes(bytes, "m.onnx");
    } catch (const GraphFormatError& e) {
      return e.what();
    }
    return "(no error)";
  };
  CHECK_THAT(error_of(""), Catch::Contains("m.onnx: error: byte 0") && Catch::Contains("empty"));
  CHECK_THAT(error_of(Msg{}.u(1, 8).b), Catch::Contains("no graph"));
  const std::string good = model(Msg{}.m(1, node("Softmax", "s", {"x"}, {"y"})).m(11, value("x", {4})).m(13, value("y", {4})));
  CHECK(error_of(good) == "(no error)");
  CHECK_THAT(error_of(good.substr(0, good.size() - 3)), Catch::Contains("m.onnx: error: byte "));
  // a node reading what a later node writes
  const std::string order = model(Msg{}.m(1, node("Softmax", "a", {"t"}, {"u"})).m(1, node("Relu", "b", {"x"}, {"t"})));
  CHECK_THAT(error_of(order), Catch::Contains("(node 0 \"a\" Softmax)") && Catch::Contains("topological"));
}
