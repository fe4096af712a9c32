// Registration of the Sieve commands and tests into a Registry (compile.h).
#pragma once

#include "filter/sieve/actions.h"
#include "filter/sieve/compile.h"

namespace postern::sieve {

void add_commands(Registry& registry);  // commands.cpp: actions and control
void add_tests(Registry& registry);     // tests.cpp: tests

// One function per extension, each in its ext_<name>.cpp.
void add_ihave(Registry& registry);        // RFC 5463
void add_environment(Registry& registry);  // RFC 5183
void add_special_use(Registry& registry);  // RFC 8579

// fileinto :specialuse (ext_special_use.cpp): validation, and at run time the mailbox that has
// the attribute replaces the named one (Action::special_use keeps the attribute).
bool valid_special_use(std::string_view flag);
bool check_fileinto_special_use(Validator& v, Node& node);
Flow resolve_fileinto_special_use(Runtime& rt, const Node& node, Action& action);

}  // namespace postern::sieve
