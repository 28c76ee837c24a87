// Manifest lint: every shipped plugin documents itself completely, because `strata info`
// and the docs/plugins pages are generated from exactly these declarations.
#include "harness.hpp"

#include <catch2/catch.hpp>

using namespace strata;

TEST_CASE("lint: every shipped component type and command is fully documented") {
  strata::testing::Harness h;
  REQUIRE(h.registry.errors().empty());
  REQUIRE_FALSE(h.registry.types().empty());
  std::vector<std::string> problems;
  for (const auto& p : h.registry.plugins()) {
    bool test_only = true;
    for (const auto& c : p.manifest->components) test_only = test_only && c.type.rfind("test.", 0) == 0;
    if (!test_only && p.manifest->description.empty()) problems.push_back(p.path + ": plugin has an empty description");
    for (const auto& c : p.manifest->components) {
      const std::string t = c.type;
      if (t.rfind("test.", 0) == 0) continue;  // test doubles built for the test suite only
      if (c.summary.empty()) problems.push_back(t + ": empty summary");
      if (c.description.empty()) problems.push_back(t + ": empty description");
      // every parameter has a default by construction (the params struct's initialiser)
      // unless declared required(); what can be missing is its documentation
      for (const auto& d : c.params)
        if (d.doc.empty()) problems.push_back(t + ": parameter '" + d.name + "' has no doc");
      for (const auto& port : c.ports) {
        if (port.protocol.empty()) problems.push_back(t + ": port '" + port.name + "' has no protocol");
        if (port.doc.empty()) problems.push_back(t + ": port '" + port.name + "' has no doc");
      }
      for (const auto& s : c.stats) {
        if (s.unit.empty()) problems.push_back(t + ": statistic '" + s.name + "' has no unit");
        if (s.doc.empty()) problems.push_back(t + ": statistic '" + s.name + "' has no doc");
      }
    }
    // `strata help NAME` prints the usage: a command without one is undocumented
    for (const auto& cmd : p.manifest->commands)
      if (cmd.usage.empty()) problems.push_back(p.path + ": command '" + cmd.name + "' has no usage text");
  }
  INFO([&] {
    std::string s;
    for (auto& p : problems) s += p + "\n";
    return s;
  }());
  CHECK(problems.empty());
}
