# strata_add_model_library(<target> <sources>...): a closed-form hardware model (systolic,
# pim, memory) as a static library its plugin links in. Every model library is built the same
# way, so the recipe lives here once:
#  - its headers under include/ are public (the plugin and the model's tests include them);
#  - the SDK's unit types (strata/units.hpp, header only: a model calls none of libstrata), so
#    the model's parameter struct is also the plugin's TOML declaration (one struct per model);
#  - position-independent with hidden visibility: linked into a plugin .so built with hidden
#    visibility, its symbols stay out of the plugin's ABI.
include_guard(GLOBAL)

function(strata_add_model_library target)
  add_library(${target} STATIC ${ARGN})
  target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/kernel/include)
  target_link_libraries(${target} PRIVATE strata_models_common fmt::fmt)
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow)
  set_target_properties(${target} PROPERTIES
    POSITION_INDEPENDENT_CODE ON CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
endfunction()
