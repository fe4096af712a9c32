// Full-text rows of the account index (docs/storage.md "Search"): the text of a message, the
// batched insertion of pending rows, the live/dead counters, and the rebuild that leaves out
// rows of messages that are gone (contentless FTS5 tables cannot delete a row without its
// exact original text, so dead rows are dropped by rebuilding instead).
#include "base/strings.h"
#include "store/engine/account_index.h"
#include "store/engine/text_fold.h"

namespace postern::store::engine {
namespace {

std::string header_values(const MessageAnalysis& a, std::string_view name) {
    std::string out;
    for (auto& [n, v] : a.headers) {
        if (!iequals(n, name))
            continue;
        if (!out.empty())
            out += ' ';
        out += v;
    }
    return out;
}

std::string other_headers(const MessageAnalysis& a) {
    std::string out;
    for (auto& [n, v] : a.headers) {
        if (iequals(n, "from") || iequals(n, "to") || iequals(n, "cc") || iequals(n, "subject"))
            continue;
        out += v;
        out += '\n';
    }
    return out;
}

std::string header_text(const FtsDoc& d) {
    return d.from + "\n" + d.to + "\n" + d.cc + "\n" + d.subject + "\n" + d.headers;
}

constexpr std::string_view kRebuildTables = R"sql(
DROP TABLE IF EXISTS fts_body_new;
DROP TABLE IF EXISTS fts_hdr_new;
CREATE VIRTUAL TABLE fts_body_new USING fts5(body, content='', detail=none,
  columnsize=0, tokenize='unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE fts_hdr_new USING fts5(headers, content='', detail=none,
  columnsize=0, tokenize='unicode61 remove_diacritics 2');
)sql";

constexpr std::string_view kRebuildSwitch = R"sql(
DROP TABLE fts_body;
DROP TABLE fts_hdr;
ALTER TABLE fts_body_new RENAME TO fts_body;
ALTER TABLE fts_hdr_new RENAME TO fts_hdr;
)sql";

// A text's distinct folded words, space-separated, with their hashes. FTS5 gets these
// instead of the raw text: detail=none keeps only which texts hold a word, so repeats would
// cost hashing and nothing else (mail repeats most of its words), and the indexed words are
// exactly the folded ones every query is built from (fts_query()).
struct DistinctWords {
    std::string text;
    std::vector<std::pair<std::size_t, std::size_t>> words;  // offset and length in text
    std::vector<std::uint64_t> hashes;
};

DistinctWords distinct_words(std::string_view raw) {
    DistinctWords out;
    out.text.reserve(raw.size() / 2);
    FtsTermCache seen;
    for_each_token(raw, [&](std::string_view t) {
        const std::uint64_t h = word_hash(t);
        if (!seen.add(h))
            return;
        out.words.emplace_back(out.text.size(), t.size());
        out.hashes.push_back(h);
        out.text += t;
        out.text += ' ';
    });
    return out;
}

// The vocabulary: every folded word once, with a trigram index over the words, so SEARCH
// finds the words holding a substring without reading every message (index_search.cpp).
// Words stay when their messages go; a stale word only costs a lookup that finds nothing.
StoreStatus add_terms(Db& db, const DistinctWords& words, FtsTermCache& seen) {
    for (std::size_t i = 0; i < words.words.size(); ++i) {
        auto [at, len] = words.words[i];
        if (len > kMaxFtsTermBytes || !seen.add(words.hashes[i]))
            continue;
        const std::string_view t = std::string_view(words.text).substr(at, len);
        STORE_TRY(ins, db.prepare("INSERT OR IGNORE INTO fts_terms(term) VALUES(?)"));
        STORE_CHECK(ins->bind(1, t).run());
        if (db.changes() == 0)
            continue;
        STORE_TRY(tri, db.prepare("INSERT INTO fts_terms_tri(rowid, term) VALUES(?, ?)"));
        STORE_CHECK(tri->bind(1, db.last_rowid()).bind(2, t).run());
    }
    return {};
}

struct FtsWords {
    DistinctWords body, headers;
};

FtsWords fts_words(const FtsDoc& d) {
    return FtsWords{distinct_words(d.body), distinct_words(header_text(d))};
}

