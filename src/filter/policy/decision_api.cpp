// Decision functions for policy scripts (docs/policy.md "Decisions"). Lua-facing functions keep
// only trivially destructible locals (errors longjmp); they validate with the non-allocating
// checks of validate.h and store through noexcept helpers that return before any raise.
#include "filter/policy/decision_api.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "filter/policy/call.h"
#include "filter/policy/sandbox.h"
#include "filter/policy/validate.h"

namespace postern::filter::policy::detail {
namespace {

using proto::smtp::EnhancedCode;

std::string_view view(const char* s, std::size_t len) {
    return std::string_view(s, len);
}

// The running call, after checking that `function` may be used in its event.
Call& begin(lua_State* L, const char* function, Operation operation) {
    Call* call = control(L).call;
    if (call == nullptr)
        luaL_error(L, "%s() can only be called while an event function runs", function);
    if (!event_allows(call->event, operation)) {
        luaL_error(L, "%s() is not allowed in %s", function,
                   event_function_name(call->event).data());
    }
    return *call;
}

// ---- storing (noexcept: return an error text instead of throwing) ----

const char* store_verdict(Call& call, Verdict verdict, std::uint16_t code,
                          std::optional<EnhancedCode> enhanced, std::string_view text) noexcept {
    try {
        call.decision.verdict = verdict;
        call.decision.code = code;
        call.decision.enhanced = enhanced;
        call.decision.text.assign(text);
        return nullptr;
    } catch (...) {
        return "not enough memory";
    }
}

const char* store_reply_text(Call& call, std::string_view text) noexcept {
    try {
        call.decision.text.assign(text);
        return nullptr;
    } catch (...) {
        return "not enough memory";
    }
}

const char* store_header_change(Call& call, HeaderChange::Kind kind, std::string_view name,
                                std::string_view value) noexcept {
    if (call.decision.header_changes.size() >= kMaxHeaderChanges)
        return "too many header changes in one call (at most 64)";
    try {
        call.decision.header_changes.push_back(
            HeaderChange{kind, std::string(name), std::string(value)});
        return nullptr;
    } catch (...) {
        return "not enough memory";
    }
}

enum class RecipientResult { ok, invalid, too_many, no_memory };

RecipientResult store_recipient_change(Call& call, RecipientChange::Kind kind,
                                       std::string_view address) noexcept {
    if (call.decision.recipient_changes.size() >= kMaxRecipientChanges)
        return RecipientResult::too_many;
    try {
        std::string normal;
        if (kind != RecipientChange::Kind::clear) {
            auto n = normalize_address(address);
            if (!n)
                return RecipientResult::invalid;
            normal = std::move(*n);
        }
        call.decision.recipient_changes.push_back(RecipientChange{kind, std::move(normal)});
        return RecipientResult::ok;
    } catch (...) {
        return RecipientResult::no_memory;
    }
}

const char* store_relay(Call& call, std::string_view host, std::uint16_t port,
                        RelayTls tls) noexcept {
    try {
        auto normal = normalize_relay_host(host);
        if (!normal)
            return "is not a domain name or IP address";
        call.decision.relay = RelayRoute{std::move(*normal), port, tls};
        return nullptr;
    } catch (...) {
        return "not enough memory";
    }
}

const char* store_ndr_text(Call& call, std::string_view text) noexcept {
    try {
        call.decision.ndr_text.emplace(text);
        return nullptr;
    } catch (...) {
        return "not enough memory";
    }
}

void store_log_line(Call& call, std::string_view text) noexcept {
    try {
        if (call.decision.log_lines.size() >= kMaxLogLines) {
            if (!call.log_lines_dropped) {
                call.log_lines_dropped = true;
                call.logger.warn("policy {}: more than {} log lines in one call; dropping the rest",
                                 event_function_name(call.event), kMaxLogLines);
            }
            return;
        }
        std::string line = sanitize_log_text(text);
        call.logger.info("policy {}: {}", event_function_name(call.event), line);
        call.decision.log_lines.push_back(std::move(line));
    } catch (...) {
        // A log line is not worth failing the call for.
    }
}

int raise_if(lua_State* L, const char* function, const char* error) {
    if (error != nullptr)
        return luaL_error(L, "%s: %s", function, error);
    return 0;
}

// ---- verdicts ----

struct RefusalDefaults {
    std::uint16_t code;
    std::optional<EnhancedCode> enhanced;
    const char* text;
};

RefusalDefaults refusal_defaults(Event event, Verdict verdict) {
    // RFC 5321 §3.1: a refused connection gets 554 (or 421 when temporary) and greetings carry
    // no enhanced code (RFC 2034 §3).
    bool greeting = event == Event::connect;
    if (verdict == Verdict::reject) {
        return {static_cast<std::uint16_t>(greeting ? 554 : 550),
                greeting ? std::nullopt : std::optional<EnhancedCode>(EnhancedCode{5, 7, 1}),
                "Rejected by local policy"};
    }
    return {static_cast<std::uint16_t>(greeting ? 421 : 451),
            greeting ? std::nullopt : std::optional<EnhancedCode>(EnhancedCode{4, 7, 1}),
            "Temporarily refused by local policy, try again later"};
}

// reject([code], [text]) and tempfail([code], [text]); the text may begin with an enhanced code.
int refuse(lua_State* L, Verdict verdict, const char* function) {
    Call& call = begin(L, function, Operation::refuse);
    RefusalDefaults defaults = refusal_defaults(call.event, verdict);
    lua_Integer code = defaults.code;
    int text_arg = 1;
    if (lua_type(L, 1) == LUA_TNUMBER) {
        code = luaL_checkinteger(L, 1);
        text_arg = 2;
    }
    if (const char* error = check_reply_code(verdict, code))
        return luaL_error(L, "%s: %s, not %I", function, error, code);
    std::size_t len = 0;
    const char* text = luaL_optlstring(L, text_arg, nullptr, &len);
    ReplyTextParts parts{defaults.enhanced, defaults.text};
    if (text != nullptr) {
        raise_if(L, function, check_reply_text(view(text, len)));
        if (call.event == Event::connect) {
            parts.text = view(text, len);
        } else {
            ReplyTextParts given;
            raise_if(L, function,
                     split_enhanced_code(static_cast<std::uint16_t>(code), view(text, len), given));
            if (given.enhanced)
                parts.enhanced = given.enhanced;
            if (!given.text.empty())
                parts.text = given.text;
        }
    }
    return raise_if(
        L, function,
        store_verdict(call, verdict, static_cast<std::uint16_t>(code), parts.enhanced, parts.text));
}

int lua_reject(lua_State* L) {
    return refuse(L, Verdict::reject, "reject");
}
int lua_tempfail(lua_State* L) {
    return refuse(L, Verdict::tempfail, "tempfail");
}

int lua_accept(lua_State* L) {
    Call& call = begin(L, "accept", Operation::accept);
    std::size_t len = 0;
    const char* text = luaL_optlstring(L, 1, "", &len);
    raise_if(L, "accept", check_reply_text(view(text, len)));
    return raise_if(L, "accept",
                    store_verdict(call, Verdict::accept, 0, std::nullopt, view(text, len)));
}

int lua_discard(lua_State* L) {
    Call& call = begin(L, "discard", Operation::discard);
    return raise_if(L, "discard", store_verdict(call, Verdict::discard, 0, std::nullopt, ""));
}

int lua_set_reply_text(lua_State* L) {
    Call& call = begin(L, "setReplyText", Operation::reply_text);
    std::size_t len = 0;
    const char* text = luaL_checklstring(L, 1, &len);
    raise_if(L, "setReplyText", check_reply_text(view(text, len)));
    return raise_if(L, "setReplyText", store_reply_text(call, view(text, len)));
}

// ---- headers ----

int lua_add_header(lua_State* L) {
    Call& call = begin(L, "addHeader", Operation::headers);
    std::size_t name_len = 0;
    std::size_t value_len = 0;
    const char* name = luaL_checklstring(L, 1, &name_len);
    const char* value = luaL_checklstring(L, 2, &value_len);
    raise_if(L, "addHeader", check_header_name(view(name, name_len)));
    raise_if(L, "addHeader", check_header_value(view(name, name_len), view(value, value_len)));
    return raise_if(L, "addHeader",
                    store_header_change(call, HeaderChange::Kind::add, view(name, name_len),
                                        view(value, value_len)));
}

int lua_remove_header(lua_State* L) {
    Call& call = begin(L, "removeHeader", Operation::headers);
    std::size_t len = 0;
    const char* name = luaL_checklstring(L, 1, &len);
    raise_if(L, "removeHeader", check_header_name(view(name, len)));
    raise_if(L, "removeHeader", check_header_removable(view(name, len)));
    return raise_if(L, "removeHeader",
                    store_header_change(call, HeaderChange::Kind::remove, view(name, len), ""));
}

// ---- recipients ----

int recipient_change(lua_State* L, Call& call, const char* function, RecipientChange::Kind kind,
                     const char* address, std::size_t len) {
    switch (store_recipient_change(call, kind, view(address, len))) {
        case RecipientResult::ok:
            return 0;
        case RecipientResult::invalid:
            return luaL_error(L, "%s: '%s' is not a valid address", function, address);
        case RecipientResult::too_many:
            return luaL_error(L, "%s: too many recipient changes in one call (at most 1000)",
                              function);
        case RecipientResult::no_memory:
            break;
    }
    return luaL_error(L, "%s: not enough memory", function);
}

int lua_set_recipients(lua_State* L) {
    Call& call = begin(L, "setRecipients", Operation::recipients);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Unsigned n = lua_rawlen(L, 1);
    if (n > kMaxRecipientChanges)
        return luaL_error(L, "setRecipients: at most 1000 addresses");
    recipient_change(L, call, "setRecipients", RecipientChange::Kind::clear, "", 0);
    for (lua_Unsigned i = 1; i <= n; ++i) {
        if (lua_rawgeti(L, 1, static_cast<lua_Integer>(i)) != LUA_TSTRING)
            return luaL_error(L, "setRecipients: entry %I is not a string",
                              static_cast<lua_Integer>(i));
        std::size_t len = 0;
        const char* address = lua_tolstring(L, -1, &len);
        recipient_change(L, call, "setRecipients", RecipientChange::Kind::add, address, len);
        lua_pop(L, 1);
    }
    return 0;
}

int lua_add_recipient(lua_State* L) {
    Call& call = begin(L, "addRecipient", Operation::recipients);
    std::size_t len = 0;
    const char* address = luaL_checklstring(L, 1, &len);
    return recipient_change(L, call, "addRecipient", RecipientChange::Kind::add, address, len);
}

int lua_remove_recipient(lua_State* L) {
    Call& call = begin(L, "removeRecipient", Operation::recipients);
    std::size_t len = 0;
    const char* address = luaL_checklstring(L, 1, &len);
    return recipient_change(L, call, "removeRecipient", RecipientChange::Kind::remove, address,
                            len);
}

// ---- queue side ----

int lua_set_relay(lua_State* L) {
    Call& call = begin(L, "setRelay", Operation::relay);
    std::size_t len = 0;
    const char* host = luaL_checklstring(L, 1, &len);
    lua_Integer port = luaL_optinteger(L, 2, 25);
    if (port < 1 || port > 65535)
        return luaL_error(L, "setRelay: port %I is not between 1 and 65535", port);
    const char* tls_name = luaL_optstring(L, 3, "opportunistic");
    std::optional<RelayTls> tls = relay_tls_from_name(tls_name);
    if (!tls) {
        return luaL_error(L,
                          "setRelay: TLS mode '%s' is not one of opportunistic, required, "
                          "implicit, none",
                          tls_name);
    }
    const char* error = store_relay(call, view(host, len), static_cast<std::uint16_t>(port), *tls);
    if (error != nullptr)
        return luaL_error(L, "setRelay: '%s' %s", host, error);
    return 0;
}

int lua_set_ndr_text(lua_State* L) {
    Call& call = begin(L, "setNdrText", Operation::ndr_text);
    std::size_t len = 0;
    const char* text = luaL_checklstring(L, 1, &len);
    raise_if(L, "setNdrText", check_ndr_text(view(text, len)));
    return raise_if(L, "setNdrText", store_ndr_text(call, view(text, len)));
}

// ---- logging ----

// log(...) and print(...) join their arguments with spaces (a tab would not survive the log
// line's sanitizing) and write them to the session's log at level info. At the top level (no
// call) they do nothing.
int lua_log(lua_State* L) {
    Call* call = control(L).call;
    if (call == nullptr)
        return 0;
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; ++i) {
        if (i > 1)
            luaL_addchar(&b, ' ');
        luaL_tolstring(L, i, nullptr);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    std::size_t len = 0;
    const char* text = lua_tolstring(L, -1, &len);
    store_log_line(*call, view(text, len));
    return 0;
}

}  // namespace

void install_decision_api(lua_State* L) {
    const luaL_Reg functions[] = {
        {"accept", lua_accept},
        {"reject", lua_reject},
        {"tempfail", lua_tempfail},
        {"discard", lua_discard},
        {"setReplyText", lua_set_reply_text},
        {"addHeader", lua_add_header},
        {"removeHeader", lua_remove_header},
        {"setRecipients", lua_set_recipients},
        {"addRecipient", lua_add_recipient},
        {"removeRecipient", lua_remove_recipient},
        {"setRelay", lua_set_relay},
        {"setNdrText", lua_set_ndr_text},
        {"log", lua_log},
        {"print", lua_log},
        {nullptr, nullptr},
    };
    lua_rawgetp(L, LUA_REGISTRYINDEX, &kGlobalsKey);
    luaL_setfuncs(L, functions, 0);
    lua_pop(L, 1);
}

}  // namespace postern::filter::policy::detail
