#include "docs.hpp"

#include <fmt/format.h>

#include <cmath>

namespace strata::detail {

namespace {
std::string range_text(const ParamDecl& p) {
  if (!p.choices.empty()) {
    std::string s;
    for (const auto& c : p.choices) s += (s.empty() ? "" : "|") + c;
    return s;
  }
  if (!p.min && !p.max) return "";
  // Integer limits exactly (they are what the builder compares against: "[1, 1048576]");
  // quantities as people read them, 4 significant digits with the unit ("[1 ps, 1 s]").
  auto f = [&p](double v) {
    if ((p.kind == ParamKind::integer || p.kind == ParamKind::integer_list) && std::fabs(v) < 9e15) return fmt::format("{}", static_cast<long long>(v));
    return format_si(v, unit_of(p.kind));
  };
  return fmt::format("[{}, {}]", p.min ? f(*p.min) : "-inf", p.max ? f(*p.max) : "inf");
}
}  // namespace

std::string describe(const ComponentDecl& d, const std::string& origin, bool md) {
  std::string o;
  if (md) {
    o += fmt::format("# `{}`\n\n{}\n\n", d.type, d.summary);
    if (!d.description.empty()) o += d.description + "\n\n";
    if (!origin.empty()) o += fmt::format("Provided by `{}`.\n\n", origin.substr(origin.find_last_of('/') + 1));
    o += "## Parameters\n\n";
    if (d.params.empty()) o += "None.\n\n";
    else {
      o += "| name | type | default | range | description |\n|---|---|---|---|---|\n";
      for (const auto& p : d.params)
        o += fmt::format("| `{}` | {} | {} | {} | {} |\n", p.name, to_string(p.kind),
                         p.required ? "required" : "`" + format_param(p.default_value) + "`", range_text(p), p.doc);
      o += "\n";
    }
    if (!d.presets.empty()) {
      o += "## Presets\n\n";
      for (const auto& p : d.presets) o += fmt::format("- `{}`: {}\n", p.name, p.doc);
      o += "\n";
    }
    o += "## Ports\n\n";
    if (d.ports.empty()) o += "None.\n\n";
    else {
      o += "| name | direction | protocol | description |\n|---|---|---|---|\n";
      for (const auto& p : d.ports)
        o += fmt::format("| `{}{}` | {} | {} | {}{} |\n", p.name, p.multi ? "[]" : "", to_string(p.direction),
                         p.protocol, p.doc, p.required ? " (required)" : "");
      o += "\n";
    }
    o += "## Statistics\n\n";
    if (d.stats.empty()) o += "None.\n";
    else {
      o += "| name | kind | unit | description |\n|---|---|---|---|\n";
      for (const auto& s : d.stats) o += fmt::format("| `{}` | {} | {} | {} |\n", s.name, s.kind, s.unit, s.doc);
    }
    if (!d.energy_actions.empty()) {
      o += "\n## Energy actions\n\n";
      for (const auto& e : d.energy_actions) o += fmt::format("- `{}`\n", e);
    }
    return o;
  }
  o += fmt::format("{}  -  {}\n", d.type, d.summary);
  if (!origin.empty()) o += fmt::format("plugin: {}\n", origin);
  if (!d.description.empty()) o += "\n" + d.description + "\n";
  o += "\nparameters:\n";
  if (d.params.empty()) o += "  (none)\n";
  for (const auto& p : d.params) {
    o += fmt::format("  {:<22} {:<10} {:<14} {}\n", p.name, to_string(p.kind),
                     p.required ? "(required)" : format_param(p.default_value), p.doc);
    if (auto r = range_text(p); !r.empty()) o += fmt::format("  {:<22} {:<10} allowed: {}\n", "", "", r);
  }
  if (!d.presets.empty()) {
    o += "presets:\n";
    for (const auto& p : d.presets) o += fmt::format("  {:<22} {}\n", p.name, p.doc);
  }
  o += "ports:\n";
  if (d.ports.empty()) o += "  (none)\n";
  for (const auto& p : d.ports)
    o += fmt::format("  {:<22} {:<6} {:<10} {}{}\n", p.name + (p.multi ? "[]" : ""), to_string(p.direction),
                     p.protocol, p.doc, p.required ? " (required)" : "");
  o += "statistics:\n";
  if (d.stats.empty()) o += "  (none)\n";
  for (const auto& s : d.stats) o += fmt::format("  {:<22} {:<12} {:<8} {}\n", s.name, s.kind, s.unit, s.doc);
  if (!d.energy_actions.empty()) {
    o += "energy actions:";
    for (const auto& e : d.energy_actions) o += " " + e;
    o += "\n";
  }
  return o;
}

}  // namespace strata::detail
