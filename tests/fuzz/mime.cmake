# MIME parser fuzz target: the streaming parser (whole vs split feeding), the field parsers,
# decoders and the structure blob, seeded with the mail-parser conformance messages.
postern_fuzz_target(fuzz_mime
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/mime_fuzz.cpp
  DEPS postern_mime
  CORPUS ${PROJECT_SOURCE_DIR}/tests/conformance/data/mail-parser/eml)
