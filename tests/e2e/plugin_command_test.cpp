// End-to-end: commands declared in a plugin's manifest. `strata <name> ...` reaches the
// plugin when no built-in has the name, with the rest of the line as its arguments and its
// return value as the exit status; `strata help` and `strata plugins` list it with its plugin.
// Uses the test plugin tests/plugins/commands.cpp only, so it runs with the kernel alone.
#include <catch2/catch.hpp>

#include "cli.hpp"

#include <string>

namespace {

using strata::testing::build_dir;

// strata with the folder of the test plugin that declares `echo-args`
strata::testing::CommandResult cli(const std::string& args) {
  return strata::testing::run_strata("--plugin-path " + (build_dir() / "tests" / "commands").string() + " " + args);
}

// `strata args` (with the test plugin's folder) exits with `rc` and its output contains `text`.
void check_exit(const std::string& args, int rc, const std::string& text) {
  const auto r = cli(args);
  INFO("strata " << args << "\n" << r.out);
  CHECK(r.rc == rc);
  CHECK_THAT(r.out, Catch::Contains(text));
}

}  // namespace

TEST_CASE("plugin commands: the words after the name reach the command; its result is the exit status") {
  auto r = cli("echo-args one --two 'three four'");
  CHECK(r.rc == 0);
  CHECK(r.out == "[one]\n[--two]\n[three four]\n");
  CHECK(cli("echo-args").out.empty());
  check_exit("echo-args x --fail", 1, "[x]");
  check_exit("echo-args --bad", 2, "strata echo-args: error: --bad is bad input");
  check_exit("echo-args --throw", 2, "strata echo-args: error: thrown by echo-args");
}

TEST_CASE("plugin commands: global options may come first, --plugin-path=DIR too") {
  auto r = strata::testing::run_strata("--plugin-path=" + (build_dir() / "tests" / "commands").string() +
                                       " echo-args x");
  CHECK(r.rc == 0);
  CHECK(r.out == "[x]\n");
}

TEST_CASE("plugin commands: an unknown command is exit 2 with a did-you-mean over built-ins and plugins") {
  check_exit("echo-arg x", 2, "unknown command 'echo-arg' (did you mean 'echo-args'?)");
  check_exit("chek x.toml", 2, "(did you mean 'check'?)");
}

TEST_CASE("plugin commands: help and plugins list each command with its plugin; help NAME shows its usage") {
  auto r = cli("help");
  CHECK(r.rc == 0);
  CHECK_THAT(r.out, Catch::Contains("run ") && Catch::Contains("Plugin commands") &&
                        Catch::Contains("echo-args") && Catch::Contains("Print each argument on a line [test_commands]"));
  CHECK(cli("--help").out == r.out);
  r = cli("help echo-args");
  CHECK(r.rc == 0);
  CHECK_THAT(r.out, Catch::Contains("strata echo-args - Print each argument on a line") &&
                        Catch::Contains("plugin: test_commands") && Catch::Contains("usage: strata echo-args [WORD...]"));
  r = cli("help run");
  CHECK(r.rc == 0);
  CHECK_THAT(r.out, Catch::Contains("--threads"));
  CHECK(cli("help no-such").rc == 2);
  r = cli("plugins");
  CHECK_THAT(r.out, Catch::Contains("test_commands 1 (") && Catch::Contains("strata echo-args"));
}

TEST_CASE("plugin commands: a plugin that takes a built-in's name is refused; the built-in runs") {
  auto dir = build_dir() / "tests" / "broken" / "command_clash";
  auto r = strata::testing::run_strata("--plugin-path " + dir.string() + " plugins");
  CHECK(r.rc == 2);
  CHECK_THAT(r.out, Catch::Contains("broken_command_clash.so: error: malformed manifest: command 'run' is a built-in"));
  r = strata::testing::run_strata("--plugin-path " + dir.string() + " run");
  CHECK(r.rc == 2);
  CHECK_THAT(r.out, Catch::Contains("file is required"));
}
