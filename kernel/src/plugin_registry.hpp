// plugin_registry.hpp - finds, loads and validates plugins; maps type names to decls.
//
// Search order: the build/install plugin folder next to the binary
// (<exe>/../lib/strata/plugins), STRATA_PLUGIN_PATH (colon separated), then folders named
// in TOML ([plugins] path). Every *.so in those folders is loaded. A library that fails
// (not loadable, no manifest symbol, ABI mismatch, malformed manifest, a type already
// declared by another plugin, a command another plugin or the CLI already has) is recorded as a LoadError naming the file and the reason;
// the others stay usable, and a run fails only if it needs a type that is missing.
// Libraries stay loaded while the registry or any component made from them lives.
#pragma once

#include <strata/plugin.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace strata::detail {

struct LoadedPlugin {
  std::string path;
  const PluginManifest* manifest = nullptr;
  std::shared_ptr<void> library;  // boost::dll::shared_library, type-erased
};

struct PluginLoadError {
  std::string path;
  std::string reason;
};

class PluginRegistry {
 public:
  /// Folder holding the shipped plugins, relative to the running binary.
  static std::filesystem::path default_dir();

  void add_search_dir(const std::filesystem::path& dir);
  /// Dirs from STRATA_PLUGIN_PATH; a missing folder there is an error (a typo otherwise
  /// silently hides plugins).
  void add_env_dirs();
  const std::vector<std::filesystem::path>& search_dirs() const { return dirs_; }
  /// Load every plugin in every search dir not loaded yet.
  void scan();
  /// Load one file; returns false and records the error on failure.
  bool load(const std::filesystem::path& file);
  /// Register a manifest linked into the executable (tests, built-ins).
  bool add_builtin(const PluginManifest& manifest, const std::string& origin);

  /// Command names a plugin may not take (the CLI's built-ins); call before scan().
  void reserve_command_names(std::vector<std::string> names);

  const ComponentDecl* find(std::string_view type) const;
  /// A plugin command by name (nullptr if no loaded plugin declares it).
  const CommandDecl* find_command(std::string_view name) const;
  const LoadedPlugin* plugin_of_command(std::string_view name) const;
  /// Every plugin command's name, sorted.
  std::vector<std::string> command_names() const;
  /// The library that declared `type` (to keep it alive while components live).
  std::shared_ptr<void> library_of(std::string_view type) const;
  const LoadedPlugin* plugin_of(std::string_view type) const;
  const std::vector<LoadedPlugin>& plugins() const { return plugins_; }
  const std::vector<PluginLoadError>& errors() const { return errors_; }
  std::vector<std::string> types() const;

 private:
  bool accept(const PluginManifest& m, const std::string& path, std::shared_ptr<void> lib);
  std::vector<std::filesystem::path> dirs_;
  std::vector<std::string> loaded_paths_;
  std::vector<LoadedPlugin> plugins_;
  std::vector<PluginLoadError> errors_;
  std::map<std::string, std::pair<const ComponentDecl*, std::size_t>, std::less<>> types_;  // -> plugin index
  std::map<std::string, std::pair<const CommandDecl*, std::size_t>, std::less<>> commands_;  // -> plugin index
  std::set<std::string, std::less<>> reserved_commands_;
};

/// Validate a manifest's shape; returns the problems found (empty when fine).
std::vector<std::string> validate_manifest(const PluginManifest& m);

}  // namespace strata::detail
