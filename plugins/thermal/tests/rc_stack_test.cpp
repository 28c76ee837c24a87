// The RC network against closed forms. Every expected number is written out here from the
// spec's thicknesses and conductivities (G = k A / t, C = c V).
#include "model/rc_stack.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>

using strata::thermal::LayerSpec;
using strata::thermal::PlateSpec;
using strata::thermal::RcStack;
using strata::thermal::StackSpec;

namespace {

constexpr double kSide = 10e-3, kArea = kSide * kSide;

// Spreader and sink exactly the chip's size: no overhang, heat flows in one dimension.
StackSpec one_dimensional(int cells_per_side) {
  StackSpec s;
  s.width = s.height = kSide;
  s.cols = s.rows = cells_per_side;
  s.layers = {{"die far", 50e-6, 100, 100, 1.75e6},
              {"bond", 20e-6, 4, 4.5, 4e6},
              {"die near", 150e-6, 100, 100, 1.75e6},
              {"tim", 20e-6, 4, 4, 4e6}};
  s.spreader = {kSide, 1e-3, 400, 3.55e6};
  s.sink = {kSide, 6.9e-3, 400, 3.55e6};
  s.r_convec = 0.1;
  s.c_convec = 140.4;
  return s;
}

}  // namespace

TEST_CASE("thermal: 1-D steady rise = P x sum of resistances (half layers at the ends)", "[thermal]") {
  const StackSpec s = one_dimensional(1);
  RcStack net(s);
  const double p = 25.0;
  Eigen::VectorXd power = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(net.nodes()));
  power[static_cast<Eigen::Index>(net.node(0, 0, 0))] = p;
  const Eigen::VectorXd theta = net.steady(power);
  // node centre to node centre, then the sink node to ambient through r_convec
  std::vector<double> layer_r;  // full-layer resistance t / (k A), vertical
  for (const auto& l : s.layers) layer_r.push_back(l.thickness / (l.k_vertical * kArea));
  layer_r.push_back(s.spreader.thickness / (s.spreader.conductivity * kArea));
  layer_r.push_back(s.sink.thickness / (s.sink.conductivity * kArea));
  // rise at node i = P x (r_convec + the centre-to-centre resistances from i to the sink)
  const std::size_t nodes = layer_r.size();  // chip layers, spreader, sink: one node each
  for (std::size_t i = 0; i < nodes; ++i) {
    double r = s.r_convec;
    for (std::size_t j = i; j + 1 < nodes; ++j) r += layer_r[j] / 2 + layer_r[j + 1] / 2;
    CHECK(theta[static_cast<Eigen::Index>(net.node(i, 0, 0))] == Approx(p * r).epsilon(1e-10));
  }
  double r_total = s.r_convec + layer_r.front() / 2 + layer_r.back() / 2;  // the same as one sum
  for (std::size_t i = 1; i + 1 < nodes; ++i) r_total += layer_r[i];
  CHECK(theta[static_cast<Eigen::Index>(net.node(0, 0, 0))] == Approx(p * r_total).epsilon(1e-10));
  CHECK(theta[static_cast<Eigen::Index>(net.sink_node(0, 0))] == Approx(p * s.r_convec).epsilon(1e-10));
  CHECK(net.heat_out(theta) == Approx(p).epsilon(1e-10));  // steady: all of it leaves
}

TEST_CASE("thermal: uniform power on a grid without overhang heats every cell of a layer alike", "[thermal]") {
  const StackSpec s = one_dimensional(4);
  RcStack net(s);
  const double p = 40.0;
  Eigen::VectorXd power = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(net.nodes()));
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) power[static_cast<Eigen::Index>(net.node(0, c, r))] = p / 16;
  const Eigen::VectorXd theta = net.steady(power);
  for (std::size_t l = 0; l < s.layers.size() + 2; ++l)
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c)
        CHECK(theta[static_cast<Eigen::Index>(net.node(l, c, r))] ==
              Approx(theta[static_cast<Eigen::Index>(net.node(l, 0, 0))]).epsilon(1e-10));
  // and it is the 1-D answer: the grid is the single column cut in 16 parallel columns
  RcStack column(one_dimensional(1));
  Eigen::VectorXd p1 = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(column.nodes()));
  p1[0] = p;
  CHECK(theta[0] == Approx(column.steady(p1)[0]).epsilon(1e-10));
}

