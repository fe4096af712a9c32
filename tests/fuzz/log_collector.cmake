# The log service's datagram parser (src/log/datagram.cpp) behind the Collector.
postern_fuzz_target(fuzz_log_collector
  SOURCES log_collector.cpp
  DEPS postern_log
  CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/log_collector)
