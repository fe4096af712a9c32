// SEARCH evaluation as bitmaps over the mailbox's messages, and SORT (RFC 3501 §6.4.4,
// RFC 5256 §3, RFC 5957, RFC 7162 §3.1.5). Text matching rules: docs/storage.md "Search".
#include "store/engine/index_search.h"

#include <algorithm>

#include "base/strings.h"
#include "store/engine/text_fold.h"

namespace postern::store::engine {
namespace {

struct Row {
    Uid uid;
    std::uint32_t flags;
    std::uint64_t keywords;
    ModSeq modseq;
    std::uint64_t size;
    Timestamp internal_date;
    Timestamp sent_date;
};

bool needs_full_rows(const SearchKey& k) {
    using K = SearchKey::Kind;
    if (k.kind == K::before || k.kind == K::since || k.kind == K::sent_before ||
        k.kind == K::sent_since || k.kind == K::larger || k.kind == K::smaller ||
        k.kind == K::header)
        return true;
    for (auto& c : k.children)
        if (needs_full_rows(c))
            return true;
    return false;
}

using Mask = std::vector<char>;

class Evaluator {
  public:
    Evaluator(Db& db, const MailboxRow& mb, std::vector<Row> rows,
              std::vector<std::string> keywords, const HeaderLoader& load_header)
        : db_(db),
          mb_(mb),
          rows_(std::move(rows)),
          keywords_(std::move(keywords)),
          load_header_(load_header) {}

    StoreResult<Mask> eval(const SearchKey& k, const Mask& candidates) {
        using K = SearchKey::Kind;
        Mask out(rows_.size(), 0);
        auto each = [&](auto pred) {
            for (std::size_t i = 0; i < rows_.size(); ++i)
                if (candidates[i] && pred(rows_[i]))
                    out[i] = 1;
        };
        switch (k.kind) {
            case K::all:
                each([](const Row&) { return true; });
                break;
            case K::uids: {
                auto set = k.uid_set.resolved(rows_.empty() ? 0 : rows_.back().uid);
                each([&](const Row& r) { return set.contains(r.uid); });
                break;
            }
            case K::flags_set:
            case K::flags_unset: {
                std::uint64_t mask = 0;
                bool unknown = false;
                for (auto& name : k.flags.keywords) {
                    auto it = std::find_if(
                        keywords_.begin(), keywords_.end(),
                        [&](const std::string& s) { return !s.empty() && iequals(s, name); });
                    if (it == keywords_.end())
                        unknown = true;
                    else
                        mask |= std::uint64_t{1} << (it - keywords_.begin());
                }
                std::uint32_t sys = k.flags.system;
                if (k.kind == K::flags_set) {
                    // A keyword nobody has set can match no message.
                    if (!unknown)
                        each([&](const Row& r) {
                            return (r.flags & sys) == sys && (r.keywords & mask) == mask;
                        });
                } else {
                    each([&](const Row& r) {
                        return (r.flags & sys) == 0 && (r.keywords & mask) == 0;
                    });
                }
                break;
            }
            case K::before:
                each([&](const Row& r) { return r.internal_date < k.date; });
                break;
            case K::since:
                each([&](const Row& r) { return r.internal_date >= k.date; });
                break;
            case K::sent_before:
                each([&](const Row& r) { return r.sent_date < k.date; });
                break;
            case K::sent_since:
                each([&](const Row& r) { return r.sent_date >= k.date; });
                break;
            case K::larger:
                each([&](const Row& r) { return r.size > k.number; });
                break;
            case K::smaller:
                each([&](const Row& r) { return r.size < k.number; });
                break;
            case K::modseq_since:
                each([&](const Row& r) { return r.modseq >= k.number; });
                break;
            case K::from:
                return column_substring("h_from", k.text, candidates);
            case K::to:
                return column_substring("h_to", k.text, candidates);
            case K::cc:
                return column_substring("h_cc", k.text, candidates);
            case K::subject:
                return column_substring("h_subject", k.text, candidates);
            case K::body:
                return full_text("body", k.text, candidates);
            case K::text:
                return full_text("", k.text, candidates);
            case K::header:
                return header(k, candidates);
            case K::and_: {
                // Cheap keys first would be nicer; narrowing the candidates already keeps
                // HEADER scans to the messages the other keys left.
                Mask cur = candidates;
                for (auto& c : k.children) {
                    STORE_TRY(m, eval(c, cur));
                    cur = std::move(m);
                }
                return cur;
            }
            case K::or_: {
                for (auto& c : k.children) {
                    STORE_TRY(m, eval(c, candidates));
                    for (std::size_t i = 0; i < out.size(); ++i)
                        out[i] |= m[i];
                }
                break;
            }
            case K::not_: {
                if (k.children.empty())
                    return store_fail(StoreErrc::invalid_argument, "NOT without a key");
                STORE_TRY(m, eval(k.children[0], candidates));
                for (std::size_t i = 0; i < out.size(); ++i)
                    out[i] = candidates[i] && !m[i];
                break;
            }
        }
        return out;
    }

