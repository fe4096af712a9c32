// Full-text upkeep of an account (docs/storage.md "Search"): text kept from the commit for the
// batched background flush, the flush itself (SEARCH BODY/TEXT runs it first), and the rebuild
// that drops the rows of messages that are gone once they outnumber the live ones.
#include "store/api/store.h"
#include "store/engine/account_index.h"

namespace postern::store {

using engine::MessageRow;

namespace {

constexpr std::size_t kFlushChunk = 128;     // texts per flush transaction: it holds the
                                             // account's write lock, appends wait meanwhile
constexpr std::size_t kRebuildChunk = 256;   // texts per rebuild step (one transaction)
constexpr std::uint64_t kMinDeadRows = 256;  // below this, dead rows are not worth a rebuild

}  // namespace

void Account::queue_fts(std::int64_t text_id, engine::FtsDoc doc) {
    // Bounded: past 32 MiB of waiting text, the flush re-reads bodies instead.
    constexpr std::size_t kMaxPendingBytes = 32u << 20;
    {
        std::lock_guard lock(fts_mu_);
        if (fts_bytes_ + doc.bytes() <= kMaxPendingBytes) {
            fts_bytes_ += doc.bytes();
            fts_docs_[text_id] = std::make_unique<engine::FtsDoc>(std::move(doc));
        }
    }
    if (!fts_queued_.exchange(true))
        store_.schedule_fts(shared_from_this());
}

StoreStatus Account::flush_fts() {
    fts_queued_ = false;
    std::lock_guard flush(fts_flush_mu_);
    for (;;) {
        std::vector<std::int64_t> ids;
        {
            STORE_TRY(lease, index_->reader());
            STORE_TRY(pending, engine::index_fts_pending(*lease, kFlushChunk));
            ids = std::move(pending);
        }
        if (ids.empty())
            return {};
        std::vector<std::pair<std::int64_t, engine::FtsDoc>> docs;
        std::vector<std::int64_t> missing;
        {
            std::lock_guard lock(fts_mu_);
            for (auto id : ids) {
                auto it = fts_docs_.find(id);
                if (it == fts_docs_.end()) {
                    missing.push_back(id);
                    continue;
                }
                fts_bytes_ -= it->second->bytes();
                docs.emplace_back(id, std::move(*it->second));
                fts_docs_.erase(it);
            }
        }
        // Text lost to a restart (or over the memory bound): rebuild it from the body. A text
        // whose message is gone already is left alone (its marker went with the message).
        for (auto id : missing) {
            std::optional<MessageRow> row;
            {
                STORE_TRY(lease, index_->reader());
                STORE_TRY(r, engine::index_message_by_text(*lease, id));
                row = std::move(r);
            }
            if (!row)
                continue;
            engine::FtsDoc doc;
            auto body = store_.read_body(
                row->store_id,
                std::string(reinterpret_cast<const char*>(row->hash.data()), row->hash.size()));
            if (body)
                doc = engine::fts_doc_of(store_.analyze(*body));
            docs.emplace_back(id, std::move(doc));
        }
        auto written = index_->write(
            {[&](engine::Db& db) -> StoreStatus {
                 for (auto& [id, doc] : docs)
                     STORE_CHECK(engine::index_fts_insert(db, id, doc, true, &fts_terms_));
                 // Markers of texts nobody needs any more.
                 for (auto id : missing) {
                     STORE_TRY(used, engine::index_text_in_use(db, id));
                     if (used)
                         continue;
                     STORE_TRY(p, db.prepare("DELETE FROM fts_pending WHERE text_id=?"));
                     STORE_CHECK(p->bind(1, id).run());
                 }
                 return {};
             },
             {},
             engine::Durability::lazy,
             nullptr});
        if (!written) {
            fts_terms_.abandoned();
            return written;
        }
        // A commit's text may have arrived while this flush rebuilt it from the body.
        std::lock_guard lock(fts_mu_);
        for (auto& [id, doc] : docs) {
            auto it = fts_docs_.find(id);
            if (it == fts_docs_.end())
                continue;
            fts_bytes_ -= it->second->bytes();
            fts_docs_.erase(it);
        }
    }
}

StoreResult<Account::FtsCounts> Account::fts_counts() {
    STORE_TRY(lease, index_->reader());
    STORE_TRY(c, engine::index_fts_counters(*lease));
    return FtsCounts{c.live, c.dead};
}

bool Account::fts_rebuild_due() {
    auto lease = index_->reader();
    if (!lease)
        return false;
    auto c = engine::index_fts_counters(**lease);
    if (!c)
        return false;
    // Dead rows cost space only (searches join on live messages): rebuild when they outnumber
    // the live ones, so the table stays within twice its live size. An interrupted rebuild
    // is started over.
    return c->rebuilding || c->dead > std::max(kMinDeadRows, c->live);
}

StoreStatus Account::rebuild_fts() {
    {
        std::lock_guard flush(fts_flush_mu_);
        STORE_CHECK(
            index_->write({[](engine::Db& db) { return engine::index_fts_rebuild_begin(db); },
                           {},
                           engine::Durability::lazy,
                           nullptr}));
    }
    std::int64_t cursor = 0;
    for (;;) {
        // One step at a time under the flush lock: a flush between steps sees the cursor and
        // writes its texts into both tables, so nothing indexed meanwhile is missed.
        std::lock_guard flush(fts_flush_mu_);
        std::vector<engine::FtsSource> next;
        {
            STORE_TRY(lease, index_->reader());
            STORE_TRY(n, engine::index_fts_rebuild_next(*lease, cursor, kRebuildChunk));
            next = std::move(n);
        }
        if (next.empty()) {
            return index_->write(
                {[](engine::Db& db) { return engine::index_fts_rebuild_finish(db); },
                 {},
                 engine::Durability::lazy,
                 nullptr});
        }
        std::vector<std::pair<std::int64_t, engine::FtsDoc>> docs;
        for (auto& src : next) {
            auto body = store_.read_body(src.store_id, src.hash);
            if (!body) {
                // Searches will not find this message by its text; check reports the damage.
                store_.logger().warn("account {}: full-text rebuild skips text {}: {}", id_,
                                     src.text_id, body.error().to_string());
                continue;
            }
            docs.emplace_back(src.text_id, engine::fts_doc_of(store_.analyze(*body)));
        }
        cursor = next.back().text_id;
        STORE_CHECK(index_->write(
            {[&](engine::Db& db) { return engine::index_fts_rebuild_add(db, docs, cursor); },
             {},
             engine::Durability::lazy,
             nullptr}));
    }
}

}  // namespace postern::store
