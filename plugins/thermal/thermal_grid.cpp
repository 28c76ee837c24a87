// thermal.grid - temperature of a 3D die stack, driven by the energy the simulated
// components book.
//
// A compact RC network in the style of HotSpot's grid model (model/rc_stack.hpp): each tier
// a grid of cells, bonding layers between tiers (their vertical conductance raised by the
// TSVs that cross them), a thermal interface, a heat spreader and a heat sink with
// convection to ambient. Every `interval` the component reads the energy (dynamic ledgers +
// static) each mapped component booked since the last sample, spreads it over the cells
// its grid position covers on its tier, and takes one backward-Euler step (Eigen sparse
// LDL^T, factored once per step length; forward Euler when the step is within its stability
// bound). Power is energy / interval: an action booked at its start counts in the interval
// it was booked in. Optional leakage feedback: the extra static power a hot cell leaks is
// booked by this component (the cores' own ledgers are untouched). Not modelled: the
// secondary heat path through the package.
#include "model/rc_stack.hpp"

#include <strata/strata.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <numbers>
#include <sstream>

namespace {

using strata::thermal::LayerSpec;
using strata::thermal::RcStack;
using strata::thermal::StackSpec;

constexpr int kTierStats = 8;   // tiers with their own statistics
constexpr int kCoreStats = 64;  // cores with their own statistics (all are in the JSON file)

// Lengths in metres, conductivities in W/(m K), heat capacities in J/(m^3 K), temperatures
// in degrees Celsius: the SDK has no length or temperature kind, so these are plain reals.
struct ThermalParams {
  strata::Duration interval{1'000'000};  // 1 us: a sample per us (bench/README.md measures its cost)
  std::int64_t tiers = 1;
  double width = 10e-3, height = 10e-3;  // chip footprint (Atleus: 10 mm x 10 mm tiers)
  std::int64_t cols = 4, rows = 4;       // cells per tier
  std::string map;    // "group:tier ..." (see declare)
  std::string cores;  // groups whose elements are cores (statistics per core)
  std::string sink_at = "last_tier";
  // HotSpot defaults (temperature.c default_thermal_config; HotSpot 6.0, U. Virginia):
  double die_thickness = 0.15e-3;       // t_chip
  double sink_die_thickness = 0.15e-3;  // t_chip
  double k_silicon = 100.0;             // k_chip
  double c_silicon = 1.75e6;            // p_chip
  // HotSpot 3D test case (3D_testcase/ev6_3D.lcf): the TIM layer between stacked dies.
  double bond_thickness = 20e-6;
  double k_bond = 4.0;  // resistivity 0.25 m K/W
  double c_bond = 4.0e6;
  double tim_thickness = 20e-6;  // t_interface
  double k_tim = 4.0;            // k_interface
  double c_tim = 4.0e6;          // p_interface
  double spreader_side = 30e-3, spreader_thickness = 1e-3, k_spreader = 400.0, c_spreader = 3.55e6;
  double sink_side = 60e-3, sink_thickness = 6.9e-3, k_sink = 400.0, c_sink = 3.55e6;
  double r_convec = 0.1;    // K/W
  double c_convec = 140.4;  // J/K
  double ambient = 45.0;    // 318.15 K
  double threshold = 81.8;  // thermal_threshold (DTM trigger)
  // TSVs: Atleus's 5 um diameter (docs/ATLEUS.md), copper 401 W/(m K) (CRC Handbook of
  // Chemistry and Physics, copper at 300 K).
  std::int64_t tsv_count = 0;  // TSVs crossing each tier-to-tier interface
  double tsv_diameter = 5e-6;
  double k_tsv = 401.0;
  std::string initial = "ambient";
  std::string method = "auto";
  bool steady = true;
  std::string trace = "cores";
  bool heatmaps = true;
  // Temperature-dependent leakage (off by default): Liao, He, Lepak, "Temperature and supply
  // voltage aware performance and power modeling at microarchitecture level", IEEE TCAD
  // 24(7), 2005, the 65 nm fit I(T, V) ~ A T^2 e^((alpha V + beta) / T) + B e^(gamma V + delta).
  bool leakage_feedback = false;
  double leakage_reference = 45.0;  // C: where the components' static power holds (not published)
  double leakage_vdd = 1.0;         // V: within the fit's 0.95-1.05 V

