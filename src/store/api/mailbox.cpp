// Mailbox changes: APPEND (RFC 3501 §6.3.11, RFC 4315 APPENDUID), COPY/MOVE (RFC 4315 COPYUID,
// RFC 6851), STORE with UNCHANGEDSINCE (RFC 7162 §3.1.3), EXPUNGE/UID EXPUNGE, \Recent.
// Write order everywhere: body durable -> reference -> index commit; deletes run backwards.
#include <chrono>
#include <map>
#include <set>

#include "base/encoding.h"
#include "base/random.h"
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

StoreResult<AppendResult> Mailbox::commit_append(Account& acc, std::int64_t mailbox_id,
                                                 MessageRow proto, const MessageAnalysis& analysis,
                                                 const Flags& flags) {
    AppendResult res;
    ViewEntry entry;
    MailboxRow mb;
    std::vector<std::string> keywords;
    engine::FtsDoc fts;
    std::int64_t text_id = 0;
    auto status = acc.index_->write(
        {[&](engine::Db& db) -> StoreStatus {
             STORE_TRY(row, engine::index_mailbox_by_id(db, mailbox_id));
             if (!row)
                 return store_fail(StoreErrc::not_found, "mailbox was deleted");
             // The authoritative quota check, inside the transaction that adds the message.
             auto lb = acc.quota_bytes_.load(), lm = acc.quota_messages_.load();
             if (lb || lm) {
                 STORE_TRY(usage, engine::index_usage(db));
                 if ((lb && usage.bytes + proto.size > lb) || (lm && usage.messages + 1 > lm))
                     return store_fail(StoreErrc::over_quota,
                                       "account " + acc.id_ + " is over quota");
             }
             STORE_TRY(mask, engine::index_keyword_mask(db, mailbox_id, flags.keywords, true));
             if (!flags.keywords.empty()) {
                 STORE_TRY(kw, engine::index_keywords(db, mailbox_id));
                 keywords = std::move(kw);
             }
             MessageRow r = proto;
             r.flags = flags.system & kAllSystemFlags;
             r.keywords = mask;
             row->highestmodseq += 1;
             STORE_CHECK(engine::index_insert_message(db, *row, r, analysis, &fts));
             text_id = r.text_id;
             STORE_CHECK(engine::index_save_mailbox(db, *row));
             res = AppendResult{r.uid, row->uidvalidity, r.modseq, r.guid};
             entry = ViewEntry{r.uid, r.flags, r.keywords, r.modseq};
             mb = *row;
             return {};
         },
         [&] {
             acc.queue_fts(text_id, std::move(fts));
             if (auto v = acc.loaded_view(mailbox_id)) {
                 if (!keywords.empty())
                     v->set_keywords(keywords);
                 v->apply_append({entry}, state_of(mb));
             }
             ChangeEvent ev;
             ev.kind = ChangeEvent::Kind::appended;
             ev.account = acc.id_;
             ev.mailbox_id = mailbox_id;
             ev.mailbox = mb.name;
             ev.uids = {entry.uid};
             ev.modseq = mb.highestmodseq;
             ev.uidnext = mb.uidnext;
             ev.messages = mb.messages;
             acc.store_.changes().publish(std::move(ev));
         }});
    if (!status) {
        // The body is referenced but no index row will point at it: release it now (if this
        // fails too, check reclaims it later).
        acc.drop_refs({proto});
        return store_fail(status.error());
    }
    return res;
}

