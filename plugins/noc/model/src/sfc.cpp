// Space-filling curves. The Hilbert mapping follows the iterative quadrant rotate/flip
// formulation (Wikipedia "Hilbert curve", after Hayes 2013): at each scale s the pair of bits
// (rx, ry) picks a quadrant, and the sub-curve is rotated/flipped so its ends meet.
#include "strata/noc/sfc.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <utility>

namespace strata::noc {
namespace {

void check_grid(int width, int height) {
  if (width < 1 || height < 1) {
    throw std::invalid_argument(
        fmt::format("space-filling curve: grid {} x {} must be at least 1 x 1", width, height));
  }
}

bool is_power_of_two(int n) noexcept { return n > 0 && (n & (n - 1)) == 0; }

// Rotate/flip the s x s sub-square so the sub-curve of quadrant (rx, ry) is oriented
// like the parent: the lower quadrants (ry == 0) are transposed, and the lower-right one
// is also mirrored through the centre.
void rotate(int s, int& x, int& y, int rx, int ry) noexcept {
  if (ry == 0) {
    if (rx == 1) {
      x = s - 1 - x;
      y = s - 1 - y;
    }
    std::swap(x, y);
  }
}

}  // namespace

std::string_view to_string(CurveKind kind) noexcept {
  switch (kind) {
    case CurveKind::snake:
      return "snake";
    case CurveKind::hilbert:
      return "hilbert";
  }
  return "?";
}

CurveKind parse_curve_kind(std::string_view name) {
  if (name == "snake") return CurveKind::snake;
  if (name == "hilbert") return CurveKind::hilbert;
  throw std::invalid_argument(
      fmt::format("unknown curve '{}': expected \"snake\" or \"hilbert\"", name));
}

bool is_power_of_two_square(int width, int height) noexcept {
  return width == height && is_power_of_two(width);
}

bool hilbert_is_exact(int width, int height) noexcept {
  return is_power_of_two_square(width, height);
}

std::vector<Cell> snake_order(int width, int height) {
  check_grid(width, height);
  std::vector<Cell> order;
  order.reserve(static_cast<std::size_t>(width) * static_cast<std::size_t>(height));
  for (int y = 0; y < height; ++y) {
    const bool forward = (y % 2) == 0;
    for (int i = 0; i < width; ++i) order.push_back({forward ? i : width - 1 - i, y});
  }
  return order;
}

std::uint64_t hilbert_xy_to_d(int n, Cell cell) {
  if (!is_power_of_two(n)) {
    throw std::invalid_argument(fmt::format("hilbert: n = {} is not a power of two", n));
  }
  if (cell.x < 0 || cell.x >= n || cell.y < 0 || cell.y >= n) {
    throw std::invalid_argument(
        fmt::format("hilbert: cell ({}, {}) outside {} x {}", cell.x, cell.y, n, n));
  }
  int x = cell.x;
  int y = cell.y;
  std::uint64_t d = 0;
  for (int s = n / 2; s > 0; s /= 2) {
    const int rx = (x & s) != 0 ? 1 : 0;
    const int ry = (y & s) != 0 ? 1 : 0;
    // Quadrant rank along the curve: (0,0)->0, (0,1)->1, (1,1)->2, (1,0)->3.
    d += static_cast<std::uint64_t>(s) * static_cast<std::uint64_t>(s) *
         static_cast<std::uint64_t>((3 * rx) ^ ry);
    rotate(n, x, y, rx, ry);
  }
  return d;
}

Cell hilbert_d_to_xy(int n, std::uint64_t d) {
  if (!is_power_of_two(n)) {
    throw std::invalid_argument(fmt::format("hilbert: n = {} is not a power of two", n));
  }
  const auto cells = static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(n);
  if (d >= cells) {
    throw std::invalid_argument(fmt::format("hilbert: d = {} outside [0, {})", d, cells));
  }
  int x = 0;
  int y = 0;
  std::uint64_t t = d;
  for (int s = 1; s < n; s *= 2) {
    const int rx = static_cast<int>(1U & (t / 2));
    const int ry = static_cast<int>(1U & (t ^ static_cast<std::uint64_t>(rx)));
    rotate(s, x, y, rx, ry);
    x += s * rx;
    y += s * ry;
    t /= 4;
  }
  return {x, y};
}

std::vector<Cell> hilbert_order(int width, int height) {
  check_grid(width, height);
  if (!hilbert_is_exact(width, height)) return snake_order(width, height);
  const auto cells = static_cast<std::uint64_t>(width) * static_cast<std::uint64_t>(width);
  std::vector<Cell> order;
  order.reserve(cells);
  for (std::uint64_t d = 0; d < cells; ++d) order.push_back(hilbert_d_to_xy(width, d));
  return order;
}

std::vector<Cell> curve_order(CurveKind kind, int width, int height) {
  switch (kind) {
    case CurveKind::snake:
      return snake_order(width, height);
    case CurveKind::hilbert:
      return hilbert_order(width, height);
  }
  throw std::invalid_argument("curve_order: invalid CurveKind");
}

std::vector<std::size_t> curve_index(const std::vector<Cell>& order, int width, int height) {
  check_grid(width, height);
  const auto cells = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
  if (order.size() != cells) {
    throw std::invalid_argument(fmt::format("curve_index: order has {} cells, grid {} x {} has {}",
                                            order.size(), width, height, cells));
  }
  constexpr auto unset = static_cast<std::size_t>(-1);
  std::vector<std::size_t> index(cells, unset);
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Cell c = order[i];
    if (c.x < 0 || c.x >= width || c.y < 0 || c.y >= height) {
      throw std::invalid_argument(
          fmt::format("curve_index: cell ({}, {}) outside the grid", c.x, c.y));
    }
    auto& slot = index[static_cast<std::size_t>(c.y) * static_cast<std::size_t>(width) +
                       static_cast<std::size_t>(c.x)];
    if (slot != unset) {
      throw std::invalid_argument(
          fmt::format("curve_index: cell ({}, {}) visited twice", c.x, c.y));
    }
    slot = i;
  }
  return index;
}

std::vector<Cell> spread_along(const std::vector<Cell>& order, std::size_t count) {
  if (count > order.size()) {
    throw std::invalid_argument(
        fmt::format("spread_along: {} cells requested from {}", count, order.size()));
  }
  std::vector<Cell> picked;
  picked.reserve(count);
  for (std::size_t i = 0; i < count; ++i) picked.push_back(order[i * order.size() / count]);
  return picked;
}

}  // namespace strata::noc
