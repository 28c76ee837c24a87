#include "results.hpp"

#include "trace_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace strata::detail {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

void write_file_atomic(const std::string& path, const std::string& content) {
  std::string tmp = path + ".partial";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw std::runtime_error(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
    f << content;
    f.flush();
    if (!f) throw std::runtime_error(fmt::format("{}: write failed: {}", path, std::strerror(errno)));
  }
  fs::rename(tmp, path);
}

ojson stats_json(const Engine& engine, const RunResult& r, const ExperimentSpec& spec) {
  ojson j;
  j["format"] = "strata-stats";
  j["version"] = 1;
  j["experiment"] = {{"name", spec.name}, {"seed", spec.seed}};
  j["simulation"] = {{"end_time_ps", r.end_time},
                     {"end_time", format_time(r.end_time)},
                     {"events", r.events},
                     {"stop_reason", to_string(r.reason)}};
  double dyn_total = 0, static_total = 0;
  ojson comps = ojson::object();
  std::vector<const Component*> order;
  for (const auto& c : engine.components()) order.push_back(c.get());
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->name() < b->name(); });
  for (const Component* c : order) {
    ojson cj;
    cj["type"] = c->type();
    ojson sj = ojson::object();
    for (const auto& s : c->stat_entries()) {
      switch (s.kind) {
        case Component::StatEntry::Kind::counter: sj[*s.name] = s.counter().value(); break;
        case Component::StatEntry::Kind::accumulator: {
          const auto& a = s.accumulator();
          sj[*s.name] = {{"count", a.count()}, {"sum", a.sum()}, {"mean", a.mean()},
                        {"min", a.min()},     {"max", a.max()}, {"stddev", a.stddev()}};
          break;
        }
        case Component::StatEntry::Kind::histogram: {
          const auto& h = s.histogram();
          const auto& a = h.summary();
          sj[*s.name] = {{"count", a.count()}, {"mean", a.mean()},        {"min", a.min()},
                        {"max", a.max()},     {"lo", h.lo()},            {"hi", h.hi()},
                        {"bins", h.bins()},   {"underflow", h.underflow()}, {"overflow", h.overflow()}};
          break;
        }
      }
    }
    cj["stats"] = std::move(sj);
    double dyn = 0;
    ojson ej = ojson::object();
    for (const auto& e : c->energy_entries()) {
      ej[e.action] = {{"count", e.ledger->count()}, {"joules", e.ledger->joules()}};
      dyn += e.ledger->joules();
    }
    // Components that never changed their static power: power x run time, as always.
    double stat = c->static_energy(r.end_time);
    if (dyn > 0 || stat > 0 || !c->energy_entries().empty()) {
      cj["energy"] = {{"dynamic", std::move(ej)},
                      {"dynamic_j", dyn},
                      {"static_power_w", c->static_power()},
                      {"static_j", stat},
                      {"total_j", dyn + stat}};
    }
    dyn_total += dyn;
    static_total += stat;
    comps[c->name()] = std::move(cj);
  }
  j["totals"] = {{"energy_j", dyn_total + static_total}, {"dynamic_j", dyn_total}, {"static_j", static_total},
                 {"components", order.size()}};
  j["components"] = std::move(comps);
  return j;
}

namespace {
std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}
std::string num(const ojson& v) {
  if (v.is_number_float()) return fmt::format("{}", v.get<double>());
  return v.dump();
}
}  // namespace

std::string stats_csv(const ojson& stats) {
  std::string out = "component,type,group,name,field,value\n";
  for (const auto& [name, c] : stats["components"].items()) {
    std::string prefix = csv_escape(name) + "," + csv_escape(c["type"].get<std::string>()) + ",";
    for (const auto& [sname, v] : c["stats"].items()) {
      if (v.is_object()) {
        for (const auto& [field, fv] : v.items()) {
          if (fv.is_array()) {
            for (std::size_t i = 0; i < fv.size(); ++i)
              out += prefix + "stat," + csv_escape(sname) + "," + fmt::format("bin{}", i) + "," + num(fv[i]) + "\n";
          } else {
            out += prefix + "stat," + csv_escape(sname) + "," + field + "," + num(fv) + "\n";
          }
        }
      } else {
        out += prefix + "stat," + csv_escape(sname) + ",value," + num(v) + "\n";
      }
    }
    if (c.contains("energy")) {
      const auto& e = c["energy"];
      for (const auto& [action, v] : e["dynamic"].items()) {
        out += prefix + "energy," + csv_escape(action) + ",count," + num(v["count"]) + "\n";
        out += prefix + "energy," + csv_escape(action) + ",joules," + num(v["joules"]) + "\n";
      }
      out += prefix + "energy,static,joules," + num(e["static_j"]) + "\n";
      out += prefix + "energy,total,joules," + num(e["total_j"]) + "\n";
    }
  }
  return out;
}

