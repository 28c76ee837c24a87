// A protobuf wire-format writer for the importer tests: builds Chakra and ONNX messages
// field by field from the published field numbers, independently of the generated code the
// readers use (so a wrong field number in a .proto fails a test).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace opg_test {

struct Msg {
  std::string b;
  static void varint(std::string& o, std::uint64_t v) {
    do {
      o.push_back(static_cast<char>((v & 0x7f) | (v >= 0x80 ? 0x80 : 0)));
      v >>= 7;
    } while (v);
  }
  Msg& u(int field, std::uint64_t v) {  // varint field (int32/int64/uint64/bool/enum)
    varint(b, static_cast<std::uint64_t>(field) << 3);
    varint(b, v);
    return *this;
  }
  Msg& s(int field, std::string_view v) {  // length-delimited (string, bytes, message)
    varint(b, (static_cast<std::uint64_t>(field) << 3) | 2);
    varint(b, v.size());
    b.append(v);
    return *this;
  }
  Msg& m(int field, const Msg& v) { return s(field, v.b); }
  Msg& packed(int field, std::initializer_list<std::uint64_t> vs) {
    std::string body;
    for (auto v : vs) varint(body, v);
    return s(field, body);
  }
};

// A length-delimited stream (Chakra's .et framing).
inline std::string delimited(std::initializer_list<Msg> msgs) {
  std::string o;
  for (const auto& m : msgs) {
    Msg::varint(o, m.b.size());
    o += m.b;
  }
  return o;
}

// Chakra (et_def.proto): AttributeProto name = 1, int64_val = 9, uint64_val = 13,
// bool_val = 27, string_val = 29; Node id = 1, name = 2, type = 3, ctrl_deps = 4,
// data_deps = 5, inputs = 8, attr = 10; IOInfo shapes = 2; GlobalMetadata version = 1.
inline Msg chakra_attr_int(std::string_view name, std::uint64_t v) { return Msg{}.s(1, name).u(13, v); }
inline Msg chakra_attr_bool(std::string_view name, bool v) { return Msg{}.s(1, name).u(27, v ? 1 : 0); }
inline Msg chakra_node(std::uint64_t id, std::string_view name, int type) { return Msg{}.u(1, id).s(2, name).u(3, static_cast<std::uint64_t>(type)); }
inline Msg chakra_metadata() { return Msg{}.s(1, "0.0.4"); }
enum ChakraType { MEM_LOAD = 2, MEM_STORE = 3, COMP = 4, COMM_SEND = 5, COMM_RECV = 6, COMM_COLL = 7 };

}  // namespace opg_test
