// The libFuzzer entry point of one target, chosen at compile time (-DSTRATA_FUZZ_TARGET=...).
#include "fuzz_targets.hpp"

#ifndef STRATA_FUZZ_TARGET
#error "define STRATA_FUZZ_TARGET (units, builder, opgraph or manifest)"
#endif
#define STRATA_FUZZ_STR2(x) #x
#define STRATA_FUZZ_STR(x) STRATA_FUZZ_STR2(x)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  strata::fuzz::run_target(STRATA_FUZZ_STR(STRATA_FUZZ_TARGET), data, size);
  return 0;
}
