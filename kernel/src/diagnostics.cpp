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

}  // namespace strata::detail
