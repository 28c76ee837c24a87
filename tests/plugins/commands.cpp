// A plugin that declares commands and no component types, for the CLI's dispatch tests
// (tests/e2e/plugin_command_test.cpp): `strata echo-args` writes each argument on a line of
// stdout; the words --fail, --bad and --throw make it fail in each way a command can.
#include <strata/strata.hpp>

#include <ostream>
#include <stdexcept>
#include <string>

namespace {
int echo_args(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  for (std::string_view a : args) {
    if (a == "--fail") return 1;
    if (a == "--bad") {
      err << "strata echo-args: error: --bad is bad input\n";
      return 2;
    }
    if (a == "--throw") throw std::runtime_error("thrown by echo-args");
    out << "[" << a << "]\n";
  }
  return 0;
}
}  // namespace

STRATA_PLUGIN("test_commands", "1", "commands for the CLI tests",
              strata::command("echo-args", "Print each argument on a line", echo_args)
                  .usage("usage: strata echo-args [WORD...]\n  --fail, --bad, --throw: fail with 1, 2, an exception"))
