// Helpers for the transformer workload tests: small chips of fake cores and NIs as TOML,
// traced runs, and scratch files.
#pragma once

#include "harness.hpp"
#include "trace_writer.hpp"

#include <strata/opgraph/generators.hpp>
#include <strata/opgraph/model_config.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace tf_test {

namespace fs = std::filesystem;
namespace og = strata::opgraph;

inline fs::path source_dir() {
  const char* s = std::getenv("STRATA_SOURCE_DIR");
  return s ? fs::path(s) : fs::path(STRATA_TRANSFORMER_SOURCE_DIR);
}
inline fs::path models_dir() { return source_dir() / "workloads" / "models"; }

// The op graph the generator makes of the model file `model` (a model TOML) for `mode`:
// `batch` sequences of `seq_len` tokens, `decode_tokens` generated (decode only).
inline og::Graph model_graph(const fs::path& model, og::Mode mode, std::uint64_t batch, std::uint64_t seq_len,
                             std::uint64_t decode_tokens = 0) {
  og::WorkloadSpec w;
  w.mode = mode;
  w.batch = batch;
  w.seq_len = seq_len;
  w.decode_tokens = decode_tokens;
  return og::generate(og::load_model_config(model), w);
}

// The same for a model of the library (workloads/models/<name>.toml), one sequence.
inline og::Graph library_graph(const std::string& name, og::Mode mode, std::uint64_t seq_len = 128) {
  return model_graph(models_dir() / (name + ".toml"), mode, 1, seq_len);
}

// A fresh directory under the system temp dir, removed when the test ends.
using TempDir = strata::testing::TempDir;

// A one-layer BERT-like encoder, small enough for hand-checked numbers.
inline constexpr const char* kTinyModel = R"(
name = "tiny-enc"
family = "encoder"
layers = 1
hidden = 64
heads = 2
ffn = 128
vocab = 100
max_positions = 64
type_vocab = 2
activation = "gelu"
norm = "layernorm"
norm_position = "post"
positional = "learned"
embedding_norm = true
pooler = true
)";

// A two-layer GPT-2-like decoder (pre-LN, learned positions, tied LM head), for decode and
// prefill tests.
inline constexpr const char* kTinyDecoder = R"(
name = "tiny-dec"
family = "decoder"
layers = 2
hidden = 64
heads = 2
ffn = 128
vocab = 100
max_positions = 64
activation = "gelu"
norm = "layernorm"
norm_position = "pre"
positional = "learned"
tie_embeddings = true
)";

// The build tree's `strata` binary, run through the shell: exit status and output.
struct Cli {
  int status = -1;
  std::string out;  // stdout and stderr
};
inline Cli strata_cli(const std::string& args) {
  const fs::path bin = strata::testing::plugin_dir().parent_path().parent_path().parent_path() / "bin" / "strata";
  Cli r;
  FILE* p = ::popen((bin.string() + " " + args + " 2>&1").c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// Times and latencies of a test chip (all integers of picoseconds, so closed forms are exact).
struct Chip {
  int pim = 1, sa = 1;
  std::string pim_params = "flop_time = \"1ps\", element_time = \"1ps\", load_time = \"1ps\"";
  std::string sa_params = "flop_time = \"2ps\", element_time = \"3ps\"";
  std::string ni_params = "latency = \"10ns\", byte_time = \"5ps\"";
  std::string core_link = "1ns";  // workload <-> core ctrl links
  std::string ni_link = "2ns";    // workload <-> NI ctrl links
};

// A system: the workload (params as TOML inline-table body), fake cores and NIs.
inline std::string chip_toml(const Chip& c, const std::string& wl_params) {
  std::string types;
  if (wl_params.find("pim_types") == std::string::npos) types += R"(pim_types = "test.fake_pim", )";
  if (wl_params.find("sa_types") == std::string::npos) types += R"(sa_types = "test.fake_sa", )";
  std::string t = fmt::format(R"(
[[component]]
name = "wl"
type = "workload.transformer"
params = {{ {}{} }}
)",
                              types, wl_params);
  if (c.pim > 0)
    t += fmt::format(R"(
[[component]]
name = "pim"
type = "test.fake_pim"
grid = [{}]
params = {{ {} }}

[[generate]]
kind = "fanout"
from = "wl.cores"
to = "pim.ctrl"
latency = "{}"
)",
                     c.pim, c.pim_params, c.core_link);
  if (c.sa > 0)
    t += fmt::format(R"(
[[component]]
name = "sa"
type = "test.fake_sa"
grid = [{}]
params = {{ {} }}

[[generate]]
kind = "fanout"
from = "wl.cores"
to = "sa.ctrl"
latency = "{}"
)",
                     c.sa, c.sa_params, c.core_link);
  t += fmt::format(R"(
[[component]]
name = "ni"
type = "test.fake_ni"
grid = [{}]
params = {{ {} }}

[[generate]]
kind = "fanout"
from = "wl.nis"
to = "ni.ctrl"
latency = "{}"
)",
                   c.pim + c.sa, c.ni_params, c.ni_link);
  return t;
}

struct Traced {
  strata::testing::Run run;
  nlohmann::json trace;
};

// Build, trace, run, finish; returns the stats and the parsed trace.
inline Traced run_traced(strata::testing::Harness& h, const std::string& toml, const fs::path& trace_path) {
  Traced r;
  r.run.engine = h.build(toml);
  r.run.engine->enable_trace(std::make_unique<strata::detail::TraceWriter>(trace_path.string()));
  r.run.engine->init();
  r.run.result = r.run.engine->run(h.spec.stop);
  r.run.engine->finish();
  r.run.engine->tracer()->close();
  r.run.stats = strata::detail::stats_json(*r.run.engine, r.run.result, h.spec);
  std::ifstream f(trace_path);
  r.trace = nlohmann::json::parse(f);
  return r;
}

inline const nlohmann::ordered_json& wl_stats(const strata::testing::Run& r) {
  return r.stats["components"]["wl"]["stats"];
}

}  // namespace tf_test
