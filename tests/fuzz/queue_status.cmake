# Queue status file fuzz target: the record scanner, the status file decoder (whatever it
# accepts must re-encode to the same record) and the DSN builder over arbitrary originals,
# seeded with status files of every record type (tests/fuzz/corpus/queue).
postern_fuzz_target(fuzz_queue_status
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/queue_status_fuzz.cpp
  DEPS postern_queue
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/queue)
