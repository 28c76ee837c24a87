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
  /// `to_file` false: spans are recorded and handed over (take_held), never written here
  /// (an MPI rank other than 0).
  explicit TraceWriter(std::string path, bool to_file = true);
  ~TraceWriter();
  /// One buffer per partition: spans recorded by parallel partitions never race, and
  /// flush() writes them in a fixed order, so the file is the same at any thread count.
  void set_partitions(std::size_t n) { buffers_.resize(n); }
  void span(std::size_t partition, std::string_view component, std::string_view name, std::string_view category,
            Time start, Time end, std::string_view args_json);
  /// A counter sample: a "C" event on the counter track "<component> <name>", ordered with
  /// the spans (a counter is a span with start = end = t).
  void counter(std::size_t partition, std::string_view component, std::string_view name, Time t, double value);
  /// Write buffered spans sorted by (start, end, component, name). Called single-threaded
  /// at window boundaries.
  void flush();
  /// Finish the JSON and move it into place. Idempotent.
  void close();
  /// MPI ranks: flush() keeps each window's spans (numbered by window) instead of writing;
  /// take_held() packs them for rank 0, whose write_held() writes every rank's spans in the
  /// order a serial run writes them: by window, then (start, end, component, name).
  void set_hold(bool hold) { hold_ = hold; }
  std::vector<unsigned char> take_held();
  void write_held(const std::vector<std::vector<unsigned char>>& packed);
  std::uint64_t spans() const { return spans_; }

 private:
  struct Span {
    std::string component, name, category, args;
    Time start, end;
    std::uint64_t window = 0;
    bool is_counter = false;
    double value = 0;  // a counter's sample
  };
  bool hold_ = false;
  bool to_file_ = true;
  std::uint64_t window_ = 0;
  std::vector<Span> held_;
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
