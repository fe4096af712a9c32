# Sender authentication parsers: SPF records and macros, DKIM-Signature and key records, the
# DKIM canonicalizers, DMARC records, Authentication-Results stripping.
if(TARGET postern_sender_auth)
  postern_fuzz_target(fuzz_sender_auth
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/sender_auth_fuzz.cpp
    DEPS postern_sender_auth
    CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus/sender_auth)
endif()
