// A plugin whose command takes a built-in's name (`run`): refused by the CLI's registry.
#include <strata/strata.hpp>

STRATA_PLUGIN("command_clash", "1", "claims a built-in command",
              strata::command("run", "Would shadow strata run",
                              [](std::span<const std::string_view>, std::ostream&, std::ostream&) { return 0; }))