    const std::vector<Row>& rows() const { return rows_; }

  private:
    void mark_uid(Mask& out, const Mask& candidates, Uid uid) {
        auto it = std::lower_bound(rows_.begin(), rows_.end(), uid,
                                   [](const Row& r, Uid u) { return r.uid < u; });
        if (it != rows_.end() && it->uid == uid) {
            auto i = static_cast<std::size_t>(it - rows_.begin());
            if (candidates[i])
                out[i] = 1;
        }
    }

    StoreResult<Mask> column_substring(const char* column, const std::string& text,
                                       const Mask& candidates) {
        Mask out(rows_.size(), 0);
        std::string sql = std::string("SELECT uid FROM messages WHERE mailbox_id=? AND instr(") +
                          column + ", ?) > 0";
        STORE_TRY(s, db_.prepare(sql));
        s->bind(1, mb_.id).bind(2, fold_text(text));
        for (;;) {
            STORE_TRY(row, s->step());
            if (!row)
                break;
            mark_uid(out, candidates, static_cast<Uid>(s->i64(0)));
        }
        return out;
    }

    StoreResult<Mask> full_text(std::string_view column, const std::string& text,
                                const Mask& candidates) {
        STORE_TRY(q, fts_substring_query(db_, text));
        if (q.empty())
            return candidates;
        Mask out(rows_.size(), 0);
        // BODY: the body table; TEXT: a message whose headers or body hold every word.
        // (Words split between header and body do not match TEXT; see docs/storage.md.)
        STORE_TRY(s,
                  db_.prepare(column.empty()
                                  ? "SELECT uid FROM messages WHERE mailbox_id=?1 AND text_id IN "
                                    "(SELECT rowid FROM fts_body WHERE fts_body MATCH ?2 UNION "
                                    "SELECT rowid FROM fts_hdr WHERE fts_hdr MATCH ?2)"
                                  : "SELECT uid FROM messages WHERE mailbox_id=? AND text_id IN "
                                    "(SELECT rowid FROM fts_body WHERE fts_body MATCH ?2)"));
        s->bind(1, mb_.id).bind(2, q);
        for (;;) {
            STORE_TRY(row, s->step());
            if (!row)
                break;
            mark_uid(out, candidates, static_cast<Uid>(s->i64(0)));
        }
        return out;
    }

    StoreResult<Mask> header(const SearchKey& k, const Mask& candidates) {
        Mask out(rows_.size(), 0);
        auto needle = fold_text(k.text);
        auto field = to_lower(k.field);
        std::vector<MessageRow> want;
        for (std::size_t i = 0; i < rows_.size(); ++i) {
            if (!candidates[i])
                continue;
            STORE_TRY(row, index_message(db_, mb_.id, rows_[i].uid));
            if (!row)
                continue;
            STORE_TRY(raw, load_header_(*row));
            if (header_matches(raw, field, needle))
                out[i] = 1;
        }
        return out;
    }

    // Unfolds the raw header and tests each field named `field` (RFC 5322 §2.2.3).
    static bool header_matches(std::string_view raw, const std::string& field,
                               const std::string& needle) {
        std::string current;
        bool hit = false;
        auto test = [&] {
            auto colon = current.find(':');
            if (colon == std::string::npos)
                return;
            if (!iequals(trim(std::string_view(current).substr(0, colon)), field))
                return;
            if (needle.empty() ||
                fold_text(current.substr(colon + 1)).find(needle) != std::string::npos)
                hit = true;
        };
        for (auto line : split(raw, '\n')) {
            if (!line.empty() && line.back() == '\r')
                line.remove_suffix(1);
            if (line.empty())
                break;
            if (line[0] == ' ' || line[0] == '\t') {
                current += line;
            } else {
                test();
                current.assign(line);
            }
        }
        test();
        return hit;
    }

