// report_command.cpp - `strata report` (see report_command.hpp for what it computes).
#include "report_command.hpp"
#include "findings.hpp"
#include "report_data.hpp"

#include "../src/results.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <strata/units.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace strata::cli {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// ---- formatting -------------------------------------------------------------------------
// chart labels: 4 significant digits, no unit (the axis says it)
std::string g4(double v) { return std::isnan(v) ? "-" : format_significant(v); }
std::string csvnum(double v) { return std::isnan(v) ? "" : fmt::format("{:.9g}", v); }

std::string xml(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else if (c == '"') o += "&quot;";
    else o += c;
  }
  return o;
}

std::string short_axis(const std::string& a) {
  auto d = a.rfind('.');
  return d == std::string::npos ? a : a.substr(d + 1);
}

double geomean(const std::vector<double>& v) {
  double s = 0;
  int n = 0;
  for (double x : v)
    if (!std::isnan(x) && x > 0) s += std::log(x), ++n;
  return n ? std::exp(s / n) : kNaN;
}

// Grouped bar chart: groups on x, one bar per series; log y axis when the values span more
// than 30x; a dashed line at `ref` (1 for normalised charts; NaN for none).
std::string svg_bars(const std::string& title, const std::string& unit, const std::vector<std::string>& groups,
                     const std::vector<std::string>& series, const std::vector<std::vector<double>>& v, double ref) {
  static const char* palette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                                  "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (const auto& row : v)
    for (double x : row)
      if (!std::isnan(x) && x > 0) lo = std::min(lo, x), hi = std::max(hi, x);
  if (!std::isnan(ref)) lo = std::min(lo, ref), hi = std::max(hi, ref);
  if (!(hi > 0)) lo = 0.1, hi = 1;
  const bool logy = hi / lo > 30;
  double y0, y1;  // axis range (log10 units when logy)
  std::vector<double> ticks;
  if (logy) {
    y0 = std::floor(std::log10(lo));
    y1 = std::ceil(std::log10(hi));
    if (y1 <= y0) y1 = y0 + 1;
    for (double t = y0; t <= y1 + 1e-9; t += 1) ticks.push_back(t);
  } else {
    y0 = 0;
    const double raw = hi / 5, mag = std::pow(10, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
      if (m * mag >= raw) {
        step = m * mag;
        break;
      }
    y1 = std::ceil(hi / step) * step;
    for (double t = 0; t <= y1 + step * 1e-9; t += step) ticks.push_back(t);
  }
  const int bar = 14, gap = 22, right = 20, top = 46, plot_h = 220;
  const int group_w = static_cast<int>(series.size()) * bar + gap;
  const int plot_w = std::max(320, static_cast<int>(groups.size()) * group_w);
  std::size_t longest = 0;
  for (const auto& g : groups) longest = std::max(longest, g.size());
  // x labels are rotated -35 degrees and end under their group: the first one must fit
  const int label_w = static_cast<int>(static_cast<double>(std::min<std::size_t>(longest, 40)) * 6.0 * 0.82);
  const int left = std::max(70, label_w + 10 - group_w / 2);
  const int label_h = static_cast<int>(std::min<std::size_t>(longest, 40) * 5) + 20;
  const int legend_h = 18 * static_cast<int>((series.size() + 3) / 4) + 8;
  const int width = left + plot_w + right, height = top + plot_h + label_h + legend_h;
  auto ypix = [&](double x) {
    double t = logy ? std::log10(std::max(x, std::pow(10, y0))) : x;
    return top + plot_h - (t - y0) / (y1 - y0) * plot_h;
  };
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      width, height, width, height);
  s += fmt::format("<text x=\"{}\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{}</text>\n", left, xml(title));
  s += fmt::format("<text x=\"{}\" y=\"34\" fill=\"#555\">{}{}</text>\n", left, xml(unit),
                   logy ? " (log scale)" : "");
  for (double t : ticks) {
    double y = top + plot_h - (t - y0) / (y1 - y0) * plot_h;
    std::string lab = logy ? g4(std::pow(10, t)) : g4(t);
    s += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n", left, left + plot_w, y, y);
    s += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", left - 6, y + 4, lab);
  }
  s += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"#333\"/>\n", left, left + plot_w,
                   top + plot_h, top + plot_h);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const int gx = left + static_cast<int>(g) * group_w + gap / 2;
    for (std::size_t k = 0; k < series.size(); ++k) {
      double x = k < v[g].size() ? v[g][k] : kNaN;
      if (std::isnan(x) || x <= 0) continue;
      double y = ypix(x);
      s += fmt::format(
          "<rect x=\"{}\" y=\"{:.1f}\" width=\"{}\" height=\"{:.1f}\" fill=\"{}\"><title>{} / {}: {}</title></rect>\n",
          gx + static_cast<int>(k) * bar, y, bar - 2, top + plot_h - y, palette[k % 10], xml(groups[g]),
          xml(series[k]), g4(x));
    }
    const int cx = gx + static_cast<int>(series.size()) * bar / 2;
    s += fmt::format("<text transform=\"translate({},{}) rotate(-35)\" text-anchor=\"end\">{}</text>\n", cx,
                     top + plot_h + 14, xml(groups[g].size() > 40 ? groups[g].substr(0, 39) + "~" : groups[g]));
  }
  if (!std::isnan(ref)) {
    double y = ypix(ref);
    s += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#000\" stroke-dasharray=\"4 3\"/>\n",
                     left, left + plot_w, y, y);
  }
  const int ly = top + plot_h + label_h;
  for (std::size_t k = 0; k < series.size(); ++k) {
    int lx = left + static_cast<int>(k % 4) * 150, yy = ly + 18 * static_cast<int>(k / 4);
    s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/>", lx, yy, palette[k % 10]);
    s += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", lx + 16, yy + 10, xml(series[k]));
  }
  s += "</svg>\n";
  return s;
}

}  // namespace

