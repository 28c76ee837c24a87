#include "rc_stack.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace strata::thermal {

struct RcStack::Factor {
  double dt = 0;  // 0: the steady-state system G
  Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> ldlt;
};

namespace {

void require_positive(double v, const std::string& what) {
  if (!(v > 0) || !std::isfinite(v)) throw std::invalid_argument(what + " must be positive and finite");
}

}  // namespace

RcStack::RcStack(StackSpec spec) : spec_(std::move(spec)) {
  const auto& s = spec_;
  require_positive(s.width, "chip width");
  require_positive(s.height, "chip height");
  if (s.cols < 1 || s.rows < 1) throw std::invalid_argument("the grid needs at least one cell per side");
  if (s.layers.empty()) throw std::invalid_argument("the stack needs at least one layer");
  for (const auto& l : s.layers) {
    require_positive(l.thickness, l.name + " thickness");
    require_positive(l.k_lateral, l.name + " lateral conductivity");
    require_positive(l.k_vertical, l.name + " vertical conductivity");
    require_positive(l.heat_capacity, l.name + " heat capacity");
  }
  for (const auto* p : {&s.spreader, &s.sink}) {
    const std::string what = p == &s.spreader ? "spreader" : "sink";
    require_positive(p->side, what + " side");
    require_positive(p->thickness, what + " thickness");
    require_positive(p->conductivity, what + " conductivity");
    require_positive(p->heat_capacity, what + " heat capacity");
    if (p->side < std::max(s.width, s.height))
      throw std::invalid_argument(what + " side is smaller than the chip");
  }
  if (s.sink.side < s.spreader.side) throw std::invalid_argument("sink side is smaller than the spreader side");
  require_positive(s.r_convec, "convection resistance");
  if (!(s.c_convec >= 0)) throw std::invalid_argument("convection capacitance must not be negative");

  const std::size_t cells = this->cells(), layers = s.layers.size();
  const double dx = s.width / s.cols, dy = s.height / s.rows, cell_area = dx * dy, chip_area = s.width * s.height;
  // Overhang of a plate beyond the chip: one lumped node when there is any.
  auto overhang = [&](const PlateSpec& p) { return p.side * p.side - chip_area; };
  const bool spreader_ring = overhang(s.spreader) > 1e-12 * chip_area;
  const bool sink_ring = overhang(s.sink) > 1e-12 * chip_area;
  std::size_t n = (layers + 2) * cells;
  const std::size_t spreader_ring_node = spreader_ring ? n++ : 0;
  const std::size_t sink_ring_node = sink_ring ? n++ : 0;

  capacitance_ = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(n));
  to_ambient_ = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(n));
  std::vector<Eigen::Triplet<double>> t;
  auto connect = [&](std::size_t a, std::size_t b, double g) {
    const auto ia = static_cast<Eigen::Index>(a), ib = static_cast<Eigen::Index>(b);
    t.emplace_back(ia, ia, g), t.emplace_back(ib, ib, g);
    t.emplace_back(ia, ib, -g), t.emplace_back(ib, ia, -g);
  };
  auto cap = [&](std::size_t a) -> double& { return capacitance_[static_cast<Eigen::Index>(a)]; };

  // Every gridded layer (chip layers, then the spreader and sink parts under the chip):
  // (thickness, lateral k, vertical k, volumetric c).
  struct Grid {
    double t, kl, kv, c;
  };
  std::vector<Grid> grids;
  for (const auto& l : s.layers) grids.push_back({l.thickness, l.k_lateral, l.k_vertical, l.heat_capacity});
  grids.push_back({s.spreader.thickness, s.spreader.conductivity, s.spreader.conductivity, s.spreader.heat_capacity});
  grids.push_back({s.sink.thickness, s.sink.conductivity, s.sink.conductivity, s.sink.heat_capacity});

  for (std::size_t l = 0; l < grids.size(); ++l) {
    const Grid& g = grids[l];
    const double g_x = g.kl * g.t * dy / dx, g_y = g.kl * g.t * dx / dy;
    for (int r = 0; r < s.rows; ++r)
      for (int c = 0; c < s.cols; ++c) {
        const std::size_t i = node(l, c, r);
        cap(i) = g.c * g.t * cell_area;
        if (c + 1 < s.cols) connect(i, node(l, c + 1, r), g_x);
        if (r + 1 < s.rows) connect(i, node(l, c, r + 1), g_y);
        if (l + 1 < grids.size()) {
          const Grid& b = grids[l + 1];
          connect(i, node(l + 1, c, r), cell_area / (g.t / (2 * g.kv) + b.t / (2 * b.kv)));
        }
      }
  }
  // Plate overhangs: the chip-edge cells of a plate reach its ring node through half a cell
  // and half the overhang's width.
  auto ring = [&](std::size_t grid, const PlateSpec& p, std::size_t ring_node) {
    const double wx = (p.side - s.width) / 2, wy = (p.side - s.height) / 2;
    cap(ring_node) += p.heat_capacity * p.thickness * overhang(p);
    for (int r = 0; r < s.rows; ++r)
      for (int c = 0; c < s.cols; ++c) {
        const std::size_t i = node(grid, c, r);
        const int x_edges = (c == 0) + (c == s.cols - 1), y_edges = (r == 0) + (r == s.rows - 1);
        if (wx > 0 && x_edges)
          connect(i, ring_node, x_edges * p.conductivity * p.thickness * dy / (dx / 2 + wx / 2));
        if (wy > 0 && y_edges)
          connect(i, ring_node, y_edges * p.conductivity * p.thickness * dx / (dy / 2 + wy / 2));
      }
  };
  if (spreader_ring) ring(layers, s.spreader, spreader_ring_node);
  if (sink_ring) ring(layers + 1, s.sink, sink_ring_node);
  if (spreader_ring && sink_ring) {
    const double a = overhang(s.spreader);
    connect(spreader_ring_node, sink_ring_node,
            a / (s.spreader.thickness / (2 * s.spreader.conductivity) + s.sink.thickness / (2 * s.sink.conductivity)));
  }
  // Convection from the sink base, shared by area, and its capacitance likewise.
  const double sink_area = s.sink.side * s.sink.side;
  auto convect = [&](std::size_t i, double area) {
    to_ambient_[static_cast<Eigen::Index>(i)] = area / sink_area / s.r_convec;
    cap(i) += s.c_convec * area / sink_area;
    const auto ii = static_cast<Eigen::Index>(i);
    t.emplace_back(ii, ii, to_ambient_[ii]);
  };
  for (int r = 0; r < s.rows; ++r)
    for (int c = 0; c < s.cols; ++c) convect(sink_node(c, r), cell_area);
  if (sink_ring) convect(sink_ring_node, overhang(s.sink));

  g_.resize(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
  g_.setFromTriplets(t.begin(), t.end());
  g_.makeCompressed();
  stable_step_ = std::numeric_limits<double>::infinity();
  for (Eigen::Index i = 0; i < g_.rows(); ++i) stable_step_ = std::min(stable_step_, capacitance_[i] / g_.coeff(i, i));
}

