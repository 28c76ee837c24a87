// findings.cpp - claims checked against results (see findings.hpp for the file format).
#include "findings.hpp"

#include "report_data.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cmath>
#include <map>
#include <memory>
#include <numbers>
#include <optional>
#include <stdexcept>

namespace strata::cli {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// A value: one number (key "") or numbers keyed by the sweep axes that vary among the
// points a reference selected.
using Value = std::map<std::string, double>;

Value scalar(double x) { return Value{{"", x}}; }
bool is_scalar(const Value& v) { return v.size() == 1 && v.begin()->first.empty(); }

struct ExprError {
  std::size_t offset;
  std::string message;
};
// Data a reference needs is absent (run not done, point failed, no such statistic): the
// finding is reported as not evaluated, the others still are.
struct MissingData {
  std::string reason;
};

bool glob_match(std::string_view pat, std::string_view s) {
  if (pat.empty()) return s.empty();
  if (pat[0] == '*') {
    for (std::size_t i = 0; i <= s.size(); ++i)
      if (glob_match(pat.substr(1), s.substr(i))) return true;
    return false;
  }
  return !s.empty() && pat[0] == s[0] && glob_match(pat.substr(1), s.substr(1));
}

class Context {
 public:
  Context(std::map<std::string, std::string> runs, std::map<std::string, double> constants, std::string workload,
          bool validate_only)
      : runs_(std::move(runs)), constants_(std::move(constants)), workload_(std::move(workload)),
        validate_only_(validate_only) {}

  std::optional<double> constant(const std::string& name) const {
    auto it = constants_.find(name);
    if (it == constants_.end()) return std::nullopt;
    return it->second;
  }
  bool has_run(const std::string& label) const { return runs_.count(label) > 0; }

  Value resolve(const std::string& label, const std::map<std::string, std::string>& select, const std::string& path) {
    if (validate_only_) return scalar(1.0);
    const Input& in = input(label);
    std::vector<const Point*> chosen;
    for (const auto& p : in.points) {
      bool ok = true;
      for (const auto& [axis, want] : select) {
        auto it = p.axes.find(axis);
        if (it == p.axes.end()) throw MissingData{fmt::format("run '{}' has no sweep axis '{}'", label, axis)};
        ok = ok && it->second == want;
      }
      if (ok) chosen.push_back(&p);
    }
    if (chosen.empty()) throw MissingData{fmt::format("no point of '{}' matches the selection", label)};
    // key: the values of the axes that vary among the chosen points
    std::vector<std::string> varying;
    for (const auto& axis : in.axes) {
      if (select.count(axis)) continue;
      for (const auto* p : chosen)
        if (p->axes.at(axis) != chosen.front()->axes.at(axis)) {
          varying.push_back(axis);
          break;
        }
    }
    Value out;
    for (const auto* p : chosen) {
      if (p->status != "ok") throw MissingData{fmt::format("{}: status {}", p->source, p->status)};
      std::string key;
      for (const auto& axis : varying) key += (key.empty() ? "" : " / ") + p->axes.at(axis);
      out[key] = lookup(*p, path);
    }
    return out;
  }

