// The Lua sandbox: counted allocator, deadline hook, safe library subset, uncatchable aborts and
// read-only globals. See sandbox.h for the error discipline every function here follows.
#include "filter/policy/sandbox.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "filter/policy/lua_patterns.h"
#include "filter/policy/lua_table.h"

namespace postern::filter::policy::detail {

const char kEnvKey = 0;
const char kGlobalsKey = 0;

namespace {

using Clock = std::chrono::steady_clock;

void* allocate(void* ud, void* ptr, std::size_t osize, std::size_t nsize) noexcept {
    auto* c = static_cast<StateControl*>(ud);
    // For a new block Lua passes the object's type in `osize`, not a size.
    std::size_t old = ptr != nullptr ? osize : 0;
    if (nsize == 0) {
        std::free(ptr);
        c->used -= old;
        return nullptr;
    }
    if (nsize > old && nsize - old > c->limit - c->used) {
        c->memory_refused = true;
        return nullptr;  // Lua collects garbage and retries once, then raises LUA_ERRMEM
    }
    void* block = std::realloc(ptr, nsize);
    if (block != nullptr)
        c->used = c->used - old + nsize;
    return block;
}

// Only reached by an error outside any protected call, which our code never makes: a bug.
int panic(lua_State* L) {
    const char* message = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?";
    std::fprintf(stderr, "policy: unprotected Lua error: %s\n", message);
    std::abort();
}

void count_hook(lua_State* L, lua_Debug*) {
    StateControl& c = control(L);
    if (!c.armed)
        return;
    if (!c.aborted && Clock::now() < c.deadline) {
        // A coroutine left over from an aborted call still checks every instruction: undo that.
        if (lua_gethookcount(L) != kHookInstructions)
            lua_sethook(L, count_hook, LUA_MASKCOUNT, kHookInstructions);
        return;
    }
    c.aborted = true;
    // From now on every instruction of this coroutine raises, so the error unwinds quickly even
    // through __close handlers.
    lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
    luaL_where(L, 0);
    lua_pushfstring(L, "time limit exceeded (max_time %d ms)", static_cast<int>(c.max_time_ms));
    lua_concat(L, 2);
    lua_error(L);
}

// pcall, xpcall, coroutine.resume and coroutine.close catch errors; after an abort they must
// not, or `while true do pcall(f) end` would outlive the deadline. Each is wrapped: the
// original runs (as upvalue 1) and an abort is raised again when it returns.
int finish_guarded(lua_State* L, int /*status*/, lua_KContext /*ctx*/) {
    if (control(L).aborted)
        return raise_time_limit(L);
    return lua_gettop(L);
}

int guarded_call(lua_State* L) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, finish_guarded);
    return finish_guarded(L, LUA_OK, 0);
}

void wrap_guarded(lua_State* L, int table, const char* name) {
    lua_getfield(L, table, name);
    lua_pushcclosure(L, guarded_call, 1);
    lua_setfield(L, table, name);
}

// Finalizers run with debug hooks off, so the deadline could not stop a __gc loop: refuse them.
int safe_setmetatable(lua_State* L) {
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "__gc metamethods are not allowed in policy scripts");
        lua_pop(L, 1);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

int safe_collectgarbage(lua_State* L) {
    const char* option = luaL_optstring(L, 1, "collect");
    if (std::strcmp(option, "count") != 0)
        return luaL_error(L, "collectgarbage: only \"count\" is available in policy scripts");
    int kib = lua_gc(L, LUA_GCCOUNT, 0);
    int bytes = lua_gc(L, LUA_GCCOUNTB, 0);
    lua_pushnumber(L, static_cast<lua_Number>(kib) + static_cast<lua_Number>(bytes) / 1024.0);
    return 1;
}

// string.rep builds its result in one allocation; say clearly when that cannot fit instead of
// the bare "not enough memory".
int bounded_rep(lua_State* L) {
    std::size_t len = 0;
    std::size_t sep_len = 0;
    luaL_checklstring(L, 1, &len);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &sep_len);
    if (n > 0 && len + sep_len > 0) {
        const StateControl& c = control(L);
        auto count = static_cast<lua_Unsigned>(n);
        std::size_t room = c.limit - c.used;
        lua_Unsigned piece = len + sep_len;
        if (count > room / piece)
            return luaL_error(L, "string.rep: the result would exceed the memory limit");
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

// The globals proxy's __newindex: the top level defines functions and tables; event functions
// must use locals or ctx.vars (a global written by one call would leak into the next message
// handled by this interpreter, and typos would pass silently).
int globals_newindex(lua_State* L) {
    if (control(L).frozen) {
        const char* name = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?";
        return luaL_error(L,
                          "cannot assign global '%s' in an event function (use a local or "
                          "ctx.vars)",
                          name);
    }
    lua_settop(L, 3);
    lua_rawset(L, lua_upvalueindex(1));
    return 0;
}

void remove_field(lua_State* L, int table, const char* name) {
    lua_pushnil(L);
    lua_setfield(L, table, name);
}

}  // namespace

