#include "diagnostics.hpp"

#include <algorithm>
#include <ostream>
#include <sstream>
#include <tuple>

namespace strata::detail {

void Diagnostics::error(SourceLoc loc, std::string message, std::string note) {
  errors_.push_back({std::move(loc), std::move(message), std::move(note)});
}

static void print_loc(std::ostream& os, const SourceLoc& l) {
  os << (l.file.empty() ? "<input>" : l.file);
  if (l.line > 0) os << ':' << l.line << ':' << l.column;
  os << ": ";
}

void Diagnostics::print(std::ostream& os) const {
  // in file order, so a reader fixes them top to bottom (toml++ iterates keys sorted)
  std::vector<std::string> files;  // in the order files first appear
  auto file_rank = [&](const std::string& f) {
    auto it = std::find(files.begin(), files.end(), f);
    if (it != files.end()) return static_cast<std::size_t>(it - files.begin());
    files.push_back(f);
    return files.size() - 1;
  };
  std::vector<std::pair<std::tuple<std::size_t, int, int>, const Diagnostic*>> order;
  for (const auto& d : errors_) order.push_back({{file_rank(d.loc.file), d.loc.line, d.loc.column}, &d});
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [key, dp] : order) {
    const Diagnostic& d = *dp;
    print_loc(os, d.loc);
    os << "error: " << d.message << '\n';
    if (!d.note.empty()) {
      print_loc(os, d.loc);
      os << "note: " << d.note << '\n';
    }
  }
}

std::string Diagnostics::str() const {
  std::ostringstream os;
  print(os);
  return os.str();
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
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

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

}  // namespace strata::detail
