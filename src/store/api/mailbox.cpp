// Mailbox changes: COPY/MOVE (RFC 4315 COPYUID, RFC 6851), STORE with UNCHANGEDSINCE (RFC 7162
// §3.1.3), EXPUNGE/UID EXPUNGE with the bounded expunge log (RFC 7162 §3.2.5.2), \Recent.
// Write order everywhere: record durable -> reference -> index commit; deletes run backwards.
#include <chrono>
#include <map>
#include <set>

#include "store/api/store.h"
#include "store/engine/account_index.h"
#include "store/engine/message_store.h"

namespace postern::store {

using engine::MailboxRow;
using engine::MessageRow;

namespace {

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

ViewState state_of(const MailboxRow& m) {
    return ViewState{m.uidvalidity, m.uidnext, m.highestmodseq};
}

std::vector<Uid> uids_of(const std::vector<ViewEntry>& e) {
    std::vector<Uid> out;
    for (auto& x : e)
        out.push_back(x.uid);
    return out;
}

}  // namespace

StoreResult<UidSet> Mailbox::claim_recent() {
    UidSet out;
    STORE_CHECK(account_->index_->write(
        {[&](engine::Db& db) -> StoreStatus {
             STORE_TRY(row, engine::index_mailbox_by_id(db, id_));
             if (!row)
                 return store_fail(StoreErrc::not_found, "mailbox was deleted");
             if (row->first_recent_uid < row->uidnext)
                 out.add_range(row->first_recent_uid, row->uidnext - 1);
             row->first_recent_uid = row->uidnext;
             return engine::index_save_mailbox(db, *row);
         },
         {},
         // \Recent is advisory: after a crash a message may be recent once more.
         engine::Durability::lazy,
         nullptr}));
    return out;
}

StoreResult<UidSet> Mailbox::recent() {
    STORE_TRY(lease, account_->index_->reader());
    STORE_TRY(row, engine::index_mailbox_by_id(*lease, id_));
    if (!row)
        return store_fail(StoreErrc::not_found, "mailbox was deleted");
    UidSet out;
    if (row->first_recent_uid < row->uidnext)
        out.add_range(row->first_recent_uid, row->uidnext - 1);
    return out;
}

StoreResult<StoreFlagsResult> Mailbox::store_flags(const UidSet& uids, FlagOp op,
                                                   const Flags& flags,
                                                   std::optional<ModSeq> unchanged_since) {
    StoreFlagsResult result;
    std::vector<ViewEntry> entries;
    std::vector<std::string> keywords;
    MailboxRow mb;
    STORE_CHECK(account_->index_->write(
        {[&](engine::Db& db) -> StoreStatus {
             result = {};
             entries.clear();
             STORE_TRY(row, engine::index_mailbox_by_id(db, id_));
             if (!row)
                 return store_fail(StoreErrc::not_found, "mailbox was deleted");
             STORE_TRY(rows, engine::index_messages(db, id_, uids.resolved(row->uidnext - 1)));
             STORE_TRY(mask,
                       engine::index_keyword_mask(db, id_, flags.keywords, op != FlagOp::remove));
             const std::uint32_t sys = flags.system & kAllSystemFlags;
             const ModSeq modseq = row->highestmodseq + 1;
             for (auto& r : rows) {
                 if (unchanged_since && r.modseq > *unchanged_since) {
                     result.modified.push_back(r.uid);
                     continue;
                 }
                 std::uint32_t nf = r.flags;
                 std::uint64_t nk = r.keywords;
                 switch (op) {
                     case FlagOp::set:
                         nf = sys;
                         nk = mask;
                         break;
                     case FlagOp::add:
                         nf |= sys;
                         nk |= mask;
                         break;
                     case FlagOp::remove:
                         nf &= ~sys;
                         nk &= ~mask;
                         break;
                 }
                 if (nf == r.flags && nk == r.keywords)
                     continue;
                 engine::mailbox_count_out(*row, r);
                 MessageRow changed = r;
                 changed.flags = nf;
                 engine::mailbox_count_in(*row, changed);
                 STORE_CHECK(engine::index_update_flags(db, r.id, nf, nk, modseq));
                 result.changed.emplace_back(r.uid, modseq);
                 entries.push_back({r.uid, nf, nk, modseq});
             }
             if (!entries.empty()) {
                 row->highestmodseq = modseq;
                 STORE_CHECK(engine::index_save_mailbox(db, *row));
             }
             if (!flags.keywords.empty() && op != FlagOp::remove) {
                 STORE_TRY(kw, engine::index_keywords(db, id_));
                 keywords = std::move(kw);
             }
             mb = *row;
             return {};
         },
         [&] {
             if (entries.empty())
                 return;
             if (auto v = account_->loaded_view(id_)) {
                 if (!keywords.empty())
                     v->set_keywords(keywords);
                 v->apply_flags(entries, state_of(mb));
             }
             ChangeEvent ev;
             ev.kind = ChangeEvent::Kind::flags_changed;
             ev.account = account_->id_;
             ev.mailbox_id = id_;
             ev.mailbox = mb.name;
             ev.uids = uids_of(entries);
             ev.modseq = mb.highestmodseq;
             ev.uidnext = mb.uidnext;
             ev.messages = mb.messages;
             account_->store_.changes().publish(std::move(ev));
         },
         // Flags are synced by the next checkpoint (checkpoint_interval): a crash of the
         // process loses none (the commit is in the WAL), a power loss at most that interval.
         engine::Durability::lazy, nullptr}));
    return result;
}

StoreResult<std::vector<Uid>> Mailbox::expunge(const std::optional<UidSet>& uids) {
    return expunge_rows(uids, true);
}

StoreResult<std::vector<Uid>> Mailbox::expunge_rows(const std::optional<UidSet>& uids,
                                                    bool only_deleted) {
    std::vector<MessageRow> gone;
    MailboxRow mb;
    STORE_CHECK(account_->index_->write(
        {[&](engine::Db& db) -> StoreStatus {
             gone.clear();
             STORE_TRY(row, engine::index_mailbox_by_id(db, id_));
             if (!row)
                 return store_fail(StoreErrc::not_found, "mailbox was deleted");
             STORE_TRY(rows, engine::index_messages(
                                 db, id_, uids ? uids->resolved(row->uidnext - 1) : UidSet::all()));
             for (auto& r : rows)
                 if (!only_deleted || (r.flags & kDeleted))
                     gone.push_back(r);
             if (gone.empty())
                 return {};
             const ModSeq modseq = ++row->highestmodseq;
             for (auto& r : gone) {
                 STORE_CHECK(engine::index_delete_message(db, *row, r, modseq, true));
                 engine::mailbox_count_out(*row, r);
             }
             STORE_CHECK(engine::index_prune_expunge_log(
                 db, *row, account_->store_.options().expunge_log_limit));
             mb = *row;
             return engine::index_save_mailbox(db, *row);
         },
         [&] {
             if (gone.empty())
                 return;
             std::vector<Uid> u;
             for (auto& r : gone)
                 u.push_back(r.uid);
             if (auto v = account_->loaded_view(id_))
                 v->apply_expunge(u, state_of(mb));
             ChangeEvent ev;
             ev.kind = ChangeEvent::Kind::expunged;
             ev.account = account_->id_;
             ev.mailbox_id = id_;
             ev.mailbox = mb.name;
             ev.uids = std::move(u);
             ev.modseq = mb.highestmodseq;
             ev.uidnext = mb.uidnext;
             ev.messages = mb.messages;
             account_->store_.changes().publish(std::move(ev));
         }}));
    // Only now, with no index row left pointing at them, may the bodies lose references.
    account_->drop_refs(gone);
    std::vector<Uid> out;
    for (auto& r : gone)
        out.push_back(r.uid);
    return out;
}

StoreResult<CopyResult> Mailbox::copy(const UidSet& uids, Mailbox& dest) {
    return copy_impl(uids, dest, false);
}
StoreResult<CopyResult> Mailbox::move(const UidSet& uids, Mailbox& dest) {
    return copy_impl(uids, dest, true);
}

StoreResult<CopyResult> Mailbox::copy_impl(const UidSet& uids, Mailbox& dest, bool move) {
    Account& src_acc = *account_;
    Account& dst_acc = *dest.account_;
    const bool same_account = &src_acc == &dst_acc;
    if (same_account && dest.id_ == id_ && move)
        return store_fail(StoreErrc::invalid_argument,
                          "cannot move messages into the same mailbox");
    STORE_TRY(dst_info, dest.info());
    // Snapshot of the source rows and their keyword names.
    std::vector<MessageRow> rows;
    std::vector<std::string> src_keywords;
    {
        STORE_TRY(lease, src_acc.index_->reader());
        STORE_TRY(row, engine::index_mailbox_by_id(*lease, id_));
        if (!row)
            return store_fail(StoreErrc::not_found, "mailbox was deleted");
        STORE_TRY(r, engine::index_messages(*lease, id_, uids.resolved(row->uidnext - 1)));
        rows = std::move(r);
        STORE_TRY(kw, engine::index_keywords(*lease, id_));
        src_keywords = std::move(kw);
    }
    CopyResult result;
    result.dest_uidvalidity = dst_info.uidvalidity;
    if (rows.empty())
        return result;

    if (same_account && move) {
        std::vector<ViewEntry> added;
        std::vector<Uid> removed;
        MailboxRow src_mb, dst_mb;
        std::vector<std::string> dst_keywords;
        STORE_CHECK(src_acc.index_->write(
            {[&](engine::Db& db) -> StoreStatus {
                 result.uids.clear();
                 added.clear();
                 removed.clear();
                 STORE_TRY(s, engine::index_mailbox_by_id(db, id_));
                 STORE_TRY(d, engine::index_mailbox_by_id(db, dest.id_));
                 if (!s || !d)
                     return store_fail(StoreErrc::not_found, "mailbox was deleted");
                 STORE_TRY(live, engine::index_messages(db, id_, uids.resolved(s->uidnext - 1)));
                 const ModSeq src_modseq = ++s->highestmodseq;
                 const ModSeq dst_modseq = ++d->highestmodseq;
                 for (auto& r : live) {
                     STORE_TRY(mask, engine::index_keyword_mask(
                                         db, dest.id_,
                                         engine::keyword_names(src_keywords, r.keywords), true));
                     Uid new_uid = 0;
                     STORE_CHECK(engine::index_move_message(db, r, *s, src_modseq, *d, new_uid));
                     if (mask != r.keywords)
                         STORE_CHECK(
                             engine::index_update_flags(db, r.id, r.flags, mask, dst_modseq));
                     engine::mailbox_count_out(*s, r);
                     result.uids.push_back({r.uid, new_uid});
                     added.push_back({new_uid, r.flags, mask, dst_modseq});
                     removed.push_back(r.uid);
                 }
                 STORE_CHECK(engine::index_prune_expunge_log(
                     db, *s, src_acc.store_.options().expunge_log_limit));
                 STORE_CHECK(engine::index_save_mailbox(db, *s));
                 STORE_CHECK(engine::index_save_mailbox(db, *d));
                 STORE_TRY(kw, engine::index_keywords(db, dest.id_));
                 dst_keywords = std::move(kw);
                 src_mb = *s;
                 dst_mb = *d;
                 return {};
             },
             [&] {
                 if (auto v = src_acc.loaded_view(id_))
                     v->apply_expunge(removed, state_of(src_mb));
                 if (auto v = src_acc.loaded_view(dest.id_)) {
                     v->set_keywords(dst_keywords);
                     v->apply_append(added, state_of(dst_mb));
                 }
                 ChangeEvent ex{ChangeEvent::Kind::expunged,
                                src_acc.id_,
                                id_,
                                src_mb.name,
                                {},
                                removed,
                                src_mb.highestmodseq,
                                src_mb.uidnext,
                                src_mb.messages};
                 src_acc.store_.changes().publish(std::move(ex));
                 ChangeEvent ap{ChangeEvent::Kind::appended,
                                src_acc.id_,
                                dest.id_,
                                dst_mb.name,
                                {},
                                uids_of(added),
                                dst_mb.highestmodseq,
                                dst_mb.uidnext,
                                dst_mb.messages};
                 src_acc.store_.changes().publish(std::move(ap));
             }}));
        // Repair hints follow the messages; stale hints only cost folder placement on repair.
        std::map<std::string, std::vector<std::string>> by_store;
        for (auto& r : rows)
            by_store[r.store_id].push_back(r.guid);
        for (auto& [sid, guids] : by_store)
            if (auto* ms = src_acc.store_.message_store(sid))
                (void)ms->move_refs(src_acc.id_, guids, dst_info.guid);
        return result;
    }

    // Copy (or cross-account move): new message instances referencing the same bodies. Each
    // gets a reference record in its body's store, written before the index commits, like an
    // append that carries no bytes.
    std::uint64_t bytes = 0;
    for (auto& r : rows)
        bytes += r.size;
    STORE_CHECK(dst_acc.check_quota(bytes, rows.size()));
    std::vector<engine::MessageStore*> stores(rows.size(), nullptr);
    for (std::size_t i = 0; i < rows.size(); ++i)
        stores[i] = src_acc.store_.message_store(rows[i].store_id);
    // Another account's index needs the text for its own FTS rows: re-analyse the bodies.
    std::vector<MessageAnalysis> analyses(same_account ? 0 : rows.size());
    if (!same_account) {
        for (std::size_t i = 0; i < rows.size(); ++i) {
            if (!stores[i])
                continue;
            auto raw = read(rows[i]);
            if (!raw) {
                stores[i] = nullptr;
                continue;
            }
            analyses[i] = src_acc.store_.analyze(*raw);
        }
    }
    std::vector<ViewEntry> added;
    std::vector<std::shared_ptr<engine::JournalRequest>> records;
    std::vector<std::pair<std::int64_t, engine::FtsDoc>> fts_docs;
    MailboxRow dst_mb;
    std::vector<std::string> dst_keywords;
    auto status = dst_acc.index_->write(
        {[&](engine::Db& db) -> StoreStatus {
             result.uids.clear();
             added.clear();
             records.clear();
             fts_docs.clear();
             STORE_TRY(d, engine::index_mailbox_by_id(db, dest.id_));
             if (!d)
                 return store_fail(StoreErrc::not_found, "mailbox was deleted");
             ++d->highestmodseq;
             const auto now = now_seconds();
             for (std::size_t i = 0; i < rows.size(); ++i) {
                 if (!stores[i])
                     continue;
                 auto names = engine::keyword_names(src_keywords, rows[i].keywords);
                 STORE_TRY(mask, engine::index_keyword_mask(db, dest.id_, names, true));
                 MessageRow r = rows[i];
                 // A new instance, the same message: its EMAILID stays (RFC 8474 §5.1).
                 if (r.email_id.empty())
                     r.email_id = r.guid;
                 r.guid = engine::new_message_guid();
                 r.keywords = mask;
                 r.save_date = now;
                 if (same_account) {
                     auto c = engine::index_copy_message(db, *d, r, rows[i].id);
                     if (!c) {
                         if (c.error().code == StoreErrc::expunged)
                             continue;
                         return store_fail(c.error());
                     }
                 } else {
                     engine::FtsDoc doc;
                     STORE_CHECK(engine::index_insert_message(db, *d, r, analyses[i], &doc));
                     fts_docs.emplace_back(r.text_id, std::move(doc));
                 }
                 auto req = std::make_shared<engine::JournalRequest>();
                 req->store = stores[i];
                 req->hash = rows[i].hash;
                 req->entries.push_back(
                     engine::RefEntry{dst_acc.id_, r.guid, d->guid, d->uidvalidity, r.uid, r.modseq,
                                      r.flags, std::move(names), r.internal_date, r.save_date});
                 records.push_back(std::move(req));
                 result.uids.push_back({rows[i].uid, r.uid});
                 added.push_back({r.uid, r.flags, r.keywords, r.modseq});
             }
             STORE_CHECK(engine::index_save_mailbox(db, *d));
             STORE_TRY(kw, engine::index_keywords(db, dest.id_));
             dst_keywords = std::move(kw);
             dst_mb = *d;
             return {};
         },
         [&] {
             for (auto& [id, doc] : fts_docs)
                 dst_acc.queue_fts(id, std::move(doc));
             if (auto v = dst_acc.loaded_view(dest.id_)) {
                 v->set_keywords(dst_keywords);
                 v->apply_append(added, state_of(dst_mb));
             }
             ChangeEvent ap{ChangeEvent::Kind::appended,
                            dst_acc.id_,
                            dest.id_,
                            dst_mb.name,
                            {},
                            uids_of(added),
                            dst_mb.highestmodseq,
                            dst_mb.uidnext,
                            dst_mb.messages};
             dst_acc.store_.changes().publish(std::move(ap));
         },
         engine::Durability::journaled, &records});
    if (!status) {
        // A body freed meanwhile means its source message was expunged by another session.
        auto e = status.error();
        if (e.code == StoreErrc::not_found)
            e.code = StoreErrc::expunged;
        return store_fail(std::move(e));
    }
    if (move) {
        UidSet done;
        for (auto& c : result.uids)
            done.add(c.source);
        STORE_CHECK(expunge_rows(done, false));
    }
    return result;
}

}  // namespace postern::store
