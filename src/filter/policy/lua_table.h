// table.concat, table.insert, table.remove, table.move and table.sort with Lua 5.4 semantics
// (manual §6.6)
// whose loops check the call's deadline (internal).
//
// Lua's own versions loop in C, where the instruction hook never runs: with a __len metamethod
// claiming 2^40 elements, table.remove(t, 1) shifts nils for hours without allocating, and
// table.sort with C-function metamethods never executes a Lua instruction.
#pragma once

#include <lua.hpp>

namespace postern::filter::policy::detail {

// Replaces concat, insert, remove, move and sort in the table library at `table_lib`. Runs inside a
// protected call.
void install_bounded_table_functions(lua_State* L, int table_lib);

}  // namespace postern::filter::policy::detail
