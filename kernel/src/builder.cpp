// builder.cpp - TOML experiment/topology loading, validation, generators and wiring.
#include "builder.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace strata::detail {

namespace fs = std::filesystem;

namespace {

const std::regex kIdent("[A-Za-z_][A-Za-z0-9_]*");

std::string join(const std::vector<std::string>& v, std::string_view sep = ", ") {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? std::string(sep) : "") + v[i];
  return s;
}

std::string type_name_of(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "a date/time";
  }
}

double base_value(const ParamValue& v) {
  struct V {
    double operator()(bool) const { return 0; }
    double operator()(std::int64_t i) const { return static_cast<double>(i); }
    double operator()(double d) const { return d; }
    double operator()(const std::string&) const { return 0; }
    double operator()(Duration x) const { return x.seconds(); }
    double operator()(Frequency x) const { return x.hz; }
    double operator()(Bytes x) const { return static_cast<double>(x.count); }
    double operator()(Bandwidth x) const { return x.bytes_per_s; }
    double operator()(Energy x) const { return x.joules; }
    double operator()(Power x) const { return x.watts; }
    double operator()(const std::vector<std::int64_t>&) const { return 0; }
  };
  return std::visit(V{}, v);
}

std::string format_base(ParamKind k, double v) {
  // a range bound a plugin declared may lie outside what Duration/Bytes hold (negative, huge)
  const bool fits = v >= 0 && v * 1e12 + 0.5 < 18446744073709551615.0;
  switch (k) {
    case ParamKind::duration:
      return fits ? to_string(Duration{static_cast<Time>(v * 1e12 + 0.5)}) : fmt::format("{}s", v);
    case ParamKind::frequency: return to_string(Frequency{v});
    case ParamKind::bytes:
      return v >= 0 && v < 18446744073709551615.0 ? to_string(Bytes{static_cast<std::uint64_t>(v)})
                                                  : fmt::format("{}B", v);
    case ParamKind::bandwidth: return to_string(Bandwidth{v});
    case ParamKind::energy: return to_string(Energy{v});
    case ParamKind::power: return to_string(Power{v});
    default: return fmt::format("{}", v);
  }
}

const char* example_of(ParamKind k) {
  switch (k) {
    case ParamKind::duration: return "\"1.5ns\"";
    case ParamKind::frequency: return "\"800MHz\"";
    case ParamKind::bytes: return "\"64KiB\"";
    case ParamKind::bandwidth: return "\"256GB/s\"";
    case ParamKind::energy: return "\"2.2pJ\"";
    case ParamKind::power: return "\"0.345W\"";
    case ParamKind::boolean: return "true";
    case ParamKind::integer: return "128";
    case ParamKind::real: return "0.5";
    case ParamKind::string: return "\"text\"";
    case ParamKind::integer_list: return "[1, 2, 3]";
  }
  return "";
}

// A link endpoint "comp[1,2].port[3]" / "comp.port" / "comp.port[]".
struct EndpointRef {
  std::string component;   // element name, e.g. "core[1,2,0]"
  std::string port;
  int index = -1;          // explicit element index of a multi-port
  bool append = false;     // "port[]"
  bool ok = false;
};

EndpointRef parse_endpoint(const std::string& s) {
  EndpointRef r;
  // the port is after the last '.' that is not inside brackets
  int depth = 0;
  std::size_t dot = std::string::npos;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '[') ++depth;
    if (s[i] == ']') --depth;
    if (s[i] == '.' && depth == 0) dot = i;
  }
  if (dot == std::string::npos || dot == 0 || dot + 1 >= s.size()) return r;
  r.component = s.substr(0, dot);
  std::string p = s.substr(dot + 1);
  static const std::regex port_re("([A-Za-z_][A-Za-z0-9_]*)(\\[([0-9]*)\\])?");
  std::smatch m;
  if (!std::regex_match(p, m, port_re)) return r;
  r.port = m[1];
  if (m[2].matched) {
    if (m[3].length() == 0)
      r.append = true;
    else if (m[3].length() > 9)
      return r;  // not an index any grid has (and beyond int)
    else
      r.index = std::stoi(m[3]);
  }
  static const std::regex comp_re("[A-Za-z_][A-Za-z0-9_]*(\\[[0-9]+(,[0-9]+)*\\])?");
  r.ok = std::regex_match(r.component, comp_re);
  return r;
}

