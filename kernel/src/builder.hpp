// builder.hpp - experiment and topology TOML files -> a wired Engine.
//
// Loading happens in two passes so that every mistake is reported at once:
//   1. load(): parse the experiment (or a bare topology), its includes, apply --set
//      overrides, check every key and value against the schema and the plugin manifests;
//   2. build(): instantiate components, run generators, wire links, check protocols and
//      required ports. Only when both passes are clean does anything run or get written.
// File formats are documented in README.md ("File formats").
#pragma once

#include "diagnostics.hpp"
#include "engine.hpp"
#include "plugin_registry.hpp"

#include <toml++/toml.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace strata::detail {

struct OutputSpec {
  std::string dir;                  // where results go
  bool json = true, csv = true;
  bool trace = false;
  bool profile = false;             // profile.json: events and handler time per component type and port
  bool report = true;
};

/// One [[component]] after validation (a grid expands to many instances).
struct ComponentSpec {
  std::string name;
  std::string type;
  std::vector<int> grid;            // empty: a single instance
  int partition = -1;               // partition hint for --threads (-1: automatic)
  const ComponentDecl* decl = nullptr;
  ParamSet params;
  SourceLoc loc;
  const toml::table* table = nullptr;
};

/// One [[link]] or [[generate]] entry, kept as its table and applied at build time.
struct WiringSpec {
  bool generator = false;
  const toml::table* table = nullptr;
  std::string file;
};

struct Override {
  std::vector<std::string> path;    // "core.clock" -> {"core", "clock"}
  std::string text;                 // the value as typed
  bool used = false;
  SourceLoc where{"<command line>", 0, 0};  // or the [set] entry of an experiment file
  bool is_string = false;           // [set] gave a TOML string: `text` is its content
};

struct ExperimentSpec {
  std::string name;
  std::string file;                 // the experiment (or topology) file given
  std::uint64_t seed = 1;
  int threads = 1;                  // partitions of the parallel engine (--threads)
  StopConditions stop;
  OutputSpec output;
  std::vector<ComponentSpec> components;
  std::vector<WiringSpec> wiring;
  std::vector<std::string> plugin_dirs;
  std::vector<std::shared_ptr<toml::table>> documents;  // keeps tables alive
  std::vector<std::pair<std::string, std::string>> sweep_axes_raw;  // for `strata sweep`
};

class Builder {
 public:
  Builder(PluginRegistry& registry, Diagnostics& diag) : registry_(registry), diag_(diag) {}

  /// Parse and validate. `sets` are "path=value" strings from --set.
  std::optional<ExperimentSpec> load(const std::filesystem::path& file, const std::vector<std::string>& sets);
  /// Same, from text; `name` stands for the file in messages and relative paths.
  std::optional<ExperimentSpec> load_text(std::string_view text, const std::filesystem::path& name,
                                          const std::vector<std::string>& sets);
  /// Instantiate and wire; nullptr (with diagnostics) on error.
  std::unique_ptr<Engine> build(ExperimentSpec& spec);
  /// Build engines that run one simulation across MPI ranks (mpi_run.hpp).
  void set_rank_link(RankLink* link) { rank_link_ = link; }

 private:
  RankLink* rank_link_ = nullptr;
  void load_file(ExperimentSpec& spec, const std::filesystem::path& file, std::vector<std::string>& stack,
                 bool is_root);
  void read_components(ExperimentSpec& spec, const toml::table& root, const std::string& file);
  void read_params(ComponentSpec& c, const toml::table* params, const std::string& file);
  bool parse_value(const ParamDecl& d, const toml::node& node, const SourceLoc& loc, ParamValue& out);
  void apply_overrides(ExperimentSpec& spec);
  SourceLoc loc_of(const toml::node& n, const std::string& file) const;

  PluginRegistry& registry_;
  Diagnostics& diag_;
  std::vector<Override> overrides_;
  std::optional<std::string> root_text_;
};

/// Name of a grid element: "core[1,2,0]"; a non-grid component keeps its name.
std::string element_name(const std::string& base, const std::vector<int>& index);

/// Cells of a W x H grid along a curve ("snake", "hilbert", "linear"), as (x, y).
std::vector<std::pair<int, int>> curve_order(const std::string& curve, int w, int h);

}  // namespace strata::detail
