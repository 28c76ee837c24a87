#include "sweep.hpp"

#include "builder.hpp"
#include "results.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace strata::detail {

namespace fs = std::filesystem;

namespace {

std::string toml_text(const toml::node& n) {
  std::ostringstream os;
  n.visit([&](auto&& v) { os << v; });
  return os.str();
}

SourceLoc where(const toml::node& n, const std::string& file) {
  return {file, static_cast<int>(n.source().begin.line), static_cast<int>(n.source().begin.column)};
}

std::string point_dir(const std::string& out, std::size_t k) { return (fs::path(out) / "points" / fmt::format("p{:04}", k)).string(); }

std::string csv_cell(std::string s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) s = s.substr(1, s.size() - 2);
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

}  // namespace

SweepPlan plan_sweep(const std::string& file, Diagnostics& diag) {
  SweepPlan plan;
  toml::table root;
  try {
    root = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    diag.error({file, static_cast<int>(e.source().begin.line), static_cast<int>(e.source().begin.column)},
               std::string(e.description()));
    return plan;
  }
  auto* sw = root["sweep"].as_table();
  if (!sw) {
    diag.error({file, 1, 1}, "no [sweep] table: nothing to sweep", "add [sweep.axes] with \"component.param\" = [values]");
    return plan;
  }
  for (auto&& [k, v] : *sw) {
    std::string key(k.str());
    if (key != "mode" && key != "axes" && key != "points" && key != "samples" && key != "seed" && key != "columns") {
      std::string guess = closest_match(key, {"mode", "axes", "points", "samples", "seed", "columns"});
      diag.error(where(v, file), fmt::format("unknown key '{}' in [sweep]", key),
                 guess.empty() ? "keys: mode, axes, points, samples, seed, columns" : fmt::format("did you mean '{}'?", guess));
    }
  }
  std::string mode = (*sw)["mode"].value<std::string>().value_or("grid");
  if (mode != "grid" && mode != "list" && mode != "random")
    diag.error(where(*sw->get("mode"), file), fmt::format("sweep mode must be grid, list or random; got \"{}\"", mode));
  if (auto* cols = (*sw)["columns"].as_array())
    for (auto& c : *cols) {
      if (auto s = c.value<std::string>()) plan.columns.push_back(*s);
      else diag.error(where(c, file), "columns entries must be strings \"component.statistic[.field]\"");
    }
  if (mode == "list") {
    auto* pts = (*sw)["points"].as_array();
    if (!pts || pts->empty()) {
      diag.error(where(*sw, file), "list sweep needs points = [ { \"path\" = value, ... }, ... ]");
      return plan;
    }
    std::set<std::string> axes;
    for (auto& p : *pts) {
      auto* t = p.as_table();
      if (!t) {
        diag.error(where(p, file), "each point must be an inline table of path = value");
        continue;
      }
      for (auto&& [k, v] : *t) axes.insert(std::string(k.str()));
    }
    plan.axes.assign(axes.begin(), axes.end());
    for (auto& p : *pts) {
      auto* t = p.as_table();
      if (!t) continue;
      SweepPoint sp;
      for (const auto& a : plan.axes)
        if (auto* v = t->get(a)) sp.values.emplace_back(a, toml_text(*v));
      plan.points.push_back(std::move(sp));
    }
    return plan;
  }
  auto* axes = (*sw)["axes"].as_table();
  if (!axes || axes->empty()) {
    diag.error(where(*sw, file), "[sweep.axes] is missing or empty", "\"component.param\" = [value, value, ...]");
    return plan;
  }
  std::vector<std::vector<std::string>> values;
  for (auto&& [k, v] : *axes) {
    auto* arr = v.as_array();
    if (!arr || arr->empty()) {
      diag.error(where(v, file), fmt::format("axis '{}' needs a non-empty array of values", k.str()));
      continue;
    }
    plan.axes.emplace_back(k.str());
    values.emplace_back();
    for (auto& e : *arr) values.back().push_back(toml_text(e));
  }
  if (diag.has_errors()) return plan;
  std::size_t total = 1;
  for (auto& v : values) {
    if (total > 1000000 / v.size()) {
      diag.error(where(*axes, file), "the sweep has more than 10^6 points", "use mode = \"random\" with samples = N");
      return plan;
    }
    total *= v.size();
  }
  std::vector<std::size_t> chosen;
  if (mode == "random") {
    auto n = (*sw)["samples"].value<std::int64_t>();
    if (!n || *n <= 0) {
      diag.error(where(*sw, file), "random sweep needs samples = N (N > 0)");
      return plan;
    }
    std::uint64_t state = static_cast<std::uint64_t>((*sw)["seed"].value<std::int64_t>().value_or(1));
    std::set<std::size_t> picked;
    std::size_t want = std::min<std::size_t>(static_cast<std::size_t>(*n), total);
    while (picked.size() < want) picked.insert(static_cast<std::size_t>(splitmix64(state) % total));
    chosen.assign(picked.begin(), picked.end());  // grid order, whatever the draw order
  } else {
    for (std::size_t k = 0; k < total; ++k) chosen.push_back(k);
  }
  for (std::size_t k : chosen) {
    SweepPoint sp;
    std::size_t rest = k;
    std::vector<std::string> row(values.size());
    for (std::size_t a = values.size(); a-- > 0;) {  // last axis fastest
      row[a] = values[a][rest % values[a].size()];
      rest /= values[a].size();
    }
    for (std::size_t a = 0; a < values.size(); ++a) sp.values.emplace_back(plan.axes[a], row[a]);
    plan.points.push_back(std::move(sp));
  }
  return plan;
}

