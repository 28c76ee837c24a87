// docs.hpp - documentation generated from a component's manifest (`strata info`).
#pragma once
#include <strata/plugin.hpp>
#include <string>
namespace strata::detail {
/// Text (terminal) or Markdown page for one component type; `origin` is the plugin path.
std::string describe(const ComponentDecl& d, const std::string& origin, bool markdown);
}  // namespace strata::detail