 private:
  const Input& input(const std::string& label) {
    auto it = inputs_.find(label);
    if (it != inputs_.end()) return it->second;
    const std::string& dir = runs_.at(label);
    if (!fs::is_directory(dir)) throw MissingData{fmt::format("{}: not run yet (no such folder)", dir)};
    try {
      return inputs_.emplace(label, load_input(label + "=" + dir, workload_)).first->second;
    } catch (const std::exception& e) {
      throw MissingData{e.what()};
    }
  }
  const json& stats(const Point& p) {
    auto it = stats_.find(p.source);
    if (it == stats_.end()) it = stats_.emplace(p.source, read_json(fs::path(p.source) / "stats.json")).first;
    return it->second;
  }
  double lookup(const Point& p, const std::string& path) {
    if (path.starts_with("@")) {
      static const std::map<std::string, double Point::*> metric{
          {"latency", &Point::latency_s}, {"setup", &Point::setup_s},     {"throughput", &Point::throughput},
          {"tokens", &Point::tokens},     {"energy", &Point::energy_j},   {"dynamic", &Point::dynamic_j},
          {"total", &Point::total_j},     {"efficiency", &Point::seq_per_j}, {"edp", &Point::edp},
          {"energy_always_on", &Point::always_on_j}};
      auto m = metric.find(path.substr(1));
      if (m == metric.end()) throw MissingData{fmt::format("unknown metric '{}'", path)};
      return p.*(m->second);
    }
    const json& s = stats(p);
    if (path.starts_with("totals.") || path.starts_with("simulation.")) {
      const auto dot = path.find('.');
      const json& group = s[path.substr(0, dot)];
      const std::string field = path.substr(dot + 1);
      if (!group.contains(field)) throw MissingData{fmt::format("{}: no '{}' in stats.json", p.source, path)};
      return num(group[field]);
    }
    const json& comps = s["components"];
    // the component is the longest prefix (at a dot) naming a component, or a glob matching some
    for (std::size_t cut = path.rfind('.'); cut != std::string::npos && cut > 0; cut = path.rfind('.', cut - 1)) {
      const std::string comp = path.substr(0, cut), rest = path.substr(cut + 1);
      std::vector<const json*> matched;
      if (comp.find('*') != std::string::npos) {
        for (auto it = comps.begin(); it != comps.end(); ++it)
          if (glob_match(comp, it.key())) matched.push_back(&it.value());
      } else if (comps.contains(comp)) {
        matched.push_back(&comps[comp]);
      }
      if (matched.empty()) continue;
      double sum = 0;
      for (const json* c : matched) sum += field(*c, rest, p.source, comp);
      return sum;
    }
    throw MissingData{fmt::format("{}: no component for '{}'", p.source, path)};
  }
  static double field(const json& c, const std::string& rest, const std::string& source, const std::string& comp) {
    if (rest.starts_with("energy.")) {  // a component without energy books none
      const std::string f = rest.substr(7);
      return c.contains("energy") && c["energy"].contains(f) ? num(c["energy"][f]) : 0.0;
    }
    const json& st = c["stats"];
    if (st.contains(rest)) return num(st[rest]);
    const auto dot = rest.rfind('.');
    if (dot != std::string::npos && st.contains(rest.substr(0, dot))) {
      const std::string f = rest.substr(dot + 1);
      return num(st[rest.substr(0, dot)], f.c_str());
    }
    throw MissingData{fmt::format("{}: component '{}' has no statistic '{}'", source, comp, rest)};
  }

  std::map<std::string, std::string> runs_;
  std::map<std::string, double> constants_;
  std::string workload_;
  bool validate_only_;
  std::map<std::string, Input> inputs_;
  std::map<std::string, json> stats_;
};

// Recursive-descent evaluation of one expression (no AST: expressions are tiny).
class Evaluator {
 public:
  Evaluator(const std::string& text, Context& ctx, const Value* value_var)
      : s_(text), ctx_(ctx), value_(value_var) {}

  Value run() {
    Value v = disjunction();
    skip();
    if (i_ != s_.size()) fail(fmt::format("unexpected '{}'", s_[i_]));
    return v;
  }

