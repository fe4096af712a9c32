# Policy scripts (src/filter/policy/): hostile scripts and hostile messages through every event
# (run_all_events), with tight limits; decisions that were not refused must be valid.
postern_fuzz_target(fuzz_policy
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/policy_fuzz.cpp
  DEPS postern_policy
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/policy_corpus)