  static void declare(strata::ParamSpec<ThermalParams>& s) {
    using P = ThermalParams;
    constexpr double tiny = 1e-9;  // lengths, conductivities, capacities: > 0 (zero is non-physical)
    s.param("interval", &P::interval, "sampling interval: energy is read and one implicit step taken per interval")
        .min(1e-12);
    s.param("tiers", &P::tiers, "dies in the stack (tier 0 .. tiers-1, in physical order)").range(1, 64);
    s.param("width", &P::width, "chip width [m]").min(tiny);
    s.param("height", &P::height, "chip height [m]").min(tiny);
    s.param("cols", &P::cols, "cells per tier along x (at least one per core; finer splits a core's power)")
        .range(1, 256);
    s.param("rows", &P::rows, "cells per tier along y").range(1, 256);
    s.param("map", &P::map,
            "which components heat which tier: 'group:tier' entries, tier = N or z (the element's 3rd grid "
            "index) or z+N / z-N; a grid element heats the cells its (x, y) position covers, a component "
            "outside grids its whole tier; components not named (workload, off-chip memory) heat nothing");
    s.param("cores", &P::cores, "groups (from map) whose elements are cores: per-core statistics (core.K.*), names in thermal.<name>.json");
    s.param("sink_at", &P::sink_at, "which end of the stack touches the TIM, spreader and sink")
        .choices({"last_tier", "first_tier"});
    s.param("die_thickness", &P::die_thickness, "thickness of each die not next to the sink [m] (HotSpot t_chip)")
        .min(tiny);
    s.param("sink_die_thickness", &P::sink_die_thickness, "thickness of the die next to the sink [m] (HotSpot t_chip)")
        .min(tiny);
    s.param("k_silicon", &P::k_silicon, "die conductivity [W/(m K)] (HotSpot k_chip)").min(tiny);
    s.param("c_silicon", &P::c_silicon, "die volumetric heat capacity [J/(m^3 K)] (HotSpot p_chip)").min(tiny);
    s.param("bond_thickness", &P::bond_thickness, "bonding layer between tiers [m] (HotSpot ev6_3D.lcf TIM)").min(tiny);
    s.param("k_bond", &P::k_bond, "bonding layer conductivity [W/(m K)] (HotSpot ev6_3D.lcf: 1/0.25)").min(tiny);
    s.param("c_bond", &P::c_bond, "bonding layer heat capacity [J/(m^3 K)] (HotSpot ev6_3D.lcf)").min(tiny);
    s.param("tim_thickness", &P::tim_thickness, "interface material die-spreader [m] (HotSpot t_interface)").min(tiny);
    s.param("k_tim", &P::k_tim, "interface conductivity [W/(m K)] (HotSpot k_interface)").min(tiny);
    s.param("c_tim", &P::c_tim, "interface heat capacity [J/(m^3 K)] (HotSpot p_interface)").min(tiny);
    s.param("spreader_side", &P::spreader_side, "spreader side [m] (HotSpot s_spreader)").min(tiny);
    s.param("spreader_thickness", &P::spreader_thickness, "spreader thickness [m] (HotSpot t_spreader)").min(tiny);
    s.param("k_spreader", &P::k_spreader, "spreader conductivity [W/(m K)] (HotSpot k_spreader)").min(tiny);
    s.param("c_spreader", &P::c_spreader, "spreader heat capacity [J/(m^3 K)] (HotSpot p_spreader)").min(tiny);
    s.param("sink_side", &P::sink_side, "heat sink side [m] (HotSpot s_sink)").min(tiny);
    s.param("sink_thickness", &P::sink_thickness, "heat sink base thickness [m] (HotSpot t_sink)").min(tiny);
    s.param("k_sink", &P::k_sink, "heat sink conductivity [W/(m K)] (HotSpot k_sink)").min(tiny);
    s.param("c_sink", &P::c_sink, "heat sink heat capacity [J/(m^3 K)] (HotSpot p_sink)").min(tiny);
    s.param("r_convec", &P::r_convec, "convection resistance sink-ambient [K/W] (HotSpot r_convec)").min(tiny);
    s.param("c_convec", &P::c_convec, "convection capacitance [J/K] (HotSpot c_convec)").min(0);
    s.param("ambient", &P::ambient, "ambient temperature [C] (HotSpot ambient 318.15 K)").range(-273.15, 1e4);
    s.param("threshold", &P::threshold, "temperature counted as too hot [C] (HotSpot thermal_threshold)")
        .range(-273.15, 1e4);
    s.param("tsv_count", &P::tsv_count, "TSVs crossing each tier-to-tier interface (raise the vertical "
                                        "conductance of the bonding layers and thinned dies they cross)")
        .range(0, 1LL << 40);
    s.param("tsv_diameter", &P::tsv_diameter, "TSV diameter [m] (Atleus: 5 um, docs/ATLEUS.md)").min(tiny);
    s.param("k_tsv", &P::k_tsv, "TSV fill conductivity [W/(m K)] (copper, CRC Handbook: 401)").min(tiny);
    s.param("initial", &P::initial,
            "start temperature: ambient, or the steady state of the static power at time zero (an idle chip)")
        .choices({"ambient", "idle_steady"});
    s.param("method", &P::method,
            "implicit (backward Euler, Eigen sparse LDL^T, unconditionally stable), explicit (forward Euler, "
            "sub-stepped to the stability bound min C/G), or auto: explicit for a step within the bound "
            "(one sparse product instead of two triangular solves), implicit beyond it")
        .choices({"auto", "implicit", "explicit"});
    s.param("steady", &P::steady, "also solve the steady state of the run's mean power at the end");
    s.param("trace", &P::trace, "counter tracks in the trace: per core, per tier (hottest cell) or none")
        .choices({"cores", "tiers", "none"});
    s.param("heatmaps", &P::heatmaps,
            "write heatmap.<name>.tier<T>.svg (hottest instant) and thermal.<name>.json in the output folder");
    s.param("leakage_feedback", &P::leakage_feedback,
            "add temperature-dependent leakage: each component's static power x (I(T) / I(T_reference) - 1), "
            "I the Liao-He-Lepak 65 nm fit (TCAD 2005), booked as this component's energy and heated in place");
    s.param("leakage_reference", &P::leakage_reference,
            "temperature at which the components' static power holds [C] (not published: the ambient)")
        .range(-273.15, 1e4);
    s.param("leakage_vdd", &P::leakage_vdd, "supply voltage in the leakage fit [V] (its range: 0.95-1.05)")
        .range(0.1, 5);
    s.preset("atleus",
             "Atleus: 4 tiers of 10 x 10 mm, 4x4 cores each, ReRAM on tiers 0-2 and SA on tier 3 (the tier next "
             "to the sink by default), thinned dies 15 um (the TSV height), 16 vertical + 16 skip links of "
             "2 x 128 TSVs crossing each interface",
             [](P& p) {
               p.tiers = 4;
               p.width = p.height = 10e-3;
               p.cols = p.rows = 4;
               p.map = "reram:z sa:3 router:z ni:z";
               p.cores = "reram sa";
               p.die_thickness = 15e-6;  // a TSV crosses its die: TSV height (docs/ATLEUS.md)
               p.tsv_count = 32 * 2 * 128;  // (16 vertical + 16 skip links) x 128-bit flits x 2 directions
             });
  }
};

// Leakage current scaling of Liao, He and Lepak (IEEE TCAD 2005, 65 nm coefficients), T in K.
double leakage_current(double kelvin, double vdd) {
  constexpr double a = 1.1432e-12, b = 1.0126e-14, alpha = 466.4029, beta = -1224.74083, gamma = 6.28153,
                   delta = 6.9094;
  return a * kelvin * kelvin * std::exp((alpha * vdd + beta) / kelvin) + b * std::exp(gamma * vdd + delta);
}

struct TierRule {
  bool from_z = false;  // tier = index[2] + offset, else tier = offset
  int offset = 0;
};

std::map<std::string, TierRule> parse_map(const std::string& text, const std::string& who) {
  std::map<std::string, TierRule> out;
  std::string s = text;
  std::replace(s.begin(), s.end(), ',', ' ');
  std::istringstream in(s);
  std::string entry;
  while (in >> entry) {
    const auto colon = entry.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == entry.size())
      throw strata::ConfigError(fmt::format("{}: map entry '{}' is not 'group:tier' (e.g. 'reram:z', 'sa:3')", who, entry));
    const std::string group = entry.substr(0, colon), tier = entry.substr(colon + 1);
    TierRule r;
    std::string_view num = tier;
    if (tier[0] == 'z') {
      r.from_z = true;
      num.remove_prefix(1);
      if (!num.empty() && num[0] == '+') num.remove_prefix(1);
    }
    if (!num.empty()) {
      auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), r.offset);
      if (ec != std::errc() || p != num.data() + num.size())
        throw strata::ConfigError(fmt::format("{}: map entry '{}': tier '{}' is not N, z, z+N or z-N", who, entry, tier));
    } else if (!r.from_z) {
      throw strata::ConfigError(fmt::format("{}: map entry '{}' has no tier", who, entry));
    }
    if (!out.emplace(group, r).second)
      throw strata::ConfigError(fmt::format("{}: map names group '{}' twice", who, group));
  }
  return out;
}

