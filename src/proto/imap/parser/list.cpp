// LIST (RFC 9051 §6.3.9) with LIST-EXTENDED selection and return options (RFC 5258 §3),
// several patterns, SPECIAL-USE (RFC 6154 §5), LIST-STATUS (RFC 5819 §2), LIST-MYRIGHTS
// (RFC 8440 §3).
#include "base/strings.h"
#include "proto/imap/parser/parsers.h"

namespace postern::proto::imap::detail {
namespace {

Step parse_selection(Reader& r, List& list) {
    return r.list("LIST selection options", true, [&]() -> Step {
        if (r.accept_keyword("SUBSCRIBED")) {
            list.selection |= list_select::subscribed;
        } else if (r.accept_keyword("REMOTE")) {
            list.selection |= list_select::remote;
        } else if (r.accept_keyword("RECURSIVEMATCH")) {
            list.selection |= list_select::recursive_match;
        } else if (r.accept_keyword("SPECIAL-USE")) {
            list.selection |= list_select::special_use;
        } else {
            auto word = r.atom("LIST selection option");
            if (!word)
                return std::unexpected(word.error());
            return syntax_error("Unknown LIST selection option " + to_upper(word->substr(0, 32)));
        }
        return {};
    });
}

Step parse_returns(Reader& r, List& list) {
    return r.list("LIST return options", true, [&]() -> Step {
        if (r.accept_keyword("SUBSCRIBED")) {
            list.returns |= list_return::subscribed;
        } else if (r.accept_keyword("CHILDREN")) {
            list.returns |= list_return::children;
        } else if (r.accept_keyword("SPECIAL-USE")) {
            list.returns |= list_return::special_use;
        } else if (r.accept_keyword("MYRIGHTS")) {
            list.returns |= list_return::myrights;
        } else if (r.accept_keyword("STATUS")) {
            if (list.returns & list_return::status)
                return syntax_error("STATUS return option given twice");
            if (auto s = r.sp(); !s)
                return s;
            auto items = parse_status_items(r);
            if (!items)
                return std::unexpected(items.error());
            list.returns |= list_return::status;
            list.status_items = std::move(*items);
        } else {
            auto word = r.atom("LIST return option");
            if (!word)
                return std::unexpected(word.error());
            return syntax_error("Unknown LIST return option " + to_upper(word->substr(0, 32)));
        }
        return {};
    });
}

}  // namespace

Parsed<CommandArgs> parse_list(Reader& r, const CommandContext&) {
    List list;
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    if (r.peek() == '(') {
        list.extended = true;
        if (auto s = parse_selection(r, list); !s)
            return std::unexpected(s.error());
        // RFC 5258 §3.1: RECURSIVEMATCH alone (or with only REMOTE) is an error.
        if ((list.selection & ~list_select::remote) == list_select::recursive_match)
            return syntax_error("RECURSIVEMATCH needs another selection option");
        if (auto s = r.sp(); !s)
            return std::unexpected(s.error());
    }
    auto reference = r.mailbox();
    if (!reference)
        return std::unexpected(reference.error());
    list.reference = std::move(*reference);
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    if (r.peek() == '(') {
        list.extended = true;
        auto s = r.list("LIST patterns", false, [&]() -> Step {
            auto pattern = r.list_mailbox();
            if (!pattern)
                return std::unexpected(pattern.error());
            list.patterns.push_back(std::move(*pattern));
            return {};
        });
        if (!s)
            return std::unexpected(s.error());
    } else {
        auto pattern = r.list_mailbox();
        if (!pattern)
            return std::unexpected(pattern.error());
        list.patterns.push_back(std::move(*pattern));
    }
    if (!r.at_end()) {
        if (auto s = r.sp(); !s)
            return std::unexpected(s.error());
        if (!r.accept_keyword("RETURN"))
            return syntax_error("Expected RETURN after the LIST patterns");
        if (auto s = r.sp(); !s)
            return std::unexpected(s.error());
        list.extended = true;
        if (auto s = parse_returns(r, list); !s)
            return std::unexpected(s.error());
    }
    return list;
}

}  // namespace postern::proto::imap::detail