RcStack::~RcStack() = default;
RcStack::RcStack(RcStack&&) noexcept = default;
RcStack& RcStack::operator=(RcStack&&) noexcept = default;

void RcStack::step_implicit(Eigen::VectorXd& theta, const Eigen::VectorXd& power, double dt) {
  if (!(dt > 0)) throw std::invalid_argument("time step must be positive");
  Factor* f = nullptr;
  for (auto& x : factors_)
    if (x->dt == dt) f = x.get();
  if (!f) {
    if (factors_.size() >= 4) factors_.erase(factors_.begin());  // the interval stays in use: re-made at most once
    auto x = std::make_unique<Factor>();
    x->dt = dt;
    Eigen::SparseMatrix<double> a = g_;
    for (Eigen::Index i = 0; i < a.rows(); ++i) a.coeffRef(i, i) += capacitance_[i] / dt;
    x->ldlt.compute(a);
    if (x->ldlt.info() != Eigen::Success) throw std::runtime_error("thermal: factorization of C/dt + G failed");
    factors_.push_back(std::move(x));
    f = factors_.back().get();
  }
  scratch_ = capacitance_.cwiseProduct(theta) / dt + power;
  theta = f->ldlt.solve(scratch_);
}

int RcStack::step_explicit(Eigen::VectorXd& theta, const Eigen::VectorXd& power, double dt, double* heat_out) {
  if (!(dt > 0)) throw std::invalid_argument("time step must be positive");
  // the bound itself is stable (and keeps every coefficient of the update non-negative)
  const int n = std::max(1, static_cast<int>(std::ceil(dt / stable_step_ * (1 - 1e-12))));
  const double h = dt / n;
  double out = 0;
  for (int k = 0; k < n; ++k) {
    if (heat_out) out += to_ambient_.dot(theta) * h;
    scratch_.noalias() = g_ * theta;
    theta += h * (power - scratch_).cwiseQuotient(capacitance_);
  }
  if (heat_out) *heat_out = out;
  return n;
}

Eigen::VectorXd RcStack::steady(const Eigen::VectorXd& power) {
  if (!steady_) {
    steady_ = std::make_unique<Factor>();
    steady_->ldlt.compute(g_);
    if (steady_->ldlt.info() != Eigen::Success) throw std::runtime_error("thermal: factorization of G failed");
  }
  return steady_->ldlt.solve(power);
}

}  // namespace strata::thermal
