// strata - the command line: run, check, sweep, plugins, info, report, help, and the
// commands plugins declare in their manifests (`strata graph` comes from workload_transformer).
// A word that names no built-in command is looked up among the plugin commands and the rest
// of the line is handed to it.
//
// Exit status: 0 success; 1 the simulation itself failed (model error) or some sweep
// points failed; 2 bad input (flags, TOML, plugins), reported before anything runs.
#include "../src/builder.hpp"
#include "../src/docs.hpp"
#include "../src/mpi_run.hpp"
#include "../src/mpi_sweep.hpp"
#include "../src/plugin_registry.hpp"
#include "../src/results.hpp"
#include "../src/sweep.hpp"
#include "findings.hpp"
#include "report_command.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string_view>

using namespace strata;
using namespace strata::detail;
namespace fs = std::filesystem;

namespace {

struct Common {
  std::vector<std::string> plugin_dirs;
};

// The commands of the CLI itself; a plugin command may take any other name.
const std::vector<std::string> kBuiltinCommands = {"run", "check", "sweep", "plugins", "info", "report", "help"};

bool is_builtin(std::string_view word) {
  return std::find(kBuiltinCommands.begin(), kBuiltinCommands.end(), word) != kBuiltinCommands.end();
}

void setup_registry(PluginRegistry& reg, const Common& common, const std::vector<std::string>& extra = {}) {
  reg.reserve_command_names(kBuiltinCommands);
  reg.add_search_dir(PluginRegistry::default_dir());
  reg.add_env_dirs();
  for (const auto& d : common.plugin_dirs) reg.add_search_dir(d);
  for (const auto& d : extra) reg.add_search_dir(d);
  reg.scan();
}

void print_load_errors(const PluginRegistry& reg) {
  for (const auto& e : reg.errors()) fmt::print(stderr, "{}: warning: plugin not loaded: {}\n", e.path, e.reason);
}

// Load + validate + build. Returns nullptr after printing diagnostics.
std::unique_ptr<Engine> load_and_build(PluginRegistry& reg, const Common& common, const std::string& file,
                                       const std::vector<std::string>& sets, ExperimentSpec& spec_out,
                                       RankLink* ranks = nullptr) {
  const bool report = !ranks || ranks->rank() == 0;  // every rank finds the same mistakes
  setup_registry(reg, common);
  // Plugin folders named in TOML are known only after parsing: when there are any, add
  // them and parse again, so their types validate like the shipped ones.
  auto diag = std::make_unique<Diagnostics>();
  auto builder = std::make_unique<Builder>(reg, *diag);
  builder->set_rank_link(ranks);
  auto spec = builder->load(file, sets);
  if (spec && !spec->plugin_dirs.empty()) {
    for (const auto& d : spec->plugin_dirs) reg.add_search_dir(d);
    reg.scan();
    diag = std::make_unique<Diagnostics>();
    builder = std::make_unique<Builder>(reg, *diag);
    builder->set_rank_link(ranks);
    spec = builder->load(file, sets);
  }
  if (!spec) {
    if (report) diag->print(std::cerr);
    return nullptr;
  }
  auto engine = builder->build(*spec);
  if (!engine) {
    if (report) diag->print(std::cerr);
    return nullptr;
  }
  spec_out = std::move(*spec);
  return engine;
}

// "Plugin commands:" and one line per command, for `strata help` and `strata --help`.
std::string plugin_commands_text(const PluginRegistry& reg) {
  std::string o = "Plugin commands (strata help COMMAND shows its usage):\n";
  if (reg.command_names().empty()) o += "  (none found)\n";
  for (const auto& name : reg.command_names())
    o += fmt::format("  {:<27} {} [{}]\n", name, reg.find_command(name)->summary,
                     reg.plugin_of_command(name)->manifest->name);
  return o;
}

// The global options written before the command word (only --plugin-path takes a value),
// and where that word is: 0 when there is none (e.g. `strata --help`).
int find_command_word(int argc, char** argv, Common& common) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--plugin-path" && i + 1 < argc) {
      common.plugin_dirs.emplace_back(argv[++i]);
    } else if (a.starts_with("--plugin-path=")) {
      common.plugin_dirs.emplace_back(a.substr(a.find('=') + 1));
    } else if (!a.starts_with("-")) {
      return i;
    }
  }
  return 0;
}