 private:
  [[noreturn]] void fail(std::string msg) const { throw ExprError{i_, std::move(msg)}; }
  void skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool eat(std::string_view tok) {
    skip();
    if (s_.compare(i_, tok.size(), tok) == 0) {
      // "<" must not eat the start of "<=", "!" not of "!="
      if (tok.size() == 1 && (tok == "<" || tok == ">" || tok == "!" || tok == "=") && i_ + 1 < s_.size() &&
          s_[i_ + 1] == '=')
        return false;
      i_ += tok.size();
      return true;
    }
    return false;
  }
  template <class F>
  Value combine(const Value& a, const Value& b, F f) {
    Value out;
    if (is_scalar(a)) {
      for (const auto& [k, y] : b) out[k] = f(a.begin()->second, y);
    } else if (is_scalar(b)) {
      for (const auto& [k, x] : a) out[k] = f(x, b.begin()->second);
    } else {
      if (a.size() != b.size()) fail(fmt::format("vectors of {} and {} points do not pair", a.size(), b.size()));
      for (const auto& [k, x] : a) {
        auto it = b.find(k);
        if (it == b.end()) fail(fmt::format("point '{}' of one side has no partner on the other", k));
        out[k] = f(x, it->second);
      }
    }
    return out;
  }
  Value disjunction() {
    Value v = conjunction();
    while (eat("||")) {
      Value w = conjunction();
      v = combine(v, w, [](double a, double b) { return (a != 0 || b != 0) ? 1.0 : 0.0; });
    }
    return v;
  }
  Value conjunction() {
    Value v = comparison();
    while (eat("&&")) {
      Value w = comparison();
      v = combine(v, w, [](double a, double b) { return (a != 0 && b != 0) ? 1.0 : 0.0; });
    }
    return v;
  }
  Value comparison() {
    Value v = sum();
    if (eat("<=")) return combine(v, sum(), [](double a, double b) { return a <= b ? 1.0 : 0.0; });
    if (eat(">=")) return combine(v, sum(), [](double a, double b) { return a >= b ? 1.0 : 0.0; });
    if (eat("==")) return combine(v, sum(), [](double a, double b) { return a == b ? 1.0 : 0.0; });
    if (eat("!=")) return combine(v, sum(), [](double a, double b) { return a != b ? 1.0 : 0.0; });
    if (eat("<")) return combine(v, sum(), [](double a, double b) { return a < b ? 1.0 : 0.0; });
    if (eat(">")) return combine(v, sum(), [](double a, double b) { return a > b ? 1.0 : 0.0; });
    return v;
  }
  Value sum() {
    Value v = product();
    for (;;) {
      if (eat("+")) v = combine(v, product(), std::plus<double>());
      else if (eat("-")) v = combine(v, product(), std::minus<double>());
      else return v;
    }
  }
  Value product() {
    Value v = unary();
    for (;;) {
      if (eat("*")) v = combine(v, unary(), std::multiplies<double>());
      else if (eat("/")) v = combine(v, unary(), std::divides<double>());
      else return v;
    }
  }
  Value unary() {
    if (eat("-")) {
      Value v = unary();
      for (auto& [k, x] : v) x = -x;
      return v;
    }
    if (eat("!")) {
      Value v = unary();
      for (auto& [k, x] : v) x = x == 0 ? 1.0 : 0.0;
      return v;
    }
    return primary();
  }
  Value primary() {
    skip();
    if (i_ >= s_.size()) fail("expression ends too early");
    const char c = s_[i_];
    if (c == '(') {
      ++i_;
      Value v = disjunction();
      if (!eat(")")) fail("expected ')'");
      return v;
    }
    if (c == '{') return reference();
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      std::size_t used = 0;
      double x = 0;
      try {
        x = std::stod(s_.substr(i_), &used);
      } catch (...) {
        fail("bad number");
      }
      i_ += used;
      return scalar(x);
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      const std::size_t at = i_;
      while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) ++i_;
      const std::string name = s_.substr(at, i_ - at);
      if (eat("(")) return call(name, at);
      if (name == "value") {
        if (!value_) {
          i_ = at;
          fail("'value' is only defined in `holds`");
        }
        return *value_;
      }
      if (auto k = ctx_.constant(name)) return scalar(*k);
      i_ = at;
      fail(fmt::format("unknown name '{}' (not a [constants] entry)", name));
    }
    fail(fmt::format("unexpected '{}'", c));
  }
  // {LABEL[axis=v,...]:PATH}
  Value reference() {
    const std::size_t at = i_++;
    const std::size_t close = s_.find('}', i_);
    if (close == std::string::npos) fail("'{' without '}'");
    std::string body = s_.substr(i_, close - i_);
    std::size_t colon = body.find(':'), bracket = body.find('[');
    std::map<std::string, std::string> select;
    std::string label;
    if (bracket != std::string::npos && bracket < colon) {
      label = body.substr(0, bracket);
      const std::size_t end = body.find(']', bracket);
      if (end == std::string::npos) fail("'[' without ']' in a reference");
      std::string sel = body.substr(bracket + 1, end - bracket - 1);
      for (std::size_t p = 0; p <= sel.size();) {
        std::size_t comma = sel.find(',', p);
        if (comma == std::string::npos) comma = sel.size();
        std::string item = sel.substr(p, comma - p);
        const auto eq = item.find('=');
        if (eq == std::string::npos || eq == 0) fail(fmt::format("selector '{}' is not axis=value", item));
        select[item.substr(0, eq)] = item.substr(eq + 1);
        p = comma + 1;
      }
      colon = body.find(':', end);
      if (colon != end + 1) fail("expected ':' after the selector");
    } else {
      if (colon == std::string::npos) fail("a reference is {LABEL:PATH}");
      label = body.substr(0, colon);
    }
    const std::string path = body.substr(colon + 1);
    if (!ctx_.has_run(label)) {
      i_ = at;
      fail(fmt::format("unknown run '{}' (not in [runs])", label));
    }
    if (path.empty()) fail("empty path in a reference");
    i_ = close + 1;
    return ctx_.resolve(label, select, path);
  }
  Value call(const std::string& name, std::size_t at) {
    std::vector<Value> args;
    if (!eat(")")) {
      do args.push_back(disjunction());
      while (eat(","));
      if (!eat(")")) fail("expected ')' or ','");
    }
    auto need = [&](std::size_t n) {
      if (args.size() != n) {
        i_ = at;
        fail(fmt::format("{}() takes {} argument{}", name, n, n == 1 ? "" : "s"));
      }
    };
    auto map1 = [&](double (*f)(double)) {
      need(1);
      Value v = args[0];
      for (auto& [k, x] : v) x = f(x);
      return v;
    };
    auto reduce = [&](auto f, double init) {
      if (args.size() == 2 && (name == "min" || name == "max"))  // min(a, b), max(a, b)
        return combine(args[0], args[1], [&](double a, double b) { return f(a, b); });
      need(1);
      double acc = init;
      for (const auto& [k, x] : args[0]) acc = f(acc, x);
      return scalar(acc);
    };
    if (name == "abs") return map1([](double x) { return std::fabs(x); });
    if (name == "sqrt") return map1([](double x) { return std::sqrt(x); });
    if (name == "exp") return map1([](double x) { return std::exp(x); });
    if (name == "log") return map1([](double x) { return std::log(x); });
    if (name == "pow") {
      need(2);
      return combine(args[0], args[1], [](double a, double b) { return std::pow(a, b); });
    }
    if (name == "min") return reduce([](double a, double b) { return std::min(a, b); }, HUGE_VAL);
    if (name == "max") return reduce([](double a, double b) { return std::max(a, b); }, -HUGE_VAL);
    if (name == "sum") return reduce([](double a, double b) { return a + b; }, 0.0);
    if (name == "count") {
      need(1);
      return scalar(static_cast<double>(args[0].size()));
    }
    if (name == "mean") {
      need(1);
      double s = 0;
      for (const auto& [k, x] : args[0]) s += x;
      return scalar(s / static_cast<double>(args[0].size()));
    }
    if (name == "geomean") {
      need(1);
      double s = 0;
      for (const auto& [k, x] : args[0]) s += std::log(x);
      return scalar(std::exp(s / static_cast<double>(args[0].size())));
    }
    if (name == "dies_per_wafer") {  // gross dies: wafer area / die area - edge loss
      need(2);
      return combine(args[0], args[1], [](double wafer_mm, double die_mm2) {
        const double r = wafer_mm / 2;
        return std::floor(std::numbers::pi * r * r / die_mm2 - std::numbers::pi * wafer_mm / std::sqrt(2 * die_mm2));
      });
    }
    if (name == "yield_nb") {  // negative binomial: (1 + A D0 / alpha)^-alpha, A in cm^2
      need(3);
      Value ad = combine(args[0], args[1], [](double die_mm2, double d0) { return die_mm2 / 100.0 * d0; });
      return combine(ad, args[2], [](double a_d0, double alpha) { return std::pow(1 + a_d0 / alpha, -alpha); });
    }
    i_ = at;
    fail(fmt::format("unknown function '{}'", name));
  }

  const std::string& s_;
  Context& ctx_;
  const Value* value_;
  std::size_t i_ = 0;
};