std::string summary_text(const ojson& s, const Engine* engine) {
  std::string o;
  const auto& sim = s["simulation"];
  o += fmt::format("experiment   {} (seed {})\n", s["experiment"]["name"].get<std::string>(),
                   s["experiment"]["seed"].get<std::uint64_t>());
  // for people: 4 significant digits with units (format_si); stats.json keeps every digit
  o += fmt::format("simulated    {}  ({} events, stopped by {})\n", format_duration(sim["end_time_ps"].get<Time>()),
                   sim["events"].get<std::uint64_t>(), sim["stop_reason"].get<std::string>());
  const auto& t = s["totals"];
  o += fmt::format("energy       {} total = {} dynamic + {} static, {} components\n",
                   format_si(t["energy_j"].get<double>(), "J"), format_si(t["dynamic_j"].get<double>(), "J"),
                   format_si(t["static_j"].get<double>(), "J"), t["components"].get<std::size_t>());
  // energy by component type
  std::map<std::string, double> by_type;
  for (const auto& [name, c] : s["components"].items())
    if (c.contains("energy")) by_type[c["type"].get<std::string>()] += c["energy"]["total_j"].get<double>();
  if (!by_type.empty()) {
    std::vector<std::pair<std::string, double>> v(by_type.begin(), by_type.end());
    std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second > b.second; });
    o += "energy by type:\n";
    for (auto& [ty, j] : v) o += fmt::format("  {:<28} {:>10}\n", ty, format_si(j, "J"));
  }
  if (engine) {
    std::vector<const Component*> order;
    for (const auto& c : engine->components())
      if (!c->summary_lines().empty()) order.push_back(c.get());
    std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->name() < b->name(); });
    for (const Component* c : order)
      for (const auto& line : c->summary_lines()) o += line + "\n";
  }
  return o;
}

namespace {
std::string toml_value(const ParamValue& v) {
  if (auto* str = std::get_if<std::string>(&v)) return nlohmann::json(*str).dump();  // basic string escapes
  if (auto* d = std::get_if<double>(&v)) {
    if (std::isnan(*d)) return "nan";
    if (std::isinf(*d)) return *d > 0 ? "inf" : "-inf";
    std::string t = fmt::format("{}", *d);
    if (t.find_first_of(".eE") == std::string::npos) t += ".0";  // keep it a TOML float
    return t;
  }
  return format_param(v);
}
}  // namespace

std::string resolved_config(Engine& engine, const ExperimentSpec& spec) {
  std::string o = fmt::format(
      "# Fully resolved configuration of experiment '{}' (from {}).\n"
      "# Every parameter value and every link, as run: `strata run` on this file reproduces\n"
      "# the same stats.json.\n\n[experiment]\nname = {}\nseed = {}\n",
      spec.name, spec.file, nlohmann::json(spec.name).dump(), spec.seed);
  if (spec.stop.end_time != kTimeMax || spec.stop.max_events != ~std::uint64_t{0}) {
    o += "\n[stop]\n";
    if (spec.stop.end_time != kTimeMax) o += fmt::format("end_time = \"{}\"\n", format_time(spec.stop.end_time));
    if (spec.stop.max_events != ~std::uint64_t{0}) o += fmt::format("max_events = {}\n", spec.stop.max_events);
  }
  for (const auto& c : spec.components) {
    if (!c.decl) continue;
    o += fmt::format("\n[[component]]\nname = \"{}\"\ntype = \"{}\"\n", c.name, c.type);
    if (!c.grid.empty()) {
      o += "grid = [";
      for (std::size_t i = 0; i < c.grid.size(); ++i) o += fmt::format("{}{}", i ? ", " : "", c.grid[i]);
      o += "]\n";
    }
    if (c.decl->resolve && !c.decl->params.empty()) {
      auto values = c.decl->resolve(c.params);
      o += "[component.params]\n";
      for (std::size_t i = 0; i < values.size() && i < c.decl->params.size(); ++i)
        o += fmt::format("{} = {}\n", c.decl->params[i].name, toml_value(values[i]));
    }
  }
  for (const auto& l : engine.system().links) {
    o += fmt::format("\n[[link]]\nfrom = \"{}.{}\"\nto = \"{}.{}\"\nlatency = \"{}\"\n", l.a.component, l.a.port,
                     l.b.component, l.b.port, format_time(l.latency));
    if (l.bytes_per_s > 0) o += fmt::format("bandwidth = \"{}\"\n", to_string(Bandwidth{l.bytes_per_s}));
  }
  return o;
}

