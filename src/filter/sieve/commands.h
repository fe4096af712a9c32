// Registration of the Sieve commands and tests into a Registry (compile.h).
#pragma once

#include "filter/sieve/compile.h"

namespace postern::sieve {

void add_commands(Registry& registry);  // commands.cpp: actions and control
void add_tests(Registry& registry);     // tests.cpp: tests

// One function per extension, each in its ext_<name>.cpp.
void add_ihave(Registry& registry);        // RFC 5463
void add_environment(Registry& registry);  // RFC 5183

}  // namespace postern::sieve
