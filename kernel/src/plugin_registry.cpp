#include "plugin_registry.hpp"

#ifndef BOOST_DLL_USE_STD_FS  // kernel/CMakeLists.txt defines it for the whole library
#define BOOST_DLL_USE_STD_FS
#endif
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <set>

namespace strata::detail {

namespace fs = std::filesystem;

fs::path PluginRegistry::default_dir() {
  std::error_code ec;
  fs::path exe = boost::dll::program_location(ec);
  if (ec) return {};
  return exe.parent_path().parent_path() / "lib" / "strata" / "plugins";
}

void PluginRegistry::add_search_dir(const fs::path& dir) {
  std::error_code ec;
  fs::path canon = fs::weakly_canonical(dir, ec);
  if (ec) canon = dir;
  if (std::find(dirs_.begin(), dirs_.end(), canon) == dirs_.end()) dirs_.push_back(canon);
}

void PluginRegistry::add_env_dirs() {
  const char* env = std::getenv("STRATA_PLUGIN_PATH");
  if (!env) return;
  std::string s(env);
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find(':', start);
    if (end == std::string::npos) end = s.size();
    std::string dir = s.substr(start, end - start);
    if (!dir.empty()) {
      std::error_code ec;  // not the throwing overload: a name too long for the OS is just not a folder
      if (!fs::is_directory(dir, ec))
        errors_.push_back({dir, "STRATA_PLUGIN_PATH names a folder that does not exist"});
      else
        add_search_dir(dir);
    }
    start = end + 1;
  }
}

void PluginRegistry::scan() {
  for (const auto& dir : dirs_) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().extension() == ".so") files.push_back(e.path());
    std::sort(files.begin(), files.end());  // deterministic load order
    for (const auto& f : files) load(f);
  }
}

std::vector<std::string> validate_manifest(const PluginManifest& m) {
  std::vector<std::string> problems;
  static const std::regex type_re("[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+");
  static const std::regex name_re("[A-Za-z_][A-Za-z0-9_]*");
  if (m.name.empty()) problems.push_back("plugin name is empty");
  if (m.components.empty() && m.commands.empty()) problems.push_back("declares no component types and no commands");
  std::set<std::string> types;
  for (const auto& c : m.components) {
    std::string where = c.type.empty() ? std::string("<unnamed type>") : c.type;
    if (!std::regex_match(c.type, type_re))
      problems.push_back(fmt::format("type name '{}' is not dotted lowercase with a family (e.g. 'noc.router')",
                                     c.type));
    if (!types.insert(c.type).second) problems.push_back(fmt::format("type '{}' declared twice", c.type));
    if (!c.factory) problems.push_back(fmt::format("{}: no factory", where));
    std::set<std::string> names;
    for (const auto& p : c.params) {
      if (!std::regex_match(p.name, name_re)) problems.push_back(fmt::format("{}: bad parameter name '{}'", where, p.name));
      if (!names.insert(p.name).second) problems.push_back(fmt::format("{}: parameter '{}' declared twice", where, p.name));
      if (!p.set) problems.push_back(fmt::format("{}: parameter '{}' has no setter", where, p.name));
    }
    names.clear();
    for (const auto& p : c.presets)
      if (p.name.empty() || !names.insert(p.name).second)
        problems.push_back(fmt::format("{}: preset '{}' is empty or declared twice", where, p.name));
    names.clear();
    for (const auto& p : c.ports) {
      if (!std::regex_match(p.name, name_re)) problems.push_back(fmt::format("{}: bad port name '{}'", where, p.name));
      if (!names.insert(p.name).second) problems.push_back(fmt::format("{}: port '{}' declared twice", where, p.name));
      if (p.protocol.empty()) problems.push_back(fmt::format("{}: port '{}' has no protocol", where, p.name));
    }
    names.clear();
    for (const auto& s : c.stats) {
      if (s.name.empty() || !names.insert(s.name).second)
        problems.push_back(fmt::format("{}: statistic '{}' is empty or declared twice", where, s.name));
      if (s.kind != "counter" && s.kind != "accumulator" && s.kind != "histogram")
        problems.push_back(fmt::format("{}: statistic '{}' has unknown kind '{}'", where, s.name, s.kind));
    }
  }
  static const std::regex command_re("[a-z][a-z0-9]*(-[a-z0-9]+)*");
  std::set<std::string> commands;
  for (const auto& c : m.commands) {
    if (!std::regex_match(c.name, command_re))
      problems.push_back(fmt::format("command name '{}' is not lowercase words joined by '-' (e.g. 'graph')", c.name));
    if (!commands.insert(c.name).second) problems.push_back(fmt::format("command '{}' declared twice", c.name));
    if (c.summary.empty()) problems.push_back(fmt::format("command '{}' has no summary", c.name));
    if (!c.run) problems.push_back(fmt::format("command '{}' has no entry point", c.name));
  }
  return problems;
}

