# SMTP/LMTP codec (src/proto/smtp/): command parser, DATA and BDAT receivers, reply parser,
# with round trips through the client-side formatters and the DATA sender.
postern_fuzz_target(fuzz_smtp
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/smtp_fuzz.cpp
  DEPS postern_proto_smtp
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/smtp)
