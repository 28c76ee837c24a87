// report_command.hpp - `strata report`: turn sweep folders (sweep.csv + points/*/stats.json)
// or single run folders (stats.json) into a Markdown report with tables and SVG bar charts,
// results normalised to one design. No simulation.
//
//   strata report atleus=out/e2e/atleus tpu3d=out/e2e/tpu3d --baseline tpu3d --out report.md
//   strata report out/noc --design-axis router.routing --out noc.md
//
// Each input is [LABEL=]DIR. A design is the input's label (default: the folder's name),
// or, with --design-axis A, the value of sweep axis A (prefixed by the label when there are
// several inputs). Points with equal values of the other axes form one group (a table row).
// Metrics (workload driver `--workload`, default "wl"; a run without one uses the whole run):
//   latency      wl.latency (replay, after the setup phase that programs ReRAM weights)
//   throughput   wl.throughput (sequences/s), tokens/s
//   energy       dynamic - wl.setup_energy + static x latency / end_time: the replay's share
//   efficiency   sequences per joule; EDP = energy x latency
//   speedup      latency(baseline) / latency; energy gain = energy(baseline) / energy;
//                EDP gain = EDP(baseline) / EDP
// With --findings FILE the report opens with a "finding | paper | Strata | holds?" table
// (findings.hpp); inputs are then optional.
// Writes OUT (Markdown), OUT's stem + ".csv" (every number of the tables) and one SVG per
// chart next to OUT. Exit status: 0 success; 2 bad input (no such folder, unreadable
// table, unknown baseline or axis); 1 the output could not be written.
#pragma once

#include <CLI/CLI.hpp>

#include "findings.hpp"

#include <string>
#include <vector>

namespace strata::cli {

class ReportCommand {
 public:
  /// Registers the `report` subcommand and its options on `app`.
  explicit ReportCommand(CLI::App& app);
  bool selected() const { return sub_->parsed(); }
  /// Runs the command; returns the exit status. Prints errors to stderr.
  int run() const;

 private:
  int write_findings_only(const FindingsReport& findings) const;
  CLI::App* sub_;
  std::vector<std::string> inputs_;
  std::string out_ = "report.md", baseline_, design_axis_, workload_ = "wl", title_ = "Strata report", findings_;
  bool no_charts_ = false;
};

}  // namespace strata::cli
