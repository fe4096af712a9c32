# Sieve scripts (src/filter/sieve/): hostile scripts compiled with tight limits and, when they
# compile, run against a fixed message within a small instruction budget.
postern_fuzz_target(fuzz_sieve
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/sieve_fuzz.cpp
  DEPS postern_sieve
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/sieve)
