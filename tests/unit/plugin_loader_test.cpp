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

namespace {
int no_op(std::span<const std::string_view>, std::ostream&, std::ostream&) { return 0; }
}  // namespace

TEST_CASE("plugins: a command's name is lowercase words joined by '-', with a summary and an entry point") {
  PluginManifest m;
  m.name = "cmds";
  m.commands.push_back(command("good-name", "fine", no_op));
  CHECK(detail::validate_manifest(m).empty());  // commands alone make a plugin
  m.commands.push_back(command("Bad_Name", "x", no_op));
  m.commands.push_back(command("good-name", "again", no_op));
  m.commands.push_back(command("quiet", "", no_op));
  m.commands.push_back(command("lost", "no entry", nullptr));
  const auto problems = detail::validate_manifest(m);
  std::string all;
  for (const auto& p : problems) all += p + "\n";
  CHECK(problems.size() == 4);
  CHECK_THAT(all, Catch::Contains("command name 'Bad_Name' is not lowercase words joined by '-'") &&
                      Catch::Contains("command 'good-name' declared twice") &&
                      Catch::Contains("command 'quiet' has no summary") &&
                      Catch::Contains("command 'lost' has no entry point"));
  m.commands.clear();
  CHECK_THAT(detail::validate_manifest(m).front(), Catch::Contains("declares no component types and no commands"));
}

TEST_CASE("plugins: a command that a built-in or another plugin already has is refused, the first stays") {
  detail::PluginRegistry reg;
  reg.reserve_command_names({"run", "help"});
  static const PluginManifest first = make_manifest("first", "1", "", command("tool", "first tool", no_op));
  static const PluginManifest second = make_manifest("second", "1", "", command("tool", "second tool", no_op));
  REQUIRE(reg.add_builtin(first, "first.so"));
  CHECK_FALSE(reg.add_builtin(second, "second.so"));
  CHECK_THAT(reg.errors().back().reason, Catch::Contains("command 'tool' is already declared by first.so"));
  CHECK(reg.find_command("tool")->summary == "first tool");
  CHECK(reg.plugin_of_command("tool")->path == "first.so");
  CHECK(reg.command_names() == std::vector<std::string>{"tool"});
  auto so = broken("command_clash");
  CHECK_FALSE(reg.load(so));
  CHECK_THAT(error_for(reg, so), Catch::Contains("command 'run' is a built-in command of strata"));
  CHECK_FALSE(reg.find_command("run"));
}
