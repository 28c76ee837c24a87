// The workload_ops plugin: small measurement drivers for cores and memories.
#include "mem_driver.hpp"
#include "ops_driver.hpp"

STRATA_PLUGIN("workload_ops", "1.0", "Measurement drivers: compute requests to cores, memory requests to memories",
              strata::ops::ops_decl(), strata::ops::mem_ops_decl())