std::string group_of(const std::string& name) { return name.substr(0, name.find('[')); }

class ThermalGrid final : public strata::Component {
 public:
  explicit ThermalGrid(const strata::ComponentContext& ctx)
      : Component(ctx), p_(ctx.params<ThermalParams>()), rules_(parse_map(p_.map, ctx.name() + ".map")),
        stack_(make_stack(p_, ctx.name())) {
    if (rules_.empty())
      throw strata::ConfigError(fmt::format("{}.map: no component is mapped to a tier (e.g. preset = \"atleus\")", name()));
    {
      std::string s = p_.cores;
      std::replace(s.begin(), s.end(), ',', ' ');
      std::istringstream in(s);
      std::string g;
      while (in >> g) {
        if (!rules_.count(g))
          throw strata::ConfigError(fmt::format("{}.cores: group '{}' is not in map", name(), g));
        core_groups_.push_back(g);
      }
    }
    tick_ = &event_port<&ThermalGrid::on_sample>(this, "sample");
    if (p_.leakage_feedback) {
      energy("leakage_feedback", leakage_);
      stat("steady.runaway", runaway_);
    }
    leak_ref_ = leakage_current(p_.leakage_reference + 273.15, p_.leakage_vdd);
    stat("samples", samples_);
    stat("max", max_);
    stat("time_above", time_above_);
    stat("power", power_);
    stat("heat_in", heat_in_);
    stat("heat_stored", heat_stored_);
    stat("heat_out", heat_out_);
    stat("substeps", substeps_);
    if (p_.steady) {
      stat("steady.max", steady_max_);
      stat("steady.power", steady_power_);
    }
    tier_max_.resize(static_cast<std::size_t>(p_.tiers));
    tier_steady_.resize(static_cast<std::size_t>(p_.tiers));
    for (int t = 0; t < std::min<int>(kTierStats, static_cast<int>(p_.tiers)); ++t) {
      stat(fmt::format("tier.{}.max", t), tier_max_[static_cast<std::size_t>(t)]);
      if (p_.steady) stat(fmt::format("tier.{}.steady_max", t), tier_steady_[static_cast<std::size_t>(t)]);
    }
  }