StoreStatus insert_into(Db& db, std::string_view body_table, std::string_view hdr_table,
                        std::int64_t text_id, const FtsWords& w) {
    // Two tables so BODY and TEXT differ without column filters, which detail=none lacks;
    // detail=none keeps only which messages hold a word: about a fifth of full detail.
    STORE_TRY(b,
              db.prepare("INSERT INTO " + std::string(body_table) + "(rowid, body) VALUES(?, ?)"));
    STORE_CHECK(b->bind(1, text_id).bind(2, w.body.text).run());
    STORE_TRY(
        h, db.prepare("INSERT INTO " + std::string(hdr_table) + "(rowid, headers) VALUES(?, ?)"));
    return h->bind(1, text_id).bind(2, w.headers.text).run();
}

}  // namespace

FtsDoc fts_doc_of(const MessageAnalysis& a) {
    return FtsDoc{header_values(a, "from"),    header_values(a, "to"), header_values(a, "cc"),
                  header_values(a, "subject"), other_headers(a),       a.body_text};
}

StoreStatus index_add_counter(Db& db, std::string_view key, std::int64_t delta) {
    STORE_TRY(s, db.prepare("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE "
                            "SET value = CAST(value AS INTEGER) + excluded.value"));
    return s->bind(1, key).bind(2, std::to_string(delta)).run();
}

std::size_t FtsTermCache::find(std::uint64_t hash) const {
    std::size_t mask = slots_.size() - 1, i = hash & mask;
    while (slots_[i] && slots_[i] != hash)
        i = (i + 1) & mask;
    return i;
}

bool FtsTermCache::known(std::uint64_t hash) const {
    hash += !hash;
    return !slots_.empty() && slots_[find(hash)] == hash;
}

bool FtsTermCache::add(std::uint64_t hash) {
    hash += !hash;
    if (!slots_.empty() && (used_ + 1) * 2 <= slots_.size()) {
        // One probe for the common case: known, or room to note it where the probe stopped.
        auto i = find(hash);
        if (slots_[i] == hash)
            return false;
        slots_[i] = hash;
        ++used_;
        return true;
    }
    if (known(hash))
        return false;
    note(hash);
    return true;
}

void FtsTermCache::note(std::uint64_t hash) {
    hash += !hash;
    if ((used_ + 1) * 2 > slots_.size()) {
        // Half full: grow, or start over once at the bound.
        std::vector<std::uint64_t> old;
        old.swap(slots_);
        used_ = 0;
        slots_.assign(old.empty() || old.size() >= kMaxSlots ? kMinSlots : old.size() * 2, 0);
        if (old.size() < kMaxSlots) {
            for (auto h : old) {
                if (h) {
                    slots_[find(h)] = h;
                    ++used_;
                }
            }
        }
    }
    auto i = find(hash);
    if (!slots_[i]) {
        slots_[i] = hash;
        ++used_;
    }
}

void FtsTermCache::abandoned() {
    slots_.clear();
    used_ = 0;
}

StoreStatus index_fts_insert(Db& db, std::int64_t text_id, const FtsDoc& d, bool pending_only,
                             FtsTermCache* terms) {
    STORE_TRY(p, db.prepare("DELETE FROM fts_pending WHERE text_id=?"));
    STORE_CHECK(p->bind(1, text_id).run());
    // Exactly once: a message expunged before its text was indexed lost its marker, and a
    // second flush of the same text finds none either.
    if (pending_only && db.changes() == 0)
        return {};
    const FtsWords words = fts_words(d);
    STORE_CHECK(insert_into(db, "fts_body", "fts_hdr", text_id, words));
    FtsTermCache local;
    STORE_CHECK(add_terms(db, words.body, terms ? *terms : local));
    STORE_CHECK(add_terms(db, words.headers, terms ? *terms : local));
    // A rebuild in progress has passed this text already: it goes into the new tables too.
    STORE_TRY(cursor, index_meta(db, "fts_rebuild"));
    if (!cursor.empty() && static_cast<std::uint64_t>(text_id) <= parse_uint(cursor).value_or(0))
        STORE_CHECK(insert_into(db, "fts_body_new", "fts_hdr_new", text_id, words));
    return index_add_counter(db, "fts_live", 1);
}

StoreResult<bool> index_text_in_use(Db& db, std::int64_t text_id) {
    STORE_TRY(s, db.prepare("SELECT 1 FROM messages WHERE text_id=? LIMIT 1"));
    s->bind(1, text_id);
    STORE_TRY(row, s->step());
    s->reset();
    return row;
}

