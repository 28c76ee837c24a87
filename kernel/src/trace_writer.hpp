// trace_writer.hpp - Chrome / Perfetto trace-event JSON, streamed to a file.
//
// One "X" (complete) event per span; one track (tid) per component, named by a metadata
// event the first time the component appears. Timestamps are microseconds with 6
// decimals, i.e. exact picoseconds. The file is written to `<path>.partial` and renamed on
// close(), so an interrupted run never leaves a truncated trace that looks complete.
#pragma once

#include <strata/units.hpp>

#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace strata::detail {

class TraceWriter {
 public:
  explicit TraceWriter(std::string path);
  ~TraceWriter();
  /// One buffer per partition: spans recorded by parallel partitions never race, and
  /// flush() writes them in a fixed order, so the file is the same at any thread count.
  void set_partitions(std::size_t n) { buffers_.resize(n); }
  void span(std::size_t partition, std::string_view component, std::string_view name, std::string_view category,
            Time start, Time end, std::string_view args_json);
  /// Write buffered spans sorted by (start, end, component, name). Called single-threaded
  /// at window boundaries.
  void flush();
  /// Finish the JSON and move it into place. Idempotent.
  void close();
  std::uint64_t spans() const { return spans_; }

 private:
  struct Span {
    std::string component, name, category, args;
    Time start, end;
  };
  std::vector<std::vector<Span>> buffers_{1};
  void write(const Span& s);
  int track(std::string_view component);
  std::string path_;
  std::FILE* f_ = nullptr;
  std::map<std::string, int, std::less<>> tracks_;
  std::uint64_t spans_ = 0;
  bool first_ = true;
};

}  // namespace strata::detail
