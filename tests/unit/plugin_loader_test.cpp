// Plugin loading: every failure is an error naming the .so and the reason, never a crash,
// and the other plugins stay usable.
#include "harness.hpp"

#include <catch2/catch.hpp>

using namespace strata;
using strata::testing::Harness;

namespace {
std::filesystem::path broken(const std::string& name) {
  const char* b = std::getenv("STRATA_BUILD_DIR");
  auto dir = std::filesystem::path(b ? b : "build") / "tests" / "broken" / name;
  for (auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".so") return e.path();
  return dir / "missing.so";
}
std::string error_for(detail::PluginRegistry& reg, const std::filesystem::path& so) {
  for (const auto& e : reg.errors())
    if (e.path.find(so.filename().string()) != std::string::npos) return e.path + ": " + e.reason;
  return "";
}
}  // namespace

TEST_CASE("plugins: the shipped PHOLD plugin loads and documents its type") {
  Harness h;
  const ComponentDecl* d = h.registry.find("bench.phold_lp");
  REQUIRE(d);
  CHECK(d->find_param("mean"));
  CHECK(d->find_port("port")->multi);
  CHECK(d->find_stat("events"));
  CHECK(h.registry.plugin_of("bench.phold_lp")->path.find("phold_lp.so") != std::string::npos);
}

TEST_CASE("plugins: a missing file is an error naming it") {
  detail::PluginRegistry reg;
  CHECK_FALSE(reg.load("/nonexistent/dir/ghost.so"));
  REQUIRE(reg.errors().size() == 1);
  CHECK(reg.errors()[0].path == "/nonexistent/dir/ghost.so");
  CHECK(reg.errors()[0].reason == "no such file");
}

TEST_CASE("plugins: a file that is not a shared library is refused with the loader's message") {
  detail::PluginRegistry reg;
  auto so = broken("not_a_library");
  CHECK_FALSE(reg.load(so));
  CHECK_THAT(error_for(reg, so), Catch::Contains("garbage.so: cannot be loaded"));
}

TEST_CASE("plugins: a library without the manifest symbols is not a Strata plugin") {
  detail::PluginRegistry reg;
  auto so = broken("no_manifest");
  CHECK_FALSE(reg.load(so));
  CHECK_THAT(error_for(reg, so), Catch::Contains("not a Strata plugin") && Catch::Contains("strata_plugin_manifest"));
}

TEST_CASE("plugins: an ABI mismatch names both versions") {
  detail::PluginRegistry reg;
  auto so = broken("abi_mismatch");
  CHECK_FALSE(reg.load(so));
  CHECK_THAT(error_for(reg, so), Catch::Contains("built for SDK ABI 999") &&
                                     Catch::Contains("this kernel provides ABI " + std::to_string(kSdkAbiVersion)));
}

TEST_CASE("plugins: a malformed manifest lists its problems") {
  detail::PluginRegistry reg;
  auto so = broken("malformed");
  CHECK_FALSE(reg.load(so));
  auto e = error_for(reg, so);
  CHECK_THAT(e, Catch::Contains("malformed manifest"));
  CHECK_THAT(e, Catch::Contains("type name 'NoFamily' is not dotted lowercase"));
  CHECK_THAT(e, Catch::Contains("port 'x' declared twice"));
}

TEST_CASE("plugins: two plugins declaring one type: the second is refused, the first stays") {
  Harness h;  // loads the shipped plugins first
  auto so = broken("duplicate_type");
  CHECK_FALSE(h.registry.load(so));
  CHECK_THAT(error_for(h.registry, so), Catch::Contains("type 'bench.phold_lp' is already declared by") &&
                                            Catch::Contains("phold_lp.so"));
  CHECK(h.registry.plugin_of("bench.phold_lp")->path.find("phold_lp.so") != std::string::npos);
}

TEST_CASE("plugins: a throwing factory is a build error naming component, type and plugin") {
  Harness h;
  REQUIRE(h.registry.load(broken("throwing_factory")));
  auto err = h.errors("[[component]]\nname = \"b\"\ntype = \"test.boom\"\n");
  CHECK_THAT(err, Catch::Contains("test.toml:1:1: error: component 'b' (type test.boom) could not be created: boom"));
  CHECK_THAT(err, Catch::Contains("note: type provided by") && Catch::Contains("broken_throwing_factory.so"));
}

TEST_CASE("plugins: an unknown type lists the plugin folders searched and the plugins that failed") {
  Harness h;
  h.registry.load(broken("abi_mismatch"));
  auto err = h.errors("[[component]]\nname = \"x\"\ntype = \"bench.phold_lq\"\n");
  CHECK_THAT(err, Catch::Contains("unknown component type 'bench.phold_lq'"));
  CHECK_THAT(err, Catch::Contains("did you mean 'bench.phold_lp'?"));
  CHECK_THAT(err, Catch::Contains("plugins searched in:") && Catch::Contains("failed to load: built for SDK ABI 999"));
}