// `strata <name> args...` for a name that is no built-in: the plugin command, or exit 2.
int run_plugin_command(const Common& common, int argc, char** argv, int at) {
  const std::string name = argv[at];
  PluginRegistry reg;
  setup_registry(reg, common);
  const CommandDecl* cmd = reg.find_command(name);
  if (!cmd) {
    std::vector<std::string> known = kBuiltinCommands;
    for (auto& c : reg.command_names()) known.push_back(std::move(c));
    const std::string guess = closest_match(name, known);
    fmt::print(stderr, "strata: error: unknown command '{}'{}; `strata help` lists the commands\n", name,
               guess.empty() ? "" : fmt::format(" (did you mean '{}'?)", guess));
    // the command may live in a plugin that could not be loaded
    for (const auto& e : reg.errors()) fmt::print(stderr, "{}: note: plugin not loaded: {}\n", e.path, e.reason);
    return 2;
  }
  const std::vector<std::string_view> args(argv + at + 1, argv + argc);
  try {
    const int rc = cmd->run(std::span<const std::string_view>(args), std::cout, std::cerr);
    std::cout.flush();
    return rc;
  } catch (const std::exception& e) {
    std::cout.flush();
    fmt::print(stderr, "strata {}: error: {}\n", name, e.what());
    return 2;
  }
}

