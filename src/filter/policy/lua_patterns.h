// string.find, string.match, string.gmatch and string.gsub with Lua 5.4 pattern semantics
// (Lua 5.4 manual §6.4.1) whose matching checks the call's deadline (internal).
//
// Lua's own matcher backtracks inside one C call, where the instruction hook never runs:
// string.find(("a"):rep(5000), ".-.-.-b") would run for hours. This one counts its steps and
// stops at the deadline; results are the same as Lua's (the unit tests compare both).
#pragma once

#include <lua.hpp>

namespace postern::filter::policy::detail {

// Replaces find, match, gmatch and gsub in the string library table at `string_table`.
// Runs inside a protected call.
void install_bounded_patterns(lua_State* L, int string_table);

}  // namespace postern::filter::policy::detail
