# Scanner codecs (src/filter/scan, src/filter/milter): spamd, clamd, socket filter replies and
# milter packets/replies, plus the header field filter.
postern_fuzz_target(fuzz_scan
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/scan_fuzz.cpp
  DEPS postern_milter postern_scan postern_mime
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/scan)