TEST_CASE("thermal: single RC step response = P R (1 - (1 + dt/tau)^-n) under backward Euler", "[thermal]") {
  // Layers and plates so thin and light that the sink's convection R and C are the circuit.
  StackSpec s;
  s.width = s.height = kSide;
  s.layers = {{"die", 1e-6, 1000, 1000, 1.0}};
  s.spreader = {kSide, 1e-6, 1000, 1.0};
  s.sink = {kSide, 1e-6, 1000, 1.0};
  s.r_convec = 2.0;
  s.c_convec = 0.25;
  RcStack net(s);
  // The capacitor is the sink node (c_convec, plus the layers' and plates' few pJ/K that
  // charge through micro-ohm paths at once); R is r_convec. The die sits above the sink by
  // P x the layers' resistance, with no delay worth the name.
  const double r = s.r_convec, r_layers = (1e-6 / 2 + 1e-6 + 1e-6 / 2) / (1000 * kArea);
  const double c = s.c_convec + 3 * 1.0 * 1e-6 * kArea;
  const double tau = r * c, p = 3.0, dt = tau / 200;
  Eigen::VectorXd theta = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(net.nodes()));
  Eigen::VectorXd power = Eigen::VectorXd::Zero(theta.size());
  power[0] = p;
  const auto sink = static_cast<Eigen::Index>(net.sink_node(0, 0));
  for (int n = 1; n <= 400; ++n) {
    net.step_implicit(theta, power, dt);
    if (n % 100 == 0) {
      const double discrete = p * r * (1 - std::pow(1 + dt / tau, -n));
      CHECK(theta[sink] == Approx(discrete).epsilon(1e-6));
      CHECK(theta[0] == Approx(discrete + p * r_layers).epsilon(1e-6));
      // and the continuous step response, to the method's first-order error
      CHECK(theta[sink] == Approx(p * r * (1 - std::exp(-n * dt / tau))).epsilon(5e-3));
    }
  }
}

TEST_CASE("thermal: transient conserves energy: heat in = heat stored + heat out (within 0.1%)", "[thermal]") {
  StackSpec s = one_dimensional(4);
  s.spreader.side = 30e-3;  // with overhang rings this time (HotSpot's spreader and sink)
  s.sink.side = 60e-3;
  RcStack net(s);
  Eigen::VectorXd theta = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(net.nodes()));
  Eigen::VectorXd power = Eigen::VectorXd::Zero(theta.size());
  double in = 0, out = 0;
  for (int k = 0; k < 300; ++k) {
    power.setZero();
    power[static_cast<Eigen::Index>(net.node(0, k % 4, (k / 4) % 4))] = 50.0 + 10 * (k % 7);
    power[static_cast<Eigen::Index>(net.node(2, 1, 2))] = 5.0;
    const double dt = k % 10 == 9 ? 3e-3 : 1e-2;  // two step lengths: two factorizations
    net.step_implicit(theta, power, dt);
    in += power.sum() * dt;
    out += net.heat_out(theta) * dt;
  }
  CHECK(out > 0.01 * in);  // the sink has warmed enough for the outflow to matter
  CHECK(net.stored(theta) + out == Approx(in).epsilon(1e-3));
  CHECK(net.stored(theta) + out == Approx(in).epsilon(1e-9));  // backward Euler conserves exactly
}

TEST_CASE("thermal: an explicit step beyond the stability bound is sub-stepped, never unstable", "[thermal]") {
  RcStack net(one_dimensional(2));
  const double dt = 50 * net.stable_step();
  Eigen::VectorXd a = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(net.nodes())), b = a, power = a;
  power[0] = 10.0;
  const int n = net.step_explicit(a, power, dt);
  CHECK(n >= 50);
  CHECK(dt / n <= net.stable_step());
  // many sub-steps of forward Euler agree with one backward-Euler step to first order
  for (int k = 0; k < 20; ++k) net.step_explicit(a, power, dt);
  for (int k = 0; k < 21 * n; ++k) net.step_implicit(b, power, dt / n);
  CHECK((a - b).cwiseAbs().maxCoeff() < 0.01 * b.maxCoeff());
  CHECK(a.allFinite());
}

TEST_CASE("thermal: non-physical layers are refused", "[thermal]") {
  StackSpec s = one_dimensional(1);
  s.layers[1].k_vertical = -4;
  CHECK_THROWS_AS(RcStack(s), std::invalid_argument);
  s = one_dimensional(1);
  s.layers[0].thickness = 0;
  CHECK_THROWS_AS(RcStack(s), std::invalid_argument);
  s = one_dimensional(1);
  s.sink.side = 5e-3;  // smaller than the chip
  CHECK_THROWS_AS(RcStack(s), std::invalid_argument);
}