  void init() override {
    const auto& sys = system();
    // grid extents per group, then each component's share of each cell of its tier
    std::map<std::string, std::array<int, 2>> extent;
    for (const auto& c : sys.components) {
      auto it = rules_.find(group_of(c.name));
      if (it == rules_.end()) continue;
      auto& e = extent[it->first];
      for (int d = 0; d < 2; ++d)
        if (static_cast<int>(c.index.size()) > d) e[d] = std::max(e[d], c.index[static_cast<std::size_t>(d)] + 1);
    }
    for (const auto& [g, r] : rules_)
      if (!extent.count(g))
        throw strata::ModelError(fmt::format("{}.map: no component named '{}' or '{}[...]'", name(), g, g));
    const int cols = static_cast<int>(p_.cols), rows = static_cast<int>(p_.rows);
    for (const auto& c : sys.components) {
      auto it = rules_.find(group_of(c.name));
      if (it == rules_.end()) continue;
      const TierRule& rule = it->second;
      int tier = rule.offset;
      if (rule.from_z) {
        if (c.index.size() < 3)
          throw strata::ModelError(fmt::format("{}.map: '{}:z...' but {} has no third grid index", name(), it->first, c.name));
        tier += c.index[2];
      }
      if (tier < 0 || tier >= p_.tiers)
        throw strata::ModelError(fmt::format("{}.map: {} lands on tier {}, outside 0..{}", name(), c.name, tier, p_.tiers - 1));
      Source src;
      src.component = observe(c.name);
      for (const auto& e : src.component->energy_entries()) src.ledgers.push_back(e.ledger);
      src.tier = tier;
      // the fraction [lo, hi) of the chip this element covers along x and y
      const auto& e = extent[it->first];
      double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
      if (!c.index.empty() && e[0] > 0) x0 = double(c.index[0]) / e[0], x1 = double(c.index[0] + 1) / e[0];
      if (c.index.size() > 1 && e[1] > 0) y0 = double(c.index[1]) / e[1], y1 = double(c.index[1] + 1) / e[1];
      const double area = (x1 - x0) * (y1 - y0);
      for (int r = 0; r < rows; ++r)
        for (int col = 0; col < cols; ++col) {
          const double ox = std::max(0.0, std::min(x1, double(col + 1) / cols) - std::max(x0, double(col) / cols));
          const double oy = std::max(0.0, std::min(y1, double(r + 1) / rows) - std::max(y0, double(r) / rows));
          if (ox * oy > 0) src.cells.push_back({die_node(tier, col, r), ox * oy / area});
        }
      if (std::find(core_groups_.begin(), core_groups_.end(), it->first) != core_groups_.end())
        cores_.push_back({c.name, it->first, c.index, src.cells});
      sources_.push_back(std::move(src));
    }
    // cores in the order of `cores`, each group in grid order (x fastest): the workload's core order
    std::stable_sort(cores_.begin(), cores_.end(), [&](const Core& a, const Core& b) {
      auto ga = std::find(core_groups_.begin(), core_groups_.end(), a.group) - core_groups_.begin();
      auto gb = std::find(core_groups_.begin(), core_groups_.end(), b.group) - core_groups_.begin();
      if (ga != gb) return ga < gb;
      return std::lexicographical_compare(a.index.rbegin(), a.index.rend(), b.index.rbegin(), b.index.rend());
    });
    core_temp_.resize(cores_.size());
    core_above_.resize(cores_.size());
    // registered here, not in the constructor: which components are cores is only known
    // from the system view; the kernel reads statistics only when it writes results
    for (std::size_t k = 0; k < cores_.size() && k < static_cast<std::size_t>(kCoreStats); ++k) register_core_stat(k);
    const auto n = static_cast<Eigen::Index>(stack_.nodes());
    theta_ = Eigen::VectorXd::Zero(n);
    power_w_ = Eigen::VectorXd::Zero(n);
    for (auto& s : sources_) {
      s.first_j = s.last_j = booked(s);
      s.first_static_j = s.last_static_j = s.component->static_energy(now());
    }
    if (p_.initial == "idle_steady") {
      for (const auto& s : sources_)
        for (const auto& [node, w] : s.cells) power_w_[static_cast<Eigen::Index>(node)] += s.component->static_power() * w;
      theta_ = stack_.steady(power_w_);
    }
    stored0_ = stack_.stored(theta_);
    hottest_ = theta_;
    hottest_max_ = theta_.maxCoeff();
    schedule(*tick_, p_.interval.ps);
  }

