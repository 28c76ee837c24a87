// results.hpp - running a built experiment and writing what it produced.
//
// Output folder layout (all names stable):
//   stats.json   every component's statistics and energy, plus run totals
//   stats.csv    the same, one row per (component, statistic, field)
//   trace.json   Chrome/Perfetto trace (when tracing is on)
//   profile.json events and handler wall time by component type and receiving port
//                (when profiling is on: `strata run --profile`, output.profile = true)
//   summary.txt  the human summary that `strata run` prints
//   config.toml  the fully resolved configuration (every parameter, every link): running it
//                reproduces stats.json
//   run.json     written last: status, seed, times; its presence marks a complete result
// Every file is written to a temporary name and renamed, so a killed run never leaves a
// half-written file under a final name.
#pragma once

#include "builder.hpp"
#include "engine.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace strata::detail {

struct RunOptions {
  bool progress = false;   // live progress line on stderr
  bool quiet = false;      // print nothing on success
  int threads = 1;
  bool write_outputs = true;  // false on MPI ranks other than 0: rank 0 writes the whole run's
};

struct RunOutcome {
  RunResult result;
  std::string summary;
  nlohmann::ordered_json stats;
  std::string error;       // non-empty when the simulation failed (ModelError etc.)
  std::string profile;     // the profile as a short table (profiling runs only)
};

/// Init, run, finish and write outputs. Throws only for I/O errors on the output folder.
RunOutcome run_experiment(Engine& engine, const ExperimentSpec& spec, const RunOptions& opts);

nlohmann::ordered_json stats_json(const Engine& engine, const RunResult& r, const ExperimentSpec& spec);
std::string stats_csv(const nlohmann::ordered_json& stats);
/// The human summary of a run from its statistics; with `engine`, the components' own
/// summary lines (Component::summary_line) follow, in component-name order.
std::string summary_text(const nlohmann::ordered_json& stats, const Engine* engine = nullptr);
/// profile.json's content: totals, rows by component type and by (type, port), and events
/// per modelled GEMM (the sum of every component's `gemms` counter in `stats`, the statistic
/// the compute cores keep; omitted when there is none).
nlohmann::ordered_json profile_json(const std::vector<ProfileRow>& rows, const RunResult& r,
                                    const nlohmann::ordered_json& stats);
/// The profile as the table `strata run --profile` prints (the busiest `max_rows` ports).
std::string profile_text(const nlohmann::ordered_json& profile, std::size_t max_rows = 12);
/// TOML that reproduces the run: resolved parameters of every component, every link.
std::string resolved_config(Engine& engine, const ExperimentSpec& spec);
void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace strata::detail
