# IMAP command codec (src/proto/imap/): receiver framing and literals, command parser, limits.
postern_fuzz_target(fuzz_imap
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/imap_fuzz.cpp
  DEPS postern_proto_imap
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/imap)
