// NOTIFY (RFC 5465 §3, §8 formal syntax): NOTIFY NONE, or NOTIFY SET [STATUS] with event groups,
// each a mailbox filter (SELECTED, SELECTED-DELAYED, INBOXES, PERSONAL, SUBSCRIBED, SUBTREE,
// MAILBOXES) and its events or NONE; MessageNew may carry fetch attributes.
#include <array>

#include "base/strings.h"
#include "proto/imap/parser/parsers.h"

namespace postern::proto::imap::detail {
namespace {

constexpr std::array<std::pair<std::string_view, NotifyEventKind>, 8> kEvents = {{
    {"MESSAGENEW", NotifyEventKind::message_new},
    {"MESSAGEEXPUNGE", NotifyEventKind::message_expunge},
    {"FLAGCHANGE", NotifyEventKind::flag_change},
    {"ANNOTATIONCHANGE", NotifyEventKind::annotation_change},
    {"MAILBOXNAME", NotifyEventKind::mailbox_name},
    {"SUBSCRIPTIONCHANGE", NotifyEventKind::subscription_change},
    {"MAILBOXMETADATACHANGE", NotifyEventKind::mailbox_metadata_change},
    {"SERVERMETADATACHANGE", NotifyEventKind::server_metadata_change},
}};

constexpr std::array<std::pair<std::string_view, NotifyFilter>, 7> kFilters = {{
    {"SELECTED", NotifyFilter::selected},
    {"SELECTED-DELAYED", NotifyFilter::selected_delayed},
    {"INBOXES", NotifyFilter::inboxes},
    {"PERSONAL", NotifyFilter::personal},
    {"SUBSCRIBED", NotifyFilter::subscribed},
    {"SUBTREE", NotifyFilter::subtree},
    {"MAILBOXES", NotifyFilter::mailboxes},
}};

// one-or-more-mailbox = mailbox / "(" mailbox *(SP mailbox) ")".
Step parse_mailboxes(Reader& r, NotifyGroup& group) {
    if (r.peek() != '(') {
        auto mailbox = r.mailbox();
        if (!mailbox)
            return std::unexpected(mailbox.error());
        group.mailboxes.push_back(std::move(*mailbox));
        return {};
    }
    return r.list("NOTIFY mailboxes", false, [&]() -> Step {
        auto mailbox = r.mailbox();
        if (!mailbox)
            return std::unexpected(mailbox.error());
        group.mailboxes.push_back(std::move(*mailbox));
        return {};
    });
}

Step parse_event(Reader& r, NotifyGroup& group) {
    auto word = r.atom("NOTIFY event");
    if (!word)
        return std::unexpected(word.error());
    NotifyEvent event;
    bool known = false;
    for (const auto& [name, kind] : kEvents) {
        if (iequals(name, *word)) {
            event.kind = kind;
            known = true;
            break;
        }
    }
    if (!known)
        return syntax_error("Unknown NOTIFY event " + to_upper(word->substr(0, 32)));
    if (event.kind == NotifyEventKind::message_new) {
        const std::size_t start = r.position();
        if (r.accept(' ') && r.peek() == '(') {
            auto s = r.list("MessageNew attributes", false,
                            [&]() -> Step { return parse_fetch_att(r, event.fetch); });
            if (!s)
                return s;
        } else {
            r.rewind(start);
        }
    }
    group.events.push_back(std::move(event));
    return {};
}

Step parse_group(Reader& r, Notify& notify) {
    NotifyGroup group;
    if (auto s = r.expect('(', "NOTIFY event group"); !s)
        return s;
    auto word = r.atom("NOTIFY mailbox filter");
    if (!word)
        return std::unexpected(word.error());
    bool known = false;
    for (const auto& [name, filter] : kFilters) {
        if (iequals(name, *word)) {
            group.filter = filter;
            known = true;
            break;
        }
    }
    if (!known)
        return syntax_error("Unknown NOTIFY mailbox filter " + to_upper(word->substr(0, 32)));
    if (auto s = r.sp(); !s)
        return s;
    if (group.filter == NotifyFilter::subtree || group.filter == NotifyFilter::mailboxes) {
        if (auto s = parse_mailboxes(r, group); !s)
            return s;
        if (auto s = r.sp(); !s)
            return s;
    }
    if (!r.accept_keyword("NONE")) {
        auto s = r.list("NOTIFY events", false, [&]() -> Step { return parse_event(r, group); });
        if (!s)
            return s;
    }
    notify.groups.push_back(std::move(group));
    return r.expect(')', "NOTIFY event group");
}

}  // namespace

Parsed<CommandArgs> parse_notify(Reader& r, const CommandContext&) {
    Notify notify;
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    if (r.accept_keyword("NONE")) {
        notify.none = true;
        return notify;
    }
    if (!r.accept_keyword("SET"))
        return syntax_error("Expected NOTIFY SET or NOTIFY NONE");
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    if (r.accept_keyword("STATUS")) {
        notify.status = true;
        if (auto s = r.sp(); !s)
            return std::unexpected(s.error());
    }
    do {
        if (notify.groups.size() >= r.limits().max_list_items)
            return limit_error("Too many NOTIFY event groups");
        if (auto s = parse_group(r, notify); !s)
            return std::unexpected(s.error());
    } while (r.accept(' '));
    return notify;
}

}  // namespace postern::proto::imap::detail
