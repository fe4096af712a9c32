// The `ctx` object scripts receive (read-only accessors over the caller's PolicyContext) and
// `ctx.vars` (internal). One of each per interpreter, created once; a call makes them point at
// its own context, so nothing is copied until the script reads a field.
#pragma once

#include <lua.hpp>

namespace postern::filter::policy::detail {

// Creates ctx and ctx.vars and keeps them in the registry. Runs inside a protected call.
void install_context_api(lua_State* L);

// Pushes ctx (does not allocate). Runs inside a protected call.
void push_context(lua_State* L);

}  // namespace postern::filter::policy::detail
