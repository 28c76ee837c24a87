# strata_add_plugin(NAME src... [LIBS lib...] [NO_INSTALL])
#
# Builds one Strata plugin: a MODULE library that links only the SDK (Strata::sdk),
# hides every symbol except the manifest the SDK's STRATA_PLUGIN macro exports, and
# lands in STRATA_PLUGIN_OUTPUT_DIR (the build tree's plugin folder) so `strata` finds it.
# Used both in this tree and by out-of-tree authors after find_package(Strata).
function(strata_add_plugin name)
  cmake_parse_arguments(P "NO_INSTALL" "" "LIBS" ${ARGN})
  add_library(${name} MODULE ${P_UNPARSED_ARGUMENTS})
  if(TARGET Strata::sdk)
    target_link_libraries(${name} PRIVATE Strata::sdk ${P_LIBS})
  else()
    target_link_libraries(${name} PRIVATE strata_sdk ${P_LIBS})
  endif()
  set_target_properties(${name} PROPERTIES
    PREFIX "" OUTPUT_NAME "${name}"
    CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY "${STRATA_PLUGIN_OUTPUT_DIR}")
  if(NOT P_NO_INSTALL)
    install(TARGETS ${name} LIBRARY DESTINATION "${STRATA_PLUGIN_INSTALL_DIR}")
  endif()
endfunction()
