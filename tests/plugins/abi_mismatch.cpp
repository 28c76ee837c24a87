// A plugin built for another SDK ABI: the loader must refuse it before reading its manifest.
#include <cstdint>
extern "C" __attribute__((visibility("default"))) std::uint32_t strata_plugin_abi() { return 999; }
extern "C" __attribute__((visibility("default"))) const void* strata_plugin_manifest() { return nullptr; }
