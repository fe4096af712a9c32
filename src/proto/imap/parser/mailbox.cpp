// Mailbox commands: CREATE with USE (RFC 9051 §6.3.4, RFC 6154 §3), DELETE, RENAME, SUBSCRIBE,
// UNSUBSCRIBE (§6.3.5-§6.3.8), STATUS and its items (§6.3.11, RFC 7162 §3.1.7, RFC 7889 §3,
// RFC 8474 §4.1), LSUB (RFC 3501 §6.3.9).
#include <array>

#include "base/strings.h"
#include "proto/imap/parser/parsers.h"

namespace postern::proto::imap::detail {
namespace {

constexpr std::array<StatusItem, 10> kStatusItems = {
    StatusItem::messages, StatusItem::uidnext,       StatusItem::uidvalidity,
    StatusItem::unseen,   StatusItem::deleted,       StatusItem::size,
    StatusItem::recent,   StatusItem::highestmodseq, StatusItem::appendlimit,
    StatusItem::mailboxid};

Parsed<MailboxName> space_mailbox(Reader& r) {
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    return r.mailbox();
}

}  // namespace

Parsed<StatusItem> parse_status_item(Reader& r) {
    auto word = r.atom("STATUS item");
    if (!word)
        return std::unexpected(word.error());
    for (StatusItem item : kStatusItems) {
        if (iequals(*word, status_item_name(item)))
            return item;
    }
    return syntax_error("Unknown STATUS item " + to_upper(word->substr(0, 32)));
}

Parsed<std::vector<StatusItem>> parse_status_items(Reader& r) {
    std::vector<StatusItem> items;
    auto s = r.list("STATUS items", false, [&]() -> Step {
        auto item = parse_status_item(r);
        if (!item)
            return std::unexpected(item.error());
        items.push_back(*item);
        return {};
    });
    if (!s)
        return std::unexpected(s.error());
    return items;
}

Parsed<CommandArgs> parse_create(Reader& r, const CommandContext&) {
    auto mailbox = space_mailbox(r);
    if (!mailbox)
        return std::unexpected(mailbox.error());
    Create c;
    c.mailbox = std::move(*mailbox);
    if (r.at_end())
        return c;
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto params = r.list("CREATE parameters", false, [&]() -> Step {
        if (!r.accept_keyword("USE")) {
            auto word = r.atom("CREATE parameter");
            if (!word)
                return std::unexpected(word.error());
            return syntax_error("Unknown CREATE parameter " + to_upper(word->substr(0, 32)));
        }
        if (auto s = r.sp(); !s)
            return s;
        return r.list("USE attributes", true, [&]() -> Step {
            if (!r.accept('\\'))
                return syntax_error("Invalid special-use attribute");
            auto attr = r.atom("special-use attribute");
            if (!attr)
                return std::unexpected(attr.error());
            c.special_use.push_back("\\" + std::string(*attr));
            return {};
        });
    });
    if (!params)
        return std::unexpected(params.error());
    return c;
}

Parsed<CommandArgs> parse_one_mailbox(Reader& r, const CommandContext& ctx) {
    auto mailbox = space_mailbox(r);
    if (!mailbox)
        return std::unexpected(mailbox.error());
    switch (ctx.name) {
        case CommandName::delete_:
            return Delete{std::move(*mailbox)};
        case CommandName::subscribe:
            return Subscribe{std::move(*mailbox)};
        case CommandName::unsubscribe:
            return Unsubscribe{std::move(*mailbox)};
        default:
            return syntax_error("Unexpected command");
    }
}

Parsed<CommandArgs> parse_rename(Reader& r, const CommandContext&) {
    auto from = space_mailbox(r);
    if (!from)
        return std::unexpected(from.error());
    auto to = space_mailbox(r);
    if (!to)
        return std::unexpected(to.error());
    return Rename{std::move(*from), std::move(*to)};
}

Parsed<CommandArgs> parse_status(Reader& r, const CommandContext&) {
    auto mailbox = space_mailbox(r);
    if (!mailbox)
        return std::unexpected(mailbox.error());
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto items = parse_status_items(r);
    if (!items)
        return std::unexpected(items.error());
    return Status{std::move(*mailbox), std::move(*items)};
}

Parsed<CommandArgs> parse_lsub(Reader& r, const CommandContext&) {
    auto reference = space_mailbox(r);
    if (!reference)
        return std::unexpected(reference.error());
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto pattern = r.list_mailbox();
    if (!pattern)
        return std::unexpected(pattern.error());
    return Lsub{std::move(*reference), std::move(*pattern)};
}

}  // namespace postern::proto::imap::detail
