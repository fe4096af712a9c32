# POP3 codec (src/proto/pop3/): command parser and the multi-line body writer.
postern_fuzz_target(fuzz_pop3
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/pop3_fuzz.cpp
  DEPS postern_proto_pop3
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/pop3)
