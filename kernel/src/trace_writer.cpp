#include "trace_writer.hpp"

#include <strata/transaction.hpp>  // ByteBuffer

#include <nlohmann/json.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <algorithm>
#include <cmath>
#include <tuple>

namespace strata::detail {

namespace {
std::string micros(Time ps) { return fmt::format("{}.{:06}", ps / 1000000, ps % 1000000); }
std::string json_quote(std::string_view s) { return nlohmann::json(std::string(s)).dump(); }
}  // namespace

TraceWriter::TraceWriter(std::string path, bool to_file) : to_file_(to_file), path_(std::move(path)) {
  if (!to_file_) return;
  f_ = std::fopen((path_ + ".partial").c_str(), "w");
  if (!f_) throw std::runtime_error(fmt::format("{}: cannot write trace: {}", path_, std::strerror(errno)));
  std::fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", f_);
}

TraceWriter::~TraceWriter() {
  if (f_) std::fclose(f_);  // not closed properly: leave only the .partial file
}

int TraceWriter::track(std::string_view component) {
  auto it = tracks_.find(component);
  if (it != tracks_.end()) return it->second;
  int id = static_cast<int>(tracks_.size()) + 1;
  tracks_.emplace(std::string(component), id);
  fmt::print(f_, "{}{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":{},\"args\":{{\"name\":{}}}}}",
             first_ ? "" : ",\n", id, json_quote(component));
  first_ = false;
  return id;
}

void TraceWriter::span(std::size_t partition, std::string_view component, std::string_view name,
                       std::string_view category, Time start, Time end, std::string_view args_json) {
  if (!f_ && !hold_) return;
  if (partition >= buffers_.size()) partition = 0;
  buffers_[partition].push_back(
      Span{std::string(component), std::string(name), std::string(category), std::string(args_json), start, end});
}

void TraceWriter::counter(std::size_t partition, std::string_view component, std::string_view name, Time t,
                          double value) {
  if (!f_ && !hold_) return;
  if (partition >= buffers_.size()) partition = 0;
  Span s{std::string(component), std::string(name), std::string(), std::string(), t, t};
  s.is_counter = true;
  s.value = value;
  buffers_[partition].push_back(std::move(s));
}

void TraceWriter::flush() {
  if (hold_) {
    for (auto& b : buffers_)
      for (auto& s : b) {
        held_.push_back(std::move(s));
        held_.back().window = window_;
      }
    for (auto& b : buffers_) b.clear();
    ++window_;
    return;
  }
  if (!f_) return;
  std::vector<const Span*> all;
  for (auto& b : buffers_)
    for (auto& s : b) all.push_back(&s);
  std::sort(all.begin(), all.end(), [](const Span* a, const Span* b) {
    return std::tie(a->start, a->end, a->component, a->name) < std::tie(b->start, b->end, b->component, b->name);
  });
  for (const Span* s : all) write(*s);
  for (auto& b : buffers_) b.clear();
}

void TraceWriter::write(const Span& s) {
  if (s.is_counter) {  // process-scoped counter track, named after the component and the series
    fmt::print(f_, "{}{{\"ph\":\"C\",\"pid\":1,\"name\":{},\"ts\":{},\"args\":{{\"value\":{}}}}}",
               first_ ? "" : ",\n", json_quote(s.component + " " + s.name), micros(s.start),
               std::isfinite(s.value) ? fmt::format("{:.6g}", s.value) : std::string("null"));
    first_ = false;
    return;
  }
  int tid = track(s.component);
  fmt::print(f_, ",\n{{\"ph\":\"X\",\"pid\":1,\"tid\":{},\"name\":{},\"cat\":{},\"ts\":{},\"dur\":{}{}{}}}", tid,
             json_quote(s.name), json_quote(s.category), micros(s.start), micros(s.end > s.start ? s.end - s.start : 0),
             s.args.empty() ? "" : ",\"args\":", s.args);
  ++spans_;
}

std::vector<unsigned char> TraceWriter::take_held() {
  flush();  // what was recorded since the last window (finish()): the serial close's batch
  ByteBuffer b;
  for (const auto& s : held_) {
    b.put(s.window), b.put(s.start), b.put(s.end);
    b.put_string(s.component), b.put_string(s.name), b.put_string(s.category), b.put_string(s.args);
    b.put(static_cast<std::uint8_t>(s.is_counter)), b.put(s.value);
  }
  held_.clear();
  return std::move(b.bytes());
}

void TraceWriter::write_held(const std::vector<std::vector<unsigned char>>& packed) {
  std::vector<Span> all;
  for (const auto& bytes : packed) {
    ByteBuffer b;
    b.bytes() = bytes;
    while (b.remaining() > 0) {
      Span s;
      s.window = b.get<std::uint64_t>(), s.start = b.get<Time>(), s.end = b.get<Time>();
      s.component = b.get_string(), s.name = b.get_string(), s.category = b.get_string(), s.args = b.get_string();
      s.is_counter = b.get<std::uint8_t>() != 0, s.value = b.get<double>();
      all.push_back(std::move(s));
    }
  }
  std::stable_sort(all.begin(), all.end(), [](const Span& a, const Span& b) {
    return std::tie(a.window, a.start, a.end, a.component, a.name) <
           std::tie(b.window, b.start, b.end, b.component, b.name);
  });
  if (f_)
    for (const Span& s : all) write(s);
  hold_ = false;
}

void TraceWriter::close() {
  if (!f_) return;
  flush();
  std::fputs("\n]}\n", f_);
  bool ok = std::fflush(f_) == 0;
  std::fclose(f_);
  f_ = nullptr;
  if (!ok) throw std::runtime_error(fmt::format("{}: error writing trace", path_));
  std::filesystem::rename(path_ + ".partial", path_);
}

}  // namespace strata::detail