void PluginRegistry::reserve_command_names(std::vector<std::string> names) {
  for (auto& n : names) reserved_commands_.insert(std::move(n));
}

bool PluginRegistry::accept(const PluginManifest& m, const std::string& path, std::shared_ptr<void> lib) {
  auto problems = validate_manifest(m);
  for (const auto& c : m.components) {
    auto it = types_.find(c.type);
    if (it != types_.end())
      problems.push_back(fmt::format("type '{}' is already declared by {}", c.type, plugins_[it->second.second].path));
  }
  for (const auto& c : m.commands) {
    if (reserved_commands_.count(c.name))
      problems.push_back(fmt::format("command '{}' is a built-in command of strata", c.name));
    else if (auto it = commands_.find(c.name); it != commands_.end())
      problems.push_back(fmt::format("command '{}' is already declared by {}", c.name, plugins_[it->second.second].path));
  }
  if (!problems.empty()) {
    std::string reason = "malformed manifest: " + problems.front();
    for (std::size_t i = 1; i < problems.size(); ++i) reason += "; " + problems[i];
    errors_.push_back({path, reason});
    return false;
  }
  plugins_.push_back(LoadedPlugin{path, &m, std::move(lib)});
  for (const auto& c : m.components) types_.emplace(c.type, std::make_pair(&c, plugins_.size() - 1));
  for (const auto& c : m.commands) commands_.emplace(c.name, std::make_pair(&c, plugins_.size() - 1));
  return true;
}

bool PluginRegistry::load(const fs::path& file) {
  std::error_code ec;
  fs::path canon = fs::weakly_canonical(file, ec);
  std::string path = (ec ? file : canon).string();
  if (std::find(loaded_paths_.begin(), loaded_paths_.end(), path) != loaded_paths_.end()) return true;
  loaded_paths_.push_back(path);
  if (!fs::exists(path)) {
    errors_.push_back({path, "no such file"});
    return false;
  }
  std::shared_ptr<boost::dll::shared_library> lib;
  try {
    lib = std::make_shared<boost::dll::shared_library>(path, boost::dll::load_mode::rtld_lazy |
                                                                 boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    errors_.push_back({path, fmt::format("cannot be loaded: {}", e.what())});
    return false;
  }
  if (!lib->has("strata_plugin_abi") || !lib->has("strata_plugin_manifest")) {
    errors_.push_back({path, "not a Strata plugin: symbols strata_plugin_abi / strata_plugin_manifest not found "
                             "(define them with STRATA_PLUGIN)"});
    return false;
  }
  std::uint32_t abi = 0;
  const PluginManifest* manifest = nullptr;
  try {
    abi = lib->get<std::uint32_t()>("strata_plugin_abi")();
    if (abi != kSdkAbiVersion) {
      errors_.push_back({path, fmt::format("built for SDK ABI {}, this kernel provides ABI {}: rebuild the plugin "
                                           "against this Strata",
                                           abi, kSdkAbiVersion)});
      return false;
    }
    manifest = lib->get<const PluginManifest*()>("strata_plugin_manifest")();
  } catch (const std::exception& e) {
    errors_.push_back({path, fmt::format("manifest threw: {}", e.what())});
    return false;
  }
  if (!manifest) {
    errors_.push_back({path, "strata_plugin_manifest returned null"});
    return false;
  }
  return accept(*manifest, path, std::static_pointer_cast<void>(lib));
}

bool PluginRegistry::add_builtin(const PluginManifest& manifest, const std::string& origin) {
  return accept(manifest, origin, nullptr);
}

const ComponentDecl* PluginRegistry::find(std::string_view type) const {
  auto it = types_.find(type);
  return it == types_.end() ? nullptr : it->second.first;
}

std::shared_ptr<void> PluginRegistry::library_of(std::string_view type) const {
  auto it = types_.find(type);
  return it == types_.end() ? nullptr : plugins_[it->second.second].library;
}

const LoadedPlugin* PluginRegistry::plugin_of(std::string_view type) const {
  auto it = types_.find(type);
  return it == types_.end() ? nullptr : &plugins_[it->second.second];
}

const CommandDecl* PluginRegistry::find_command(std::string_view name) const {
  auto it = commands_.find(name);
  return it == commands_.end() ? nullptr : it->second.first;
}

const LoadedPlugin* PluginRegistry::plugin_of_command(std::string_view name) const {
  auto it = commands_.find(name);
  return it == commands_.end() ? nullptr : &plugins_[it->second.second];
}

std::vector<std::string> PluginRegistry::command_names() const {
  std::vector<std::string> v;
  for (const auto& [k, _] : commands_) v.push_back(k);
  return v;
}

std::vector<std::string> PluginRegistry::types() const {
  std::vector<std::string> v;
  for (const auto& [k, _] : types_) v.push_back(k);
  return v;
}

}  // namespace strata::detail
