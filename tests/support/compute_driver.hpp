// compute_driver.hpp - what the compute cores' plugin tests share: a workload.ops driver
// ("drv") linked to one core's ctrl port by a 1 ns link, a memory that moves one byte per
// ns, a component's statistics, and a traced run's spans.
#pragma once

#include "harness.hpp"
#include "trace_writer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace strata::testing {

/// TOML of a workload.ops driver named "drv" with `params` (its inline table's contents),
/// its cores[] linked to `core_ctrl` (e.g. "sa.ctrl") with a 1 ns link.
inline std::string ops_driver(const std::string& params, const std::string& core_ctrl) {
  return R"(
[[component]]
name = "drv"
type = "workload.ops"
params = { )" + params + R"( }

[[link]]
from = "drv.cores[]"
to = ")" + core_ctrl + R"("
latency = "1ns"
)";
}

/// TOML of one component named `name` of `type` with a preset and `params` (its inline
/// table's contents), as the memory tests declare the memory under test.
inline std::string preset_component(const std::string& name, const std::string& type, const std::string& preset,
                                    const std::string& params) {
  return "\n[[component]]\nname = \"" + name + "\"\ntype = \"" + type + "\"\npreset = \"" + preset +
         "\"\nparams = { " + params + " }\n";
}

/// TOML of a memory.hbm named "hbm" slow enough to count in: one 8-bit channel at 1 GT/s
/// (1 B/ns), 10 ns access latency, 1-byte bursts and interleave, so every transfer of B
/// bytes holds the channel B ns and takes 10 ns + B ns. With `core_mem` (e.g. "sa.mem") the
/// core's memory port is linked to it by a 1 ns link; without, the caller links it.
inline std::string one_byte_per_ns_memory(const std::string& core_mem = "") {
  std::string toml = R"(
[[component]]
name = "hbm"
type = "memory.hbm"
params = { channels = 1, channel_width = "8b", data_rate = "1GHz", access_latency = "10ns", burst = "1B", interleave = "1B" }
)";
  if (!core_mem.empty()) toml += "\n[[link]]\nfrom = \"" + core_mem + "\"\nto = \"hbm.port[]\"\nlatency = \"1ns\"\n";
  return toml;
}

/// The "stats" object of component `name` in a run's stats.json.
inline const nlohmann::ordered_json& component_stats(const Run& r, const std::string& name) {
  return r.stats["components"][name]["stats"];
}

/// One "op" span of a core's trace: [start, end) in ps and the request's age.
struct Span {
  std::uint64_t start = 0, end = 0, age = 0;
};

/// Build and run `toml` with tracing on; the spans in start order (exact ps: the trace keeps
/// 6 decimals of us). `tag` names the temporary trace file.
inline std::vector<Span> traced_spans(Harness& h, const std::string& toml, const std::string& tag) {
  auto engine = h.build(toml);
  const auto path = std::filesystem::temp_directory_path() / ("strata_spans_" + tag + ".json");
  auto writer = std::make_unique<detail::TraceWriter>(path.string());
  auto* w = writer.get();
  engine->enable_trace(std::move(writer));
  engine->init();
  engine->run(detail::StopConditions{});
  engine->finish();
  w->close();
  std::ifstream f(path);
  const auto trace = nlohmann::json::parse(f);
  std::vector<Span> spans;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] != "X") continue;
    const auto start = static_cast<std::uint64_t>(std::llround(e["ts"].get<double>() * 1e6));
    const auto dur = static_cast<std::uint64_t>(std::llround(e["dur"].get<double>() * 1e6));
    spans.push_back(Span{start, start + dur, e["args"]["age"].get<std::uint64_t>()});
  }
  std::filesystem::remove(path);
  std::stable_sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.start < b.start; });
  return spans;
}

}  // namespace strata::testing
