// report_data.hpp - what `strata report` and its findings read: run folders (stats.json,
// run.json) and sweep folders (sweep.csv + points/pNNNN/), and the workload metrics derived
// from a run's statistics (latency, throughput, replay energy, EDP). No formatting here.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace strata::cli {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// One run: a sweep point or a single run folder, with the report's derived metrics.
struct Point {
  std::string design, group;
  std::map<std::string, std::string> axes;
  std::string status = "ok";
  double latency_s = kNaN, setup_s = kNaN, throughput = kNaN, tokens = kNaN, energy_j = kNaN, total_j = kNaN;
  double dynamic_j = kNaN;  // the replay's dynamic energy alone (no static power)
  double seq_per_j = kNaN, edp = kNaN;
  // The replay's energy had no core been power-gated: gated cores report the static energy
  // they would have drawn always on (`always_on_static`); equal to energy_j without gating.
  double always_on_j = kNaN;
  std::string source;  // folder of the point
};

/// A report input: `[LABEL=]DIR`, a sweep folder or a run folder.
struct Input {
  std::string label, dir;
  std::vector<std::string> axes;
  std::vector<Point> points;
};

/// RFC-4180-style CSV (quoted cells, doubled quotes) into rows of cells.
std::vector<std::vector<std::string>> parse_csv(const std::string& text);
std::string csv_cell(const std::string& s);
/// A statistic as a number: counters are numbers, accumulators give `field` (sum or mean).
double num(const nlohmann::json& v, const char* field = "sum");
/// Parse a JSON file; throws std::runtime_error naming the file.
nlohmann::json read_json(const std::filesystem::path& p);
/// The report's metrics of one run from its stats.json (workload driver `workload`).
void metrics(Point& pt, const nlohmann::json& stats, const std::string& workload);
/// Read `[LABEL=]DIR`; throws std::runtime_error naming the folder or file on bad input.
Input load_input(const std::string& arg, const std::string& workload);

}  // namespace strata::cli
