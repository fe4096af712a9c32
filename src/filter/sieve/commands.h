// Registration of the Sieve commands and tests into a Registry (compile.h).
#pragma once

#include "filter/sieve/compile.h"

namespace postern::sieve {

void add_commands(Registry& registry);  // commands.cpp: actions and control
void add_tests(Registry& registry);     // tests.cpp: tests

}  // namespace postern::sieve
