// SELECT and EXAMINE (RFC 9051 §6.3.2-§6.3.3) with select parameters (RFC 4466 §2.1): CONDSTORE
// (RFC 7162 §3.1.8) and QRESYNC (uidvalidity modseq [known-uids] [(seqs uids)], RFC 7162 §3.2.5).
#include "base/strings.h"
#include "proto/imap/parser/parsers.h"

namespace postern::proto::imap::detail {
namespace {

Step parse_seq_match(Reader& r, QresyncParams& q) {
    if (auto s = r.expect('(', "QRESYNC sequence match data"); !s)
        return s;
    auto seqs = r.sequence_set(false);
    if (!seqs)
        return std::unexpected(seqs.error());
    if (auto s = r.sp(); !s)
        return s;
    auto uids = r.uid_set();
    if (!uids)
        return std::unexpected(uids.error());
    q.seq_match.emplace(std::move(*seqs), std::move(*uids));
    return r.expect(')', "QRESYNC sequence match data");
}

Parsed<QresyncParams> parse_qresync(Reader& r) {
    QresyncParams q;
    if (auto s = r.expect('(', "QRESYNC"); !s)
        return std::unexpected(s.error());
    auto uidvalidity = r.nz_number("UIDVALIDITY");
    if (!uidvalidity)
        return std::unexpected(uidvalidity.error());
    q.uidvalidity = *uidvalidity;
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto modseq = r.number64("mod-sequence");
    if (!modseq)
        return std::unexpected(modseq.error());
    q.modseq = *modseq;
    bool more = r.accept(' ');
    if (more && r.peek() != '(') {
        auto known = r.uid_set();
        if (!known)
            return std::unexpected(known.error());
        q.known_uids = std::move(*known);
        more = r.accept(' ');
    }
    if (more) {
        if (auto s = parse_seq_match(r, q); !s)
            return std::unexpected(s.error());
    }
    if (auto s = r.expect(')', "QRESYNC"); !s)
        return std::unexpected(s.error());
    return q;
}

}  // namespace

Parsed<CommandArgs> parse_select(Reader& r, const CommandContext& ctx) {
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto mailbox = r.mailbox();
    if (!mailbox)
        return std::unexpected(mailbox.error());
    Select sel;
    sel.mailbox = std::move(*mailbox);
    sel.read_only = ctx.name == CommandName::examine;
    if (r.at_end())
        return sel;
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto params = r.list("SELECT parameters", false, [&]() -> Step {
        if (r.accept_keyword("CONDSTORE")) {
            sel.condstore = true;
            return {};
        }
        if (r.accept_keyword("QRESYNC")) {
            if (sel.qresync)
                return syntax_error("QRESYNC given twice");
            if (auto s = r.sp(); !s)
                return s;
            auto q = parse_qresync(r);
            if (!q)
                return std::unexpected(q.error());
            sel.qresync = std::move(*q);
            return {};
        }
        auto word = r.atom("SELECT parameter");
        if (!word)
            return std::unexpected(word.error());
        return syntax_error("Unknown SELECT parameter " + to_upper(word->substr(0, 32)));
    });
    if (!params)
        return std::unexpected(params.error());
    return sel;
}

}  // namespace postern::proto::imap::detail