  void finish() override {
    if (now() > last_) advance(now());  // the part of an interval before the end
    heat_stored_.add(stack_.stored(theta_) - stored0_);
    if (p_.steady && now() > 0) {
      const double span = static_cast<double>(now()) * 1e-12;
      Eigen::VectorXd mean = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(stack_.nodes()));
      for (const auto& s : sources_)
        for (const auto& [node, w] : s.cells)
          mean[static_cast<Eigen::Index>(node)] += (s.last_j - s.first_j) / span * w;
      steady_ = stack_.steady(mean);
      if (p_.leakage_feedback) {
        // leakage and temperature to a fixed point, as HotSpot does (0.01 K, at most 100 rounds);
        // no convergence is thermal runaway
        Eigen::VectorXd with = mean;
        bool converged = false;
        for (int round = 0; round < 100 && !converged; ++round) {
          with = mean;
          for (const auto& s : sources_) {
            const double extra = (s.last_static_j - s.first_static_j) / span * (leak_scale(s, steady_) - 1);
            for (const auto& [node, w] : s.cells) with[static_cast<Eigen::Index>(node)] += extra * w;
          }
          Eigen::VectorXd next = stack_.steady(with);
          converged = (next - steady_).cwiseAbs().maxCoeff() < 0.01;
          steady_ = std::move(next);
        }
        if (!converged) ++runaway_;
        mean = with;
      }
      steady_power_.add(mean.sum());
      steady_max_.add(p_.ambient + die_max(steady_));
      for (int t = 0; t < p_.tiers; ++t) tier_steady_[static_cast<std::size_t>(t)].add(p_.ambient + tier_max(steady_, t));
    }
    if (p_.heatmaps && !output_dir().empty()) write_outputs();
  }

 private:
  struct Source {
    const strata::Component* component = nullptr;
    std::vector<const strata::EnergyAction*> ledgers;  // its dynamic-energy actions (fixed after construction)
    int tier = 0;
    std::vector<std::pair<std::size_t, double>> cells;  // node, share of the component's power
    double first_j = 0, last_j = 0;
    double first_static_j = 0, last_static_j = 0;  // leakage feedback
  };
  struct Core {
    std::string name, group;
    std::vector<int> index;
    std::vector<std::pair<std::size_t, double>> cells;
  };

  static RcStack make_stack(const ThermalParams& p, const std::string& who) {
    StackSpec s;
    s.width = p.width, s.height = p.height;
    s.cols = static_cast<int>(p.cols), s.rows = static_cast<int>(p.rows);
    // TSVs are parallel copper paths through the bonding layers and thinned dies they cross
    const double tsv_fraction =
        static_cast<double>(p.tsv_count) * std::numbers::pi * p.tsv_diameter * p.tsv_diameter / 4 / (p.width * p.height);
    if (tsv_fraction >= 1)
      throw strata::ConfigError(fmt::format("{}: {} TSVs of {} m cover more than the chip ({:.3g} of its area)", who,
                                            p.tsv_count, p.tsv_diameter, tsv_fraction));
    auto with_tsv = [&](double k) { return (1 - tsv_fraction) * k + tsv_fraction * p.k_tsv; };
    const int tiers = static_cast<int>(p.tiers);
    for (int pos = 0; pos < tiers; ++pos) {  // pos 0 = far end, pos tiers-1 = next to the sink
      const int tier = p.sink_at == "last_tier" ? pos : tiers - 1 - pos;
      const bool at_sink = pos == tiers - 1;
      LayerSpec die{fmt::format("tier {}", tier), at_sink ? p.sink_die_thickness : p.die_thickness, p.k_silicon,
                    at_sink ? p.k_silicon : with_tsv(p.k_silicon), p.c_silicon};
      s.layers.push_back(die);
      if (!at_sink)
        s.layers.push_back({fmt::format("bond {}", pos), p.bond_thickness, p.k_bond, with_tsv(p.k_bond), p.c_bond});
    }
    s.layers.push_back({"tim", p.tim_thickness, p.k_tim, p.k_tim, p.c_tim});
    s.spreader = {p.spreader_side, p.spreader_thickness, p.k_spreader, p.c_spreader};
    s.sink = {p.sink_side, p.sink_thickness, p.k_sink, p.c_sink};
    s.r_convec = p.r_convec, s.c_convec = p.c_convec;
    try {
      return RcStack(std::move(s));
    } catch (const std::invalid_argument& e) {
      throw strata::ConfigError(fmt::format("{}: {}", who, e.what()));
    }
  }

  // layer of tier t in the stack: dies and bonds alternate from the far end
  std::size_t die_layer(int tier) const {
    const int pos = p_.sink_at == "last_tier" ? tier : static_cast<int>(p_.tiers) - 1 - tier;
    return static_cast<std::size_t>(2 * pos);
  }
  std::size_t die_node(int tier, int col, int row) const { return stack_.node(die_layer(tier), col, row); }
  double tier_max(const Eigen::VectorXd& th, int tier) const {
    const auto first = static_cast<Eigen::Index>(die_node(tier, 0, 0));
    return th.segment(first, static_cast<Eigen::Index>(stack_.cells())).maxCoeff();
  }
  double die_max(const Eigen::VectorXd& th) const {
    double m = -1e300;
    for (int t = 0; t < p_.tiers; ++t) m = std::max(m, tier_max(th, t));
    return m;
  }
  // I(T) / I(T_reference) at the source's mean cell temperature
  double leak_scale(const Source& s, const Eigen::VectorXd& th) const {
    double rise = 0;
    for (const auto& [node, w] : s.cells) rise += w * th[static_cast<Eigen::Index>(node)];
    return leakage_current(p_.ambient + rise + 273.15, p_.leakage_vdd) / leak_ref_;
  }
  static double core_rise(const Core& c, const Eigen::VectorXd& th) {
    double v = 0;
    for (const auto& [node, w] : c.cells) v += w * th[static_cast<Eigen::Index>(node)];
    return v;
  }

  void register_core_stat(std::size_t k) {
    stat(fmt::format("core.{}.temperature", k), core_temp_[k]);
    stat(fmt::format("core.{}.time_above", k), core_above_[k]);
  }

  static double booked(const Source& s) { return s.component->static_energy(s.component->now()) + dynamic(s); }
  static double dynamic(const Source& s) {
    double j = 0;
    for (const auto* e : s.ledgers) j += e->joules();
    return j;
  }

  void on_sample(strata::TxnPtr<>) {
    advance(now());
    if (!nothing_else_pending()) schedule(*tick_, p_.interval.ps);
  }

  // Energy booked since the last sample -> power over (last_, t] -> one step.
  void advance(strata::Time t) {
    const std::uint64_t dt_ps = t - last_;
    const double dt = static_cast<double>(dt_ps) * 1e-12;
    power_w_.setZero();
    double joules = 0;
    for (auto& s : sources_) {
      const double static_j = s.component->static_energy(t);
      const double e = static_j + dynamic(s);
      double de = e - s.last_j;
      s.last_j = e;
      if (p_.leakage_feedback) {  // at the temperature the step starts from
        const double extra = (static_j - s.last_static_j) * (leak_scale(s, theta_) - 1);
        s.last_static_j = static_j;
        leakage_.add_joules(extra);
        de += extra;
      }
      joules += de;
      for (const auto& [node, w] : s.cells) power_w_[static_cast<Eigen::Index>(node)] += de * w / dt;
    }
    const bool explicit_step =
        p_.method == "explicit" || (p_.method == "auto" && dt <= stack_.stable_step());
    double out = 0;
    if (explicit_step) {
      substeps_.add(static_cast<std::uint64_t>(stack_.step_explicit(theta_, power_w_, dt, &out)));
    } else {
      stack_.step_implicit(theta_, power_w_, dt);
      out = stack_.heat_out(theta_) * dt;  // backward Euler: the outflow at the step's end
    }
    last_ = t;
    ++samples_;
    heat_in_.add(joules);
    heat_out_.add(out);
    power_.add(joules / dt);
    const double hottest = die_max(theta_);
    max_.add(p_.ambient + hottest);
    if (hottest + p_.ambient > p_.threshold) time_above_ += dt_ps;
    if (hottest > hottest_max_) {
      hottest_max_ = hottest;
      hottest_ = theta_;
      hottest_at_ = t;
    }
    for (int tier = 0; tier < p_.tiers; ++tier) {
      const double m = p_.ambient + tier_max(theta_, tier);
      tier_max_[static_cast<std::size_t>(tier)].add(m);
      if (tracing() && p_.trace == "tiers") trace_counter(fmt::format("tier {} max C", tier), t, m);
    }
    for (std::size_t k = 0; k < cores_.size(); ++k) {
      const double c = p_.ambient + core_rise(cores_[k], theta_);
      core_temp_[k].add(c);
      if (c > p_.threshold) core_above_[k] += dt_ps;
      if (tracing() && p_.trace == "cores") trace_counter(cores_[k].name + " C", t, c);
    }
  }

  // Heat maps of every tier at the hottest instant (one colour scale for all tiers), and
  // the numbers behind them.
  void write_outputs() const {
    namespace fs = std::filesystem;
    const int cols = static_cast<int>(p_.cols), rows = static_cast<int>(p_.rows);
    double lo = 1e300, hi = -1e300;
    for (int t = 0; t < p_.tiers; ++t)
      for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
          const double v = hottest_[static_cast<Eigen::Index>(die_node(t, c, r))];
          lo = std::min(lo, v), hi = std::max(hi, v);
        }
    const double span = hi > lo ? hi - lo : 1.0;
    const int cell = 60, margin = 40;  // cells below the two title lines
    for (int t = 0; t < p_.tiers; ++t) {
      std::string svg = fmt::format(
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
          "font-size=\"11\">\n<text x=\"{}\" y=\"16\" font-size=\"13\">{} tier {}{}</text>\n"
          "<text x=\"{}\" y=\"32\">hottest instant {:.3f} ms; colours {:.1f}-{:.1f} C</text>\n",
          std::max(cols * cell + 2 * margin, 300), rows * cell + 2 * margin + 10, 10, name(), t,
          t == (p_.sink_at == "last_tier" ? p_.tiers - 1 : 0) ? " (next to the sink)" : "", 10,
          static_cast<double>(hottest_at_) * 1e-9, p_.ambient + lo, p_.ambient + hi);
      for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
          const double v = hottest_[static_cast<Eigen::Index>(die_node(t, c, r))];
          const double f = (v - lo) / span;  // blue (coolest) -> red (hottest)
          const int red = static_cast<int>(255 * f), blue = static_cast<int>(255 * (1 - f));
          const int x = margin + c * cell, y = margin + (rows - 1 - r) * cell;  // y up, as the grid
          svg += fmt::format(
              "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"rgb({},64,{})\" stroke=\"white\"/>"
              "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"white\">{:.1f}</text>\n",
              x, y, cell, cell, red, blue, x + cell / 2, y + cell / 2 + 4, p_.ambient + v);
        }
      svg += "</svg>\n";
      std::ofstream(fs::path(output_dir()) / fmt::format("heatmap.{}.tier{}.svg", name(), t)) << svg;
    }
    std::string js = fmt::format("{{\n \"component\": \"{}\",\n \"ambient\": {},\n \"hottest_at_ps\": {},\n \"tiers\": [", name(),
                                 p_.ambient, hottest_at_);
    auto grid = [&](const Eigen::VectorXd& th, int t) {
      std::string o = "[";
      for (int r = 0; r < rows; ++r) {
        o += r ? ", [" : "[";
        for (int c = 0; c < cols; ++c)
          o += fmt::format("{}{:.4f}", c ? ", " : "", p_.ambient + th[static_cast<Eigen::Index>(die_node(t, c, r))]);
        o += "]";
      }
      return o + "]";
    };
    for (int t = 0; t < p_.tiers; ++t) {
      js += fmt::format("{}\n  {{\"tier\": {}, \"hottest\": {}", t ? "," : "", t, grid(hottest_, t));
      if (steady_.size()) js += fmt::format(", \"steady\": {}", grid(steady_, t));
      js += "}";
    }
    js += "\n ],\n \"cores\": [";
    for (std::size_t k = 0; k < cores_.size(); ++k)
      js += fmt::format("{}\n  {{\"core\": {}, \"name\": \"{}\", \"max\": {:.4f}, \"mean\": {:.4f}, \"time_above_ps\": {}{}}}",
                        k ? "," : "", k, cores_[k].name, core_temp_[k].max(), core_temp_[k].mean(),
                        core_above_[k].value(),
                        steady_.size() ? fmt::format(", \"steady\": {:.4f}", p_.ambient + core_rise(cores_[k], steady_))
                                       : std::string());
    js += "\n ]\n}\n";
    std::ofstream(fs::path(output_dir()) / fmt::format("thermal.{}.json", name())) << js;
  }

  ThermalParams p_;
  std::map<std::string, TierRule> rules_;
  std::vector<std::string> core_groups_;
  RcStack stack_;
  strata::Port* tick_ = nullptr;
  std::vector<Source> sources_;
  std::vector<Core> cores_;
  Eigen::VectorXd theta_, power_w_, hottest_, steady_;
  double hottest_max_ = 0, stored0_ = 0;
  strata::Time hottest_at_ = 0, last_ = 0;
  strata::Counter samples_, time_above_, substeps_, runaway_;
  strata::EnergyAction leakage_{strata::Energy{0}};
  double leak_ref_ = 1;
  strata::Accumulator max_, power_, heat_in_, heat_stored_, heat_out_, steady_max_, steady_power_;
  std::vector<strata::Accumulator> tier_max_, tier_steady_, core_temp_;
  std::vector<strata::Counter> core_above_;
};

