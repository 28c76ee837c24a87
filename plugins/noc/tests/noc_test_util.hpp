// noc_test_util.hpp - TOML builders for the noc tests (and the traffic workload's): a
// line/mesh/torus of routers, one NI per router, and a workload.traffic driver.
#pragma once

#include "harness.hpp"

#include <cmath>
#include <cstdint>
#include <string>

namespace noc_test {

/// A [[generate]] block linking the routers `r`: kind mesh, torus, chain, vertical, skip...,
/// with `extra` lines (e.g. "curve = \"snake\"\n") before its latency.
inline std::string router_links(const std::string& kind, const std::string& extra = "",
                            const std::string& latency = "1ns") {
  return "[[generate]]\nkind = \"" + kind + "\"\ncomponent = \"r\"\nport = \"port\"\n" + extra + "latency = \"" +
         latency + "\"\n\n";
}

/// Traffic parameters for a single transfer of `bytes` from node `src` to node `dst` (a
/// hotspot pattern with one active node and one hotspot).
inline std::string one_transfer(int src, int dst, std::uint64_t bytes) {
  return "pattern = \"hotspot\", hotspots = [" + std::to_string(dst) + "], hotspot_fraction = 1.0, active = [" +
         std::to_string(src) + "], count = 1, process = \"periodic\", size = \"" + std::to_string(bytes) + "B\"";
}

/// `routers` in a grid, NIs zipped onto them, traffic fanned out to the NIs.
struct Net {
  std::string grid = "[4]";
  std::string router;   // inline params of every router, e.g. "pipeline = 2"
  std::string ni;       // inline params of every NI
  std::string traffic;  // inline params of the traffic generator
  std::string link = "1ns", ni_link = "1ns", ctrl_link = "1ns";
  std::string wiring;   // router-router generators (default: a mesh over every dimension)

  std::string toml() const {
    std::string t;
    t += "[[component]]\nname = \"r\"\ntype = \"noc.router\"\ngrid = " + grid + "\nparams = { " + router + " }\n\n";
    t += "[[component]]\nname = \"ni\"\ntype = \"noc.ni\"\ngrid = " + grid + "\nparams = { " + ni + " }\n\n";
    t += "[[component]]\nname = \"gen\"\ntype = \"workload.traffic\"\nparams = { " + traffic + " }\n\n";
    t += wiring.empty() ? router_links("mesh", "", link) : wiring;
    t += "[[generate]]\nkind = \"zip\"\nfrom = \"ni.router\"\nto = \"r.port\"\nlatency = \"" + ni_link + "\"\n\n";
    t += "[[generate]]\nkind = \"fanout\"\nfrom = \"gen.nis\"\nto = \"ni.ctrl\"\nlatency = \"" + ctrl_link + "\"\n";
    return t;
  }
};

inline const nlohmann::ordered_json& stats(const strata::testing::Run& r, const std::string& comp) {
  return r.stats.at("components").at(comp).at("stats");
}
inline const nlohmann::ordered_json& energy(const strata::testing::Run& r, const std::string& comp,
                                            const std::string& action) {
  return r.stats.at("components").at(comp).at("energy").at("dynamic").at(action);
}
/// Sum of a counter (or of an energy action's joules when `action` is set) over components of a type.
inline double sum_over(const strata::testing::Run& r, const std::string& type, const std::string& stat,
                       const std::string& action = "") {
  double s = 0;
  for (const auto& [name, c] : r.stats.at("components").items()) {
    if (c.at("type") != type) continue;
    if (action.empty())
      s += c.at("stats").at(stat).get<double>();
    else
      s += c.at("energy").at("dynamic").at(action).at(stat).get<double>();
  }
  return s;
}

inline std::uint64_t flits(std::uint64_t bytes, std::uint64_t width_bits) {
  return bytes == 0 ? 1 : (8 * bytes + width_bits - 1) / width_bits;
}

}  // namespace noc_test
