// strata/suggest.hpp - "did you mean": the known name nearest to a mistyped one, for the
// error messages of every input (TOML keys, component types, choices, model names, graph
// fields). One definition for the kernel and for plugins, so every input suggests alike.
// Header-only (inline): nothing here is part of the plugin ABI.
#pragma once

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata {

/// Levenshtein distance: insertions, deletions and substitutions, each costing 1.
inline std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

/// The candidate nearest to `word` when it is within max(2, |word| / 3) edits (close enough
/// to be a typo of it, not another word), else empty; on a tie the first candidate wins.
/// `candidates`: any range of things that convert to std::string_view.
template <class Names>
std::string closest_match(std::string_view word, const Names& candidates) {
  std::string_view best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& name : candidates) {
    const std::string_view candidate(name);
    const std::size_t d = edit_distance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return std::string(best);
}
inline std::string closest_match(std::string_view word, std::initializer_list<std::string_view> candidates) {
  return closest_match<std::initializer_list<std::string_view>>(word, candidates);
}

}  // namespace strata
