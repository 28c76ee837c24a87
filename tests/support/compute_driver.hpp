// compute_driver.hpp - what the compute cores' plugin tests share: a workload.ops driver
// ("drv") linked to one core's ctrl port by a 1 ns link, and a component's statistics.
#pragma once

#include "harness.hpp"

#include <string>

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

/// The "stats" object of component `name` in a run's stats.json.
inline const nlohmann::ordered_json& component_stats(const Run& r, const std::string& name) {
  return r.stats["components"][name]["stats"];
}

}  // namespace strata::testing
