// Thread ids of the account index (RFC 8474 §5.2 THREADID): a new message joins the thread of
// the nearest message it refers to (RFC 5322 §3.6.4 Message-ID, In-Reply-To, References, the
// ids RFC 5256 THREAD=REFERENCES links by), found by Message-ID among the account's messages;
// with none found it starts a thread named by its own GUID. Also the v4 -> v5 upgrade that
// gives the messages already indexed their thread ids.
#include <algorithm>

#include "mime/message_id.h"
#include "mime/structure_codec.h"
#include "store/engine/account_index.h"

namespace postern::store::engine {

namespace {

// Longer ids are not kept (a hostile header must not bloat the index); such a message still
// gets a thread, it just cannot be found as a parent.
constexpr std::size_t kMaxMessageIdBytes = 998;  // RFC 5322 §2.1.1 line limit
// Only the nearest parents are looked up: a References field may list hundreds of ids, and
// the last few (normally the direct parent) decide.
constexpr std::size_t kMaxParentLookups = 16;

}  // namespace

std::string storable_message_id(std::string_view id) {
    return id.size() <= kMaxMessageIdBytes ? std::string(id) : std::string();
}

StoreResult<std::string> index_find_thread(Db& db, const std::string& message_id,
                                           const std::vector<std::string>& references) {
    // "message_id <> ''" lets SQLite use the partial index (it cannot prove that of "?").
    STORE_TRY(s, db.prepare("SELECT thread_id FROM messages WHERE message_id=? AND "
                            "message_id<>'' AND thread_id<>'' LIMIT 1"));
    auto lookup = [&](std::string_view id) -> StoreResult<std::string> {
        if (id.empty() || id.size() > kMaxMessageIdBytes)
            return std::string();
        s->bind(1, id);
        STORE_TRY(row, s->step());
        std::string found = row ? s->text(0) : std::string();
        s->reset();
        return found;
    };
    // The same message stored before (a copy in Sent, a second delivery) shares its thread.
    STORE_TRY(same, lookup(message_id));
    if (!same.empty())
        return same;
    const std::size_t n = std::min(references.size(), kMaxParentLookups);
    for (std::size_t i = 0; i < n; ++i) {
        const auto& id = references[references.size() - 1 - i];
        if (id == message_id)
            continue;
        STORE_TRY(t, lookup(id));
        if (!t.empty())
            return t;
    }
    return std::string();
}

StoreStatus index_assign_thread(Db& db, MessageRow& row, const MessageAnalysis& analysis) {
    row.message_id = storable_message_id(analysis.message_id);
    if (!row.thread_id.empty())
        return {};  // a copy from another account keeps its thread (RFC 8474 §5.2)
    STORE_TRY(t, index_find_thread(db, row.message_id, analysis.references));
    row.thread_id = t.empty() ? row.guid : std::move(t);
    return {};
}

StoreStatus index_backfill_threads(Db& db) {
    struct Pending {
        std::int64_t id;
        std::string guid;
        std::string message_id;
        std::vector<std::string> references;
    };
    std::vector<Pending> rows;
    {
        STORE_TRY(s, db.prepare("SELECT m.id, m.guid, d.envelope FROM messages m LEFT JOIN "
                                "message_data d ON d.id = m.id WHERE m.thread_id='' ORDER BY "
                                "m.id"));
        for (;;) {
            STORE_TRY(row, s->step());
            if (!row)
                break;
            Pending p{s->i64(0), s->text(1), {}, {}};
            // The cached ENVELOPE has Message-ID and In-Reply-To (not References): enough to
            // chain replies to the messages they answer.
            if (auto st = mime::decode_structure(s->blob(2)); st && !st->envelopes.empty()) {
                const auto& env = st->envelopes.front();
                if (env.message_id) {
                    auto ids = mime::parse_message_ids(*env.message_id);
                    if (!ids.empty())
                        p.message_id = storable_message_id(ids.front());
                }
                if (env.in_reply_to) {
                    auto ids = mime::parse_message_ids(*env.in_reply_to);
                    if (!ids.empty())
                        p.references.push_back(std::move(ids.front()));
                }
            }
            rows.push_back(std::move(p));
        }
        s->reset();
    }
    STORE_TRY(u, db.prepare("UPDATE messages SET message_id=?, thread_id=? WHERE id=?"));
    for (auto& p : rows) {
        // In arrival order, so a parent has its thread before its replies look for it.
        STORE_TRY(t, index_find_thread(db, p.message_id, p.references));
        u->bind(1, p.message_id).bind(2, t.empty() ? p.guid : t).bind(3, p.id);
        STORE_CHECK(u->run());
        u->reset();
    }
    return {};
}

}  // namespace postern::store::engine
