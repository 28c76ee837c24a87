#include "trace_writer.hpp"

#include <nlohmann/json.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace strata::detail {

namespace {
std::string micros(Time ps) { return fmt::format("{}.{:06}", ps / 1000000, ps % 1000000); }
std::string quoted(std::string_view s) { return nlohmann::json(std::string(s)).dump(); }
}  // namespace

TraceWriter::TraceWriter(std::string path) : path_(std::move(path)) {
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
             first_ ? "" : ",\n", id, quoted(component));
  first_ = false;
  return id;
}

void TraceWriter::span(std::string_view component, std::string_view name, std::string_view category, Time start,
                       Time end, std::string_view args_json) {
  if (!f_) return;
  int tid = track(component);
  fmt::print(f_, ",\n{{\"ph\":\"X\",\"pid\":1,\"tid\":{},\"name\":{},\"cat\":{},\"ts\":{},\"dur\":{}{}{}}}", tid,
             quoted(name), quoted(category), micros(start), micros(end > start ? end - start : 0),
             args_json.empty() ? "" : ",\"args\":", args_json);
  ++spans_;
}

void TraceWriter::close() {
  if (!f_) return;
  std::fputs("\n]}\n", f_);
  bool ok = std::fflush(f_) == 0;
  std::fclose(f_);
  f_ = nullptr;
  if (!ok) throw std::runtime_error(fmt::format("{}: error writing trace", path_));
  std::filesystem::rename(path_ + ".partial", path_);
}

}  // namespace strata::detail
