// A sandboxed interpreter: setup (libraries, API, the script's top level) and event calls, each
// inside one lua_pcall so no Lua error ever leaves Lua's protection.
#include "filter/policy/interpreter.h"

#include <cstdio>
#include <string>

#include "filter/policy/call.h"
#include "filter/policy/context_api.h"
#include "filter/policy/decision_api.h"
#include "filter/policy/validate.h"

namespace postern::filter::policy::detail {
namespace {

const char kEventsKey = 0;  // registry: array of the script's event functions, by Event + 1

struct SetupArgs {
    const char* code;
    std::size_t size;
    const char* chunk_name;  // NUL-terminated
    bool binary;
    CompiledScript* compiled;  // compile only: receives bytecode, events, warnings
    std::uint32_t events;
};

int dump_writer(lua_State*, const void* p, std::size_t size, void* ud) noexcept {
    try {
        static_cast<std::string*>(ud)->append(static_cast<const char*>(p), size);
        return 0;
    } catch (...) {
        return 1;
    }
}

void add_warning(CompiledScript& compiled, const char* name) noexcept {
    try {
        compiled.warnings.push_back(std::string("function ") + name +
                                    " is not a policy event and will never be called");
    } catch (...) {
    }
}

bool looks_like_event_name(const char* name) {
    return name[0] == 'o' && name[1] == 'n' && name[2] >= 'A' && name[2] <= 'Z';
}

// After the top level ran: the event functions into the registry, a bit per event, and
// warnings for functions that look like events but are not (a typo never runs).
void collect_events(lua_State* L, SetupArgs& a) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &kGlobalsKey);
    int g = lua_gettop(L);
    lua_createtable(L, static_cast<int>(kEventCount), 0);
    int events = lua_gettop(L);
    for (std::size_t i = 0; i < kEventCount; ++i) {
        const char* name = event_function_name(kAllEvents[i]).data();
        int type = lua_getfield(L, g, name);
        if (type == LUA_TFUNCTION) {
            lua_rawseti(L, events, static_cast<lua_Integer>(i) + 1);
            a.events |= 1u << i;
        } else if (type == LUA_TNIL) {
            lua_pop(L, 1);
        } else {
            luaL_error(L, "%s must be a function, not a %s", name, lua_typename(L, type));
        }
    }
    lua_pushvalue(L, events);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &kEventsKey);
    if (a.compiled != nullptr) {
        lua_pushnil(L);
        while (lua_next(L, g) != 0) {
            if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TFUNCTION) {
                const char* name = lua_tostring(L, -2);
                if (looks_like_event_name(name) && !event_from_function_name(name))
                    add_warning(*a.compiled, name);
            }
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 2);
}

int setup_state(lua_State* L) {
    auto* a = static_cast<SetupArgs*>(lua_touserdata(L, 1));
    lua_settop(L, 0);
    open_sandbox(L);
    install_context_api(L);
    install_decision_api(L);
    if (luaL_loadbufferx(L, a->code, a->size, a->chunk_name, a->binary ? "b" : "t") != LUA_OK)
        return lua_error(L);  // the message already says "name:line:"
    lua_rawgetp(L, LUA_REGISTRYINDEX, &kEnvKey);
    if (lua_setupvalue(L, -2, 1) == nullptr)
        lua_pop(L, 1);  // a chunk always has _ENV; nothing to replace otherwise
    if (a->compiled != nullptr && lua_dump(L, dump_writer, &a->compiled->bytecode, 0) != 0)
        return luaL_error(L, "cannot keep the compiled script (not enough memory)");
    lua_call(L, 0, 0);
    collect_events(L, *a);
    return 0;
}

int invoke_event(lua_State* L) {
    lua_Integer index = lua_tointeger(L, 1);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &kEventsKey);
    lua_rawgeti(L, -1, index);
    push_context(L);
    lua_call(L, 1, 0);
    return 0;
}

}  // namespace