std::vector<std::vector<int>> grid_indices(const std::vector<int>& grid) {
  // first dimension fastest: linear id = x + X*(y + Y*z)
  std::vector<std::vector<int>> out;
  if (grid.empty()) return {{}};
  std::size_t total = 1;
  for (int g : grid) total *= static_cast<std::size_t>(g);
  out.reserve(total);
  std::vector<int> idx(grid.size(), 0);
  for (std::size_t n = 0; n < total; ++n) {
    out.push_back(idx);
    for (std::size_t d = 0; d < grid.size(); ++d) {
      if (++idx[d] < grid[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

// Hilbert curve index -> (x, y) on an n x n grid, n a power of two (Hilbert 1891; the
// classic rotate-and-flip iteration).
std::pair<int, int> hilbert_d2xy(int n, int d) {
  int x = 0, y = 0;
  for (int s = 1, t = d; s < n; s *= 2, t /= 4) {
    int rx = 1 & (t / 2), ry = 1 & (t ^ rx);
    if (ry == 0) {
      if (rx == 1) {
        x = s - 1 - x;
        y = s - 1 - y;
      }
      std::swap(x, y);
    }
    x += s * rx;
    y += s * ry;
  }
  return {x, y};
}

}  // namespace

std::string element_name(const std::string& base, const std::vector<int>& index) {
  if (index.empty()) return base;
  std::string s = base + "[";
  for (std::size_t i = 0; i < index.size(); ++i) s += fmt::format("{}{}", i ? "," : "", index[i]);
  return s + "]";
}

std::vector<std::pair<int, int>> curve_order(const std::string& curve, int w, int h) {
  std::vector<std::pair<int, int>> cells;
  if (curve == "hilbert" && w == h && w > 0 && (w & (w - 1)) == 0) {
    for (int d = 0; d < w * h; ++d) cells.push_back(hilbert_d2xy(w, d));
  } else if (curve == "linear") {
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) cells.emplace_back(x, y);
  } else {  // snake (boustrophedon); also the documented fallback for non-square Hilbert
    for (int y = 0; y < h; ++y)
      for (int i = 0; i < w; ++i) cells.emplace_back(y % 2 ? w - 1 - i : i, y);
  }
  return cells;
}

SourceLoc Builder::loc_of(const toml::node& n, const std::string& file) const {
  const auto& s = n.source();
  return SourceLoc{file, static_cast<int>(s.begin.line), static_cast<int>(s.begin.column)};
}

static void check_keys(Diagnostics& diag, const toml::table& t, const std::vector<std::string>& allowed,
                       const std::string& context, const std::string& file) {
  for (auto&& [k, v] : t) {
    std::string key(k.str());
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string guess = closest_match(key, allowed);
    const auto& s = k.source();
    diag.error(SourceLoc{file, static_cast<int>(s.begin.line), static_cast<int>(s.begin.column)},
               fmt::format("unknown key '{}' in {}", key, context),
               guess.empty() ? fmt::format("allowed keys: {}", join(allowed)) : fmt::format("did you mean '{}'?", guess));
  }
}

std::optional<ExperimentSpec> Builder::load_text(std::string_view text, const fs::path& name,
                                                 const std::vector<std::string>& sets) {
  root_text_ = std::string(text);
  auto r = load(name, sets);
  root_text_.reset();
  return r;
}

std::optional<ExperimentSpec> Builder::load(const fs::path& file, const std::vector<std::string>& sets) {
  ExperimentSpec spec;
  spec.file = file.string();
  spec.name = file.stem().string();
  for (const auto& s : sets) {
    auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      diag_.error({"<command line>", 0, 0}, fmt::format("--set '{}' is not of the form path=value", s),
                  "e.g. --set core.clock=1GHz or --set seed=7");
      continue;
    }
    Override o;
    std::string path = s.substr(0, eq);
    o.text = s.substr(eq + 1);
    std::size_t start = 0;
    while (true) {
      auto dot = path.find('.', start);
      o.path.push_back(path.substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    overrides_.push_back(std::move(o));
  }
  std::vector<std::string> stack;
  load_file(spec, file, stack, true);
  apply_overrides(spec);
  for (const auto& o : overrides_)
    if (!o.used) {
      std::vector<std::string> names;
      for (const auto& c : spec.components) names.push_back(c.name);
      std::string guess = closest_match(o.path[0], names);
      diag_.error(o.where,
                  fmt::format("{} {}: no component or experiment setting named '{}'",
                              o.where.file == "<command line>" ? "--set" : "[set]", join(o.path, "."), o.path[0]),
                  guess.empty() ? "components: " + join(names) + "; settings: seed, stop.*, output.*"
                                : fmt::format("did you mean '{}'?", guess));
    }
  // A file with no component at all is never what the user meant (a wrong file, a missing
  // include or topology line): without this it would "run" and write empty results.
  if (!diag_.has_errors() && spec.components.empty())
    diag_.error({file.string(), 0, 0}, "nothing to simulate: no [[component]] in this file or the files it includes",
                "declare [[component]] tables, or name the topology in [experiment] topology = \"...\"");
  if (spec.output.dir.empty()) spec.output.dir = "out/" + spec.name;
  if (diag_.has_errors()) return std::nullopt;
  return spec;
}

void Builder::load_file(ExperimentSpec& spec, const fs::path& file, std::vector<std::string>& stack, bool is_root) {
  std::error_code ec;
  std::string key = fs::weakly_canonical(file, ec).string();
  std::string shown = file.lexically_normal().string();
  if (std::find(stack.begin(), stack.end(), key) != stack.end()) {
    diag_.error({shown, 0, 0}, "include cycle: " + join(stack, " -> ") + " -> " + key,
                "remove one of the includes");
    return;
  }
  const bool from_text = is_root && root_text_;
  if (!from_text && !fs::exists(file)) {
    diag_.error({shown, 0, 0}, "no such file");
    return;
  }
  if (!from_text && fs::is_directory(file)) {
    diag_.error({shown, 0, 0}, "is a directory, not a TOML file");
    return;
  }
  std::shared_ptr<toml::table> doc;
  try {
    doc = std::make_shared<toml::table>(from_text ? toml::parse(*root_text_, shown) : toml::parse_file(file.string()));
  } catch (const toml::parse_error& e) {
    const auto& s = e.source();
    diag_.error({shown, static_cast<int>(s.begin.line), static_cast<int>(s.begin.column)},
                std::string(e.description()));
    return;
  }
  spec.documents.push_back(doc);
  const toml::table& root = *doc;
  stack.push_back(key);
  const bool experiment = root.contains("experiment");
  std::vector<std::string> allowed{"include", "plugins", "component", "link", "generate", "description"};
  if (experiment || is_root) {
    for (auto k : {"experiment", "stop", "output", "sweep", "set"}) allowed.push_back(k);
  }
  check_keys(diag_, root, allowed, experiment ? "an experiment file" : "a topology file", shown);

  auto rel = [&](const std::string& p) { return (file.parent_path() / p).lexically_normal(); };

  // [plugins] path = [...]
  if (auto* pl = root["plugins"].as_table()) {
    check_keys(diag_, *pl, {"path"}, "[plugins]", shown);
    if (auto* arr = (*pl)["path"].as_array())
      for (auto& n : *arr) {
        if (auto s = n.value<std::string>())
          spec.plugin_dirs.push_back(rel(*s).string());
        else
          diag_.error(loc_of(n, shown), "[plugins] path entries must be strings");
      }
  }
  // experiment header: the topology is loaded like an include, before this file's own parts
  if (is_root && experiment) {
    auto* ex = root["experiment"].as_table();
    if (!ex) {
      diag_.error(loc_of(*root.get("experiment"), shown), "[experiment] must be a table");
    } else {
      check_keys(diag_, *ex, {"name", "topology", "seed", "description"}, "[experiment]", shown);
      if (auto n = (*ex)["name"].value<std::string>()) spec.name = *n;
      if (auto* s = ex->get("seed")) {
        if (auto v = s->value<std::int64_t>(); v && *v >= 0)
          spec.seed = static_cast<std::uint64_t>(*v);
        else
          diag_.error(loc_of(*s, shown), "seed must be a non-negative integer");
      }
      if (auto* t = ex->get("topology")) {
        if (auto p = t->value<std::string>())
          load_file(spec, rel(*p), stack, false);
        else
          diag_.error(loc_of(*t, shown), "topology must be a path string");
      }
    }
  }
  if (auto* inc = root.get("include")) {
    auto one = [&](const toml::node& n) {
      if (auto p = n.value<std::string>())
        load_file(spec, rel(*p), stack, false);
      else
        diag_.error(loc_of(n, shown), "include entries must be path strings");
    };
    if (auto* arr = inc->as_array())
      for (auto& n : *arr) one(n);
    else
      one(*inc);
  }
  if (is_root) {
    if (auto* st = root["stop"].as_table()) {
      check_keys(diag_, *st, {"end_time", "max_events"}, "[stop]", shown);
      if (auto* n = st->get("end_time")) {
        auto s = n->value<std::string>();
        try {
          if (!s) throw UnitError("expected a time string such as \"10us\"");
          spec.stop.end_time = parse_duration(*s).ps;
        } catch (const UnitError& e) {
          diag_.error(loc_of(*n, shown), fmt::format("end_time: {}", e.what()));
        }
      }
      if (auto* n = st->get("max_events")) {
        auto v = n->value<std::int64_t>();
        if (v && *v > 0)
          spec.stop.max_events = static_cast<std::uint64_t>(*v);
        else
          diag_.error(loc_of(*n, shown), "max_events must be a positive integer");
      }
    }
    if (auto* out = root["output"].as_table()) {
      check_keys(diag_, *out, {"dir", "formats", "trace", "profile", "report"}, "[output]", shown);
      if (auto d = (*out)["dir"].value<std::string>()) spec.output.dir = *d;
      if (auto* t = out->get("trace")) {
        if (auto b = t->value<bool>())
          spec.output.trace = *b;
        else
          diag_.error(loc_of(*t, shown), "trace must be true or false");
      }
      if (auto* t = out->get("profile")) {
        if (auto b = t->value<bool>())
          spec.output.profile = *b;
        else
          diag_.error(loc_of(*t, shown), "profile must be true or false");
      }
      if (auto r = (*out)["report"].value<bool>()) spec.output.report = *r;
      if (auto* f = (*out)["formats"].as_array()) {
        spec.output.json = spec.output.csv = false;
        for (auto& n : *f) {
          auto s = n.value<std::string>();
          if (s == "json")
            spec.output.json = true;
          else if (s == "csv")
            spec.output.csv = true;
          else
            diag_.error(loc_of(n, shown), "formats entries must be \"json\" or \"csv\"");
        }
      }
    }
    if (auto* sw = root["sweep"].as_table())
      for (auto&& [k, v] : *sw) spec.sweep_axes_raw.emplace_back(std::string(k.str()), "");
    // [set] "path" = value: what --set path=value does, written down in the experiment (a run
    // with the message-level NoC, a gated core...). Applied before the command line's --set.
    if (auto* st = root.get("set")) {
      if (auto* t = st->as_table()) {
        std::vector<Override> file_sets;
        for (auto&& [k, v] : *t) {
          Override o;
          const std::string path(k.str());
          for (std::size_t start = 0;;) {
            const auto dot = path.find('.', start);
            o.path.push_back(path.substr(start, dot - start));
            if (dot == std::string::npos) break;
            start = dot + 1;
          }
          if (auto str = v.value_exact<std::string>()) {
            o.text = *str, o.is_string = true;
          } else {  // numbers, booleans, arrays: their TOML text, as --set takes it
            std::ostringstream os;
            v.visit([&](const auto& x) { os << x; });
            o.text = os.str();
          }
          o.where = loc_of(v, shown);
          file_sets.push_back(std::move(o));
        }
        overrides_.insert(overrides_.begin(), file_sets.begin(), file_sets.end());
      } else {
        diag_.error(loc_of(*st, shown), "[set] must be a table of \"component.param\" = value");
      }
    }
  }
  read_components(spec, root, shown);
  if (auto* links = root.get("link")) {
    if (auto* arr = links->as_array()) {
      for (auto& n : *arr)
        if (auto* t = n.as_table()) {
          check_keys(diag_, *t, {"from", "to", "latency", "bandwidth"}, "[[link]]", shown);
          spec.wiring.push_back({false, t, shown});
        } else {
          diag_.error(loc_of(n, shown), "[[link]] entries must be tables");
        }
    } else {
      diag_.error(loc_of(*links, shown), "'link' must be an array of tables ([[link]])");
    }
  }
  if (auto* gens = root.get("generate")) {
    if (auto* arr = gens->as_array()) {
      for (auto& n : *arr)
        if (auto* t = n.as_table()) spec.wiring.push_back({true, t, shown});
    } else {
      diag_.error(loc_of(*gens, shown), "'generate' must be an array of tables ([[generate]])");
    }
  }
  stack.pop_back();
}

void Builder::read_components(ExperimentSpec& spec, const toml::table& root, const std::string& file) {
  auto* node = root.get("component");
  if (!node) return;
  auto* arr = node->as_array();
  if (!arr) {
    diag_.error(loc_of(*node, file), "'component' must be an array of tables ([[component]])");
    return;
  }
  for (auto& n : *arr) {
    auto* t = n.as_table();
    if (!t) {
      diag_.error(loc_of(n, file), "[[component]] entries must be tables");
      continue;
    }
    check_keys(diag_, *t, {"name", "type", "grid", "preset", "params", "description", "partition"}, "[[component]]", file);
    ComponentSpec c;
    c.loc = loc_of(*t, file);
    c.table = t;
    auto name = (*t)["name"].value<std::string>();
    auto type = (*t)["type"].value<std::string>();
    if (!name) {
      diag_.error(c.loc, "[[component]] needs a name", "add name = \"...\"");
      continue;
    }
    if (!std::regex_match(*name, kIdent)) {
      diag_.error(loc_of(*t->get("name"), file), fmt::format("component name '{}' is not an identifier", *name),
                  "use letters, digits and '_' (grid elements get [x,y,z] automatically)");
      continue;
    }
    c.name = *name;
    for (const auto& other : spec.components)
      if (other.name == c.name) {
        diag_.error(c.loc, fmt::format("duplicate component name '{}'", c.name),
                    fmt::format("first defined at {}:{}:{}", other.loc.file, other.loc.line, other.loc.column));
      }
    if (!type) {
      diag_.error(c.loc, fmt::format("component '{}' needs a type", c.name), "add type = \"family.name\"");
      continue;
    }
    c.type = *type;
    if (auto* g = t->get("grid")) {
      auto* ga = g->as_array();
      bool ok = ga && !ga->empty() && ga->size() <= 4;
      if (ok)
        for (auto& d : *ga) {
          auto v = d.value<std::int64_t>();
          if (!v || *v < 1 || *v > 1 << 20) ok = false;
          else c.grid.push_back(static_cast<int>(*v));
        }
      if (!ok) diag_.error(loc_of(*g, file), "grid must be an array of 1 to 4 positive integers, e.g. [4, 4, 3]");
      // every element is a component built one by one: refuse sizes no machine holds (and
      // products that would wrap around 2^64, e.g. four dimensions of 2^16)
      std::uint64_t total = 1;
      for (int d : c.grid) total = std::min(total * static_cast<std::uint64_t>(d), std::uint64_t{1} << 40);
      if (ok && total > (std::uint64_t{1} << 24))
        diag_.error(loc_of(*g, file),
                    fmt::format("grid is too large: {} elements, the limit is 2^24 = 16777216",
                                total >= (std::uint64_t{1} << 40) ? std::string("over 2^40") : std::to_string(total)));
    }
    c.decl = registry_.find(c.type);
    if (!c.decl) {
      std::string guess = closest_match(c.type, registry_.types());
      std::string dirs;
      for (const auto& d : registry_.search_dirs()) dirs += (dirs.empty() ? "" : ", ") + d.string();
      std::string note = guess.empty() ? fmt::format("plugins searched in: {}", dirs.empty() ? "(none)" : dirs)
                                       : fmt::format("did you mean '{}'? (plugins searched in: {})", guess, dirs);
      for (const auto& e : registry_.errors()) note += fmt::format("; {} failed to load: {}", e.path, e.reason);
      diag_.error(loc_of(*t->get("type"), file), fmt::format("unknown component type '{}'", c.type), note);
      spec.components.push_back(std::move(c));
      continue;
    }
    if (auto* p = t->get("partition")) {  // where --threads puts it (results do not depend on it)
      auto v = p->value<std::int64_t>();
      if (v && *v >= 0 && *v < 65536)
        c.partition = static_cast<int>(*v);
      else
        diag_.error(loc_of(*p, file), "partition must be an integer from 0 to 65535 (taken modulo the thread count)");
    }
    if (auto* p = t->get("preset")) {
      auto s = p->value<std::string>();
      std::vector<std::string> names;
      for (const auto& pr : c.decl->presets) names.push_back(pr.name);
      bool found = false;
      for (std::size_t i = 0; s && i < c.decl->presets.size(); ++i)
        if (c.decl->presets[i].name == *s) {
          c.params.preset = i;
          found = true;
        }
      if (!found) {
        std::string guess = s ? closest_match(*s, names) : "";
        diag_.error(loc_of(*p, file), fmt::format("type '{}' has no preset '{}'", c.type, s.value_or("?")),
                    guess.empty() ? (names.empty() ? "this type has no presets" : "presets: " + join(names))
                                  : fmt::format("did you mean '{}'?", guess));
      }
    }
    const toml::table* params = nullptr;
    if (auto* p = t->get("params")) {
      params = p->as_table();
      if (!params) diag_.error(loc_of(*p, file), "params must be a table");
    }
    read_params(c, params, file);
    spec.components.push_back(std::move(c));
  }
}

bool Builder::parse_value(const ParamDecl& d, const toml::node& node, const SourceLoc& loc, ParamValue& out) {
  auto bad_type = [&] {
    diag_.error(loc, fmt::format("parameter '{}' expects {}, got {}", d.name, to_string(d.kind), type_name_of(node)),
                fmt::format("e.g. {} = {}", d.name, example_of(d.kind)));
    return false;
  };
  try {
    switch (d.kind) {
      case ParamKind::boolean:
        if (!node.is_boolean()) return bad_type();
        out = *node.value<bool>();
        break;
      case ParamKind::integer:
        if (!node.is_integer()) return bad_type();
        out = *node.value<std::int64_t>();
        break;
      case ParamKind::real:
        if (!node.is_number()) return bad_type();
        out = *node.value<double>();
        break;
      case ParamKind::string: {
        if (!node.is_string()) return bad_type();
        std::string s = *node.value<std::string>();
        if (!d.choices.empty() && std::find(d.choices.begin(), d.choices.end(), s) == d.choices.end()) {
          std::string guess = closest_match(s, d.choices);
          diag_.error(loc, fmt::format("parameter '{}' must be one of {}; got \"{}\"", d.name, join(d.choices), s),
                      guess.empty() ? "" : fmt::format("did you mean \"{}\"?", guess));
          return false;
        }
        out = s;
        break;
      }
      case ParamKind::integer_list: {
        auto* a = node.as_array();
        if (!a) return bad_type();
        std::vector<std::int64_t> v;
        for (auto& e : *a) {
          if (!e.is_integer()) return bad_type();
          v.push_back(*e.value<std::int64_t>());
        }
        out = v;
        return true;
      }
      default: {
        if (!node.is_string()) {
          diag_.error(loc,
                      fmt::format("parameter '{}' is a {} and needs a unit, written as a string", d.name,
                                  to_string(d.kind)),
                      fmt::format("e.g. {} = {}", d.name, example_of(d.kind)));
          return false;
        }
        std::string s = *node.value<std::string>();
        switch (d.kind) {
          case ParamKind::duration: out = parse_duration(s); break;
          case ParamKind::frequency: out = parse_frequency(s); break;
          case ParamKind::bytes: out = parse_bytes(s); break;
          case ParamKind::bandwidth: out = parse_bandwidth(s); break;
          case ParamKind::energy: out = parse_energy(s); break;
          case ParamKind::power: out = parse_power(s); break;
          default: break;
        }
      }
    }
  } catch (const UnitError& e) {
    diag_.error(loc, fmt::format("parameter '{}': {}", d.name, e.what()),
                fmt::format("e.g. {} = {}", d.name, example_of(d.kind)));
    return false;
  }
  if (d.min || d.max) {
    double v = base_value(out);
    if ((d.min && v < *d.min) || (d.max && v > *d.max)) {
      diag_.error(loc, fmt::format("parameter '{}' = {} is out of range", d.name, format_param(out)),
                  fmt::format("allowed: {} to {}", d.min ? format_base(d.kind, *d.min) : "-inf",
                              d.max ? format_base(d.kind, *d.max) : "+inf"));
      return false;
    }
  }
  return true;
}

void Builder::read_params(ComponentSpec& c, const toml::table* params, const std::string& file) {
  std::vector<std::string> names;
  for (const auto& p : c.decl->params) names.push_back(p.name);
  std::map<const ParamDecl*, ParamValue> values;
  if (params) {
    for (auto&& [k, v] : *params) {
      std::string key(k.str());
      const ParamDecl* d = c.decl->find_param(key);
      const auto& s = k.source();
      SourceLoc kl{file, static_cast<int>(s.begin.line), static_cast<int>(s.begin.column)};
      if (!d) {
        std::string guess = closest_match(key, names);
        diag_.error(kl, fmt::format("type '{}' has no parameter '{}'", c.type, key),
                    guess.empty() ? (names.empty() ? "it takes no parameters" : "parameters: " + join(names))
                                  : fmt::format("did you mean '{}'?", guess));
        continue;
      }
      ParamValue pv;
      if (parse_value(*d, v, loc_of(v, file), pv)) values[d] = pv;
    }
  }
  for (const auto& d : c.decl->params)
    if (d.required && !values.count(&d))
      diag_.error(c.loc, fmt::format("component '{}' (type {}) needs parameter '{}'", c.name, c.type, d.name),
                  fmt::format("{} = {}  # {}", d.name, example_of(d.kind), d.doc));
  // declaration order, so construction does not depend on TOML key order
  for (const auto& d : c.decl->params)
    if (auto it = values.find(&d); it != values.end()) c.params.overrides.emplace_back(&d, it->second);
}

void Builder::apply_overrides(ExperimentSpec& spec) {
  for (auto& o : overrides_) {
    const SourceLoc& cl = o.where;
    // experiment-level settings
    const std::string& head = o.path[0];
    toml::table parsed;
    std::optional<toml::node_view<toml::node>> valnode;
    if (o.is_string) {
      parsed.insert("v", o.text);
    } else {
      try {
        parsed = toml::parse("v = " + o.text);
      } catch (const toml::parse_error&) {
        parsed = toml::table{};
        parsed.insert("v", o.text);  // bare words are strings: --set core.dataflow=ws
      }
    }
    const toml::node& val = *parsed.get("v");
    if (head == "seed" && o.path.size() == 1) {
      o.used = true;
      auto v = val.value<std::int64_t>();
      if (v && *v >= 0)
        spec.seed = static_cast<std::uint64_t>(*v);
      else
        diag_.error(cl, fmt::format("--set seed={}: expected a non-negative integer", o.text));
      continue;
    }
    if (head == "threads" && o.path.size() == 1) {
      o.used = true;
      auto v = val.value<std::int64_t>();
      if (v && *v >= 1 && *v <= 1024)
        spec.threads = static_cast<int>(*v);
      else
        diag_.error(cl, fmt::format("--threads {}: expected an integer from 1 to 1024", o.text));
      continue;
    }
    if (head == "stop" && o.path.size() == 2) {
      o.used = true;
      try {
        if (o.path[1] == "end_time")
          spec.stop.end_time = parse_duration(o.text).ps;
        else if (o.path[1] == "max_events") {
          auto v = val.value<std::int64_t>();  // as in the file: a positive integer
          if (v && *v > 0)
            spec.stop.max_events = static_cast<std::uint64_t>(*v);
          else
            diag_.error(cl, fmt::format("--set stop.max_events={}: expected a positive integer", o.text));
        }
        else
          diag_.error(cl, fmt::format("--set stop.{}: unknown setting", o.path[1]), "stop.end_time, stop.max_events");
      } catch (const std::exception& e) {
        diag_.error(cl, fmt::format("--set {}: {}", join(o.path, "."), e.what()));
      }
      continue;
    }
    if (head == "output" && o.path.size() == 2) {
      o.used = true;
      if (o.path[1] == "dir") spec.output.dir = o.text;
      else if (o.path[1] == "trace" && val.is_boolean()) spec.output.trace = *val.value<bool>();
      else if (o.path[1] == "profile" && val.is_boolean()) spec.output.profile = *val.value<bool>();
      else diag_.error(cl, fmt::format("--set output.{}: unknown setting or bad value", o.path[1]));
      continue;
    }
    for (auto& c : spec.components) {
      if (c.name != head) continue;
      o.used = true;
      if (!c.decl) break;
      if (o.path.size() != 2) {
        diag_.error(cl, fmt::format("--set {}: expected <component>.<parameter>=value", join(o.path, ".")));
        break;
      }
      if (o.path[1] == "preset") {
        bool found = false;
        for (std::size_t i = 0; i < c.decl->presets.size(); ++i)
          if (c.decl->presets[i].name == o.text) c.params.preset = i, found = true;
        if (!found) diag_.error(cl, fmt::format("--set {}.preset: type '{}' has no preset '{}'", c.name, c.type, o.text));
        break;
      }
      const ParamDecl* d = c.decl->find_param(o.path[1]);
      if (!d) {
        std::vector<std::string> names;
        for (const auto& p : c.decl->params) names.push_back(p.name);
        std::string guess = closest_match(o.path[1], names);
        diag_.error(cl, fmt::format("--set {}: type '{}' has no parameter '{}'", join(o.path, "."), c.type, o.path[1]),
                    guess.empty() ? "" : fmt::format("did you mean '{}'?", guess));
        break;
      }
      ParamValue pv;
      if (!parse_value(*d, val, cl, pv)) break;
      auto& ov = c.params.overrides;
      auto it = std::find_if(ov.begin(), ov.end(), [&](auto& e) { return e.first == d; });
      if (it != ov.end())
        it->second = pv;
      else {
        ov.emplace_back(d, pv);
        // keep declaration order
        std::stable_sort(ov.begin(), ov.end(), [&](auto& a, auto& b) { return a.first < b.first; });
      }
      break;
    }
  }
}

// ------------------------------------------------------------------ build
namespace {

struct BuildState {
  Engine& engine;
  Diagnostics& diag;
  std::map<std::string, const ComponentSpec*> specs;          // by base name
  std::map<std::string, Component*, std::less<>> elements;    // by element name
};

}  // namespace

std::unique_ptr<Engine> Builder::build(ExperimentSpec& spec) {
  auto engine = std::make_unique<Engine>(spec.seed);
  BuildState st{*engine, diag_, {}, {}};
  // 1. components (grid elements in index order, first dimension fastest)
  for (const auto& c : spec.components) {
    if (!c.decl) continue;
    st.specs[c.name] = &c;
    auto params = std::make_shared<const ParamSet>(c.params);  // shared by the grid's elements
    for (const auto& idx : grid_indices(c.grid)) {
      std::string name = element_name(c.name, idx);
      try {
        Component& comp = engine->add_component(*c.decl, name, idx, params, registry_.library_of(c.type));
        if (c.partition >= 0) engine->set_partition_hint(comp, c.partition);
        st.elements[name] = &comp;
      } catch (const std::exception& e) {
        const LoadedPlugin* pl = registry_.plugin_of(c.type);
        diag_.error(c.loc, fmt::format("component '{}' (type {}) could not be created: {}", name, c.type, e.what()),
                    pl ? fmt::format("type provided by {}", pl->path) : "");
        break;  // one message per grid, not one per element
      }
    }
  }
  if (diag_.has_errors()) return nullptr;

  // helpers shared by [[link]] and generators
  auto resolve = [&](const EndpointRef& r, const SourceLoc& loc, std::string& err) -> Port* {
    auto it = st.elements.find(r.component);
    if (it == st.elements.end()) {
      std::vector<std::string> names;
      for (auto& [n, _] : st.elements) names.push_back(n);
      std::string guess = closest_match(r.component, names);
      err = fmt::format("no component named '{}'", r.component) + (guess.empty() ? "" : fmt::format(" (did you mean '{}'?)", guess));
      return nullptr;
    }
    Component& c = *it->second;
    const ComponentDecl& decl = PortWiring::decl(c);
    const PortDecl* pd = decl.find_port(r.port);
    if (!pd) {
      std::vector<std::string> names;
      for (auto& p : decl.ports) names.push_back(p.name);
      std::string guess = closest_match(r.port, names);
      err = fmt::format("component '{}' (type {}) has no port '{}'", r.component, decl.type, r.port) +
            (guess.empty() ? fmt::format("; ports: {}", join(names)) : fmt::format(" (did you mean '{}'?)", guess));
      return nullptr;
    }
    if (!pd->multi) {
      if (r.append || r.index >= 0) {
        err = fmt::format("port '{}' of '{}' is a single port: write it without [index]", r.port, r.component);
        return nullptr;
      }
      Port* p = PortWiring::find_port(c, r.port, -1);
      if (p->connected()) {
        err = fmt::format("port '{}.{}' is already linked (to {}.{})", r.component, r.port, p->peer()->owner().name(),
                          p->peer()->name());
        return nullptr;
      }
      return p;
    }
    const auto nelems = PortWiring::element_count(c, r.port);
    if (r.index >= 0 && r.index < static_cast<int>(nelems)) {
      Port* p = PortWiring::find_port(c, r.port, r.index);
      if (p->connected()) {
        err = fmt::format("port '{}.{}' is already linked", r.component, p->name());
        return nullptr;
      }
      return p;
    }
    if (r.index > static_cast<int>(nelems)) {
      // an explicit index beyond the end creates the elements before it, unlinked; later
      // links fill them (a resolved config.toml lists links in name order, not index order)
      if (r.index > 65535) {
        err = fmt::format("port '{}.{}[{}]': index too large", r.component, r.port, r.index);
        return nullptr;
      }
      for (int k = static_cast<int>(nelems); k < r.index; ++k) PortWiring::add_multi_element(c, r.port);
    }
    (void)loc;
    return &PortWiring::add_multi_element(c, r.port);
  };
  auto link = [&](Port& a, Port& b, Time latency, double bw, const SourceLoc& loc) {
    const auto& da = PortWiring::decl(a.owner());
    const auto& db = PortWiring::decl(b.owner());
    std::string pa_name = a.name().substr(0, a.name().find('['));
    std::string pb_name = b.name().substr(0, b.name().find('['));
    const PortDecl* pa = da.find_port(pa_name);
    const PortDecl* pb = db.find_port(pb_name);
    if (pa && pb && pa->protocol != pb->protocol && pa->protocol != "any" && pb->protocol != "any") {
      diag_.error(loc, fmt::format("link joins incompatible protocols: {}.{} speaks '{}', {}.{} speaks '{}'",
                                   a.owner().name(), a.name(), pa->protocol, b.owner().name(), b.name(), pb->protocol));
      return;
    }
    if (pa && pb && pa->direction == PortDir::out && pb->direction == PortDir::out) {
      diag_.error(loc, fmt::format("link joins two output ports: {}.{} and {}.{}", a.owner().name(), a.name(),
                                   b.owner().name(), b.name()));
      return;
    }
    if (pa && pb && pa->direction == PortDir::in && pb->direction == PortDir::in) {
      diag_.error(loc, fmt::format("link joins two input ports: {}.{} and {}.{}", a.owner().name(), a.name(),
                                   b.owner().name(), b.name()));
      return;
    }
    engine->connect(a, b, latency, bw);
  };
  auto read_latency = [&](const toml::table& t, const std::string& file, Time& lat, double& bw) -> bool {
    auto* n = t.get("latency");
    if (!n) {
      diag_.error(loc_of(t, file), "a link needs a latency (links always take time)", "latency = \"1ns\"");
      return false;
    }
    try {
      auto s = n->value<std::string>();
      if (!s) throw UnitError("expected a time string such as \"1ns\"");
      lat = parse_duration(*s).ps;
      if (lat == 0) throw UnitError("link latency must be > 0: it is the lookahead of parallel simulation");
      if (lat > Port::kMaxLatency)
        throw UnitError(fmt::format("link latency is above the longest a port holds ({} ps, about 1.1 s)",
                                    Port::kMaxLatency));
    } catch (const UnitError& e) {
      diag_.error(loc_of(*n, file), fmt::format("latency: {}", e.what()));
      return false;
    }
    bw = 0;
    if (auto* b = t.get("bandwidth")) {
      try {
        auto s = b->value<std::string>();
        if (!s) throw UnitError("expected a bandwidth string such as \"32GB/s\"");
        bw = parse_bandwidth(*s).bytes_per_s;
      } catch (const UnitError& e) {
        diag_.error(loc_of(*b, file), fmt::format("bandwidth: {}", e.what()));
        return false;
      }
    }
    return true;
  };

  // 2. links and generators, in file order
  for (const auto& w : spec.wiring) {
    const toml::table& t = *w.table;
    SourceLoc tl = loc_of(t, w.file);
    if (!w.generator) {
      auto from = t["from"].value<std::string>();
      auto to = t["to"].value<std::string>();
      Time lat = 0;
      double bw = 0;
      if (!from || !to) {
        diag_.error(tl, "[[link]] needs 'from' and 'to' endpoints", "from = \"a.out\"  to = \"b.in\"");
        continue;
      }
      if (!read_latency(t, w.file, lat, bw)) continue;
      Port* ends[2] = {nullptr, nullptr};
      Component* first_owner = nullptr;
      int first_index = -1;
      std::string first_port;
      const std::string* texts[2] = {&*from, &*to};
      const char* keys[2] = {"from", "to"};
      for (int i = 0; i < 2; ++i) {
        EndpointRef r = parse_endpoint(*texts[i]);
        SourceLoc kl = loc_of(*t.get(keys[i]), w.file);
        if (!r.ok) {
          diag_.error(kl, fmt::format("'{}' is not an endpoint", *texts[i]),
                      "write component.port, component[x,y].port or component.port[] (new element of a multi-port)");
          continue;
        }
        std::string err;
        ends[i] = resolve(r, kl, err);
        if (!ends[i]) diag_.error(kl, err);
        if (i == 0 && ends[0]) first_owner = &ends[0]->owner(), first_index = ends[0]->index(), first_port = r.port;
      }
      // Resolving the second end may append to the first end's multi-port and move it.
      if (ends[0] && first_index >= 0) ends[0] = PortWiring::find_port(*first_owner, first_port, first_index);
      if (ends[0] && ends[1]) link(*ends[0], *ends[1], lat, bw, tl);
      continue;
    }
    // generators
    auto kind = t["kind"].value<std::string>();
    const std::vector<std::string> kinds{"mesh", "torus", "chain", "vertical", "skip", "offsets", "zip", "fanout"};
    if (!kind || std::find(kinds.begin(), kinds.end(), *kind) == kinds.end()) {
      std::string guess = kind ? closest_match(*kind, kinds) : "";
      diag_.error(tl, fmt::format("[[generate]] needs kind = one of {}", join(kinds)),
                  guess.empty() ? "" : fmt::format("did you mean '{}'?", guess));
      continue;
    }
    std::vector<std::string> allowed{"kind", "latency", "bandwidth"};
    if (*kind == "zip" || *kind == "fanout") {
      for (auto k : {"from", "to", "offset"}) allowed.push_back(k);
    } else {
      for (auto k : {"component", "port", "dims", "curve", "layers", "offsets", "from_port", "to_port"})
        allowed.push_back(k);
    }
    check_keys(diag_, t, allowed, fmt::format("[[generate]] kind = \"{}\"", *kind), w.file);
    Time lat = 0;
    double bw = 0;
    if (!read_latency(t, w.file, lat, bw)) continue;
    auto one_link = [&](const std::string& a, const std::string& b) {
      std::string err;
      EndpointRef ra = parse_endpoint(a), rb = parse_endpoint(b);
      Port* pa = resolve(ra, tl, err);
      if (!pa) {
        diag_.error(tl, fmt::format("{} generator: {}", *kind, err));
        return false;
      }
      // Resolving b may append to a's multi-port (a link within one component) and move a.
      Component& a_owner = pa->owner();
      const int a_index = pa->index();
      Port* pb = resolve(rb, tl, err);
      if (!pb) {
        diag_.error(tl, fmt::format("{} generator: {}", *kind, err));
        return false;
      }
      if (a_index >= 0) pa = PortWiring::find_port(a_owner, ra.port, a_index);
      link(*pa, *pb, lat, bw, tl);
      return true;
    };
    auto int_list = [&](const char* key, std::vector<int>& out) -> bool {
      auto* n = t.get(key);
      if (!n) return false;
      auto* a = n->as_array();
      if (!a) {
        diag_.error(loc_of(*n, w.file), fmt::format("'{}' must be an array of integers", key));
        return false;
      }
      for (auto& e : *a) {
        auto v = e.value<std::int64_t>();
        if (!v || *v < std::numeric_limits<int>::min() || *v > std::numeric_limits<int>::max()) {
          diag_.error(loc_of(e, w.file), fmt::format("'{}' must be an array of (32-bit) integers", key));
          return false;
        }
        out.push_back(static_cast<int>(*v));
      }
      return true;
    };

    if (*kind == "zip" || *kind == "fanout") {
      auto from = t["from"].value<std::string>();
      auto to = t["to"].value<std::string>();
      if (!from || !to) {
        diag_.error(tl, fmt::format("{} generator needs from = \"comp.port\" and to = \"comp.port\"", *kind));
        continue;
      }
      EndpointRef rf = parse_endpoint(*from), rt = parse_endpoint(*to);
      auto sf = st.specs.find(rf.component), stt = st.specs.find(rt.component);
      if (!rf.ok || !rt.ok || sf == st.specs.end() || stt == st.specs.end()) {
        diag_.error(tl, fmt::format("{} generator: endpoints must name components by their base name and a port "
                                    "(e.g. \"core.net\"); got '{}' and '{}'",
                                    *kind, *from, *to));
        continue;
      }
      const auto& gf = sf->second->grid;
      const auto& gt = stt->second->grid;
      if (*kind == "fanout") {
        // one element (or a single component) on the `from` side, every element of `to`
        for (const auto& idx : grid_indices(gt))
          if (!one_link(element_name(rf.component, {}) + "." + rf.port + "[]",
                        element_name(rt.component, idx) + "." + rt.port + (rt.append ? "[]" : "")))
            break;
        continue;
      }
      std::vector<int> offset;
      int_list("offset", offset);
      offset.resize(gf.size(), 0);
      for (const auto& idx : grid_indices(gf)) {
        std::vector<int> to_idx = idx;
        to_idx.resize(gt.size(), 0);
        bool inside = true;
        for (std::size_t d = 0; d < gt.size(); ++d) {
          if (d < offset.size()) to_idx[d] += offset[d];
          if (to_idx[d] < 0 || to_idx[d] >= gt[d]) inside = false;
        }
        if (!inside) {
          diag_.error(tl, fmt::format("zip: {} maps outside the grid of '{}'", element_name(rf.component, idx),
                                      rt.component));
          break;
        }
        const PortDecl* fpd = PortWiring::decl(*st.elements[element_name(rf.component, idx)]).find_port(rf.port);
        std::string pf = rf.port + ((rf.append || (fpd && fpd->multi)) ? "[]" : "");  // no such port: resolve says so
        std::string ptt = rt.port;
        if (auto* pd = stt->second->decl->find_port(rt.port); pd && pd->multi) ptt += "[]";
        if (!one_link(element_name(rf.component, idx) + "." + pf, element_name(rt.component, to_idx) + "." + ptt)) break;
      }
      continue;
    }

    // grid generators over one component and one multi-port
    auto comp = t["component"].value<std::string>();
    auto sit = comp ? st.specs.find(*comp) : st.specs.end();
    if (sit == st.specs.end()) {
      diag_.error(tl, fmt::format("{} generator: 'component' must name a [[component]] with a grid", *kind));
      continue;
    }
    const ComponentSpec& cs = *sit->second;
    const auto& grid = cs.grid;
    auto name_at = [&](const std::vector<int>& idx) { return element_name(cs.name, idx); };

    if (*kind == "offsets") {
      auto fp = t["from_port"].value<std::string>();
      auto tp = t["to_port"].value<std::string>();
      std::vector<int> offs;
      if (grid.size() != 1 || !fp || !tp || !int_list("offsets", offs)) {
        diag_.error(tl, "offsets generator needs a 1-D grid component, from_port, to_port and offsets = [..]");
        continue;
      }
      int n = grid[0];
      bool ok = true;
      for (int i = 0; i < n && ok; ++i)
        for (int off : offs) {
          int j = ((i + off) % n + n) % n;
          if (!(ok = one_link(name_at({i}) + "." + *fp + "[]", name_at({j}) + "." + *tp + "[]"))) break;
        }
      continue;
    }
    auto port = t["port"].value<std::string>();
    if (!port) {
      diag_.error(tl, fmt::format("{} generator needs port = \"<multi-port name>\"", *kind));
      continue;
    }
    std::string pref = "." + *port + "[]";
    std::vector<int> layers;
    int_list("layers", layers);
    const int zdim = static_cast<int>(grid.size()) - 1;
    bool ok = true;
    if (*kind == "mesh" || *kind == "torus") {
      std::vector<int> dims;
      if (!int_list("dims", dims))
        for (std::size_t d = 0; d < grid.size(); ++d) dims.push_back(static_cast<int>(d));
      for (const auto& idx : grid_indices(grid)) {
        if (!layers.empty() && grid.size() >= 3 && (idx[zdim] < layers.front() || idx[zdim] > layers.back())) continue;
        for (int d : dims) {
          if (d < 0 || d >= static_cast<int>(grid.size())) {
            diag_.error(tl, fmt::format("dims: dimension {} does not exist in grid of '{}'", d, cs.name));
            ok = false;
            break;
          }
          auto nb = idx;
          nb[d] += 1;
          if (nb[d] >= grid[d]) {
            if (*kind != "torus" || grid[d] <= 2) continue;  // a 2-ring is already a mesh link
            nb[d] = 0;
          }
          if (!(ok = one_link(name_at(idx) + pref, name_at(nb) + pref))) break;
        }
        if (!ok) break;
      }
    } else if (*kind == "chain") {
      if (grid.size() < 2) {
        diag_.error(tl, "chain generator needs a grid of at least 2 dimensions (x, y[, layer])");
        continue;
      }
      std::string curve = t["curve"].value<std::string>().value_or("snake");
      if (curve != "snake" && curve != "hilbert" && curve != "linear") {
        diag_.error(loc_of(*t.get("curve"), w.file), "curve must be \"snake\", \"hilbert\" or \"linear\"");
        continue;
      }
      auto cells = curve_order(curve, grid[0], grid[1]);
      int zn = grid.size() >= 3 ? grid[2] : 1;
      for (int z = 0; z < zn && ok; ++z) {
        if (!layers.empty() && (z < layers.front() || z > layers.back())) continue;
        for (std::size_t i = 0; i + 1 < cells.size() && ok; ++i) {
          std::vector<int> a{cells[i].first, cells[i].second}, b{cells[i + 1].first, cells[i + 1].second};
          if (grid.size() >= 3) a.push_back(z), b.push_back(z);
          ok = one_link(name_at(a) + pref, name_at(b) + pref);
        }
      }
    } else if (*kind == "vertical" || *kind == "skip") {
      if (grid.size() < 3) {
        diag_.error(tl, fmt::format("{} generator needs a 3-D grid (x, y, layer)", *kind));
        continue;
      }
      std::vector<std::pair<int, int>> pairs;
      if (*kind == "vertical") {
        int lo = layers.empty() ? 0 : layers.front(), hi = layers.empty() ? grid[2] - 1 : layers.back();
        if (lo < 0 || hi >= grid[2]) {  // before the loop: a wild range would fill memory
          diag_.error(tl, fmt::format("layers {} and {} are not both inside the grid (0..{})", lo, hi, grid[2] - 1));
          continue;
        }
        for (int z = lo; z < hi; ++z) pairs.emplace_back(z, z + 1);
      } else {
        if (layers.size() != 2) {
          diag_.error(tl, "skip generator needs layers = [from, to]");
          continue;
        }
        pairs.emplace_back(layers[0], layers[1]);
      }
      for (auto [za, zb] : pairs) {
        if (za < 0 || zb < 0 || za >= grid[2] || zb >= grid[2]) {
          diag_.error(tl, fmt::format("layers {} and {} are not both inside the grid (0..{})", za, zb, grid[2] - 1));
          ok = false;
          break;
        }
        for (int y = 0; y < grid[1] && ok; ++y)
          for (int x = 0; x < grid[0] && ok; ++x) ok = one_link(name_at({x, y, za}) + pref, name_at({x, y, zb}) + pref);
      }
    }
  }
  if (diag_.has_errors()) return nullptr;

  // 3. required ports
  for (const auto& c : engine->components()) {
    const ComponentDecl& d = PortWiring::decl(*c);
    for (const auto& pd : d.ports) {
      if (!pd.required) continue;
      bool linked = pd.multi ? PortWiring::element_count(*c, pd.name) > 0 : c->has_link(pd.name);
      if (!linked) {
        auto base = c->name().substr(0, c->name().find('['));
        SourceLoc loc = st.specs.count(base) ? st.specs[base]->loc : SourceLoc{spec.file, 0, 0};
        diag_.error(loc, fmt::format("port '{}.{}' (type {}) must be linked: {}", c->name(), pd.name, d.type, pd.doc),
                    "add a [[link]] or a generator that connects it");
      }
    }
  }
  if (diag_.has_errors()) return nullptr;
  engine->set_threads(spec.threads);
  if (rank_link_) engine->set_rank_link(rank_link_);
  engine->finalize();
  return engine;
}

}  // namespace strata::detail
