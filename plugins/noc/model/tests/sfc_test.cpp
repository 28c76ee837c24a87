// Space-filling curves: bijection, adjacency of consecutive cells, inverse, Hilbert shape.
#include "strata/noc/sfc.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <set>
#include <stdexcept>

using namespace strata::noc;

namespace {

void require_hamiltonian_path(const std::vector<Cell>& order, int w, int h) {
  REQUIRE(order.size() == static_cast<std::size_t>(w * h));
  std::set<Cell> seen(order.begin(), order.end());
  REQUIRE(seen.size() == order.size());
  for (const Cell c : order) {
    REQUIRE(c.x >= 0);
    REQUIRE(c.x < w);
    REQUIRE(c.y >= 0);
    REQUIRE(c.y < h);
  }
  for (std::size_t i = 0; i + 1 < order.size(); ++i) {
    INFO("step " << i << " of " << w << " x " << h);
    REQUIRE(std::abs(order[i].x - order[i + 1].x) + std::abs(order[i].y - order[i + 1].y) == 1);
  }
}

}  // namespace

TEST_CASE("sfc: snake visits every cell once and consecutive cells are neighbours") {
  for (int w = 1; w <= 9; ++w) {
    for (int h = 1; h <= 9; ++h) require_hamiltonian_path(snake_order(w, h), w, h);
  }
}

TEST_CASE("sfc: snake on 4x4 is row 0 forward, row 1 backward") {
  const auto o = snake_order(4, 4);
  CHECK(o[0] == Cell{0, 0});
  CHECK(o[3] == Cell{3, 0});
  CHECK(o[4] == Cell{3, 1});
  CHECK(o[7] == Cell{0, 1});
  CHECK(o[15] == Cell{0, 3});
}

TEST_CASE("sfc: hilbert on 2^k squares visits every cell once with unit steps") {
  for (int n = 1; n <= 64; n *= 2) {
    REQUIRE(hilbert_is_exact(n, n));
    require_hamiltonian_path(hilbert_order(n, n), n, n);
  }
}

TEST_CASE("sfc: hilbert starts at (0,0) and ends at (n-1,0)") {
  for (int n = 2; n <= 32; n *= 2) {
    const auto o = hilbert_order(n, n);
    CHECK(o.front() == Cell{0, 0});
    CHECK(o.back() == Cell{n - 1, 0});
  }
}

TEST_CASE("sfc: hilbert 2x2 and 4x4 match the textbook curve") {
  CHECK(hilbert_order(2, 2) == std::vector<Cell>{{0, 0}, {0, 1}, {1, 1}, {1, 0}});
  // First quadrant of the order-2 curve is the transposed order-1 curve.
  const auto o = hilbert_order(4, 4);
  CHECK(o[0] == Cell{0, 0});
  CHECK(o[1] == Cell{1, 0});
  CHECK(o[2] == Cell{1, 1});
  CHECK(o[3] == Cell{0, 1});
  CHECK(o[4] == Cell{0, 2});
}

TEST_CASE("sfc: hilbert quadrant locality -- each aligned 2^j block is one contiguous run") {
  const int n = 16;
  const auto o = hilbert_order(n, n);
  for (int s = 2; s <= n; s *= 2) {
    const std::size_t run = static_cast<std::size_t>(s * s);
    for (std::size_t start = 0; start < o.size(); start += run) {
      const int bx = o[start].x / s;
      const int by = o[start].y / s;
      for (std::size_t i = start; i < start + run; ++i) {
        REQUIRE(o[i].x / s == bx);
        REQUIRE(o[i].y / s == by);
      }
    }
  }
}

TEST_CASE("sfc: hilbert xy_to_d and d_to_xy are inverse bijections") {
  for (int n = 1; n <= 32; n *= 2) {
    for (std::uint64_t d = 0; d < static_cast<std::uint64_t>(n * n); ++d) {
      REQUIRE(hilbert_xy_to_d(n, hilbert_d_to_xy(n, d)) == d);
    }
  }
  CHECK_THROWS_AS(hilbert_d_to_xy(6, 0), std::invalid_argument);
  CHECK_THROWS_AS(hilbert_d_to_xy(4, 16), std::invalid_argument);
  CHECK_THROWS_AS(hilbert_xy_to_d(4, Cell{4, 0}), std::invalid_argument);
}

TEST_CASE("sfc: hilbert on other grids falls back to the snake, still a unit-step path") {
  for (int w = 1; w <= 7; ++w) {
    for (int h = 1; h <= 7; ++h) {
      const auto o = hilbert_order(w, h);
      require_hamiltonian_path(o, w, h);
      if (!is_power_of_two_square(w, h)) {
        CHECK_FALSE(hilbert_is_exact(w, h));
        CHECK(o == snake_order(w, h));
      }
    }
  }
}

TEST_CASE("sfc: curve_index inverts the order") {
  for (const CurveKind kind : {CurveKind::snake, CurveKind::hilbert}) {
    for (const auto& [w, h] : {std::pair{4, 4}, std::pair{8, 8}, std::pair{3, 5}}) {
      const auto o = curve_order(kind, w, h);
      const auto idx = curve_index(o, w, h);
      for (std::size_t i = 0; i < o.size(); ++i) {
        REQUIRE(idx[static_cast<std::size_t>(o[i].y * w + o[i].x)] == i);
      }
    }
  }
  CHECK_THROWS_AS(curve_index({{0, 0}, {0, 0}}, 2, 1), std::invalid_argument);
  CHECK_THROWS_AS(curve_index({{0, 0}}, 2, 1), std::invalid_argument);
}

TEST_CASE("sfc: curve names round-trip and bad grids are refused") {
  CHECK(parse_curve_kind(to_string(CurveKind::snake)) == CurveKind::snake);
  CHECK(parse_curve_kind(to_string(CurveKind::hilbert)) == CurveKind::hilbert);
  CHECK_THROWS_AS(parse_curve_kind("peano"), std::invalid_argument);
  CHECK_THROWS_AS(snake_order(0, 3), std::invalid_argument);
  CHECK_THROWS_AS(hilbert_order(4, -1), std::invalid_argument);
}

TEST_CASE("sfc: spread_along picks evenly spaced distinct cells") {
  const auto o = hilbert_order(4, 4);
  const auto four = spread_along(o, 4);
  CHECK(four == std::vector<Cell>{o[0], o[4], o[8], o[12]});
  CHECK(spread_along(o, 16) == o);
  CHECK(spread_along(o, 0).empty());
  const auto five = spread_along(o, 5);
  CHECK(std::set<Cell>(five.begin(), five.end()).size() == 5);
  CHECK_THROWS_AS(spread_along(o, 17), std::invalid_argument);
}
