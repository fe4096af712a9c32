# ManageSieve codec (src/proto/managesieve/): the receiver, the command parser, the writer.
postern_fuzz_target(fuzz_managesieve
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/managesieve_fuzz.cpp
  DEPS postern_proto_managesieve
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/managesieve)
