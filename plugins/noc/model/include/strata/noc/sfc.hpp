// Space-filling curves over a W x H grid of cores: the order in which a ReRAM tier chains
// its cores (Atleus: "each core links to its predecessor and successor along a space-filling
// curve"). Pure math, no simulator dependency.
// Snake: boustrophedon, row by row. Hilbert: the classic iterative d2xy/xy2d mapping as given
// in Wikipedia "Hilbert curve" (after B. Hayes, "Crinkly curves", American Scientist 101(3),
// 2013); defined for square power-of-two grids only. Any other grid falls back to the snake
// (see hilbert_order) -- a generalized Hilbert curve is deliberately not modelled.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace strata::noc {

// One grid cell. x in [0, width), y in [0, height).
struct Cell {
  int x = 0;
  int y = 0;
  friend auto operator<=>(const Cell&, const Cell&) = default;
};

enum class CurveKind : std::uint8_t {
  snake,    // row 0 left to right, row 1 right to left, ... (any W x H)
  hilbert,  // Hilbert curve on power-of-two squares, snake otherwise
};

// "snake" / "hilbert"; parse_curve_kind throws std::invalid_argument on anything else.
std::string_view to_string(CurveKind kind) noexcept;
CurveKind parse_curve_kind(std::string_view name);

// True when width == height == 2^k (k >= 0): the grids the Hilbert curve is defined on.
bool is_power_of_two_square(int width, int height) noexcept;

// Visiting orders. Every cell appears exactly once, and consecutive cells are grid
// neighbours (Manhattan distance 1). Throw std::invalid_argument if width or height < 1.
std::vector<Cell> snake_order(int width, int height);
// Hilbert curve from (0,0) to (n-1,0) on an n x n grid, n = 2^k; snake_order(width, height)
// on every other grid (hilbert_is_exact() tells which one a caller gets).
std::vector<Cell> hilbert_order(int width, int height);
bool hilbert_is_exact(int width, int height) noexcept;
std::vector<Cell> curve_order(CurveKind kind, int width, int height);

// The two directions of the Hilbert bijection on an n x n grid, n = 2^k; d in [0, n*n).
// Throw std::invalid_argument when n is not a power of two or an argument is out of range.
std::uint64_t hilbert_xy_to_d(int n, Cell cell);
Cell hilbert_d_to_xy(int n, std::uint64_t d);

// Inverse of an order: result[y * width + x] = position of (x, y) in `order`.
// Throws std::invalid_argument unless `order` visits every cell of the grid exactly once.
std::vector<std::size_t> curve_index(const std::vector<Cell>& order, int width, int height);

// `count` cells spread evenly along `order` (positions floor(i * size / count)), used to pick
// which cells carry a TSV when a tier pair has fewer vertical links than cells.
// Throws std::invalid_argument unless 0 <= count <= order.size().
std::vector<Cell> spread_along(const std::vector<Cell>& order, std::size_t count);

}  // namespace strata::noc