ojson profile_json(const std::vector<ProfileRow>& rows, const RunResult& r, const ojson& stats) {
  std::uint64_t events = 0;
  double seconds = 0;
  std::map<std::string, std::pair<std::uint64_t, double>> by_type;
  for (const auto& row : rows) {
    events += row.events;
    seconds += row.seconds;
    auto& t = by_type[row.type];
    t.first += row.events;
    t.second += row.seconds;
  }
  auto share = [](double part, double whole) { return whole > 0 ? part / whole : 0.0; };
  std::vector<std::pair<std::string, std::pair<std::uint64_t, double>>> types(by_type.begin(), by_type.end());
  std::stable_sort(types.begin(), types.end(), [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
  ojson out = {{"events", events},
               {"handler_seconds", seconds},
               {"wall_seconds", r.wall_seconds},
               {"note", "handler_seconds: wall time inside receive handlers, timed per event (the timer's own "
                        "cost is included); the rest of wall_seconds is the event queue and the windows"}};
  ojson t = ojson::array(), p = ojson::array();
  for (const auto& [type, v] : types)
    t.push_back({{"type", type},
                 {"events", v.first},
                 {"event_share", share(static_cast<double>(v.first), static_cast<double>(events))},
                 {"handler_seconds", v.second},
                 {"time_share", share(v.second, seconds)}});
  for (const auto& row : rows)
    p.push_back({{"type", row.type},
                 {"port", row.port},
                 {"events", row.events},
                 {"event_share", share(static_cast<double>(row.events), static_cast<double>(events))},
                 {"handler_seconds", row.seconds},
                 {"time_share", share(row.seconds, seconds)}});
  out["by_type"] = std::move(t);
  out["by_port"] = std::move(p);
  std::uint64_t gemms = 0;
  if (stats.contains("components"))
    for (const auto& [name, c] : stats["components"].items())
      if (c.contains("stats") && c["stats"].contains("gemms") && c["stats"]["gemms"].is_number_unsigned())
        gemms += c["stats"]["gemms"].get<std::uint64_t>();
  if (gemms > 0) {
    out["gemms"] = gemms;
    out["events_per_gemm"] = static_cast<double>(events) / static_cast<double>(gemms);
  }
  return out;
}

std::string profile_text(const ojson& profile, std::size_t max_rows) {
  std::string o = fmt::format("profile      {} events, {:.3f} s in handlers ({:.3f} s wall)\n",
                              profile["events"].get<std::uint64_t>(), profile["handler_seconds"].get<double>(),
                              profile["wall_seconds"].get<double>());
  auto table = [&](const char* title, const ojson& rows, bool ports) {
    o += fmt::format("  {:<38} {:>12} {:>7} {:>9} {:>7} {:>8}\n", title, "events", "share", "time s", "share",
                     "ns/event");
    std::size_t shown = 0;
    std::uint64_t rest_events = 0;
    double rest_seconds = 0;
    for (const auto& row : rows) {
      const auto ev = row["events"].get<std::uint64_t>();
      const auto sec = row["handler_seconds"].get<double>();
      if (shown++ >= max_rows) {
        rest_events += ev;
        rest_seconds += sec;
        continue;
      }
      std::string name = row["type"].get<std::string>();
      if (ports) name += " " + row["port"].get<std::string>();
      o += fmt::format("  {:<38} {:>12} {:>6.1f}% {:>9.3f} {:>6.1f}% {:>8.0f}\n", name, ev,
                       100 * row["event_share"].get<double>(), sec, 100 * row["time_share"].get<double>(),
                       ev ? sec * 1e9 / static_cast<double>(ev) : 0.0);
    }
    if (shown > max_rows)
      o += fmt::format("  {:<38} {:>12} {:>7} {:>9.3f}\n", fmt::format("({} more)", shown - max_rows), rest_events, "",
                       rest_seconds);
  };
  if (profile.contains("gemms"))
    o += fmt::format("  {:.1f} events per modelled GEMM ({} GEMMs: the cores' gemms counters)\n",
                     profile["events_per_gemm"].get<double>(), profile["gemms"].get<std::uint64_t>());
  table("by component type", profile["by_type"], false);
  table("by receiving port", profile["by_port"], true);
  return o;
}

RunOutcome run_experiment(Engine& engine, const ExperimentSpec& spec, const RunOptions& opts) {
  RunOutcome out;
  const bool writes = opts.write_outputs;
  if (writes) {
    fs::create_directories(spec.output.dir);
    if (access(spec.output.dir.c_str(), W_OK) != 0)
      throw std::runtime_error(fmt::format("{}: output folder is not writable", spec.output.dir));
    fs::remove(fs::path(spec.output.dir) / "run.json");  // an older complete marker no longer applies
    engine.set_output_dir(spec.output.dir);
  }
  if (spec.output.profile) engine.enable_profile();
  if (spec.output.trace)
    engine.enable_trace(std::make_unique<TraceWriter>((fs::path(spec.output.dir) / "trace.json").string(), writes));
  // the resolved configuration first: if the run dies, what it ran is still on disk
  if (writes) write_file_atomic((fs::path(spec.output.dir) / "config.toml").string(), resolved_config(engine, spec));
  const bool tty = opts.progress && !opts.quiet && isatty(STDERR_FILENO);
  auto progress = [&](const RunResult& r) {
    std::fprintf(stderr, "\r  simulated %-10s  %llu events  %s events/s   ", format_duration(r.end_time).c_str(),
                 static_cast<unsigned long long>(r.events),
                 format_si(r.wall_seconds > 0 ? static_cast<double>(r.events) / r.wall_seconds : 0.0, "").c_str());
  };
  std::string status = "ok";
  try {
    engine.init();
    std::function<void(const RunResult&)> cb;
    auto t0 = std::chrono::steady_clock::now();
    if (tty)
      cb = [&](const RunResult& r) {
        RunResult rr = r;
        rr.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        progress(rr);
      };
    out.result = engine.run(spec.stop, cb);
    if (tty) std::fprintf(stderr, "\r%80s\r", "");
    engine.finish();
  } catch (const std::exception& e) {
    out.error = fmt::format("simulation error at t={}: {}", format_time(engine.now()), e.what());
    out.result.reason = StopReason::error;
    out.result.end_time = engine.now();
    status = "error";
  }
  // with MPI ranks: rank 0 receives what the others ran (every rank gets here, failed or not)
  engine.collect_results();
  if (!writes) {
    if (engine.tracer() && status == "ok") engine.tracer()->close();
    return out;
  }
  out.stats = stats_json(engine, out.result, spec);
  out.summary = summary_text(out.stats, &engine);
  // results written even when the model failed: a partial run is still evidence; run.json
  // says whether it completed
  if (spec.output.json) write_file_atomic((fs::path(spec.output.dir) / "stats.json").string(), out.stats.dump(1) + "\n");
  if (spec.output.csv) write_file_atomic((fs::path(spec.output.dir) / "stats.csv").string(), stats_csv(out.stats));
  write_file_atomic((fs::path(spec.output.dir) / "summary.txt").string(), out.summary);
  if (engine.profiling()) {
    auto prof = profile_json(engine.profile(), out.result, out.stats);
    out.profile = profile_text(prof);
    write_file_atomic((fs::path(spec.output.dir) / "profile.json").string(), prof.dump(1) + "\n");
  }
  if (engine.tracer() && status == "ok") engine.tracer()->close();
  ojson run = {{"status", status},
               {"error", out.error},
               {"experiment", spec.name},
               {"source", spec.file},
               {"seed", spec.seed},
               {"events", out.result.events},
               {"end_time_ps", out.result.end_time},
               {"wall_seconds", out.result.wall_seconds}};
  write_file_atomic((fs::path(spec.output.dir) / "run.json").string(), run.dump(1) + "\n");
  return out;
}

}  // namespace strata::detail
