# SASL mechanisms (src/auth/sasl/) driven with arbitrary client responses.
postern_fuzz_target(fuzz_sasl
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/sasl_fuzz.cpp
  DEPS postern_auth
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/sasl)
