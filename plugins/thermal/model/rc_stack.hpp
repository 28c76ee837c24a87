// rc_stack.hpp - a compact thermal RC network of a die stack, HotSpot grid-model style.
//
// Each layer of the stack (dies, bonding layers, the thermal interface material) is a grid
// of cols x rows cells over the chip footprint; below them a heat spreader and a heat sink,
// each a grid of the same cells under the chip plus one lumped node for the part that
// overhangs the chip, and the sink's convection to ambient (a lumped r_convec and
// c_convec shared by area). Conductances come from thicknesses and conductivities
// (Skadron et al., "Temperature-aware microarchitecture", TACO 2004; Huang et al., HotSpot
// grid model, IEEE TVLSI 2006): lateral G = k t w / d between neighbouring cell centres,
// vertical G = A / (t1 / 2k1 + t2 / 2k2) between the centres of stacked cells; C = c V.
// Temperatures are rises over ambient (theta = T - T_ambient) at node centres.
// Not modelled: the secondary heat path through C4 bumps and the package (HotSpot's
// default leaves it off too), temperature-dependent conductivity, radiation.
#pragma once

#include <Eigen/Core>
#include <Eigen/SparseCholesky>
#include <Eigen/SparseCore>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace strata::thermal {

/// One layer of the stack over the chip footprint. SI units.
struct LayerSpec {
  std::string name;
  double thickness = 0;      // m
  double k_lateral = 0;      // W/(m K), within the layer
  double k_vertical = 0;     // W/(m K), across it (TSVs raise it in bonded tiers)
  double heat_capacity = 0;  // volumetric, J/(m^3 K)
};

/// A square plate below the chip (spreader or sink base), centred on it.
struct PlateSpec {
  double side = 0;           // m, >= the chip's sides
  double thickness = 0;      // m
  double conductivity = 0;   // W/(m K)
  double heat_capacity = 0;  // J/(m^3 K)
};

struct StackSpec {
  double width = 0, height = 0;  // chip footprint, m
  int cols = 1, rows = 1;        // cells per layer
  std::vector<LayerSpec> layers; // far end first; the last one touches the spreader
  PlateSpec spreader, sink;
  double r_convec = 0;  // sink to ambient, K/W
  double c_convec = 0;  // convection capacitance, J/K (added to the sink nodes by area)
};

/// The network and its solvers. Throws std::invalid_argument for a non-physical spec.
class RcStack {
 public:
  explicit RcStack(StackSpec spec);
  ~RcStack();
  RcStack(RcStack&&) noexcept;
  RcStack& operator=(RcStack&&) noexcept;

  const StackSpec& spec() const { return spec_; }
  std::size_t nodes() const { return static_cast<std::size_t>(capacitance_.size()); }
  std::size_t cells() const { return static_cast<std::size_t>(spec_.cols * spec_.rows); }
  /// Node of cell (col, row) of chip layer `layer` (0 = far end).
  std::size_t node(std::size_t layer, int col, int row) const {
    return layer * cells() + static_cast<std::size_t>(row * spec_.cols + col);
  }
  /// First node of the spreader's and the sink's cells under the chip.
  std::size_t spreader_node(int col, int row) const { return node(spec_.layers.size(), col, row); }
  std::size_t sink_node(int col, int row) const { return node(spec_.layers.size() + 1, col, row); }

  const Eigen::VectorXd& capacitance() const { return capacitance_; }       // J/K per node
  const Eigen::VectorXd& to_ambient() const { return to_ambient_; }          // W/K per node
  const Eigen::SparseMatrix<double>& conductance() const { return g_; }      // W/K, with to_ambient on the diagonal

  /// One backward-Euler step of length dt (s): (C/dt + G) theta' = C/dt theta + P.
  /// Unconditionally stable; the factorization is kept per step length.
  void step_implicit(Eigen::VectorXd& theta, const Eigen::VectorXd& power, double dt);
  /// Forward Euler, sub-stepped so that every sub-step is at most stable_step(); returns
  /// the number of sub-steps taken (a step is never taken unstable). `heat_out`, when
  /// given, receives the heat convected during the step (at each sub-step's start
  /// temperature, which is what forward Euler conserves).
  int step_explicit(Eigen::VectorXd& theta, const Eigen::VectorXd& power, double dt, double* heat_out = nullptr);
  /// The largest forward-Euler step the network is guaranteed stable at: min_i C_i / G_ii.
  /// (Gershgorin: every eigenvalue of C^-1 G is at most max_i 2 G_ii / C_i, and forward
  /// Euler is stable below 2 / lambda_max.)
  double stable_step() const { return stable_step_; }
  /// Steady state G theta = P.
  Eigen::VectorXd steady(const Eigen::VectorXd& power);
  /// Heat flowing to ambient now, W.
  double heat_out(const Eigen::VectorXd& theta) const { return to_ambient_.dot(theta); }
  /// Heat stored above ambient, J.
  double stored(const Eigen::VectorXd& theta) const { return capacitance_.dot(theta); }

 private:
  struct Factor;
  StackSpec spec_;
  Eigen::SparseMatrix<double> g_;
  Eigen::VectorXd capacitance_, to_ambient_;
  double stable_step_ = 0;
  std::vector<std::unique_ptr<Factor>> factors_;  // by step length (a few: the interval, the last step)
  std::unique_ptr<Factor> steady_;
  Eigen::VectorXd scratch_;  // right-hand side / flow of a step, kept to avoid an allocation per step
};

}  // namespace strata::thermal
