// params.cpp - names and printing of parameter kinds and values.
#include <strata/params.hpp>
#include <strata/plugin.hpp>

#include <fmt/format.h>

namespace strata {

const char* to_string(ParamKind k) {
  switch (k) {
    case ParamKind::boolean: return "bool";
    case ParamKind::integer: return "integer";
    case ParamKind::real: return "real";
    case ParamKind::string: return "string";
    case ParamKind::duration: return "time";
    case ParamKind::frequency: return "frequency";
    case ParamKind::bytes: return "size";
    case ParamKind::bandwidth: return "bandwidth";
    case ParamKind::energy: return "energy";
    case ParamKind::power: return "power";
    case ParamKind::integer_list: return "integer list";
  }
  return "?";
}

const char* unit_of(ParamKind k) {
  switch (k) {
    case ParamKind::duration: return "s";
    case ParamKind::frequency: return "Hz";
    case ParamKind::bytes: return "B";
    case ParamKind::bandwidth: return "B/s";
    case ParamKind::energy: return "J";
    case ParamKind::power: return "W";
    default: return "";
  }
}

std::string format_param(const ParamValue& v) {
  struct V {
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(std::int64_t i) const { return fmt::format("{}", i); }
    std::string operator()(double d) const { return fmt::format("{}", d); }
    std::string operator()(const std::string& s) const { return fmt::format("\"{}\"", s); }
    std::string operator()(Duration x) const { return "\"" + to_string(x) + "\""; }
    std::string operator()(Frequency x) const { return "\"" + to_string(x) + "\""; }
    std::string operator()(Bytes x) const { return "\"" + to_string(x) + "\""; }
    std::string operator()(Bandwidth x) const { return "\"" + to_string(x) + "\""; }
    std::string operator()(Energy x) const { return "\"" + to_string(x) + "\""; }
    std::string operator()(Power x) const { return "\"" + to_string(x) + "\""; }
    std::string operator()(const std::vector<std::int64_t>& l) const {
      std::string s = "[";
      for (std::size_t i = 0; i < l.size(); ++i) s += fmt::format("{}{}", i ? ", " : "", l[i]);
      return s + "]";
    }
  };
  return std::visit(V{}, v);
}

const char* to_string(PortDir d) {
  switch (d) {
    case PortDir::in: return "in";
    case PortDir::out: return "out";
    case PortDir::inout: return "inout";
  }
  return "?";
}

}  // namespace strata
