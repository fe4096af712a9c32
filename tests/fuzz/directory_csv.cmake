# Directory CSV import parser (src/directory/csv.cpp) and the address/setting validators its
# fields go through.
postern_fuzz_target(fuzz_directory_csv
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/directory_csv_fuzz.cpp
  DEPS postern_directory
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/directory_csv)