// `strata help [COMMAND]`.
int print_help(CLI::App& app, const Common& common, const std::string& topic) {
  PluginRegistry reg;
  setup_registry(reg, common);
  if (topic.empty()) {
    // the formatter directly: App::help() would show the parsed `help` subcommand's text
    fmt::print("{}\n{}", app.get_formatter()->make_help(&app, app.get_name(), CLI::AppFormatMode::Normal),
               plugin_commands_text(reg));
    return 0;
  }
  if (is_builtin(topic)) {
    fmt::print("{}", app.get_subcommand(topic)->help(app.get_name()));
    return 0;
  }
  if (const CommandDecl* cmd = reg.find_command(topic)) {
    fmt::print("strata {} - {}\n", cmd->name, cmd->summary);
    fmt::print("plugin: {} ({})\n", reg.plugin_of_command(topic)->manifest->name, reg.plugin_of_command(topic)->path);
    if (!cmd->usage.empty()) fmt::print("\n{}{}", cmd->usage, cmd->usage.ends_with('\n') ? "" : "\n");
    return 0;
  }
  std::vector<std::string> known = kBuiltinCommands;
  for (auto& c : reg.command_names()) known.push_back(std::move(c));
  const std::string guess = closest_match(topic, known);
  fmt::print(stderr, "strata help: error: unknown command '{}'{}\n", topic,
             guess.empty() ? "" : fmt::format(" (did you mean '{}'?)", guess));
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  {
    Common front;
    const int at = find_command_word(argc, argv, front);
    if (at > 0 && !is_builtin(argv[at])) return run_plugin_command(front, argc, argv, at);
  }
  CLI::App app{"Strata: transaction-level simulator for 3D heterogeneous transformer accelerators"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "strata 0.1.0 (SDK ABI " + std::to_string(kSdkAbiVersion) + ")");
  Common common;
  app.add_option("--plugin-path", common.plugin_dirs, "Extra folder to search for plugins (repeatable)");

  // run
  auto* run = app.add_subcommand("run", "Run an experiment (or a bare topology) file");
  std::string run_file, out_dir;
  std::vector<std::string> sets;
  bool trace = false, quiet = false, profile = false;
  std::optional<std::uint64_t> seed;
  run->add_option("file", run_file, "Experiment or topology TOML")->required();
  run->add_option("--set", sets, "Override: component.param=value, seed=N, stop.end_time=T, output.dir=D");
  run->add_option("--out", out_dir, "Output folder (default out/<experiment name>)");
  run->add_flag("--trace", trace, "Write a Chrome/Perfetto trace.json");
  run->add_flag("--profile", profile, "Events and handler time by component type and port: profile.json, a table");
  run->add_option("--seed", seed, "Experiment seed (overrides the file)");
  run->add_flag("-q,--quiet", quiet, "Print nothing but errors");
  int threads = 1;
  run->add_option("--threads", threads, "Partitions run in parallel (conservative; same results at any count)")
      ->check(CLI::Range(1, 1024));

  // check
  auto* check = app.add_subcommand("check", "Validate experiment/topology files without running");
  std::vector<std::string> check_files;
  check->add_option("files", check_files, "TOML files")->required();

  // sweep
  auto* sweep = app.add_subcommand("sweep", "Run every point of an experiment's [sweep] on a worker pool (under mpirun: across ranks)");
  std::string sweep_file, sweep_out;
  std::vector<std::string> sweep_sets;
  int jobs = 1;
  bool resume = false, sweep_quiet = false;
  sweep->add_option("file", sweep_file, "Experiment TOML with a [sweep] table")->required();
  sweep->add_option("-j,--jobs", jobs, "Points run at once (default 1)")->check(CLI::Range(1, 4096));
  sweep->add_option("--out", sweep_out, "Output folder (default: the experiment's output.dir)");
  sweep->add_option("--set", sweep_sets, "Override applied to every point");
  sweep->add_flag("--resume", resume, "Keep points that already completed; rerun the rest");
  sweep->add_flag("-q,--quiet", sweep_quiet, "Print nothing but errors");

  // plugins
  auto* plugins = app.add_subcommand("plugins", "List plugins found, where, and the types and commands they declare");

  // info
  auto* info = app.add_subcommand("info", "Document a component type from its manifest");
  std::string info_type, md_dir;
  info->add_option("type", info_type, "Component type, e.g. systolic.array (omit to list all)");
  info->add_option("--markdown", md_dir, "Write one Markdown page per type into this folder");

  strata::cli::ReportCommand report_cmd(app);  // kernel/cli/report_command.cpp

  // help: the built-ins (CLI11's text) and the plugin commands
  auto* help = app.add_subcommand("help", "List the commands, built-in and from plugins, or show one's usage");
  std::string help_topic;
  help->add_option("command", help_topic, "A command, e.g. run or graph");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    if (app.get_subcommands().empty()) return print_help(app, common, "");  // `strata --help`
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }

  try {
    if (*help) return print_help(app, common, help_topic);
    if (report_cmd.selected()) return report_cmd.run();
    if (*run) {
      if (seed) sets.push_back(fmt::format("seed={}", *seed));
      if (!out_dir.empty()) sets.push_back("output.dir=" + out_dir);
      if (trace) sets.push_back("output.trace=true");
      if (profile) sets.push_back("output.profile=true");
      if (threads > 1) sets.push_back(fmt::format("threads={}", threads));
      // Under mpirun: one simulation across the ranks (src/mpi_run.hpp); rank 0 reports.
      MpiRun mpi;
      if (!mpi.error().empty()) {
        if (mpi.rank() == 0) fmt::print(stderr, "strata run: error: {}\n", mpi.error());
        return 2;
      }
      RankLink* ranks = mpi.ranks() > 1 ? &mpi : nullptr;
      PluginRegistry reg;
      ExperimentSpec spec;
      auto engine = load_and_build(reg, common, run_file, sets, spec, ranks);
      if (!engine) return 2;
      RunOptions opts;
      opts.quiet = quiet || mpi.rank() != 0;
      opts.progress = mpi.rank() == 0;
      opts.write_outputs = mpi.rank() == 0;
      auto outcome = run_experiment(*engine, spec, opts);
      // Rank 0 carries the verdict (it has every rank's first failure); see mpi_sweep.cpp.
      if (mpi.rank() != 0) return 0;
      if (!outcome.error.empty()) {
        fmt::print(stderr, "{}: error: {}\n", run_file, outcome.error);
        fmt::print(stderr, "partial results written to {} (run.json status = error)\n", spec.output.dir);
        return 1;
      }
      if (!quiet) {
        fmt::print("{}{}", outcome.summary, outcome.profile);
        fmt::print("results      {}/\n", spec.output.dir);
      }
      return 0;
    }
    if (*sweep) {
      SweepComm comm;  // MPI only under mpirun/srun: ranks share the points (src/mpi_sweep.hpp)
      if (!comm.error().empty()) {
        if (comm.rank() == 0) fmt::print(stderr, "strata sweep: error: {}\n", comm.error());
        return 2;
      }
      PluginRegistry reg;
      setup_registry(reg, common);
      Diagnostics diag;
      auto plan = plan_sweep(sweep_file, diag);
      if (!diag.has_errors()) {
        // validate the experiment itself once (without the swept values) before any run:
        // a mistake in the file is one exit-2 report, not one failure per point
        Builder b(reg, diag);
        if (auto spec = b.load(sweep_file, sweep_sets)) b.build(*spec);
      }
      if (diag.has_errors()) {
        if (comm.rank() == 0) diag.print(std::cerr);  // every rank found the same
        return 2;
      }
      SweepOptions so;
      so.jobs = jobs;
      so.out_dir = sweep_out;
      so.resume = resume;
      so.progress = !sweep_quiet;
      so.sets = sweep_sets;
      return comm.sweep(reg, sweep_file, plan, so, sweep_quiet);
    }
    if (*check) {
      int rc = 0;
      for (const auto& f : check_files) {
        if (strata::cli::is_findings_file(f)) {  // experiments/paper/findings.toml: claims, not a system
          try {
            auto r = strata::cli::evaluate_findings(f, "wl", /*validate_only=*/true);
            fmt::print("{}: ok ({} findings)\n", f, r.evaluated + r.missing);
          } catch (const std::exception& e) {
            fmt::print(stderr, "{}\n", e.what());
            rc = 2;
          }
          continue;
        }
        PluginRegistry reg;
        ExperimentSpec spec;
        auto engine = load_and_build(reg, common, f, {}, spec);
        if (!engine) {
          rc = 2;
          continue;
        }
        fmt::print("{}: ok ({} components, {} links)\n", f, engine->components().size(), engine->system().links.size());
      }
      return rc;
    }
    if (*plugins) {
      PluginRegistry reg;
      setup_registry(reg, common);
      fmt::print("search path:\n");
      for (const auto& d : reg.search_dirs()) fmt::print("  {}\n", d.string());
      for (const auto& p : reg.plugins()) {
        fmt::print("{} {} ({})\n", p.manifest->name, p.manifest->version, p.path);
        for (const auto& c : p.manifest->components) fmt::print("  {:<28} {}\n", c.type, c.summary);
        for (const auto& c : p.manifest->commands) fmt::print("  {:<28} {}\n", "strata " + c.name, c.summary);
      }
      for (const auto& e : reg.errors()) fmt::print(stderr, "{}: error: {}\n", e.path, e.reason);
      return reg.errors().empty() ? 0 : 2;
    }
    if (*info) {
      PluginRegistry reg;
      setup_registry(reg, common);
      print_load_errors(reg);
      if (!md_dir.empty()) {
        fs::create_directories(md_dir);
        for (const auto& t : reg.types()) {
          const ComponentDecl* d = reg.find(t);
          auto* p = reg.plugin_of(t);
          write_file_atomic((fs::path(md_dir) / (t + ".md")).string(), describe(*d, p ? p->path : "", true));
        }
        fmt::print("wrote {} pages to {}\n", reg.types().size(), md_dir);
        return 0;
      }
      if (info_type.empty()) {
        for (const auto& t : reg.types()) fmt::print("{:<28} {}\n", t, reg.find(t)->summary);
        return 0;
      }
      const ComponentDecl* d = reg.find(info_type);
      if (!d) {
        std::string guess = closest_match(info_type, reg.types());
        fmt::print(stderr, "strata info: unknown component type '{}'{}\n", info_type,
                   guess.empty() ? "" : fmt::format(" (did you mean '{}'?)", guess));
        return 2;
      }
      auto* p = reg.plugin_of(info_type);
      fmt::print("{}", describe(*d, p ? p->path : "", false));
      return 0;
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "strata: error: {}\n", e.what());
    return 2;
  }
  return 0;
}
