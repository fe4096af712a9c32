// APPEND (RFC 9051 §6.3.12) with MULTIAPPEND (RFC 3502 §6), literal8 message data (RFC 3516
// §4.4), UTF8 (~{n}) data (RFC 6855 §4); REPLACE and UID REPLACE (RFC 8508 §3, §6).
#include "proto/imap/parser/parsers.h"

namespace postern::proto::imap::detail {
namespace {

Parsed<AppendMessage> parse_message_data(Reader& r) {
    AppendMessage m;
    bool utf8 = false;
    if (r.accept_keyword("UTF8")) {
        utf8 = true;
        if (auto s = r.sp(); !s)
            return std::unexpected(s.error());
        if (auto s = r.expect('(', "UTF8 message data"); !s)
            return std::unexpected(s.error());
    } else if (r.peek() != '{' && r.peek() != '~') {
        return syntax_error(r.at_end() ? "Missing message literal"
                                       : "Expected a message literal in APPEND");
    }
    auto data = r.message_literal();
    if (!data)
        return std::unexpected(data.error());
    if (utf8) {
        if (data->form != StringForm::literal8)
            return syntax_error("UTF8 message data must be a literal8");
        if (auto s = r.expect(')', "UTF8 message data"); !s)
            return std::unexpected(s.error());
    }
    m.size = data->literal->size;
    m.binary = data->form == StringForm::literal8;
    m.utf8 = utf8;
    if (data->literal->streamed)
        m.streamed_literal = data->literal_index;
    else
        m.data = std::move(data->value);
    return m;
}

// append-message = [SP flag-list] [SP date-time] SP append-data; the reader is before its SP.
Parsed<AppendMessage> parse_append_message(Reader& r) {
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    std::vector<std::string> flags;
    std::optional<DateTime> date;
    if (r.peek() == '(') {
        auto f = r.flag_list();
        if (!f)
            return std::unexpected(f.error());
        flags = std::move(*f);
        if (auto s = r.sp(); !s)
            return std::unexpected(s.error());
    }
    if (r.peek() == '"') {
        auto d = r.date_time();
        if (!d)
            return std::unexpected(d.error());
        date = *d;
        if (auto s = r.sp(); !s)
            return std::unexpected(s.error());
    }
    auto m = parse_message_data(r);
    if (!m)
        return m;
    m->flags = std::move(flags);
    m->internal_date = date;
    return m;
}

}  // namespace

Parsed<CommandArgs> parse_append(Reader& r, const CommandContext&) {
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto mailbox = r.mailbox();
    if (!mailbox)
        return std::unexpected(mailbox.error());
    Append a;
    a.mailbox = std::move(*mailbox);
    do {
        if (a.messages.size() >= r.limits().max_list_items)
            return limit_error("Too many messages in APPEND");
        auto m = parse_append_message(r);
        if (!m)
            return std::unexpected(m.error());
        a.messages.push_back(std::move(*m));
    } while (!r.at_end());
    return a;
}

Parsed<CommandArgs> parse_replace(Reader& r, const CommandContext& ctx) {
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto number = r.nz_number(ctx.uid ? "UID" : "message number");
    if (!number)
        return std::unexpected(number.error());
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto mailbox = r.mailbox();
    if (!mailbox)
        return std::unexpected(mailbox.error());
    auto m = parse_append_message(r);
    if (!m)
        return std::unexpected(m.error());
    return Replace{*number, std::move(*mailbox), std::move(*m)};
}

}  // namespace postern::proto::imap::detail