    Db& db_;
    const MailboxRow& mb_;
    std::vector<Row> rows_;
    std::vector<std::string> keywords_;
    const HeaderLoader& load_header_;
};

}  // namespace

std::string fts_query(std::string_view column, std::string_view text) {
    auto tokens = fold_tokens(text);
    if (tokens.empty())
        return {};
    // Every word must occur, the last one as a prefix: "caf" finds "café", "hello wor" finds
    // "hello world". detail=none indexes record no positions, so adjacency is not checked.
    // Tokens hold only letters and digits; quoting keeps FTS5 keywords (AND, NOT) literal.
    (void)column;
    std::string q;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (i)
            q += " AND ";
        q += "\"" + tokens[i] + "\"";
    }
    q += " *";
    return q;
}

namespace {

// The characters (code points) of UTF-8 text, each as its bytes.
std::vector<std::string_view> characters(std::string_view s) {
    std::vector<std::string_view> out;
    for (std::size_t i = 0; i < s.size();) {
        std::size_t n = 1;
        while (i + n < s.size() && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80)
            ++n;
        out.push_back(s.substr(i, n));
        i += n;
    }
    return out;
}

// Words of the vocabulary that hold `token` (folded letters and digits); nullopt when more
// than kMaxInfixWords do. Three characters or more go through the trigram index of the
// vocabulary, shorter ones scan it.
constexpr std::size_t kMaxInfixWords = 500;
StoreResult<std::optional<std::vector<std::string>>> words_holding(Db& db,
                                                                   const std::string& token) {
    auto chars = characters(token);
    Stmt* s = nullptr;
    if (chars.size() >= 3) {
        // detail=none has no phrase queries: every trigram must occur, instr() checks order.
        std::string match;
        for (std::size_t i = 0; i + 3 <= chars.size(); ++i) {
            if (i)
                match += " AND ";
            match += '"';
            for (std::size_t k = i; k < i + 3; ++k)
                match += chars[k];
            match += '"';
        }
        STORE_TRY(q, db.prepare("SELECT term FROM fts_terms_tri WHERE fts_terms_tri MATCH ?1 AND "
                                "instr(term, ?2) > 0 LIMIT ?3"));
        q->bind(1, match);
        s = q;
    } else {
        STORE_TRY(q, db.prepare("SELECT term FROM fts_terms WHERE instr(term, ?2) > 0 LIMIT ?3"));
        s = q;
    }
    s->bind(2, token).bind(3, static_cast<std::int64_t>(kMaxInfixWords + 1));
    std::vector<std::string> out;
    for (;;) {
        STORE_TRY(row, s->step());
        if (!row)
            break;
        out.push_back(s->text(0));
    }
    if (out.size() > kMaxInfixWords)
        return std::optional<std::vector<std::string>>();
    return std::optional<std::vector<std::string>>(std::move(out));
}

}  // namespace

StoreResult<std::string> fts_substring_query(Db& db, std::string_view text) {
    auto tokens = fold_tokens(text);
    if (tokens.empty())
        return std::string();
    // RFC 3501 §6.4.4: a substring. The first word may end a longer word ("sdfghjk" in
    // "asdfghjkl"): any indexed word holding it matches, found through the vocabulary; the
    // prefix term keeps texts indexed before the vocabulary existed findable by prefix.
    // The last word may start one (prefix), the ones between are whole words. Positions are
    // not indexed (detail=none), so the words need not be adjacent (docs/storage.md).
    STORE_TRY(words, words_holding(db, tokens.front()));
    std::string q = "(\"" + tokens.front() + "\" *";
    if (words) {
        for (auto& w : *words)
            q += " OR \"" + w + "\"";
    }
    q += ")";
    for (std::size_t i = 1; i < tokens.size(); ++i) {
        q += " AND \"" + tokens[i] + "\"";
        if (i + 1 == tokens.size())
            q += " *";
    }
    return q;
}