StoreResult<std::vector<std::int64_t>> index_fts_pending(Db& db, std::size_t limit) {
    STORE_TRY(s, db.prepare("SELECT text_id FROM fts_pending ORDER BY text_id LIMIT ?"));
    s->bind(1, static_cast<std::int64_t>(limit));
    std::vector<std::int64_t> out;
    for (;;) {
        STORE_TRY(row, s->step());
        if (!row)
            break;
        out.push_back(s->i64(0));
    }
    return out;
}

StoreResult<FtsCounters> index_fts_counters(Db& db) {
    FtsCounters c;
    STORE_TRY(live, index_meta(db, "fts_live"));
    STORE_TRY(dead, index_meta(db, "fts_dead"));
    STORE_TRY(cursor, index_meta(db, "fts_rebuild"));
    // Counters may dip below zero for texts indexed before they were kept (a v1 index).
    auto num = [](const std::string& v) {
        return v.starts_with('-') ? std::uint64_t{0} : parse_uint(v).value_or(0);
    };
    c.live = num(live);
    c.dead = num(dead);
    c.rebuilding = !cursor.empty();
    c.cursor = num(cursor);
    return c;
}

StoreStatus index_fts_rebuild_begin(Db& db) {
    STORE_CHECK(db.exec(kRebuildTables));
    return index_set_meta(db, "fts_rebuild", "0");
}

StoreResult<std::vector<FtsSource>> index_fts_rebuild_next(Db& db, std::int64_t after,
                                                           std::size_t limit) {
    // Texts indexed so far (pending ones reach the new tables through their flush), one row
    // per text: copies within the account share theirs.
    STORE_TRY(s, db.prepare("SELECT text_id, min(store_id), min(body_hash) FROM messages WHERE "
                            "text_id > ? AND text_id NOT IN (SELECT text_id FROM fts_pending) "
                            "GROUP BY text_id ORDER BY text_id LIMIT ?"));
    s->bind(1, after).bind(2, static_cast<std::int64_t>(limit));
    std::vector<FtsSource> out;
    for (;;) {
        STORE_TRY(row, s->step());
        if (!row)
            break;
        FtsSource src;
        src.text_id = s->i64(0);
        src.store_id = s->text(1);
        src.hash = s->blob(2);
        out.push_back(std::move(src));
    }
    return out;
}

StoreStatus index_fts_rebuild_add(Db& db, const std::vector<std::pair<std::int64_t, FtsDoc>>& docs,
                                  std::int64_t cursor) {
    for (auto& [id, doc] : docs) {
        STORE_TRY(used, index_text_in_use(db, id));
        if (used) {
            const FtsWords words = fts_words(doc);
            STORE_CHECK(insert_into(db, "fts_body_new", "fts_hdr_new", id, words));
            FtsTermCache seen;
            STORE_CHECK(add_terms(db, words.body, seen));
            STORE_CHECK(add_terms(db, words.headers, seen));
        }
    }
    return index_set_meta(db, "fts_rebuild", std::to_string(cursor));
}

StoreStatus index_fts_rebuild_finish(Db& db) {
    STORE_CHECK(db.exec(kRebuildSwitch));
    STORE_TRY(s, db.prepare("SELECT count(DISTINCT text_id) FROM messages WHERE text_id NOT IN "
                            "(SELECT text_id FROM fts_pending)"));
    STORE_TRY(row, s->step());
    std::int64_t live = row ? s->i64(0) : 0;
    s->reset();
    STORE_CHECK(index_set_meta(db, "fts_live", std::to_string(live)));
    STORE_CHECK(index_set_meta(db, "fts_dead", "0"));
    STORE_TRY(d, db.prepare("DELETE FROM meta WHERE key='fts_rebuild'"));
    return d->run();
}

StoreStatus index_fts_rebuild_abandon(Db& db) {
    STORE_CHECK(db.exec("DROP TABLE IF EXISTS fts_body_new; DROP TABLE IF EXISTS fts_hdr_new;"));
    STORE_TRY(d, db.prepare("DELETE FROM meta WHERE key='fts_rebuild'"));
    return d->run();
}

}  // namespace postern::store::engine
