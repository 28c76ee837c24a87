// strata/params.hpp - parameters declared once, as a struct, and used everywhere.
//
// A component's parameters are a plain struct whose member initialisers are THE defaults
// (the only copy). The struct's static declare(ParamSpec<P>&) names each member, its doc
// and optional range/choices, and named presets as functions over the struct. From that
// one declaration the kernel derives:
//   * TOML validation before time zero (unknown keys with did-you-mean, types, units,
//     ranges, choices, each error at file:line:column);
//   * construction: ComponentContext::params<P>() = default P, then the preset, then the
//     TOML overrides, in that order;
//   * documentation: `strata info TYPE` prints names, types, units, defaults and presets.
//
//   struct ArrayParams {
//     std::int64_t rows = 128;
//     strata::Frequency clock{800e6};
//     std::string dataflow = "os";
//     static void declare(strata::ParamSpec<ArrayParams>& s) {
//       s.param("rows", &ArrayParams::rows, "PE rows").range(1, 65536);
//       s.param("clock", &ArrayParams::clock, "array clock");
//       s.param("dataflow", &ArrayParams::dataflow, "os, ws or is").choices({"os", "ws", "is"});
//       s.preset("tpu", "TPU-like 128x128", [](ArrayParams& p) { p.rows = 128; });
//     }
//   };
#pragma once

#include <strata/units.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace strata {

enum class ParamKind { boolean, integer, real, string, duration, frequency, bytes, bandwidth, energy, power, integer_list };

/// Human name of a kind as used in errors and docs ("integer", "time", ...).
const char* to_string(ParamKind kind);
/// Unit shown in docs for a kind ("" for unitless; "s", "Hz", "B", "B/s", "J", "W").
const char* unit_of(ParamKind kind);

using ParamValue = std::variant<bool, std::int64_t, double, std::string, Duration, Frequency, Bytes, Bandwidth,
                                Energy, Power, std::vector<std::int64_t>>;

/// Printed form of a value, as it would be written in TOML ("800MHz", "128", "\"os\"").
std::string format_param(const ParamValue& v);

/// The type-erased declaration of one parameter.
struct ParamDecl {
  std::string name;
  ParamKind kind = ParamKind::integer;
  std::string doc;
  ParamValue default_value;
  std::optional<double> min, max;      // in base units (s, Hz, B, B/s, J, W) for quantities
  std::vector<std::string> choices;    // string parameters restricted to these values
  bool required = false;               // TOML must set it (the default is only a placeholder)
  std::function<void(void*, const ParamValue&)> set;  // store into the struct
  std::function<ParamValue(const void*)> get;        // read back (resolved-config output)
};

/// A named set of values applied over the defaults ("atleus", "tpu_128x128").
struct PresetDecl {
  std::string name;
  std::string doc;
  std::function<void(void*)> apply;
};

namespace detail {
template <class F> struct ParamKindOf;
template <> struct ParamKindOf<bool> { static constexpr auto kind = ParamKind::boolean; };
template <> struct ParamKindOf<double> { static constexpr auto kind = ParamKind::real; };
template <> struct ParamKindOf<std::string> { static constexpr auto kind = ParamKind::string; };
template <> struct ParamKindOf<Duration> { static constexpr auto kind = ParamKind::duration; };
template <> struct ParamKindOf<Frequency> { static constexpr auto kind = ParamKind::frequency; };
template <> struct ParamKindOf<Bytes> { static constexpr auto kind = ParamKind::bytes; };
template <> struct ParamKindOf<Bandwidth> { static constexpr auto kind = ParamKind::bandwidth; };
template <> struct ParamKindOf<Energy> { static constexpr auto kind = ParamKind::energy; };
template <> struct ParamKindOf<Power> { static constexpr auto kind = ParamKind::power; };
template <> struct ParamKindOf<std::vector<std::int64_t>> { static constexpr auto kind = ParamKind::integer_list; };
template <class F>
  requires(std::is_integral_v<F> && !std::is_same_v<F, bool>)
struct ParamKindOf<F> { static constexpr auto kind = ParamKind::integer; };
}  // namespace detail

/// Fluent refinements of the parameter just declared.
class ParamDeclRef {
 public:
  explicit ParamDeclRef(ParamDecl& d) : d_(&d) {}
  /// Inclusive range, in base units for quantities (seconds, Hz, bytes, ...).
  ParamDeclRef& range(double lo, double hi) {
    d_->min = lo;
    d_->max = hi;
    return *this;
  }
  ParamDeclRef& min(double lo) {
    d_->min = lo;
    return *this;
  }
  ParamDeclRef& choices(std::vector<std::string> c) {
    d_->choices = std::move(c);
    return *this;
  }
  ParamDeclRef& required() {
    d_->required = true;
    return *this;
  }

 private:
  ParamDecl* d_;
};

template <class P>
class ParamSpec {
 public:
  /// `member` may belong to P or to a base of P: a plugin's parameter struct derives from its
  /// model's struct and binds the model's own fields (one struct per model, declared once).
  template <class F, class Owner>
    requires std::is_base_of_v<Owner, P>
  ParamDeclRef param(std::string name, F Owner::*member, std::string doc) {
    ParamDecl d;
    d.name = std::move(name);
    d.kind = detail::ParamKindOf<F>::kind;
    d.doc = std::move(doc);
    const P defaults = P();  // value-initialised (P{} makes GCC 12 -O3 warn falsely: maybe-uninitialized)
    if constexpr (std::is_integral_v<F> && !std::is_same_v<F, bool>) {
      d.default_value = static_cast<std::int64_t>(defaults.*member);
      if constexpr (std::is_unsigned_v<F>) d.min = 0;
      d.set = [member](void* obj, const ParamValue& v) {
        static_cast<P*>(obj)->*member = static_cast<F>(std::get<std::int64_t>(v));
      };
      d.get = [member](const void* obj) -> ParamValue {
        return static_cast<std::int64_t>(static_cast<const P*>(obj)->*member);
      };
    } else {
      d.default_value = defaults.*member;
      d.set = [member](void* obj, const ParamValue& v) { static_cast<P*>(obj)->*member = std::get<F>(v); };
      d.get = [member](const void* obj) -> ParamValue { return static_cast<const P*>(obj)->*member; };
    }
    decls_.push_back(std::move(d));
    return ParamDeclRef(decls_.back());
  }
  void preset(std::string name, std::string doc, std::function<void(P&)> apply) {
    presets_.push_back(PresetDecl{std::move(name), std::move(doc),
                                  [apply = std::move(apply)](void* obj) { apply(*static_cast<P*>(obj)); }});
  }
  std::vector<ParamDecl>& decls() { return decls_; }
  std::vector<PresetDecl>& presets() { return presets_; }

 private:
  std::vector<ParamDecl> decls_;
  std::vector<PresetDecl> presets_;
};

/// Validated values for one component instance, produced by the builder.
struct ParamSet {
  std::optional<std::size_t> preset;                                   // index into PresetDecl list
  std::vector<std::pair<const ParamDecl*, ParamValue>> overrides;      // in declaration order
};

}  // namespace strata
