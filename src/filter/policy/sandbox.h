// The Lua sandbox: a memory-capped allocator, a deadline enforced by an instruction-count hook,
// and the safe subset of the standard library with our bounded replacements (internal).
//
// Error discipline: Debian's liblua5.4 is C, so Lua errors longjmp. Every function here that
// may raise runs inside a lua_pcall-protected C function and keeps only trivially destructible
// locals; C++ work that allocates happens in noexcept helpers that return before any raise.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include <lua.hpp>

namespace postern::filter::policy::detail {

struct Call;

// One interpreter's bookkeeping. It is the allocator's user data, so C functions running on any
// coroutine of the interpreter reach it through lua_getallocf. Used by one thread at a time.
struct StateControl {
    std::size_t used = 0;         // bytes Lua holds now
    std::size_t limit = 0;        // max_memory
    bool memory_refused = false;  // an allocation was refused since the call began
    bool armed = false;           // a deadline applies (an event call or the top level runs)
    bool aborted = false;         // the deadline passed: the error must not be caught
    bool frozen = false;          // globals are read-only (the top level has run)
    std::chrono::steady_clock::time_point deadline;
    std::int64_t max_time_ms = 0;
    Call* call = nullptr;  // the event call running now, or null (top level, between calls)
};

StateControl& control(lua_State* L);

// A new state whose every allocation is counted in `control` and refused beyond its limit;
// nullptr when even the bare state does not fit.
lua_State* new_sandbox_state(StateControl& control);

// Starts a deadline of max_time from now (and resets the hook count of the main thread).
void arm_deadline(StateControl& control, lua_State* L, std::chrono::milliseconds max_time);
void disarm_deadline(StateControl& control);

// For C functions with loops: true once the deadline has passed (the call is then aborted).
bool deadline_passed(lua_State* L);
// Raises the time limit error (never returns normally).
int raise_time_limit(lua_State* L);

// Opens base, string, table, math, utf8 and coroutine without anything that reaches the system
// or defeats the limits, installs the bounded replacements, and makes the read-only globals
// proxy (env_key). Runs inside a protected call; leaves the stack as it found it.
void open_sandbox(lua_State* L);

// Registry keys (lua_rawgetp with these addresses).
extern const char kEnvKey;      // the globals proxy every script function uses as _ENV
extern const char kGlobalsKey;  // the real globals table behind it

// Instructions between two deadline checks: a check costs a clock read (~50 ns), so this keeps
// the overhead near 1% while a runaway loop overshoots by microseconds only.
inline constexpr int kHookInstructions = 1000;

}  // namespace postern::filter::policy::detail