StateControl& control(lua_State* L) {
    void* ud = nullptr;
    lua_getallocf(L, &ud);
    return *static_cast<StateControl*>(ud);
}

lua_State* new_sandbox_state(StateControl& c) {
    lua_State* L = lua_newstate(allocate, &c);
    if (L == nullptr)
        return nullptr;
    lua_atpanic(L, panic);
    lua_sethook(L, count_hook, LUA_MASKCOUNT, kHookInstructions);
    return L;
}

void arm_deadline(StateControl& c, lua_State* L, std::chrono::milliseconds max_time) {
    c.deadline = Clock::now() + max_time;
    c.max_time_ms = max_time.count();
    c.aborted = false;
    c.memory_refused = false;
    c.armed = true;
    lua_sethook(L, count_hook, LUA_MASKCOUNT, kHookInstructions);
}

void disarm_deadline(StateControl& c) {
    c.armed = false;
}

bool deadline_passed(lua_State* L) {
    StateControl& c = control(L);
    if (!c.armed)
        return false;
    if (c.aborted || Clock::now() >= c.deadline) {
        c.aborted = true;
        return true;
    }
    return false;
}

int raise_time_limit(lua_State* L) {
    return luaL_error(L, "time limit exceeded (max_time %d ms)",
                      static_cast<int>(control(L).max_time_ms));
}

void open_sandbox(lua_State* L) {
    const luaL_Reg libraries[] = {
        {LUA_GNAME, luaopen_base},       {LUA_STRLIBNAME, luaopen_string},
        {LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8}, {LUA_COLIBNAME, luaopen_coroutine},
    };
    for (const auto& lib : libraries) {
        luaL_requiref(L, lib.name, lib.func, 1);
        lua_pop(L, 1);
    }
    lua_pushglobaltable(L);
    int g = lua_gettop(L);

    // Nothing that loads code (load, dofile, loadfile: a way around the compiled-once rule and,
    // with binary chunks, around the VM's safety) or writes to stderr (warn).
    for (const char* name : {"dofile", "loadfile", "load", "warn", "print"})
        remove_field(L, g, name);
    wrap_guarded(L, g, "pcall");
    wrap_guarded(L, g, "xpcall");
    lua_getfield(L, g, "setmetatable");
    lua_pushcclosure(L, safe_setmetatable, 1);
    lua_setfield(L, g, "setmetatable");
    lua_pushcfunction(L, safe_collectgarbage);
    lua_setfield(L, g, "collectgarbage");

    lua_getfield(L, g, LUA_COLIBNAME);
    wrap_guarded(L, lua_gettop(L), "resume");
    wrap_guarded(L, lua_gettop(L), "close");
    lua_pop(L, 1);

    lua_getfield(L, g, LUA_STRLIBNAME);
    int s = lua_gettop(L);
    remove_field(L, s, "dump");
    lua_getfield(L, s, "rep");
    lua_pushcclosure(L, bounded_rep, 1);
    lua_setfield(L, s, "rep");
    install_bounded_patterns(L, s);
    // Strings share one metatable; hide it so no call can change string methods for the next.
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1) != 0) {
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
        lua_pop(L, 1);
    }
    lua_pop(L, 2);

    lua_getfield(L, g, LUA_TABLIBNAME);
    install_bounded_table_functions(L, lua_gettop(L));
    lua_pop(L, 1);

    // Scripts run with _ENV = an empty proxy whose reads fall through to the real globals and
    // whose writes are allowed only while the top level runs.
    lua_newtable(L);  // proxy
    lua_newtable(L);  // its metatable
    lua_pushvalue(L, g);
    lua_setfield(L, -2, "__index");
    lua_pushvalue(L, g);
    lua_pushcclosure(L, globals_newindex, 1);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_setfield(L, g, "_G");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &kEnvKey);
    lua_pushvalue(L, g);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &kGlobalsKey);
    lua_pop(L, 1);
}

}  // namespace postern::filter::policy::detail
