# Helpers so each folder's CMakeLists.txt stays a short list of sources.

# postern_library(NAME SOURCES... [DEPS libs...]): a static library of one layer.
function(postern_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# postern_unit_test(NAME SOURCES... DEPS libs...): one GoogleTest binary, registered with CTest.
function(postern_unit_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit)
  target_compile_definitions(${name} PRIVATE
    POSTERN_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    POSTERN_CONFORMANCE_DIR="${PROJECT_SOURCE_DIR}/tests/conformance/data")
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST PROPERTIES LABELS unit)
endfunction()