StoreResult<std::vector<Uid>> index_search(Db& db, const MailboxRow& mb, const SearchKey& key,
                                           const HeaderLoader& load_header) {
    std::vector<Row> rows;
    rows.reserve(mb.messages);
    if (needs_full_rows(key)) {
        STORE_TRY(s,
                  db.prepare("SELECT uid, flags, keywords, modseq, size, internal_date, sent_date "
                             "FROM messages WHERE mailbox_id=? ORDER BY uid"));
        s->bind(1, mb.id);
        for (;;) {
            STORE_TRY(r, s->step());
            if (!r)
                break;
            rows.push_back({static_cast<Uid>(s->i64(0)), static_cast<std::uint32_t>(s->i64(1)),
                            static_cast<std::uint64_t>(s->i64(2)), static_cast<ModSeq>(s->i64(3)),
                            static_cast<std::uint64_t>(s->i64(4)), s->i64(5), s->i64(6)});
        }
    } else {
        // The covering index answers flag/UID/MODSEQ keys without touching the table.
        STORE_TRY(s, db.prepare("SELECT uid, flags, keywords, modseq FROM messages "
                                "INDEXED BY messages_view WHERE mailbox_id=? ORDER BY uid"));
        s->bind(1, mb.id);
        for (;;) {
            STORE_TRY(r, s->step());
            if (!r)
                break;
            rows.push_back({static_cast<Uid>(s->i64(0)), static_cast<std::uint32_t>(s->i64(1)),
                            static_cast<std::uint64_t>(s->i64(2)), static_cast<ModSeq>(s->i64(3)),
                            0, 0, 0});
        }
    }
    STORE_TRY(keywords, index_keywords(db, mb.id));
    Evaluator ev(db, mb, std::move(rows), std::move(keywords), load_header);
    Mask all(ev.rows().size(), 1);
    STORE_TRY(mask, ev.eval(key, all));
    std::vector<Uid> out;
    for (std::size_t i = 0; i < mask.size(); ++i)
        if (mask[i])
            out.push_back(ev.rows()[i].uid);
    return out;
}

StoreResult<std::vector<Uid>> index_sort(Db& db, std::int64_t mailbox_id,
                                         const std::vector<SortCriterion>& criteria,
                                         const std::vector<Uid>& uids) {
    struct Item {
        Uid uid;
        std::int64_t arrival, date, size;
        std::string cc, from, subject, to, dfrom, dto;
    };
    std::vector<Uid> wanted = uids;
    std::sort(wanted.begin(), wanted.end());
    std::vector<Item> items;
    STORE_TRY(
        s, db.prepare("SELECT uid, internal_date, sent_date, size, s_cc, s_from, s_subject, s_to, "
                      "s_dfrom, s_dto FROM messages WHERE mailbox_id=? ORDER BY uid"));
    s->bind(1, mailbox_id);
    for (;;) {
        STORE_TRY(r, s->step());
        if (!r)
            break;
        auto uid = static_cast<Uid>(s->i64(0));
        if (!std::binary_search(wanted.begin(), wanted.end(), uid))
            continue;
        items.push_back({uid, s->i64(1), s->i64(2), s->i64(3), s->text(4), s->text(5), s->text(6),
                         s->text(7), s->text(8), s->text(9)});
    }
    auto cmp_one = [](const Item& a, const Item& b, SortKey k) -> int {
        auto c3 = [](const auto& x, const auto& y) { return x < y ? -1 : (y < x ? 1 : 0); };
        // RFC 5256 sorts strings with i;ascii-casemap, which folds to upper case: the keys are
        // stored folded to lower case, so map a-z back up, or "[" and "_" would sort before
        // the letters instead of after them.
        auto text3 = [](const std::string& x, const std::string& y) {
            auto up = [](unsigned char ch) { return ch >= 'a' && ch <= 'z' ? ch - 32 : ch; };
            const std::size_t n = std::min(x.size(), y.size());
            for (std::size_t i = 0; i < n; ++i) {
                int d = up(static_cast<unsigned char>(x[i])) - up(static_cast<unsigned char>(y[i]));
                if (d != 0)
                    return d < 0 ? -1 : 1;
            }
            return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
        };
        switch (k) {
            case SortKey::arrival:
                return c3(a.arrival, b.arrival);
            case SortKey::date:
                return c3(a.date, b.date);
            case SortKey::size:
                return c3(a.size, b.size);
            case SortKey::cc:
                return text3(a.cc, b.cc);
            case SortKey::from:
                return text3(a.from, b.from);
            case SortKey::subject:
                return text3(a.subject, b.subject);
            case SortKey::to:
                return text3(a.to, b.to);
            case SortKey::display_from:
                return text3(a.dfrom, b.dfrom);
            case SortKey::display_to:
                return text3(a.dto, b.dto);
        }
        return 0;
    };
    std::sort(items.begin(), items.end(), [&](const Item& a, const Item& b) {
        for (auto& c : criteria) {
            int r = cmp_one(a, b, c.key);
            if (r != 0)
                return c.reverse ? r > 0 : r < 0;
        }
        return a.uid < b.uid;
    });
    std::vector<Uid> out;
    out.reserve(items.size());
    for (auto& i : items)
        out.push_back(i.uid);
    return out;
}

}  // namespace postern::store::engine