std::string located(const toml::source_region& where, const std::string& file, std::size_t offset,
                    const std::string& msg) {
  // the expression starts one column after the opening quote of its string
  return fmt::format("{}:{}:{}: error: {}", file, where.begin.line, where.begin.column + 1 + offset, msg);
}

std::string round4(double v) {
  if (std::isnan(v)) return "-";
  if (v != 0 && (std::fabs(v) >= 1e6 || std::fabs(v) < 1e-3)) return fmt::format("{:.3e}", v);
  return fmt::format("{:.4g}", v);
}

std::string show(double x, const std::string& format, const std::string& unit) {
  if (format == "percent") return fmt::format("{:.1f}%", x * 100);
  if (format == "ratio") return round4(x) + "x";
  return round4(x) + (unit.empty() ? "" : " " + unit);
}

std::string show(const Value& v, const std::string& format, const std::string& unit) {
  if (is_scalar(v)) return show(v.begin()->second, format, unit);
  std::string s;
  for (const auto& [k, x] : v) s += (s.empty() ? "" : "; ") + k + ": " + show(x, format, unit);
  return s;
}

std::string md_cell(std::string s) {
  for (std::size_t p = 0; (p = s.find('|', p)) != std::string::npos; p += 2) s.replace(p, 1, "\\|");
  return s;
}

}  // namespace

