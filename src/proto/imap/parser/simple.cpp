// Commands with few or no arguments: CAPABILITY, NOOP, LOGOUT, STARTTLS, NAMESPACE, IDLE, CHECK,
// CLOSE, UNSELECT, UNAUTHENTICATE (RFC 9051 §6.1-§6.4, RFC 8437), [UID] EXPUNGE (RFC 4315 §2.1),
// ENABLE (RFC 5161 §3.1), COMPRESS (RFC 4978 §3), ID (RFC 2971 §3.1), and IDLE's DONE
// (RFC 2177 §3).
#include "base/strings.h"
#include "proto/imap/parser/parsers.h"

namespace postern::proto::imap::detail {

Parsed<CommandArgs> parse_no_arguments(Reader& r, const CommandContext& ctx) {
    if (!r.at_end())
        return syntax_error(std::string(command_keyword(ctx.name)) + " takes no arguments");
    switch (ctx.name) {
        case CommandName::capability:
            return Capability{};
        case CommandName::noop:
            return Noop{};
        case CommandName::logout:
            return Logout{};
        case CommandName::starttls:
            return StartTls{};
        case CommandName::namespace_:
            return Namespace{};
        case CommandName::idle:
            return Idle{};
        case CommandName::check:
            return Check{};
        case CommandName::close:
            return Close{};
        case CommandName::unselect:
            return Unselect{};
        case CommandName::unauthenticate:
            return Unauthenticate{};
        default:
            return syntax_error("Unexpected command");
    }
}

Parsed<CommandArgs> parse_expunge(Reader& r, const CommandContext& ctx) {
    Expunge e;
    if (ctx.uid) {
        if (auto s = r.sp(); !s)
            return std::unexpected(s.error());
        auto set = r.sequence_set();
        if (!set)
            return std::unexpected(set.error());
        e.uids = std::move(*set);
    }
    return e;
}

Parsed<CommandArgs> parse_enable(Reader& r, const CommandContext&) {
    Enable e;
    do {
        if (auto s = r.sp(); !s)
            return std::unexpected(s.error());
        if (e.capabilities.size() >= r.limits().max_list_items)
            return limit_error("Too many capabilities");
        auto cap = r.atom("capability");
        if (!cap)
            return std::unexpected(cap.error());
        e.capabilities.push_back(to_upper(*cap));
    } while (!r.at_end());
    return e;
}

Parsed<CommandArgs> parse_compress(Reader& r, const CommandContext&) {
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto mechanism = r.atom("compression mechanism");
    if (!mechanism)
        return std::unexpected(mechanism.error());
    return Compress{to_upper(*mechanism)};
}

Parsed<CommandArgs> parse_id(Reader& r, const CommandContext&) {
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    Id id;
    if (r.accept_keyword("NIL"))
        return id;
    std::vector<std::pair<std::string, std::optional<std::string>>> fields;
    auto s = r.list("ID parameters", true, [&]() -> Step {
        auto key = r.string("ID field name");
        if (!key)
            return std::unexpected(key.error());
        if (auto sp = r.sp(); !sp)
            return sp;
        auto value = r.nstring("ID field value");
        if (!value)
            return std::unexpected(value.error());
        std::optional<std::string> v;
        if (*value)
            v = std::move((*value)->value);
        fields.emplace_back(std::move(key->value), std::move(v));
        return {};
    });
    if (!s)
        return std::unexpected(s.error());
    id.fields = std::move(fields);
    return id;
}

}  // namespace postern::proto::imap::detail

namespace postern::proto::imap {

bool is_idle_done(std::string_view line) {
    return iequals(line, "DONE");
}

}  // namespace postern::proto::imap