SweepSummary run_sweep(PluginRegistry& registry, const std::string& file, const SweepPlan& plan,
                       const SweepOptions& opts) {
  SweepSummary sum;
  sum.points = plan.points.size();
  // output folder: --out, else the experiment's output.dir
  std::string out = opts.out_dir;
  if (out.empty()) {
    Diagnostics d;
    Builder b(registry, d);
    auto spec = b.load(file, opts.sets);
    out = spec ? spec->output.dir : "out/sweep";
  }
  sum.out_dir = out;
  fs::create_directories(fs::path(out) / "points");
  std::atomic<std::size_t> done{0}, failed{0}, running{0}, reused{0};
  std::mutex io;
  auto t0 = std::chrono::steady_clock::now();
  auto task = [&](std::size_t k) {
    std::string dir = point_dir(out, k);
    if (opts.resume) {
      std::ifstream rj(fs::path(dir) / "run.json");
      if (rj) {
        try {
          auto j = nlohmann::json::parse(rj);
          if (j.value("status", "") == "ok" && fs::exists(fs::path(dir) / "stats.json")) {
            ++reused;
            ++done;
            return;
          }
        } catch (...) {
        }
      }
    }
    ++running;
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::vector<std::string> sets = opts.sets;
    for (const auto& [path, text] : plan.points[k].values) sets.push_back(path + "=" + text);
    sets.push_back("output.dir=" + dir);
    std::string error;
    try {
      Diagnostics diag;
      Builder builder(registry, diag);
      auto spec = builder.load(file, sets);
      std::unique_ptr<Engine> engine;
      if (spec) engine = builder.build(*spec);
      if (!engine) {
        error = diag.str();
      } else {
        RunOptions ro;
        ro.quiet = true;
        auto outcome = run_experiment(*engine, *spec, ro);
        error = outcome.error;
      }
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (!error.empty()) {
      ++failed;
      // a failed point still gets a run.json saying why (never mistaken for complete)
      nlohmann::ordered_json rj{{"status", "error"}, {"error", error}};
      write_file_atomic((fs::path(dir) / "run.json").string(), rj.dump(1) + "\n");
      std::lock_guard<std::mutex> lock(io);
      std::string vals;
      for (const auto& [p, v] : plan.points[k].values) vals += (vals.empty() ? "" : ", ") + p + "=" + v;
      fmt::print(stderr, "sweep: point {} ({}) failed:\n{}\n", k, vals, error);
    }
    --running;
    ++done;
  };
  std::atomic<bool> finished{false};
  std::thread monitor;
  if (opts.progress && isatty(STDERR_FILENO)) {
    monitor = std::thread([&] {
      while (!finished) {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::size_t d = done, n = sum.points;
        double eta = d ? el / static_cast<double>(d) * static_cast<double>(n - d) : 0;
        std::lock_guard<std::mutex> lock(io);
        fmt::print(stderr, "\r  points {}/{} done, {} running, {} failed, ETA {:.0f}s   ", d, n, running.load(),
                   failed.load(), eta);
      }
    });
  }
  {
    boost::asio::thread_pool pool(static_cast<std::size_t>(std::max(1, opts.jobs)));
    for (std::size_t k = 0; k < plan.points.size(); ++k)
      if (static_cast<int>(k % static_cast<std::size_t>(opts.ranks)) == opts.rank)
        boost::asio::post(pool, [&, k] { task(k); });
    pool.join();
  }
  finished = true;
  if (monitor.joinable()) {
    monitor.join();
    fmt::print(stderr, "\r{:80}\r", "");
  }
  sum.failed = failed;
  sum.reused = reused;
  sum.ok = done - failed;
  return sum;
}

std::string merge_sweep_table(const std::string& out, const SweepPlan& plan, SweepSummary& sum) {
  std::string csv = "point";
  for (const auto& a : plan.axes) csv += "," + csv_cell(a);
  csv += ",status,end_time_ps,events,energy_j,dynamic_j,static_j";
  for (const auto& c : plan.columns) csv += "," + csv_cell(c);
  csv += "\n";
  sum.ok = sum.failed = 0;
  for (std::size_t k = 0; k < plan.points.size(); ++k) {
    std::string dir = point_dir(out, k);
    csv += fmt::format("{}", k);
    for (const auto& a : plan.axes) {
      std::string v;
      for (const auto& [p, t] : plan.points[k].values)
        if (p == a) v = t;
      csv += "," + csv_cell(v);
    }
    std::string status = "missing";
    nlohmann::json stats;
    try {
      std::ifstream rj(fs::path(dir) / "run.json");
      if (rj) status = nlohmann::json::parse(rj).value("status", "missing");
      std::ifstream sj(fs::path(dir) / "stats.json");
      if (status == "ok" && sj) stats = nlohmann::json::parse(sj);
    } catch (...) {
      status = "unreadable";
    }
    (status == "ok" ? sum.ok : sum.failed)++;
    csv += "," + status;
    if (!stats.is_null()) {
      csv += fmt::format(",{},{},{},{},{}", stats["simulation"]["end_time_ps"].get<std::uint64_t>(),
                         stats["simulation"]["events"].get<std::uint64_t>(), stats["totals"]["energy_j"].get<double>(),
                         stats["totals"]["dynamic_j"].get<double>(), stats["totals"]["static_j"].get<double>());
      for (const auto& c : plan.columns) {
        // component.statistic[.field]; the component name may contain dots only inside [],
        // a statistic's name may contain dots ("pim.requests"): the field is after the last
        std::string cell;
        auto dot = c.find('.', c.find(']') == std::string::npos ? 0 : c.find(']'));
        if (dot != std::string::npos) {
          std::string comp = c.substr(0, dot), rest = c.substr(dot + 1);
          std::string field;
          const auto& comps = stats["components"];
          const bool whole = comps.contains(comp) && comps[comp]["stats"].contains(rest);
          if (auto d2 = rest.rfind('.'); !whole && d2 != std::string::npos)
            field = rest.substr(d2 + 1), rest = rest.substr(0, d2);
          if (comps.contains(comp) && comps[comp]["stats"].contains(rest)) {
            const auto& v = comps[comp]["stats"][rest];
            cell = v.is_object() ? (v.contains(field.empty() ? "mean" : field) ? v[field.empty() ? "mean" : field].dump() : "")
                                 : v.dump();
          }
        }
        csv += "," + cell;
      }
    } else {
      csv += ",,,,,";
      for (std::size_t i = 0; i < plan.columns.size(); ++i) csv += ",";
    }
    csv += "\n";
  }
  sum.table_path = (fs::path(out) / "sweep.csv").string();
  write_file_atomic(sum.table_path, csv);
  return sum.table_path;
}

}  // namespace strata::detail
