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

void add_mime(Registry& registry);     // RFC 5703: mime, foreverypart, extracttext
void add_enotify(Registry& registry);  // RFC 5435, RFC 5436 (mailto)

// The set command's modifiers (RFC 5229 §4.1), for extracttext (RFC 5703 §7): the checks of
// set (variable name in the first positional argument, modifier precedence) and their effect.
bool check_set_modifiers(Validator& v, Node& node);
std::string apply_set_modifiers(const Node& node, std::string value);
// header/address/exists :mime (ext_mime.cpp): validation of the mime tags, and the tests.
bool check_mime_tags(Validator& v, Node& node);
bool eval_mime_header(Runtime& rt, const Node& node);
bool eval_mime_address(Runtime& rt, const Node& node);
bool eval_mime_exists(Runtime& rt, const Node& node);

}  // namespace postern::sieve
