// Fuzz target "manifest": plugin manifest validation (detail::validate_manifest), the
// registry's acceptance of a manifest (add_builtin), the `strata info` text and Markdown
// generator, and the builder's parameter checks against the declared types, on manifests
// built from fuzz bytes (byte_reader.hpp). The manifests are what a plugin could hand the
// loader through the SDK: every field free, defaults of the declared kind.
#include "byte_reader.hpp"
#include "fuzz_targets.hpp"

#include "builder.hpp"
#include "docs.hpp"
#include "plugin_registry.hpp"

#include <fmt/format.h>

namespace strata::fuzz {
namespace {

ParamValue value_of(ParamKind k, ByteReader& r) {
  switch (k) {
    case ParamKind::boolean: return r.flag();
    case ParamKind::integer: return static_cast<std::int64_t>(r.u64());
    case ParamKind::real: return r.real();
    case ParamKind::string: return r.str();
    case ParamKind::duration: return Duration{r.u64() >> r.below(64)};
    case ParamKind::frequency: return Frequency{r.real()};
    case ParamKind::bytes: return Bytes{r.u64() >> r.below(64)};
    case ParamKind::bandwidth: return Bandwidth{r.real()};
    case ParamKind::energy: return Energy{r.real()};
    case ParamKind::power: return Power{r.real()};
    case ParamKind::integer_list: {
      std::vector<std::int64_t> v(r.below(4));
      for (auto& x : v) x = static_cast<std::int8_t>(r.byte());
      return v;
    }
  }
  return false;
}

// A TOML value for a parameter of kind k (sometimes of the wrong type on purpose).
std::string toml_value(ParamKind k, ByteReader& r) {
  static const char* kUnits[] = {"ps", "ns", "s", "GHz", "Hz", "KiB", "B", "GB/s", "pJ", "W", "mW", "x"};
  switch (r.below(6)) {
    case 0: return fmt::format("{}", static_cast<std::int64_t>(r.u64() >> r.below(64)));
    case 1: return fmt::format("\"{}{}\"", r.real(), kUnits[r.below(std::size(kUnits))]);
    case 2: return fmt::format("\"{}\"", r.str());
    case 3: return r.flag() ? "true" : "[1, -2, 3]";
    case 4: return fmt::format("{}", r.real());
    default: return k == ParamKind::string ? "\"a\"" : "\"1ns\"";
  }
}

}  // namespace

void manifest(const std::uint8_t* data, std::size_t size) {
  ByteReader r(data, size);
  PluginManifest m;
  m.name = r.str();
  m.version = r.str(4);
  m.description = r.str(20);
  std::size_t ncomp = r.below(4);
  for (std::size_t ci = 0; ci < ncomp; ++ci) {
    ComponentDecl c;
    c.type = r.flag() ? fmt::format("fz.t{}", r.below(4)) : r.str();
    c.summary = r.str(20);
    c.description = r.str(30);
    for (std::size_t i = 0, n = r.below(6); i < n; ++i) {
      ParamDecl p;
      p.name = r.flag() ? fmt::format("p{}", r.below(6)) : r.str();
      p.kind = static_cast<ParamKind>(r.below(11));
      p.doc = r.str(16);
      p.default_value = value_of(p.kind, r);
      if (r.flag()) p.min = r.real();
      if (r.flag()) p.max = r.real();
      for (std::size_t j = 0, nc = r.below(3); j < nc; ++j) p.choices.push_back(r.str());
      p.required = (r.byte() & 3) == 0;
      if (r.byte() & 7) p.set = [](void*, const ParamValue&) {};
      c.params.push_back(std::move(p));
    }
    for (std::size_t i = 0, n = r.below(3); i < n; ++i) {
      PresetDecl pr{r.str(), r.str(16), nullptr};
      if (r.flag()) pr.apply = [](void*) {};
      c.presets.push_back(std::move(pr));
    }
    for (std::size_t i = 0, n = r.below(4); i < n; ++i) {
      PortDecl pd;
      pd.name = r.flag() ? fmt::format("port{}", r.below(3)) : r.str();
      pd.direction = static_cast<PortDir>(r.below(3));
      pd.protocol = r.flag() ? "any" : r.str(6);
      pd.doc = r.str(16);
      pd.multi = r.flag();
      pd.required = r.flag();
      c.ports.push_back(std::move(pd));
    }
    static const char* kKinds[] = {"counter", "accumulator", "histogram", "gauge", ""};
    for (std::size_t i = 0, n = r.below(4); i < n; ++i)
      c.stats.push_back(StatDecl{r.str(), kKinds[r.below(5)], r.str(3), r.str(16)});
    for (std::size_t i = 0, n = r.below(3); i < n; ++i) c.energy_actions.push_back(r.str());
    if (r.byte() & 7) c.factory = [](const ComponentContext&) -> std::unique_ptr<Component> { return nullptr; };
    m.components.push_back(std::move(c));
  }

  auto problems = detail::validate_manifest(m);
  detail::PluginRegistry reg;
  bool accepted = reg.add_builtin(m, "builtin:fuzz");
  if (accepted != problems.empty())
    throw FuzzPropertyError(fmt::format("validate_manifest found {} problems but add_builtin {} the manifest",
                                        problems.size(), accepted ? "accepted" : "refused"));
  if (!accepted) return;
  for (const auto& c : m.components) {
    (void)detail::describe(c, "builtin:fuzz", false);
    (void)detail::describe(c, "/some/dir/fuzz.so", true);
  }
  // The builder checks TOML parameters against the declared kinds, ranges and choices
  // (load only: the factories here make nothing).
  const ComponentDecl& c = m.components[r.below(m.components.size())];
  std::string toml = fmt::format("[[component]]\nname = \"x\"\ntype = \"{}\"\n", c.type);
  if (!c.presets.empty() && r.flag()) toml += fmt::format("preset = \"{}\"\n", c.presets[r.below(c.presets.size())].name);
  toml += "[component.params]\n";
  for (const auto& p : c.params)
    if (r.flag()) toml += fmt::format("{} = {}\n", p.name, toml_value(p.kind, r));
  std::vector<std::string> sets;
  if (!c.params.empty() && r.flag())
    sets.push_back(fmt::format("x.{}={}", c.params[r.below(c.params.size())].name, r.str()));
  detail::Diagnostics diag;
  detail::Builder b(reg, diag);
  auto spec = b.load_text(toml, "/nonexistent-strata-fuzz/manifest.toml", sets);
  (void)diag.str();
}

}  // namespace strata::fuzz
