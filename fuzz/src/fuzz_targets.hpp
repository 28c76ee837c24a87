// fuzz_targets.hpp - the bodies of Strata's fuzz targets, shared by the libFuzzer
// executables (fuzz/CMakeLists.txt, clang, STRATA_FUZZ=ON) and the corpus/regression
// replay test tests/hardening/fuzz_replay_test.cpp (any compiler, runs in ctest).
//
// Each function takes one input and returns normally when the code under test behaved:
// it accepted the input or rejected it with its documented error (UnitError,
// GraphFormatError, diagnostics). Anything else - an uncaught exception of another type, a
// broken round-trip property (reported by throwing FuzzPropertyError), a sanitizer report,
// a crash - is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace strata::fuzz {

/// A property the code under test promises was violated (round trip, invariant).
struct FuzzPropertyError : std::logic_error {
  using std::logic_error::logic_error;
};

/// parse_duration/frequency/bytes/bandwidth/energy/power on the text; values that parse
/// must print with to_string and parse back to the same value (within the documented
/// precision).
void units(std::string_view text);

/// Builder::load_text + build on a registry holding the built-in fuzz manifest (every
/// parameter kind, single/multi/required ports, presets) and the plugins found in
/// STRATA_FUZZ_PLUGIN_DIR if set; a system that builds is run for a bounded number of
/// events and its stats.json produced. Lines "#!set path=value" in the text are --set
/// overrides (they are TOML comments, so the rest stays valid TOML).
void builder(std::string_view text);

/// opgraph::read_graph_string; a graph that is read must write and read back unchanged.
void opgraph(std::string_view text);

/// The importers (workloads/opgraph/importers.hpp): Chakra ET bytes, PyTorch execution
/// trace JSON, ONNX model bytes. Rejections are GraphFormatError; a graph that is read must
/// validate and survive a Chakra write/read round trip unchanged.
void chakra(std::string_view bytes);
void pytorch(std::string_view text);
void onnx(std::string_view bytes);

/// A PluginManifest built from the bytes goes through validate_manifest, the registry's
/// add_builtin, and the `strata info` documentation generator.
void manifest(const std::uint8_t* data, std::size_t size);

/// Dispatch by target name ("units", "builder", "opgraph", "manifest", "chakra", "pytorch",
/// "onnx"); false if unknown.
bool run_target(std::string_view target, const std::uint8_t* data, std::size_t size);

}  // namespace strata::fuzz

// Compiled into a libFuzzer executable: -DSTRATA_FUZZ_TARGET=units (etc.) in the .cpp
// that defines LLVMFuzzerTestOneInput (fuzz/src/main.cpp).
