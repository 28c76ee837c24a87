// report_data.cpp - run and sweep folders into report points (see report_data.hpp).
#include "report_data.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace strata::cli {

namespace fs = std::filesystem;
using json = nlohmann::json;

// ---- CSV ------------------------------------------------------------------------------
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false, any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') cell += '"', ++i;
      else if (c == '"') quoted = false;
      else cell += c;
      continue;
    }
    if (c == '"') quoted = true, any = true;
    else if (c == ',') row.push_back(std::move(cell)), cell.clear(), any = true;
    else if (c == '\n') {
      if (any || !cell.empty()) row.push_back(std::move(cell));
      if (!row.empty()) rows.push_back(std::move(row));
      row.clear(), cell.clear(), any = false;
    } else if (c != '\r') cell += c, any = true;
  }
  if (any || !cell.empty()) row.push_back(std::move(cell));
  if (!row.empty()) rows.push_back(std::move(row));
  return rows;
}

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

// A statistic as a number: counters are numbers, accumulators give their sum (or mean).
double num(const json& v, const char* field) {
  if (v.is_number()) return v.get<double>();
  if (v.is_object() && v.contains(field) && v[field].is_number()) return v[field].get<double>();
  return kNaN;
}

json read_json(const fs::path& p) {
  std::ifstream f(p);
  if (!f) throw std::runtime_error(fmt::format("{}: cannot open", p.string()));
  try {
    return json::parse(f);
  } catch (const json::exception& e) {
    throw std::runtime_error(fmt::format("{}: not valid JSON: {}", p.string(), e.what()));
  }
}

void metrics(Point& pt, const json& stats, const std::string& workload) {
  const double end_ps = num(stats["simulation"]["end_time_ps"]);
  const double dyn = num(stats["totals"]["dynamic_j"]), stat = num(stats["totals"]["static_j"]);
  pt.total_j = num(stats["totals"]["energy_j"]);
  const auto& comps = stats["components"];
  if (comps.contains(workload) && comps[workload]["stats"].contains("latency")) {
    const auto& ws = comps[workload]["stats"];
    const double lat_ps = num(ws["latency"]);
    pt.latency_s = lat_ps * 1e-12;
    pt.setup_s = ws.contains("setup_time") ? num(ws["setup_time"]) * 1e-12 : 0.0;
    pt.throughput = ws.contains("throughput") ? num(ws["throughput"], "mean") : kNaN;
    pt.tokens = ws.contains("token_throughput") ? num(ws["token_throughput"], "mean") : kNaN;
    const double setup_j = ws.contains("setup_energy") ? num(ws["setup_energy"]) : 0.0;
    // the replay's share: its dynamic energy and the static power over its duration
    pt.dynamic_j = dyn - (std::isnan(setup_j) ? 0.0 : setup_j);
    pt.energy_j = pt.dynamic_j + (end_ps > 0 ? stat * lat_ps / end_ps : 0.0);
  } else {  // no workload driver: the whole run
    pt.latency_s = end_ps * 1e-12;
    pt.setup_s = 0;
    pt.energy_j = pt.total_j;
    pt.dynamic_j = dyn;
  }
  // power gating: what the gated cores would have drawn always on, in the replay's share
  double gated_extra = 0;
  for (const auto& [name, c] : comps.items())
    if (c.contains("stats") && c["stats"].contains("always_on_static") && c.contains("energy"))
      gated_extra += num(c["stats"]["always_on_static"]) - num(c["energy"]["static_j"]);
  pt.always_on_j = pt.energy_j + (end_ps > 0 ? gated_extra * pt.latency_s * 1e12 / end_ps : 0.0);
  const double sequences = pt.throughput * pt.latency_s;
  pt.seq_per_j = pt.energy_j > 0 ? sequences / pt.energy_j : kNaN;
  pt.edp = pt.energy_j * pt.latency_s;
}

Input load_input(const std::string& arg, const std::string& workload) {
  Input in;
  auto eq = arg.find('=');
  if (eq != std::string::npos && arg.substr(0, eq).find('/') == std::string::npos && eq > 0) {
    in.label = arg.substr(0, eq);
    in.dir = arg.substr(eq + 1);
  } else {
    in.dir = arg;
  }
  fs::path dir(in.dir);
  if (in.label.empty()) in.label = fs::path(in.dir).lexically_normal().filename().string();
  if (in.label.empty() || in.label == ".") in.label = fs::absolute(dir).lexically_normal().parent_path().filename().string();
  if (!fs::is_directory(dir)) throw std::runtime_error(fmt::format("{}: no such folder", in.dir));
  if (fs::exists(dir / "sweep.csv")) {
    std::ifstream f(dir / "sweep.csv");
    std::stringstream ss;
    ss << f.rdbuf();
    auto rows = parse_csv(ss.str());
    if (rows.empty() || rows[0].empty() || rows[0][0] != "point")
      throw std::runtime_error(fmt::format("{}: not a strata sweep table (no 'point' column)", (dir / "sweep.csv").string()));
    const auto& head = rows[0];
    auto st = std::find(head.begin(), head.end(), "status");
    if (st == head.end())
      throw std::runtime_error(fmt::format("{}: no 'status' column", (dir / "sweep.csv").string()));
    const std::size_t status_col = static_cast<std::size_t>(st - head.begin());
    in.axes.assign(head.begin() + 1, st);
    for (std::size_t r = 1; r < rows.size(); ++r) {
      const auto& row = rows[r];
      if (row.size() <= status_col) continue;
      Point pt;
      for (std::size_t a = 0; a < in.axes.size(); ++a) pt.axes[in.axes[a]] = row[a + 1];
      pt.status = row[status_col];
      std::size_t k = 0;
      try {
        k = std::stoul(row[0]);
      } catch (...) {
        throw std::runtime_error(fmt::format("{}: row {}: bad point number '{}'", (dir / "sweep.csv").string(), r, row[0]));
      }
      fs::path pdir = dir / "points" / fmt::format("p{:04}", k);
      pt.source = pdir.string();
      if (pt.status == "ok") {
        if (fs::exists(pdir / "stats.json"))
          metrics(pt, read_json(pdir / "stats.json"), workload);
        else
          pt.status = "missing";
      }
      in.points.push_back(std::move(pt));
    }
  } else if (fs::exists(dir / "stats.json")) {
    Point pt;
    pt.source = dir.string();
    if (fs::exists(dir / "run.json")) pt.status = read_json(dir / "run.json").value("status", "missing");
    if (pt.status == "ok") metrics(pt, read_json(dir / "stats.json"), workload);
    in.points.push_back(std::move(pt));
  } else {
    throw std::runtime_error(fmt::format("{}: neither a sweep folder (sweep.csv) nor a run folder (stats.json)", in.dir));
  }
  return in;
}

}  // namespace strata::cli