ReportCommand::ReportCommand(CLI::App& app) {
  sub_ = app.add_subcommand("report", "Markdown report (tables, SVG charts, speedups) from sweep or run folders");
  sub_->add_option("inputs", inputs_, "[LABEL=]DIR: a sweep folder (sweep.csv) or a run folder (stats.json)");
  sub_->add_option("--findings", findings_,
                   "TOML file of claims checked against results: the report opens with a "
                   "finding | paper | Strata | holds? table (kernel/cli/findings.hpp)");
  sub_->add_option("--out", out_, "Markdown file to write (SVGs and a .csv go next to it)");
  sub_->add_option("--baseline", baseline_, "Design the ratios are normalised to (default: the first)");
  sub_->add_option("--design-axis", design_axis_, "Sweep axis whose value names the design (default: the input label)");
  sub_->add_option("--workload", workload_, "Name of the workload driver component (default wl)");
  sub_->add_option("--title", title_, "Report title");
  sub_->add_flag("--no-charts", no_charts_, "Tables only");
}

int ReportCommand::run() const {
  if (inputs_.empty() && findings_.empty()) {
    fmt::print(stderr, "strata report: error: give run or sweep folders, or --findings FILE\n");
    return 2;
  }
  FindingsReport findings;
  if (!findings_.empty()) {
    try {
      findings = evaluate_findings(findings_, workload_);
    } catch (const std::exception& e) {
      fmt::print(stderr, "{}\n", e.what());
      return 2;
    }
    if (inputs_.empty()) return write_findings_only(findings);
  }
  std::vector<Input> inputs;
  try {
    for (const auto& a : inputs_) inputs.push_back(load_input(a, workload_));
  } catch (const std::exception& e) {
    fmt::print(stderr, "strata report: error: {}\n", e.what());
    return 2;
  }
  // axes: union in first-seen order; the design axis and constant axes are not group keys
  std::vector<std::string> axes;
  for (const auto& in : inputs)
    for (const auto& a : in.axes)
      if (std::find(axes.begin(), axes.end(), a) == axes.end()) axes.push_back(a);
  if (!design_axis_.empty() && std::find(axes.begin(), axes.end(), design_axis_) == axes.end()) {
    fmt::print(stderr, "strata report: error: --design-axis '{}' is not an axis of the inputs\n", design_axis_);
    return 2;
  }
  // An axis is a group key when it takes several values within one input; an axis constant
  // within every input (e.g. micro_batches = 4 on a chip, 1 on the GPU) is a per-design setting.
  std::vector<std::string> key_axes;
  std::map<std::string, std::string> fixed;  // constant across all inputs
  for (const auto& a : axes) {
    if (a == design_axis_) continue;
    bool varies = false;
    std::set<std::string> all;
    for (const auto& in : inputs) {
      std::set<std::string> values;
      for (const auto& p : in.points) values.insert(p.axes.count(a) ? p.axes.at(a) : "");
      varies = varies || values.size() > 1;
      all.insert(values.begin(), values.end());
    }
    if (varies) key_axes.push_back(a);
    else if (all.size() == 1) fixed[a] = *all.begin();
  }
  auto settings_of = [&](const Input& in) {
    std::string s;
    for (const auto& a : in.axes) {
      if (a == design_axis_ || fixed.count(a) ||
          std::find(key_axes.begin(), key_axes.end(), a) != key_axes.end() || in.points.empty())
        continue;
      s += (s.empty() ? "" : ", ") + fmt::format("`{}` = {}", a, in.points.front().axes.at(a));
    }
    return s.empty() ? std::string("-") : s;
  };
  std::vector<std::string> designs, groups;
  std::vector<Point> points;
  for (auto& in : inputs)
    for (auto& p : in.points) {
      if (design_axis_.empty()) p.design = in.label;
      else p.design = (inputs.size() > 1 ? in.label + ":" : std::string()) + (p.axes.count(design_axis_) ? p.axes[design_axis_] : "");
      std::string g;
      for (const auto& a : key_axes) g += (g.empty() ? "" : " / ") + (p.axes.count(a) ? p.axes[a] : std::string("-"));
      p.group = g.empty() ? "all" : g;
      if (std::find(designs.begin(), designs.end(), p.design) == designs.end()) designs.push_back(p.design);
      if (std::find(groups.begin(), groups.end(), p.group) == groups.end()) groups.push_back(p.group);
      points.push_back(p);
    }
  if (points.empty()) {
    fmt::print(stderr, "strata report: error: the inputs hold no points\n");
    return 2;
  }
  const std::string base = baseline_.empty() ? designs.front() : baseline_;
  if (std::find(designs.begin(), designs.end(), base) == designs.end()) {
    std::string all;
    for (const auto& d : designs) all += (all.empty() ? "" : ", ") + d;
    fmt::print(stderr, "strata report: error: --baseline '{}' is not a design of the inputs ({})\n", base, all);
    return 2;
  }
  // cell lookup: (group, design) -> first ok point
  std::map<std::pair<std::string, std::string>, const Point*> cell;
  std::vector<const Point*> failed;
  for (const auto& p : points) {
    if (p.status != "ok") {
      failed.push_back(&p);
      continue;
    }
    cell.emplace(std::make_pair(p.group, p.design), &p);
  }
  auto get = [&](const std::string& g, const std::string& d) -> const Point* {
    auto it = cell.find({g, d});
    return it == cell.end() ? nullptr : it->second;
  };
  // Tables print each cell with its own SI prefix (format_si of the value in base units);
  // a chart needs one axis unit, so it plots value x scale in `unit`.
  struct Metric {
    std::string key, title, unit;
    double scale;
    double Point::*field;
    std::string base_unit, note;
  };
  const std::vector<Metric> absolute{
      {"latency", "Latency", "ms (replay, after weight setup)", 1e3, &Point::latency_s, "s", "replay, after weight setup"},
      {"throughput", "Throughput", "sequences/s", 1, &Point::throughput, "seq/s", "sequences per second"},
      {"energy", "Energy", "mJ (replay share)", 1e3, &Point::energy_j, "J", "replay share"},
      {"dynamic", "Dynamic energy", "mJ (replay, without static power)", 1e3, &Point::dynamic_j, "J",
       "replay, without static power"},
      {"always_on", "Energy, cores always on", "mJ (replay share; gated cores charged their leakage throughout)", 1e3,
       &Point::always_on_j, "J", "replay share, gated cores charged their leakage throughout"},
      {"efficiency", "Energy efficiency", "sequences/J", 1, &Point::seq_per_j, "seq/J", "sequences per joule"},
      {"edp", "Energy-delay product", "mJ x ms", 1e6, &Point::edp, "J s", "energy x latency"},
  };
  auto ratio = [&](const std::string& g, const std::string& d, double Point::*f) {
    const Point *p = get(g, d), *b = get(g, base);
    if (!p || !b) return kNaN;
    return (b->*f) / (p->*f);  // baseline / this: > 1 means this design is better
  };
  const std::vector<std::pair<std::string, double Point::*>> normalised{
      {"speedup", &Point::latency_s},
      {"energy_gain", &Point::energy_j},
      {"edp_gain", &Point::edp},
      {"dynamic_energy_gain", &Point::dynamic_j}};

  // ---- Markdown ----
  fs::path out(out_);
  const std::string stem = out.stem().string();
  const fs::path folder = out.parent_path();
  std::string md = fmt::format("# {}\n\n", title_);
  md += "Generated by `strata report";
  for (const auto& a : inputs_) md += " " + a;
  if (!baseline_.empty()) md += " --baseline " + baseline_;
  if (!design_axis_.empty()) md += " --design-axis " + design_axis_;
  if (!findings_.empty()) md += " --findings " + findings_;
  md += fmt::format(" --out {}`.\n\n", out_);
  if (!findings_.empty()) md += "## Findings\n\n" + findings.markdown + "\n## Inputs\n\n";
  md += "| input | source | own settings | points ok | failed |\n|---|---|---|---|---|\n";
  for (const auto& in : inputs) {
    std::size_t ok = 0, bad = 0;
    for (const auto& p : in.points) (p.status == "ok" ? ok : bad)++;
    md += fmt::format("| {} | `{}` | {} | {} | {} |\n", in.label, in.dir, settings_of(in), ok, bad);
  }
  if (!fixed.empty()) {
    md += "\nSettings common to every point: ";
    std::string f;
    for (const auto& [a, v] : fixed) f += (f.empty() ? "" : ", ") + fmt::format("`{}` = {}", a, v);
    md += f + ".\n";
  }
  std::string key_head;
  for (const auto& a : key_axes) key_head += (key_head.empty() ? "" : " / ") + short_axis(a);
  if (key_head.empty()) key_head = "point";
  md += fmt::format(
      "\nRatios are normalised to **{}** (baseline / design: above 1 the design is faster or uses less "
      "energy). Latency is the workload's replay time after the one-time setup phase (ReRAM weight "
      "programming); energy is the replay's share: dynamic energy minus the setup's, plus static power "
      "over the replay. Efficiency = sequences / energy; EDP = energy x latency.\n",
      base);
  auto table = [&](const std::string& head, auto value, bool with_geomean, const std::string& unit) {
    // ratios as plain numbers ("0.6731"), quantities with an SI prefix ("84.13 us")
    auto cell = [&unit](double x) {
      return std::isnan(x) ? std::string("-") : unit.empty() ? format_significant(x) : format_si(x, unit);
    };
    std::string t = fmt::format("\n| {} |", key_head);
    std::string sep = "\n|---|";
    for (const auto& d : designs) t += fmt::format(" {}{} |", d, d == base ? " (baseline)" : ""), sep += "---:|";
    t += sep + "\n";
    std::vector<std::vector<double>> cols(designs.size());
    for (const auto& g : groups) {
      t += fmt::format("| {} |", g);
      for (std::size_t k = 0; k < designs.size(); ++k) {
        double x = value(g, designs[k]);
        cols[k].push_back(x);
        t += " " + cell(x) + " |";
      }
      t += "\n";
    }
    if (with_geomean && groups.size() > 1) {
      t += "| **geometric mean** |";
      for (std::size_t k = 0; k < designs.size(); ++k) t += " **" + cell(geomean(cols[k])) + "** |";
      t += "\n";
    }
    return "\n" + head + "\n" + t;
  };
  std::vector<std::pair<std::string, std::string>> svgs;  // file name, content
  auto chart = [&](const std::string& key, const std::string& title, const std::string& unit, auto value, double ref) {
    if (no_charts_) return std::string();
    std::vector<std::vector<double>> v;
    for (const auto& g : groups) {
      v.emplace_back();
      for (const auto& d : designs) v.back().push_back(value(g, d));
    }
    std::string file = stem + "_" + key + ".svg";
    svgs.emplace_back(file, svg_bars(title, unit, groups, designs, v, ref));
    return fmt::format("\n![{}]({})\n", title, file);
  };
  md += "\n## Normalised to " + base + "\n";
  const char* ntitles[] = {"Speedup", "Energy improvement", "EDP improvement", "Dynamic-energy improvement"};
  const char* nunits[] = {"x (latency of the baseline / latency)", "x (energy of the baseline / energy)",
                          "x (EDP of the baseline / EDP)",
                          "x (dynamic energy of the baseline / dynamic energy; static power left out)"};
  for (std::size_t i = 0; i < normalised.size(); ++i) {
    auto f = normalised[i].second;
    auto value = [&, f](const std::string& g, const std::string& d) { return ratio(g, d, f); };
    md += table(fmt::format("### {} vs {} ({})", ntitles[i], base, nunits[i]), value, true, "");
    md += chart(normalised[i].first, fmt::format("{} vs {}", ntitles[i], base), nunits[i], value, 1.0);
  }
  md += "\n## Absolute numbers\n";
  for (const auto& m : absolute) {
    auto f = m.field;
    double sc = m.scale;
    auto base_value = [&, f](const std::string& g, const std::string& d) {
      const Point* p = get(g, d);
      return p ? p->*f : kNaN;
    };
    auto value = [&, sc, base_value](const std::string& g, const std::string& d) { return base_value(g, d) * sc; };
    md += table(fmt::format("### {} ({})", m.title, m.note), base_value, false, m.base_unit);
    if (m.key == "latency" || m.key == "energy") md += chart(m.key, m.title, m.unit, value, kNaN);
  }
  if (!failed.empty()) {
    md += "\n## Points that did not complete\n\n| design | point | status | folder |\n|---|---|---|---|\n";
    for (const auto* p : failed) md += fmt::format("| {} | {} | {} | `{}` |\n", p->design, p->group, p->status, p->source);
  }
  // ---- heat maps a thermal model left in a point's folder (heatmap.<component>.tier<T>.svg):
  // copied beside the report, one row of tiers per point
  std::vector<std::pair<fs::path, std::string>> heatmaps;  // source file, name beside the report
  std::string heat_md;
  for (const auto& g : groups)
    for (const auto& d : designs) {
      const Point* p = get(g, d);
      std::error_code ec;
      if (!p || no_charts_ || !fs::is_directory(p->source, ec)) continue;
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(p->source, ec)) {
        const std::string f = e.path().filename().string();
        if (f.rfind("heatmap.", 0) == 0 && e.path().extension() == ".svg") files.push_back(e.path());
      }
      if (files.empty()) continue;
      std::sort(files.begin(), files.end());
      std::string tag;
      for (char c : d + "_" + g) tag += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      heat_md += fmt::format("\n### {} | {}\n\n", d, g);
      for (const auto& f : files) {
        heatmaps.emplace_back(f, stem + "_" + tag + "_" + f.filename().string());
        heat_md += fmt::format("![{}]({}) ", f.stem().string(), heatmaps.back().second);
      }
      heat_md += "\n";
    }
  if (!heat_md.empty()) md += "\n## Heat maps (each tier at the hottest instant)\n" + heat_md;
  // ---- CSV: every number ----
  std::string csv = "group,design,status,latency_s,setup_s,throughput_seq_s,tokens_s,energy_j,total_energy_j,seq_per_j,"
                    "edp_js,dynamic_j,speedup,energy_gain,edp_gain,dynamic_energy_gain\n";
  for (const auto& g : groups)
    for (const auto& d : designs) {
      const Point* p = get(g, d);
      if (!p) continue;
      csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_cell(g), csv_cell(d), p->status,
                         csvnum(p->latency_s), csvnum(p->setup_s), csvnum(p->throughput), csvnum(p->tokens),
                         csvnum(p->energy_j), csvnum(p->total_j), csvnum(p->seq_per_j), csvnum(p->edp), csvnum(p->dynamic_j),
                         csvnum(ratio(g, d, &Point::latency_s)), csvnum(ratio(g, d, &Point::energy_j)),
                         csvnum(ratio(g, d, &Point::edp)), csvnum(ratio(g, d, &Point::dynamic_j)));
    }
  try {
    if (!folder.empty()) fs::create_directories(folder);
    detail::write_file_atomic(out.string(), md);
    detail::write_file_atomic((folder / (stem + ".csv")).string(), csv);
    for (const auto& [file, content] : svgs) detail::write_file_atomic((folder / file).string(), content);
    for (const auto& [from, name] : heatmaps) fs::copy_file(from, folder / name, fs::copy_options::overwrite_existing);
    if (!findings_.empty()) detail::write_file_atomic((folder / (stem + "_findings.csv")).string(), findings.csv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "strata report: error: cannot write {}: {}\n", out.string(), e.what());
    return 1;
  }
  if (!findings_.empty())
    fmt::print("findings     {} of {} evaluated hold, {} not evaluated\n", findings.holding, findings.evaluated,
               findings.missing);
  fmt::print("report       {} ({} designs x {} groups, baseline {}{})\n", out.string(), designs.size(), groups.size(),
             base, failed.empty() ? "" : fmt::format(", {} points failed", failed.size()));
  // the headline on the terminal: geometric-mean ratios per design
  for (const auto& d : designs) {
    std::vector<double> sp, en;
    for (const auto& g : groups) sp.push_back(ratio(g, d, &Point::latency_s)), en.push_back(ratio(g, d, &Point::energy_j));
    fmt::print("  {:<24} speedup {:>7}x   energy gain {:>7}x  (geomean vs {})\n", d, format_significant(geomean(sp)),
               format_significant(geomean(en)), base);
  }
  return 0;
}

int ReportCommand::write_findings_only(const FindingsReport& findings) const {
  fs::path out(out_);
  const fs::path folder = out.parent_path();
  std::string md = fmt::format("# {}\n\nGenerated by `strata report --findings {} --out {}`.\n\n## Findings\n\n{}",
                               title_, findings_, out_, findings.markdown);
  try {
    if (!folder.empty()) fs::create_directories(folder);
    detail::write_file_atomic(out.string(), md);
    detail::write_file_atomic((folder / (out.stem().string() + "_findings.csv")).string(), findings.csv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "strata report: error: cannot write {}: {}\n", out.string(), e.what());
    return 1;
  }
  fmt::print("findings     {} ({} of {} evaluated hold, {} not evaluated)\n", out.string(), findings.holding,
             findings.evaluated, findings.missing);
  return 0;
}

}  // namespace strata::cli