strata::ComponentDecl declaration() {
  auto b = strata::component<ThermalGrid, ThermalParams>("thermal.grid");
  b.summary("Temperature of a 3D die stack: HotSpot-style RC grid driven by the components' booked energy")
      .description(
          "Compact thermal RC network of the tiers (HotSpot grid model: Skadron et al. TACO 2004, Huang et al. "
          "TVLSI 2006): per-tier cell grids, bonding layers with TSVs, TIM, spreader, sink, convection. Every "
          "interval it reads each mapped component's energy (dynamic ledgers + static) since the last sample and "
          "takes a backward-Euler step (Eigen SimplicialLDLT). Needs a serial run (--threads 1, one rank). "
          "Temperatures in C. Optional leakage feedback (Liao-He-Lepak fit). Not modelled: the package's secondary "
          "heat path.")
      .counter("samples", "count", "steps taken (one per interval, plus the part-interval at the end)")
      .accumulator("max", "C", "per sample: hottest cell of any tier (max = the run's peak)")
      .counter("time_above", "ps", "time with some cell above threshold")
      .accumulator("power", "W", "per sample: power of all mapped components")
      .accumulator("heat_in", "J", "per sample: energy booked by the mapped components")
      .accumulator("heat_stored", "J", "heat stored above the start temperature at the end (one sample)")
      .accumulator("heat_out", "J", "per sample: heat convected to ambient")
      .counter("substeps", "count", "method = explicit: forward-Euler sub-steps taken (stability)")
      .accumulator("steady.max", "C", "steady state of the run's mean power: hottest cell (one sample)")
      .accumulator("steady.power", "W", "the run's mean power of the mapped components (one sample)")
      .counter("steady.runaway", "count", "leakage_feedback: 1 when leakage and temperature found no fixed point")
      .energy("leakage_feedback");
  for (int t = 0; t < kTierStats; ++t)
    b.accumulator(fmt::format("tier.{}.max", t), "C", fmt::format("per sample: hottest cell of tier {}", t))
        .accumulator(fmt::format("tier.{}.steady_max", t), "C",
                     fmt::format("steady state of the mean power: hottest cell of tier {}", t));
  for (int k = 0; k < kCoreStats; ++k)
    b.accumulator(fmt::format("core.{}.temperature", k), "C",
                  fmt::format("per sample: temperature of core {} (the {}th element of the `cores` groups in grid "
                              "order; names in thermal.<name>.json)",
                              k, k))
        .counter(fmt::format("core.{}.time_above", k), "ps", fmt::format("time core {} spent above threshold", k));
  return b;
}

}  // namespace

STRATA_PLUGIN("thermal", "1.0", "Thermal model of a 3D die stack (HotSpot-style RC grid)", declaration())