Interpreter::Interpreter(const PolicyLimits& limits) : max_time_(limits.max_time) {
    control_.limit = static_cast<std::size_t>(limits.max_memory);
}

Interpreter::~Interpreter() {
    if (L_ != nullptr)
        lua_close(L_);
}

Result<std::unique_ptr<Interpreter>> Interpreter::compile(std::string_view source,
                                                          std::string_view chunk_name,
                                                          const PolicyLimits& limits,
                                                          CompiledScript& compiled) {
    std::unique_ptr<Interpreter> it(new Interpreter(limits));
    compiled = CompiledScript{};
    if (auto st = it->setup(source, chunk_name, false, &compiled); !st)
        return fail(st.error());
    if (compiled.events == 0)
        compiled.warnings.push_back("the script defines no event function (onConnect, ...)");
    return it;
}

Result<std::unique_ptr<Interpreter>> Interpreter::create(const CompiledScript& compiled,
                                                         const PolicyLimits& limits) {
    std::unique_ptr<Interpreter> it(new Interpreter(limits));
    if (auto st = it->setup(compiled.bytecode, "", true, nullptr); !st)
        return fail(st.error());
    return it;
}

Status Interpreter::setup(std::string_view code, std::string_view chunk_name, bool binary,
                          CompiledScript* compiled) {
    L_ = new_sandbox_state(control_);
    if (L_ == nullptr)
        return fail(Errc::limit_exceeded, "policy max_memory is too small for an interpreter");
    std::string name = "=" + std::string(chunk_name);
    SetupArgs args{code.data(), code.size(), name.c_str(), binary, compiled, 0};
    arm_deadline(control_, L_, max_time_);
    lua_pushcfunction(L_, setup_state);
    lua_pushlightuserdata(L_, &args);
    int status = lua_pcall(L_, 1, 0, 0);
    disarm_deadline(control_);
    if (status != LUA_OK) {
        std::string error = error_text(status);
        lua_settop(L_, 0);
        return fail(Errc::invalid_argument, std::move(error));
    }
    if (compiled != nullptr)
        compiled->events = args.events;
    control_.frozen = true;
    return ok();
}

Interpreter::Outcome Interpreter::run(Call& call) {
    control_.call = &call;
    arm_deadline(control_, L_, max_time_);
    lua_pushcfunction(L_, invoke_event);
    lua_pushinteger(L_, static_cast<lua_Integer>(call.event) + 1);
    int status = lua_pcall(L_, 1, 0, 0);
    disarm_deadline(control_);
    control_.call = nullptr;
    Outcome out;
    if (status == LUA_OK)
        return out;
    out.ok = false;
    out.error = error_text(status);
    out.reusable = !control_.aborted && !control_.memory_refused && status != LUA_ERRMEM;
    lua_settop(L_, 0);
    return out;
}

// Reads the error object without calling into Lua: after lua_pcall nothing is protected, so
// only non-raising API calls are allowed here (no __tostring, no number-to-string conversion).
std::string Interpreter::error_text(int status) const {
    std::string message;
    int type = lua_type(L_, -1);
    if (type == LUA_TSTRING) {
        std::size_t len = 0;
        const char* s = lua_tolstring(L_, -1, &len);
        message.assign(s, len);
    } else if (type == LUA_TNUMBER) {
        char number[64];
        if (lua_isinteger(L_, -1))
            std::snprintf(number, sizeof number, "%lld",
                          static_cast<long long>(lua_tointeger(L_, -1)));
        else
            std::snprintf(number, sizeof number, "%.14g",
                          static_cast<double>(lua_tonumber(L_, -1)));
        message = std::string("error ") + number;
    } else {
        message = std::string("error object is a ") + lua_typename(L_, type) + " value";
    }
    if (status == LUA_ERRMEM || (control_.memory_refused && message == "not enough memory")) {
        message =
            "memory limit exceeded (max_memory " + std::to_string(control_.limit / 1024) + " KiB)";
    }
    return sanitize_log_text(message);
}

}  // namespace postern::filter::policy::detail