StoreResult<AppendResult> Mailbox::append(std::string_view raw, const AppendOptions& options) {
    Store& store = account_->store_;
    if (raw.empty() || raw.size() > store.options().max_message_size)
        return store_fail(StoreErrc::too_large,
                          "message of " + std::to_string(raw.size()) +
                              " bytes is empty or larger than the store accepts");
    STORE_CHECK(account_->check_quota(raw.size()));
    // Only the mailbox guid is needed here (the reference's repair hint): one point query.
    std::string mailbox_guid;
    {
        STORE_TRY(lease, account_->index_->reader());
        STORE_TRY(row, engine::index_mailbox_by_id(*lease, id_));
        if (!row)
            return store_fail(StoreErrc::not_found, "mailbox was deleted");
        mailbox_guid = row->guid;
    }
    MessageAnalysis local;
    const MessageAnalysis* analysis = options.analysis;
    if (!analysis) {
        local = store.analyze(raw);
        analysis = &local;
    }
    // Hashing and compression run here, on the caller's thread, so the single writer only
    // copies bytes and every core helps.
    auto body = engine::prepare_body(raw, store.options().compression,
                                     store.options().compression_threshold,
                                     store.options().compression_level);
    MessageRow proto;
    proto.guid = hex_encode(random_bytes(16));
    proto.hash = body.hash;
    proto.size = raw.size();
    auto now = now_seconds();
    proto.internal_date = options.internal_date.value_or(now);
    proto.save_date = now;
    proto.header_size = analysis->header_size;
    STORE_TRY(store_id,
              store.store_body(account_->domain(), body,
                               {engine::BodyRef{account_->id_, proto.guid, mailbox_guid}}));
    proto.store_id = store_id;
    return commit_append(*account_, id_, std::move(proto), *analysis, options.flags);
}

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
         {}}));
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
         }}));
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
                 STORE_CHECK(engine::index_delete_message(db, id_, r, modseq, true));
                 engine::mailbox_count_out(*row, r);
             }
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
                     STORE_CHECK(engine::index_move_message(db, r, id_, src_modseq, *d, new_uid));
                     if (mask != r.keywords)
                         STORE_CHECK(
                             engine::index_update_flags(db, r.id, r.flags, mask, dst_modseq));
                     engine::mailbox_count_out(*s, r);
                     result.uids.push_back({r.uid, new_uid});
                     added.push_back({new_uid, r.flags, mask, dst_modseq});
                     removed.push_back(r.uid);
                 }
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

    // Copy (or cross-account move): new message instances referencing the same bodies.
    std::uint64_t bytes = 0;
    for (auto& r : rows)
        bytes += r.size;
    STORE_CHECK(dst_acc.check_quota(bytes, rows.size()));
    std::vector<std::string> new_guids;
    std::map<std::string, std::vector<std::pair<engine::ContentHash, engine::BodyRef>>> by_store;
    std::map<std::string, std::vector<std::size_t>> positions;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        new_guids.push_back(hex_encode(random_bytes(16)));
        by_store[rows[i].store_id].push_back(
            {rows[i].hash, {dst_acc.id_, new_guids[i], dst_info.guid}});
        positions[rows[i].store_id].push_back(i);
    }
    std::vector<char> referenced(rows.size(), 0);
    for (auto& [sid, refs] : by_store) {
        auto* ms = src_acc.store_.message_store(sid);
        if (!ms)
            continue;
        std::vector<char> found;
        STORE_CHECK(ms->add_refs(std::move(refs), &found));
        for (std::size_t k = 0; k < found.size(); ++k)
            referenced[positions[sid][k]] = found[k];
    }
    // Another account's index needs the text for its own FTS rows: re-analyse the bodies.
    std::vector<MessageAnalysis> analyses(same_account ? 0 : rows.size());
    if (!same_account) {
        for (std::size_t i = 0; i < rows.size(); ++i) {
            if (!referenced[i])
                continue;
            auto raw = read(rows[i]);
            if (!raw) {
                referenced[i] = 0;
                continue;
            }
            analyses[i] = src_acc.store_.analyze(*raw);
        }
    }
    std::vector<ViewEntry> added;
    std::vector<MessageRow> inserted;
    std::vector<std::pair<std::int64_t, engine::FtsDoc>> fts_docs;
    MailboxRow dst_mb;
    std::vector<std::string> dst_keywords;
    auto status = dst_acc.index_->write(
        {[&](engine::Db& db) -> StoreStatus {
             result.uids.clear();
             added.clear();
             inserted.clear();
             fts_docs.clear();
             STORE_TRY(d, engine::index_mailbox_by_id(db, dest.id_));
             if (!d)
                 return store_fail(StoreErrc::not_found, "mailbox was deleted");
             const ModSeq modseq = ++d->highestmodseq;
             for (std::size_t i = 0; i < rows.size(); ++i) {
                 if (!referenced[i])
                     continue;
                 STORE_TRY(mask, engine::index_keyword_mask(
                                     db, dest.id_,
                                     engine::keyword_names(src_keywords, rows[i].keywords), true));
                 MessageRow r = rows[i];
                 r.guid = new_guids[i];
                 r.keywords = mask;
                 r.save_date = now_seconds();
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
                 (void)modseq;
                 inserted.push_back(r);
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
         }});
    // References taken for rows that did not make it into the index go back.
    std::set<std::string> used;
    if (status)
        for (auto& r : inserted)
            used.insert(r.guid);
    std::vector<MessageRow> unused;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (!referenced[i] || used.count(new_guids[i]))
            continue;
        MessageRow u = rows[i];
        u.guid = new_guids[i];
        unused.push_back(u);
    }
    dst_acc.drop_refs(unused);
    if (!status)
        return store_fail(status.error());
    if (move) {
        UidSet done;
        for (auto& c : result.uids)
            done.add(c.source);
        STORE_CHECK(expunge_rows(done, false));
    }
    return result;
}

}  // namespace postern::store
