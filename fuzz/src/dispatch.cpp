// run_target: one entry point per fuzz target name (replay test, fuzz executables).
#include "fuzz_targets.hpp"

namespace strata::fuzz {

bool run_target(std::string_view target, const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (target == "units") units(text);
  else if (target == "builder") builder(text);
  else if (target == "opgraph") opgraph(text);
  else if (target == "manifest") manifest(data, size);
  else if (target == "chakra") chakra(text);
  else if (target == "pytorch") pytorch(text);
  else if (target == "onnx") onnx(text);
  else return false;
  return true;
}

}  // namespace strata::fuzz
