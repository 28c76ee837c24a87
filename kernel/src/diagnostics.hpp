// diagnostics.hpp - configuration errors collected and printed like a compiler's.
//
//   topologies/x.toml:12:9: error: unknown key 'latncy' in [[link]]
//   topologies/x.toml:12:9: note: did you mean 'latency'?
//
// Everything found before time zero is collected, then reported together; the CLI exits
// with status 2 when any error was recorded.
#pragma once

#include <strata/suggest.hpp>

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace strata::detail {

struct SourceLoc {
  std::string file;
  int line = 0, column = 0;
};

struct Diagnostic {
  SourceLoc loc;
  std::string message;
  std::string note;  // the fix, when there is one
};

class Diagnostics {
 public:
  void error(SourceLoc loc, std::string message, std::string note = {});
  bool has_errors() const { return !errors_.empty(); }
  const std::vector<Diagnostic>& errors() const { return errors_; }
  void print(std::ostream& os) const;
  std::string str() const;

 private:
  std::vector<Diagnostic> errors_;
};

// Did-you-mean suggestions: the SDK's (strata/suggest.hpp), shared with plugins.
using strata::closest_match;
using strata::edit_distance;

}  // namespace strata::detail