bool is_findings_file(const std::string& file) {
  try {
    const toml::table root = toml::parse_file(file);
    return root["finding"].is_array();
  } catch (const toml::parse_error&) {
    return false;
  }
}

FindingsReport evaluate_findings(const std::string& file, const std::string& workload, bool validate_only) {
  toml::table root;
  try {
    root = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw std::runtime_error(fmt::format("{}:{}:{}: error: {}", file, b.line, b.column, e.description()));
  }
  auto where = [&](const toml::node& n, const std::string& msg) {
    return std::runtime_error(fmt::format("{}:{}:{}: error: {}", file, n.source().begin.line, n.source().begin.column, msg));
  };
  auto where_key = [&](const toml::key& k, const std::string& msg) {
    return std::runtime_error(fmt::format("{}:{}:{}: error: {}", file, k.source().begin.line, k.source().begin.column, msg));
  };
  std::map<std::string, std::string> runs;
  std::map<std::string, double> constants;
  for (auto&& [key, node] : root) {
    const std::string k(key.str());
    if (k != "runs" && k != "constants" && k != "finding" && k != "title")
      throw where_key(key, fmt::format("unknown key '{}' (expected title, runs, constants, finding)", k));
  }
  if (auto* t = root["runs"].as_table())
    for (auto&& [key, node] : *t) {
      auto s = node.value<std::string>();
      if (!s) throw where(node, fmt::format("runs.{} must be a folder name (string)", key.str()));
      runs[std::string(key.str())] = *s;
    }
  if (auto* t = root["constants"].as_table())
    for (auto&& [key, node] : *t) {
      auto x = node.value<double>();
      if (!x) throw where(node, fmt::format("constants.{} must be a number", key.str()));
      constants[std::string(key.str())] = *x;
    }
  auto* list = root["finding"].as_array();
  if (!list || list->empty()) throw std::runtime_error(fmt::format("{}: error: no [[finding]] entries", file));

  Context ctx(runs, constants, workload, validate_only);
  FindingsReport r;
  r.markdown = "| # | finding | paper | Strata | holds? |\n|---:|---|---|---|:---:|\n";
  r.csv = "finding,paper,strata,holds,detail\n";
  std::string notes;
  int index = 0;
  for (auto& item : *list) {
    ++index;
    auto* f = item.as_table();
    if (!f) throw where(item, "each [[finding]] must be a table");
    for (auto&& [key, node] : *f) {
      const std::string k(key.str());
      if (k != "name" && k != "paper" && k != "value" && k != "format" && k != "unit" && k != "holds" && k != "note")
        throw where_key(key, fmt::format("unknown key '{}' in a finding (name, paper, value, format, unit, holds, note)", k));
    }
    auto text = [&](const char* key, bool required) -> std::string {
      const toml::node* n = f->get(key);
      if (!n) {
        if (required) throw where(item, fmt::format("finding {} has no '{}'", index, key));
        return {};
      }
      auto s = n->value<std::string>();
      if (!s) throw where(*n, fmt::format("'{}' must be a string", key));
      return *s;
    };
    const std::string name = text("name", true), paper = text("paper", true), value_expr = text("value", true);
    const std::string format = text("format", false), unit = text("unit", false), holds_expr = text("holds", false);
    const std::string note = text("note", false);
    if (!format.empty() && format != "percent" && format != "ratio" && format != "number")
      throw where(*f->get("format"), fmt::format("format '{}' is not percent, ratio or number", format));
    auto eval = [&](const std::string& key, const std::string& expr, const Value* v) {
      try {
        return Evaluator(expr, ctx, v).run();
      } catch (const ExprError& e) {
        throw std::runtime_error(located(f->get(key)->source(), file, e.offset, e.message));
      }
    };
    std::string strata_cell, holds_cell, detail;
    try {
      Value v = eval("value", value_expr, nullptr);
      strata_cell = show(v, format, unit);
      ++r.evaluated;
      if (!holds_expr.empty()) {
        Value h = eval("holds", holds_expr, &v);
        if (!is_scalar(h))
          throw std::runtime_error(located(f->get("holds")->source(), file, 0,
                                           "`holds` must give one number: reduce vectors with min/max/..."));
        const bool yes = h.begin()->second != 0;
        holds_cell = yes ? "yes" : "**no**";
        r.holding += yes;
      } else {
        holds_cell = "-";
      }
    } catch (const MissingData& m) {
      strata_cell = "not run";
      holds_cell = "?";
      detail = m.reason;
      ++r.missing;
    }
    r.markdown += fmt::format("| {} | {} | {} | {} | {} |\n", index, md_cell(name), md_cell(paper), md_cell(strata_cell),
                              holds_cell);
    r.csv += fmt::format("{},{},{},{},{}\n", csv_cell(name), csv_cell(paper), csv_cell(strata_cell),
                         csv_cell(holds_cell == "**no**" ? "no" : holds_cell), csv_cell(detail));
    if (!note.empty() || !detail.empty())
      notes += fmt::format("{}. {}{}{}\n", index, note, !note.empty() && !detail.empty() ? " " : "",
                           detail.empty() ? "" : "(not evaluated: " + detail + ")");
  }
  r.markdown += fmt::format("\n{} of {} findings evaluated hold; {} not evaluated (runs missing).\n", r.holding,
                            r.evaluated, r.missing);
  if (!notes.empty()) r.markdown += "\nNotes:\n\n" + notes;
  return r;
}

}  // namespace strata::cli
