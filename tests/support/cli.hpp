// cli.hpp - what the end-to-end tests share: where the source and build trees are, running
// the built `strata` (or any shell command) with its output captured, temporary folders.
// Header-only and free of kernel headers: e2e tests only see the binary, as a user does.
#pragma once

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>
#include <vector>
#include <sys/wait.h>
#include <unistd.h>

namespace strata::testing {

/// The build tree (STRATA_BUILD_DIR, set by ctest).
inline std::filesystem::path build_dir() {
  const char* b = std::getenv("STRATA_BUILD_DIR");
  return b ? b : "build";
}
/// The repository root (STRATA_SOURCE_DIR, set by ctest), for example files.
inline std::filesystem::path source_dir() {
  const char* s = std::getenv("STRATA_SOURCE_DIR");
  return s ? s : ".";
}
inline std::string strata_binary(const std::filesystem::path& build = build_dir()) {
  return (build / "bin" / "strata").string();
}

struct CommandResult {
  int rc = -1;      // exit status; 128 + N when killed by signal N (124: `timeout` expired)
  std::string out;  // stdout and stderr, interleaved
};

/// Runs `cmd` through /bin/sh with stderr folded into stdout.
inline CommandResult run_shell(const std::string& cmd) {
  CommandResult r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
  return r;
}

/// Runs the built strata with `args`; `env` is prepended (`VAR=value ...`); with
/// `timeout_s` > 0 a hang becomes exit status 124 instead of a stuck test.
inline CommandResult run_strata(const std::string& args, const std::string& env = "", int timeout_s = 0,
                                const std::filesystem::path& build = build_dir()) {
  std::string cmd = env;
  if (timeout_s > 0) cmd += " timeout -k 5 " + std::to_string(timeout_s);
  return run_shell(cmd + " " + strata_binary(build) + " " + args);
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

/// A CSV file as rows of cells, the header first. Splits at every comma: for the tables
/// strata writes (report.csv, sweep.csv), whose cells never hold one.
inline std::vector<std::vector<std::string>> read_csv(const std::filesystem::path& p) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream f(p);
  for (std::string line; std::getline(f, line);) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) cells.push_back(cell);
    rows.push_back(std::move(cells));
  }
  return rows;
}

/// A PHOLD ring as TOML: `lps` logical processes (component "lp"), `init` initial events
/// each, LP i linked to i + each offset (e.g. "1, 2, 4") with `latency`. Runs until stopped.
inline std::string phold_ring(int lps, int init, const std::string& offsets, const std::string& latency = "1ns") {
  return "\n[[component]]\nname = \"lp\"\ntype = \"bench.phold_lp\"\ngrid = [" + std::to_string(lps) +
         "]\nparams = { init = " + std::to_string(init) +
         " }\n\n[[generate]]\nkind = \"offsets\"\ncomponent = \"lp\"\nfrom_port = \"port\"\nto_port = \"port\"\n"
         "offsets = [" + offsets + "]\nlatency = \"" + latency + "\"\n";
}

/// An experiment over the topology file "ring.toml" next to it, stopped at 1 us, with
/// `rest` (a [sweep] table, say) appended.
inline std::string ring_experiment(const std::string& name, const std::string& rest) {
  return "[experiment]\nname = \"" + name + "\"\ntopology = \"ring.toml\"\n[stop]\nend_time = \"1us\"\n" + rest;
}

/// A small PHOLD system (8 LPs, links to i+1 and i+2, 2 initial events each) that runs
/// until stopped: the tests' smallest complete topology (phold_ring(8, 2, "1, 2") spelled out).
inline constexpr const char* kSmallPholdRing = R"(
[[component]]
name = "lp"
type = "bench.phold_lp"
grid = [8]
params = { init = 2 }

[[generate]]
kind = "offsets"
component = "lp"
from_port = "port"
to_port = "port"
offsets = [1, 2]
latency = "1ns"
)";

/// A fresh folder under the system temp folder, removed (with everything in it, whatever
/// permissions a test left) when the object goes.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& prefix = "strata-test") {
    path = std::filesystem::temp_directory_path() /
           (prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(std::rand()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
    return path / name;
  }
};

}  // namespace strata::testing
