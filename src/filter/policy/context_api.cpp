// ctx and ctx.vars for policy scripts: field accessors over the current call's PolicyContext
// and the session variables. Lua-facing functions keep only trivially destructible locals
// (errors longjmp); C++ work that allocates is done in noexcept helpers that return first.
#include "filter/policy/context_api.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <string_view>

#include "base/strings.h"
#include "filter/policy/call.h"
#include "filter/policy/sandbox.h"

namespace postern::filter::policy::detail {
namespace {

const char kContextKey = 0;
const char kVarsKey = 0;

enum Field : int {
    kEvent = 1,
    kSession,
    kQueueId,
    kIp,
    kPort,
    kLocalIp,
    kLocalPort,
    kRdns,
    kHelo,
    kTls,
    kTlsProtocol,
    kTlsCipher,
    kAuthUser,
    kListener,
    kFrom,
    kFromDomain,
    kFromParams,
    kRcpt,
    kRcptDomain,
    kRcptKind,
    kRecipients,
    kSize,
    kChunk,
    kHeader,
    kHeaders,
    kVars,
    kNow,
    kDelivery,
    kSpf,
    kSpfHelo,
    kDkim,
    kDmarc,
    kDmarcPolicy,
    kAuthResults,
    kChecks,
};

struct FieldName {
    const char* name;
    Field field;
};

constexpr FieldName kFields[] = {
    {"event", kEvent},
    {"session", kSession},
    {"queue_id", kQueueId},
    {"ip", kIp},
    {"port", kPort},
    {"local_ip", kLocalIp},
    {"local_port", kLocalPort},
    {"rdns", kRdns},
    {"helo", kHelo},
    {"tls", kTls},
    {"tls_protocol", kTlsProtocol},
    {"tls_cipher", kTlsCipher},
    {"auth_user", kAuthUser},
    {"listener", kListener},
    {"from", kFrom},
    {"from_domain", kFromDomain},
    {"from_params", kFromParams},
    {"rcpt", kRcpt},
    {"rcpt_domain", kRcptDomain},
    {"rcpt_kind", kRcptKind},
    {"recipients", kRecipients},
    {"size", kSize},
    {"chunk", kChunk},
    {"header", kHeader},
    {"headers", kHeaders},
    {"vars", kVars},
    {"now", kNow},
    {"delivery", kDelivery},
    {"spf", kSpf},
    {"spf_helo", kSpfHelo},
    {"dkim", kDkim},
    {"dmarc", kDmarc},
    {"dmarc_policy", kDmarcPolicy},
    {"auth_results", kAuthResults},
    {"checks", kChecks},
};

Call& current_call(lua_State* L) {
    Call* call = control(L).call;
    if (call == nullptr)
        luaL_error(L, "ctx is only valid while an event function runs");
    return *call;
}

void push_view(lua_State* L, std::string_view s) {
    lua_pushlstring(L, s.data(), s.size());
}

// Absent facts are nil, not "", because "" is true in Lua.
void push_or_nil(lua_State* L, const std::string& s) {
    if (s.empty())
        lua_pushnil(L);
    else
        push_view(L, s);
}

// The text of an IP address, written into `out` so no std::string is alive while Lua may raise.
struct IpText {
    char text[64];
    std::size_t size;
};

IpText ip_text(const IpAddress& ip) noexcept {
    IpText out{};
    try {
        std::string s = ip.to_string();
        out.size = std::min(s.size(), sizeof out.text);
        std::memcpy(out.text, s.data(), out.size);
    } catch (...) {
        out.size = 0;
    }
    return out;
}

void push_ip(lua_State* L, const IpAddress& ip) {
    IpText t = ip_text(ip);
    lua_pushlstring(L, t.text, t.size);
}

std::string_view domain_of(std::string_view address) {
    std::size_t at = address.rfind('@');
    return at == std::string_view::npos ? std::string_view{} : address.substr(at + 1);
}

bool is_folding_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// A header value unfolded (RFC 5322 §2.2.3: CRLF removed) and trimmed.
void push_unfolded(lua_State* L, std::string_view raw) {
    std::size_t begin = 0;
    std::size_t end = raw.size();
    while (begin < end && is_folding_space(raw[begin]))
        ++begin;
    while (end > begin && is_folding_space(raw[end - 1]))
        --end;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (std::size_t i = begin; i < end; ++i) {
        if (raw[i] != '\r' && raw[i] != '\n')
            luaL_addchar(&b, raw[i]);
    }
    luaL_pushresult(&b);
}

void push_header_entry(lua_State* L, const HeaderField& h) {
    lua_createtable(L, 0, 2);
    push_view(L, h.name);
    lua_setfield(L, -2, "name");
    push_unfolded(L, h.value);
    lua_setfield(L, -2, "value");
}

// ctx:header(name) or ctx.header(name): the first field of that name, unfolded, or nil.
int ctx_header(lua_State* L) {
    const Call& call = current_call(L);
    int arg = lua_type(L, 1) == LUA_TUSERDATA ? 2 : 1;
    std::size_t len = 0;
    const char* name = luaL_checklstring(L, arg, &len);
    for (const HeaderField& h : call.context.headers) {
        if (iequals(h.name, std::string_view(name, len))) {
            push_unfolded(L, h.value);
            return 1;
        }
    }
    lua_pushnil(L);
    return 1;
}

// ctx:headers([name]): every field (or every field of that name) as {name=, value=}, in order.
int ctx_headers(lua_State* L) {
    const Call& call = current_call(L);
    int arg = lua_type(L, 1) == LUA_TUSERDATA ? 2 : 1;
    std::size_t len = 0;
    const char* name = luaL_optlstring(L, arg, nullptr, &len);
    lua_createtable(L, static_cast<int>(std::min<std::size_t>(call.context.headers.size(), 1000)),
                    0);
    lua_Integer n = 0;
    for (const HeaderField& h : call.context.headers) {
        if (name != nullptr && !iequals(h.name, std::string_view(name, len)))
            continue;
        push_header_entry(L, h);
        lua_rawseti(L, -2, ++n);
    }
    return 1;
}

void push_recipients(lua_State* L, const std::vector<Recipient>& recipients) {
    lua_createtable(L, static_cast<int>(std::min<std::size_t>(recipients.size(), 1000)), 0);
    lua_Integer n = 0;
    for (const Recipient& r : recipients) {
        lua_createtable(L, 0, 2);
        push_view(L, r.address);
        lua_setfield(L, -2, "address");
        push_view(L, recipient_kind_name(r.kind));
        lua_setfield(L, -2, "kind");
        lua_rawseti(L, -2, ++n);
    }
}

void push_mail_parameters(lua_State* L, const std::vector<MailParameter>& params) {
    lua_createtable(L, 0, static_cast<int>(std::min<std::size_t>(params.size(), 100)));
    for (const MailParameter& p : params) {
        push_view(L, p.name);
        if (p.value.empty())
            lua_pushboolean(L, 1);
        else
            push_view(L, p.value);
        lua_rawset(L, -3);
    }
}

void push_delivery(lua_State* L, const Call& call) {
    if (is_smtp_in_event(call.event)) {
        lua_pushnil(L);
        return;
    }
    const DeliveryInfo& d = call.context.delivery;
    lua_createtable(L, 0, 7);
    push_view(L, d.domain);
    lua_setfield(L, -2, "domain");
    lua_createtable(L, static_cast<int>(std::min<std::size_t>(d.recipients.size(), 1000)), 0);
    lua_Integer n = 0;
    for (const std::string& r : d.recipients) {
        push_view(L, r);
        lua_rawseti(L, -2, ++n);
    }
    lua_setfield(L, -2, "recipients");
    push_or_nil(L, d.remote_host);
    lua_setfield(L, -2, "host");
    if (d.reply_code != 0) {
        lua_pushinteger(L, d.reply_code);
        lua_setfield(L, -2, "code");
        push_view(L, d.reply_text);
        lua_setfield(L, -2, "reply");
    }
    lua_pushinteger(L, d.attempts);
    lua_setfield(L, -2, "attempts");
    lua_pushinteger(L, static_cast<lua_Integer>(d.queued_for.count()));
    lua_setfield(L, -2, "queued_for");
}

void push_field(lua_State* L, const Call& call, lua_Integer field) {
    const PolicyContext& c = call.context;
    const ConnectionInfo& conn = c.connection;
    switch (field) {
        case kEvent:
            push_view(L, event_function_name(call.event));
            return;
        case kSession:
            return push_or_nil(L, c.session_id);
        case kQueueId:
            return push_or_nil(L, c.queue_id);
        case kIp:
            return push_ip(L, conn.client_ip);
        case kPort:
            return lua_pushinteger(L, conn.client_port);
        case kLocalIp:
            return push_ip(L, conn.local_ip);
        case kLocalPort:
            return lua_pushinteger(L, conn.local_port);
        case kRdns:
            return push_or_nil(L, conn.reverse_dns);
        case kHelo:
            return push_or_nil(L, conn.helo);
        case kTls:
            return lua_pushboolean(L, conn.tls ? 1 : 0);
        case kTlsProtocol:
            return push_or_nil(L, conn.tls_protocol);
        case kTlsCipher:
            return push_or_nil(L, conn.tls_cipher);
        case kAuthUser:
            return push_or_nil(L, conn.auth_user);
        case kListener:
            return push_view(L, listener_role_name(conn.role));
        case kFrom:
            if (!c.envelope.mail_from)
                return lua_pushnil(L);
            return push_view(L, *c.envelope.mail_from);
        case kFromDomain:
            if (!c.envelope.mail_from)
                return lua_pushnil(L);
            return push_view(L, domain_of(*c.envelope.mail_from));
        case kFromParams:
            if (!c.envelope.mail_from)
                return lua_pushnil(L);
            return push_mail_parameters(L, c.envelope.mail_parameters);
        case kRcpt:
            if (call.event != Event::rcpt_to || !c.recipient)
                return lua_pushnil(L);
            return push_view(L, c.recipient->address);
        case kRcptDomain:
            if (call.event != Event::rcpt_to || !c.recipient)
                return lua_pushnil(L);
            return push_view(L, domain_of(c.recipient->address));
        case kRcptKind:
            if (call.event != Event::rcpt_to || !c.recipient)
                return lua_pushnil(L);
            return push_view(L, recipient_kind_name(c.recipient->kind));
        case kRecipients:
            return push_recipients(L, c.envelope.recipients);
        case kSize:
            return lua_pushinteger(L, static_cast<lua_Integer>(c.message_size));
        case kChunk:
            if (call.event != Event::body_chunk)
                return lua_pushnil(L);
            return push_view(L, c.body_chunk);
        case kHeader:
            return lua_pushcfunction(L, ctx_header);
        case kHeaders:
            return lua_pushcfunction(L, ctx_headers);
        case kVars:
            lua_rawgetp(L, LUA_REGISTRYINDEX, &kVarsKey);
            return;
        case kNow: {
            auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
            lua_pushnumber(L, std::chrono::duration<double>(since_epoch).count());
            return;
        }
        case kDelivery:
            return push_delivery(L, call);
        case kSpf:
            return push_or_nil(L, c.auth.spf);
        case kSpfHelo:
            return push_or_nil(L, c.auth.spf_helo);
        case kDkim:
            return push_or_nil(L, c.auth.dkim);
        case kDmarc:
            return push_or_nil(L, c.auth.dmarc);
        case kDmarcPolicy:
            return push_or_nil(L, c.auth.dmarc_policy);
        case kAuthResults:
            return push_or_nil(L, c.auth.header);
        case kChecks:
            lua_createtable(L, 0, static_cast<int>(std::min<std::size_t>(c.checks.size(), 64)));
            for (const auto& [check, result] : c.checks) {
                push_view(L, result);
                lua_setfield(L, -2, check.c_str());
            }
            return;
        default:
            lua_pushnil(L);
    }
}

int ctx_index(lua_State* L) {
    const Call& call = current_call(L);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNUMBER) {
        const char* key = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : luaL_typename(L, 2);
        return luaL_error(L, "ctx has no field '%s'", key);
    }
    lua_Integer field = lua_tointeger(L, -1);
    lua_pop(L, 1);
    push_field(L, call, field);
    return 1;
}

int ctx_newindex(lua_State* L) {
    return luaL_error(L, "ctx is read-only (keep your own values in ctx.vars)");
}

int ctx_tostring(lua_State* L) {
    Call* call = control(L).call;
    if (call == nullptr)
        lua_pushliteral(L, "ctx (outside an event)");
    else
        lua_pushfstring(L, "ctx (%s)", event_function_name(call->event).data());
    return 1;
}

// ---- ctx.vars ----

// A Lua value to store, as plain data.
struct VarInput {
    enum Kind { erase, boolean, integer, number, string } kind = erase;
    bool b = false;
    lua_Integer i = 0;
    lua_Number d = 0;
    std::string_view s;
};

const VarValue* find_var(const Call& call, std::string_view name, bool& erased) {
    erased = false;
    for (const auto& [key, value] : call.var_writes) {
        if (key == name) {
            erased = !value.has_value();
            return value ? &*value : nullptr;
        }
    }
    auto it = call.vars.find(name);
    return it == call.vars.end() ? nullptr : &it->second;
}

// Records the write; nullptr, or why it was refused.
const char* write_var(Call& call, std::string_view name, const VarInput& in) noexcept {
    try {
        std::optional<VarValue> value;
        switch (in.kind) {
            case VarInput::erase:
                break;
            case VarInput::boolean:
                value = VarValue(in.b);
                break;
            case VarInput::integer:
                value = VarValue(static_cast<std::int64_t>(in.i));
                break;
            case VarInput::number:
                value = VarValue(static_cast<double>(in.d));
                break;
            case VarInput::string:
                value = VarValue(std::string(in.s));
                break;
        }
        for (auto& [key, pending] : call.var_writes) {
            if (key == name) {
                pending = std::move(value);
                return nullptr;
            }
        }
        bool exists = call.vars.contains(name);
        if (value && !exists) {
            std::size_t count = call.vars.size();
            for (const auto& [key, pending] : call.var_writes) {
                bool committed = call.vars.contains(key);
                if (pending && !committed)
                    ++count;
                else if (!pending && committed)
                    --count;
            }
            if (count >= kMaxVars)
                return "ctx.vars holds at most 64 values";
        }
        call.var_writes.emplace_back(std::string(name), std::move(value));
        return nullptr;
    } catch (...) {
        return "not enough memory";
    }
}

void push_var(lua_State* L, const VarValue& v) {
    if (const bool* b = std::get_if<bool>(&v))
        lua_pushboolean(L, *b ? 1 : 0);
    else if (const std::int64_t* i = std::get_if<std::int64_t>(&v))
        lua_pushinteger(L, *i);
    else if (const double* d = std::get_if<double>(&v))
        lua_pushnumber(L, *d);
    else if (const std::string* s = std::get_if<std::string>(&v))
        push_view(L, *s);
}

int vars_index(lua_State* L) {
    const Call& call = current_call(L);
    if (lua_type(L, 2) != LUA_TSTRING) {
        lua_pushnil(L);
        return 1;
    }
    std::size_t len = 0;
    const char* name = lua_tolstring(L, 2, &len);
    bool erased = false;
    const VarValue* v = find_var(call, std::string_view(name, len), erased);
    if (v == nullptr)
        lua_pushnil(L);
    else
        push_var(L, *v);
    return 1;
}

int vars_newindex(lua_State* L) {
    Call& call = current_call(L);
    if (lua_type(L, 2) != LUA_TSTRING)
        return luaL_error(L, "ctx.vars names must be strings");
    std::size_t len = 0;
    const char* name = lua_tolstring(L, 2, &len);
    if (len == 0 || len > kMaxVarNameBytes)
        return luaL_error(L, "ctx.vars names must be 1 to 64 bytes long");
    VarInput in;
    switch (lua_type(L, 3)) {
        case LUA_TNIL:
            break;
        case LUA_TBOOLEAN:
            in.kind = VarInput::boolean;
            in.b = lua_toboolean(L, 3) != 0;
            break;
        case LUA_TNUMBER:
            if (lua_isinteger(L, 3)) {
                in.kind = VarInput::integer;
                in.i = lua_tointeger(L, 3);
            } else {
                in.kind = VarInput::number;
                in.d = lua_tonumber(L, 3);
            }
            break;
        case LUA_TSTRING: {
            std::size_t vlen = 0;
            const char* v = lua_tolstring(L, 3, &vlen);
            if (vlen > kMaxVarValueBytes)
                return luaL_error(L, "ctx.vars strings are limited to 4096 bytes");
            in.kind = VarInput::string;
            in.s = std::string_view(v, vlen);
            break;
        }
        default:
            return luaL_error(L, "ctx.vars holds strings, numbers and booleans, not a %s",
                              luaL_typename(L, 3));
    }
    if (const char* error = write_var(call, std::string_view(name, len), in))
        return luaL_error(L, "%s", error);
    return 0;
}

void make_protected_metatable(lua_State* L) {
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
}

}  // namespace

void install_context_api(lua_State* L) {
    lua_newuserdatauv(L, 0, 0);
    lua_createtable(L, 0, 4);
    lua_createtable(L, 0, static_cast<int>(std::size(kFields)));
    for (const FieldName& f : kFields) {
        lua_pushinteger(L, f.field);
        lua_setfield(L, -2, f.name);
    }
    lua_pushcclosure(L, ctx_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, ctx_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, ctx_tostring);
    lua_setfield(L, -2, "__tostring");
    make_protected_metatable(L);
    lua_setmetatable(L, -2);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &kContextKey);

    lua_newuserdatauv(L, 0, 0);
    lua_createtable(L, 0, 3);
    lua_pushcfunction(L, vars_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, vars_newindex);
    lua_setfield(L, -2, "__newindex");
    make_protected_metatable(L);
    lua_setmetatable(L, -2);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &kVarsKey);
}

void push_context(lua_State* L) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &kContextKey);
}

}  // namespace postern::filter::policy::detail
