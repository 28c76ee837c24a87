// findings.hpp - `strata report --findings FILE.toml`: a table of claims (a paper's findings)
// checked against simulation results, "finding | paper | Strata | holds?".
//
// A findings file names the run or sweep folders it reads and, per finding, an expression
// for Strata's number and a condition for "holds":
//
//   [runs]                                   # label = folder (relative to the working directory)
//   share = "out/paper/share"                # a run folder (stats.json)
//   e2e = "out/paper/atleus"                 # a sweep folder (sweep.csv, points/)
//   [constants]                              # named numbers, each with its source in a comment
//   defect_density = 0.1
//   [[finding]]
//   name = "share of GEMM MACs on ReRAM"
//   paper = "about 92%"                      # as the paper states it (text)
//   value = "{share:wl.pim_macs} / ({share:wl.pim_macs} + {share:wl.sa_macs})"
//   format = "percent"                       # percent | ratio (x) | number (with `unit`)
//   holds = "value > 0.85 && value < 0.97"   # `value` is the number above
//   note = "why it differs, when it does"
//
// References `{LABEL[axis=v,...]:PATH}`: LABEL from [runs]; the optional selector keeps the
// sweep points whose axes have these values; PATH is `@metric` (the report's metrics: latency,
// setup, throughput, tokens, energy, dynamic, total, efficiency, edp, energy_always_on) or
// `COMPONENT.STAT[.FIELD]` from stats.json (accumulators default to their sum;
// `COMPONENT.energy.dynamic_j|static_j|total_j`; `totals.energy_j`...). A `*` in COMPONENT
// sums over the matching components (`reram*.energy.total_j`). A reference to several points
// is a vector keyed by the values of the sweep axes not selected; arithmetic pairs vectors by
// key, and min/max/mean/sum/geomean/count reduce them. Functions: abs sqrt exp log pow min max
// mean sum geomean count, dies_per_wafer(wafer_mm, die_mm2) (gross dies, the usual
// edge-loss formula) and yield_nb(die_mm2, defects_per_cm2, alpha) (negative-binomial yield).
// Operators: + - * / < <= > >= == != && || ! and parentheses.
#pragma once

#include <string>

namespace strata::cli {

struct FindingsReport {
  std::string markdown;  // "## Findings" section: the table, then notes
  std::string csv;       // one row per finding
  int evaluated = 0, holding = 0, missing = 0;
};

/// Evaluates the findings file. Throws std::runtime_error with "file:line:col: message" for a
/// malformed file or expression; a finding whose runs are missing is reported in the table
/// ("not run"), not thrown.
/// With `validate_only` no run folder is read (every reference counts as the number 1): what
/// `strata check` does with a findings file.
FindingsReport evaluate_findings(const std::string& file, const std::string& workload, bool validate_only = false);

/// True when `file` is a TOML file with [[finding]] entries (so `strata check` validates it as
/// findings rather than as an experiment). False for anything else, including bad TOML.
bool is_findings_file(const std::string& file);

}  // namespace strata::cli
