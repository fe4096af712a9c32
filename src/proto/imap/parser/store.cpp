// STORE with +FLAGS/-FLAGS/.SILENT (RFC 9051 §6.4.6) and UNCHANGEDSINCE (RFC 7162 §3.1.3); COPY
// (§6.4.7) and MOVE (§6.4.8, RFC 6851 §3.1), with or without the UID prefix.
#include "base/strings.h"
#include "proto/imap/parser/parsers.h"

namespace postern::proto::imap::detail {

Parsed<CommandArgs> parse_store(Reader& r, const CommandContext&) {
    Store store;
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto set = r.sequence_set();
    if (!set)
        return std::unexpected(set.error());
    store.set = std::move(*set);
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    if (r.peek() == '(') {
        auto s = r.list("STORE modifiers", false, [&]() -> Step {
            if (!r.accept_keyword("UNCHANGEDSINCE")) {
                auto word = r.atom("STORE modifier");
                if (!word)
                    return std::unexpected(word.error());
                return syntax_error("Unknown STORE modifier " + to_upper(word->substr(0, 32)));
            }
            if (store.unchanged_since)
                return syntax_error("UNCHANGEDSINCE given twice");
            if (auto sp = r.sp(); !sp)
                return sp;
            auto modseq = r.number64("UNCHANGEDSINCE");
            if (!modseq)
                return std::unexpected(modseq.error());
            store.unchanged_since = *modseq;
            return {};
        });
        if (!s)
            return std::unexpected(s.error());
        if (auto sp = r.sp(); !sp)
            return std::unexpected(sp.error());
    }
    if (r.accept('+'))
        store.mode = StoreMode::add;
    else if (r.accept('-'))
        store.mode = StoreMode::remove;
    if (r.accept_keyword("FLAGS.SILENT")) {
        store.silent = true;
    } else if (!r.accept_keyword("FLAGS")) {
        auto word = r.atom("STORE item");
        if (!word)
            return std::unexpected(word.error());
        return syntax_error("Unknown STORE item " + to_upper(word->substr(0, 32)));
    }
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    if (r.peek() == '(') {
        auto flags = r.flag_list();
        if (!flags)
            return std::unexpected(flags.error());
        store.flags = std::move(*flags);
        return store;
    }
    do {
        if (store.flags.size() >= r.limits().max_list_items)
            return limit_error("Too many flags");
        auto flag = r.flag();
        if (!flag)
            return std::unexpected(flag.error());
        store.flags.push_back(std::move(*flag));
    } while (r.accept(' '));
    return store;
}

Parsed<CommandArgs> parse_copy_move(Reader& r, const CommandContext& ctx) {
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto set = r.sequence_set();
    if (!set)
        return std::unexpected(set.error());
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto mailbox = r.mailbox();
    if (!mailbox)
        return std::unexpected(mailbox.error());
    if (ctx.name == CommandName::move)
        return Move{std::move(*set), std::move(*mailbox)};
    return Copy{std::move(*set), std::move(*mailbox)};
}

}  // namespace postern::proto::imap::detail
