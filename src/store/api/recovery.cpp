// Recovery after an unclean stop (docs/storage.md "Journal and recovery"): every container
// record a message store wrote after its last checkpoint is found in the journal regions and
// replayed, idempotently, into the catalog (bodies, references) and the account indexes (rows
// with the UID and MODSEQ the record carries), before anything is served.
#include <map>

#include "store/api/store.h"
#include "store/engine/account_index.h"
#include "store/engine/catalog.h"
#include "store/engine/message_store.h"

namespace postern::store {
namespace {

// One record found in a journal region with a sequence number past the checkpoint.
struct Found {
    engine::MessageStore* store = nullptr;
    engine::RecordHeader header;
    std::uint32_t container = 0;
    std::uint64_t offset = 0;
    std::vector<engine::RefEntry> entries;
};

// What the replay does with one entry (one message instance) of a record.
enum class Fate {
    keep,    // the index has the row (or cannot be read: repair may need the reference)
    insert,  // the index lost the row: insert it with the record's UID and MODSEQ
    drop,    // the row is gone on purpose (expunged, moved away, failed, account deleted)
};

struct EntryRef {
    Found* record;
    std::size_t entry;
    Fate fate = Fate::drop;
};

std::string hash_key(const engine::ContentHash& h) {
    return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

}  // namespace

StoreStatus Store::recover() {
    // 1. Find the records. Any v2 header counts for numbering (a torn record's number must not
    //    be handed out again); only intact ones are replayed.
    std::vector<Found> found;
    std::map<engine::MessageStore*, std::uint64_t> last_lsn;
    std::map<engine::MessageStore*, bool> has_regions;
    for (auto& owned : stores_) {
        auto* ms = owned.get();
        std::vector<engine::Extent> regions;
        {
            STORE_TRY(lease, ms->reader());
            STORE_TRY(r, engine::catalog_journal_regions(*lease));
            regions = std::move(r);
        }
        has_regions[ms] = !regions.empty();
        const std::uint64_t durable = ms->durable_lsn();
        std::uint64_t last = durable;
        for (auto& region : regions) {
            const auto* c = ms->container(region.container);
            if (!c)
                continue;
            STORE_CHECK(c->scan(region.offset, region.offset + region.length,
                                [&](const engine::Container::ScanItem& it) {
                                    if (it.header.version < 2)
                                        return true;
                                    last = std::max(last, it.header.lsn);
                                    if (!it.intact || it.header.lsn <= durable)
                                        return true;
                                    auto entries = engine::decode_record_meta(it.meta);
                                    if (!entries)
                                        return true;
                                    found.push_back({ms, it.header, region.container, it.offset,
                                                     std::move(*entries)});
                                    return true;
                                }));
        }
        last_lsn[ms] = last;
    }
    std::sort(found.begin(), found.end(),
              [](const Found& a, const Found& b) { return a.header.lsn < b.header.lsn; });

    // 2. Decide each entry's fate from the account index as the stop left it.
    std::map<std::string, std::vector<EntryRef>> by_account;
    for (auto& f : found)
        for (std::size_t i = 0; i < f.entries.size(); ++i)
            by_account[f.entries[i].account].push_back({&f, i, Fate::drop});
    std::map<std::string, std::unique_ptr<engine::AccountIndex>> indexes;
    std::uint64_t inserted = 0, dropped = 0;
    for (auto& [account, refs] : by_account) {
        std::error_code ec;
        if (!std::filesystem::exists(index_path(account), ec))
            continue;  // the account was deleted: its references go
        auto idx = engine::AccountIndex::open(index_path(account), account, false, options_.fsync);
        if (!idx) {
            // Never reclaim what an unreadable index may still need: repair rebuilds it from
            // the references, so they stay.
            log_.error("recovery: index of {} cannot be opened ({}); its references are kept",
                       account, idx.error().to_string());
            for (auto& r : refs)
                r.fate = Fate::keep;
            continue;
        }
        STORE_TRY(lease, (*idx)->reader());
        std::map<std::string, std::optional<engine::MailboxRow>> boxes;  // by guid, as found
        for (auto& r : refs) {
            const auto& e = r.record->entries[r.entry];
            STORE_TRY(row, engine::index_message_by_guid(*lease, e.msg_guid));
            if (row) {
                r.fate = Fate::keep;
                continue;
            }
            if (!boxes.count(e.mailbox_guid)) {
                STORE_TRY(mb, engine::index_mailbox_by_guid(*lease, e.mailbox_guid));
                boxes[e.mailbox_guid] = mb;
            }
            const auto& mb = boxes[e.mailbox_guid];
            // UIDs below UIDNEXT were committed (and since expunged, moved or burned by a
            // failed append); only UIDs the index never reached are lost appends.
            if (mb && mb->uidvalidity == e.uidvalidity && e.uid >= mb->uidnext)
                r.fate = Fate::insert;
        }
        indexes[account] = std::move(*idx);
    }

    // 3. Catalogs first (reference before index row): bodies and references of every kept or
    //    inserted entry, none for dropped ones. One synced writer turn per store.
    for (auto& owned : stores_) {
        auto* ms = owned.get();
        std::map<std::string, const Found*> latest_body;  // hash -> newest intact body record
        for (auto& f : found)
            if (f.store == ms && f.header.has_body())
                latest_body[hash_key(f.header.hash)] = &f;
        STORE_CHECK(ms->exclusive([&](engine::MessageStore::WriterAccess& w) -> StoreStatus {
            engine::Transaction txn(w.db);
            STORE_CHECK(txn.begin());
            for (auto& [account, refs] : by_account) {
                for (auto& r : refs) {
                    if (r.record->store != ms)
                        continue;
                    const auto& e = r.record->entries[r.entry];
                    if (r.fate == Fate::drop) {
                        STORE_TRY(gone, engine::catalog_drop_ref(w.db, e.account, e.msg_guid));
                        if (gone && gone->refcount <= 0) {
                            STORE_TRY(b, engine::catalog_body_by_id(w.db, gone->body_id));
                            if (b) {
                                STORE_CHECK(engine::catalog_delete_body(w.db, b->id));
                                w.space.release({b->container, b->offset, b->extent});
                            }
                        }
                        ++dropped;
                        continue;
                    }
                    STORE_TRY(body, engine::catalog_find_body(w.db, r.record->header.hash));
                    std::int64_t body_id = body ? body->id : 0;
                    if (!body) {
                        auto it = latest_body.find(hash_key(r.record->header.hash));
                        if (it == latest_body.end()) {
                            // Cannot happen by write order (a body is durable before any
                            // record refers to it); never invent an index row without it.
                            log_.error("recovery: store {}: no body {} for {} message {}", ms->id(),
                                       engine::hash_hex(r.record->header.hash), e.account,
                                       e.msg_guid);
                            r.fate = Fate::drop;
                            continue;
                        }
                        const Found& b = *it->second;
                        engine::BodyRow row;
                        row.hash = b.header.hash;
                        row.container = b.container;
                        row.offset = b.offset;
                        row.extent = b.header.extent();
                        row.raw_size = b.header.raw_size;
                        row.stored_size = b.header.stored_size;
                        row.flags = b.header.flags & engine::kRecordZstd;
                        STORE_TRY(id, engine::catalog_insert_body(w.db, row));
                        body_id = id;
                    }
                    STORE_CHECK(engine::catalog_add_ref(
                        w.db, body_id,
                        engine::RefRow{e.account, e.msg_guid, e.mailbox_guid, 0, 0}));
                }
            }
            STORE_CHECK(engine::catalog_save_space(w.db, w.space.take_changes()));
            STORE_CHECK(txn.commit());
            return w.db.sync();
        }));
    }

    // 4. Index rows the stop lost, with the UIDs and MODSEQs their callers (or other
    //    sessions) may already have seen; synced.
    for (auto& [account, refs] : by_account) {
        auto it = indexes.find(account);
        if (it == indexes.end())
            continue;
        std::vector<EntryRef*> todo;
        for (auto& r : refs)
            if (r.fate == Fate::insert)
                todo.push_back(&r);
        if (todo.empty())
            continue;
        std::sort(todo.begin(), todo.end(), [](const EntryRef* a, const EntryRef* b) {
            const auto& x = a->record->entries[a->entry];
            const auto& y = b->record->entries[b->entry];
            return x.mailbox_guid != y.mailbox_guid ? x.mailbox_guid < y.mailbox_guid
                                                    : x.uid < y.uid;
        });
        STORE_CHECK(it->second->write(
            {[&](engine::Db& db) -> StoreStatus {
                 for (auto* r : todo) {
                     const auto& e = r->record->entries[r->entry];
                     STORE_TRY(mb, engine::index_mailbox_by_guid(db, e.mailbox_guid));
                     if (!mb)
                         continue;
                     auto raw = r->record->store->read(r->record->header.hash);
                     if (!raw) {
                         log_.error("recovery: {} message {}: {}", account, e.msg_guid,
                                    raw.error().to_string());
                         continue;
                     }
                     auto analysis = analyze(*raw);
                     engine::MessageRow row;
                     row.guid = e.msg_guid;
                     row.store_id = r->record->store->id();
                     row.hash = r->record->header.hash;
                     row.size = raw->size();
                     row.internal_date = e.internal_date;
                     row.save_date = e.save_date;
                     row.flags = e.flags & kAllSystemFlags;
                     row.header_size = analysis.header_size;
                     STORE_TRY(mask, engine::index_keyword_mask(db, mb->id, e.keywords, true));
                     row.keywords = mask;
                     STORE_CHECK(
                         engine::index_insert_replayed(db, *mb, row, analysis, e.uid, e.modseq));
                     STORE_CHECK(engine::index_save_mailbox(db, *mb));
                     ++inserted;
                 }
                 return {};
             },
             {},
             engine::Durability::synced,
             nullptr}));
    }
    indexes.clear();

    // 5. The journal is settled: regions go, their containers' free space is rebuilt from the
    //    bodies, and numbering continues past every record seen.
    for (auto& owned : stores_) {
        auto* ms = owned.get();
        if (!has_regions[ms])
            continue;
        STORE_CHECK(ms->finish_recovery(last_lsn[ms]));
    }
    if (!found.empty())
        log_.info(
            "recovery: {} journal records replayed: {} index rows restored, {} references "
            "dropped",
            found.size(), inserted, dropped);
    return {};
}

}  // namespace postern::store
