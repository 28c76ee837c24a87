// sweep.hpp - design-space sweeps: many independent simulations of one experiment.
//
// The [sweep] table of an experiment file:
//   [sweep]
//   mode = "grid"                 # grid: cartesian product of the axes (default)
//                                 # list: the explicit `points`; random: `samples` points
//                                 #       drawn without replacement from the grid, by `seed`
//   columns = ["lp[0].events"]    # extra result columns: component.statistic[.field]
//   [sweep.axes]
//   "lp.init" = [1, 2, 4]         # any --set path = the values it takes
//   "stop.end_time" = ["1us", "2us"]
//   # list mode: points = [ { "lp.init" = 1, "stop.end_time" = "1us" }, ... ]
// Axes are taken in path (alphabetical) order; point k of a grid varies the last axis
// fastest. Every point is a full run in <out>/points/pNNNN/ with its own run.json; the
// merged <out>/sweep.csv has one row per point: the swept values, the status and the
// results. It contains nothing that depends on timing or thread count, so -j 1 and -j 8
// (and MPI ranks) give byte-identical tables.
#pragma once

#include "diagnostics.hpp"
#include "plugin_registry.hpp"

#include <string>
#include <vector>

namespace strata::detail {

struct SweepPoint {
  std::vector<std::pair<std::string, std::string>> values;  // (path, TOML value text)
};

struct SweepPlan {
  std::vector<std::string> axes;
  std::vector<SweepPoint> points;
  std::vector<std::string> columns;
};

/// Read the [sweep] table of an experiment file; errors go to `diag`.
SweepPlan plan_sweep(const std::string& file, Diagnostics& diag);

struct SweepOptions {
  int jobs = 1;
  std::string out_dir;            // empty: out/<experiment name>
  bool resume = false;            // keep points whose run.json says ok
  bool progress = false;
  std::vector<std::string> sets;  // --set applied to every point (before the point's own)
  int rank = 0, ranks = 1;        // MPI: this process runs points k with k % ranks == rank
};

struct SweepSummary {
  std::size_t points = 0, ok = 0, failed = 0, reused = 0;
  std::string table_path;
  std::string out_dir;
};

/// Run the points this rank owns on a worker pool; write per-point outputs. When
/// `write_table` (rank 0 after every rank finished), merge sweep.csv from the point folders.
SweepSummary run_sweep(PluginRegistry& registry, const std::string& file, const SweepPlan& plan,
                       const SweepOptions& opts);
/// Merge sweep.csv from the point folders (all ranks' points must be done).
std::string merge_sweep_table(const std::string& out_dir, const SweepPlan& plan, SweepSummary& summary);

}  // namespace strata::detail
