// Account: mailbox hierarchy operations (RFC 3501 §6.3 CREATE/DELETE/RENAME/SUBSCRIBE/STATUS,
// RFC 6154 special-use), quota (RFC 9208 STORAGE/MESSAGE) and the shared view registry.
#include <chrono>
#include <map>
#include <set>

#include "base/strings.h"
#include "store/api/store.h"
#include "store/engine/account_index.h"
#include "store/engine/message_store.h"

namespace postern::store {

using engine::MailboxRow;
using engine::MessageRow;

namespace {

MailboxInfo info_of(const MailboxRow& m, const std::vector<MailboxRow>& all,
                    const std::set<std::string>& subscribed) {
    MailboxInfo i;
    i.id = m.id;
    i.name = m.name;
    i.guid = m.guid;
    i.uidvalidity = m.uidvalidity;
    i.special_use = m.special_use;
    i.subscribed = subscribed.contains(m.name);
    for (auto& o : all)
        if (o.name.size() > m.name.size() &&
            o.name.compare(0, m.name.size() + 1, m.name + "/") == 0) {
            i.has_children = true;
            break;
        }
    return i;
}

}  // namespace

Account::Account(Store& store, std::string id, std::unique_ptr<engine::AccountIndex> index)
    : store_(store), id_(std::move(id)), index_(std::move(index)) {}

Account::~Account() = default;

std::string Account::domain() const {
    auto at = id_.rfind('@');
    return at == std::string::npos ? std::string() : to_lower(std::string_view(id_).substr(at + 1));
}

StoreResult<MailboxRow> Account::find_row(std::string_view name) {
    STORE_TRY(norm, engine::normalize_mailbox_name(name));
    STORE_TRY(lease, index_->reader());
    STORE_TRY(row, engine::index_find_mailbox(*lease, norm));
    if (!row)
        return store_fail(StoreErrc::not_found, "mailbox " + norm + " does not exist");
    return *row;
}

void Account::publish_mailbox_event(ChangeEvent::Kind kind, const MailboxRow& mb,
                                    std::string old_name) {
    ChangeEvent ev;
    ev.kind = kind;
    ev.account = id_;
    ev.mailbox_id = mb.id;
    ev.mailbox = mb.name;
    ev.old_name = std::move(old_name);
    ev.uidnext = mb.uidnext;
    ev.modseq = mb.highestmodseq;
    ev.messages = mb.messages;
    store_.changes().publish(std::move(ev));
}

void Account::drop_refs(const std::vector<MessageRow>& rows) {
    std::map<std::string, std::vector<std::string>> by_store;
    for (auto& r : rows)
        by_store[r.store_id].push_back(r.guid);
    for (auto& [sid, guids] : by_store) {
        auto* ms = store_.message_store(sid);
        if (!ms)
            continue;
        // The index no longer points at these bodies; failing here only leaves a refcount too
        // high, which check reclaims. Never the other way round.
        if (auto s = ms->drop_refs(id_, std::move(guids)); !s)
            store_.logger().warn("account {}: releasing bodies failed, check will reclaim: {}", id_,
                                 s.error().to_string());
    }
}

StoreResult<std::vector<MailboxInfo>> Account::list_mailboxes() {
    STORE_TRY(lease, index_->reader());
    STORE_TRY(all, engine::index_list_mailboxes(*lease));
    STORE_TRY(subs, engine::index_subscriptions(*lease));
    std::set<std::string> subscribed(subs.begin(), subs.end());
    std::vector<MailboxInfo> out;
    for (auto& m : all)
        out.push_back(info_of(m, all, subscribed));
    return out;
}

StoreResult<std::vector<std::string>> Account::subscriptions() {
    STORE_TRY(lease, index_->reader());
    return engine::index_subscriptions(*lease);
}

StoreResult<MailboxInfo> Account::mailbox_info(std::string_view name) {
    STORE_TRY(row, find_row(name));
    STORE_TRY(lease, index_->reader());
    STORE_TRY(all, engine::index_list_mailboxes(*lease));
    STORE_TRY(subs, engine::index_subscriptions(*lease));
    return info_of(row, all, std::set<std::string>(subs.begin(), subs.end()));
}

StoreResult<MailboxInfo> Account::create_mailbox(std::string_view name, std::uint32_t special_use) {
    STORE_TRY(norm, engine::normalize_mailbox_name(name));
    std::vector<MailboxRow> created;
    STORE_CHECK(index_->write({[&](engine::Db& db) -> StoreStatus {
                                   STORE_TRY(made,
                                             engine::index_create_mailbox(db, norm, special_use));
                                   created = std::move(made);
                                   return {};
                               },
                               [&] {
                                   for (auto& m : created)
                                       publish_mailbox_event(ChangeEvent::Kind::mailbox_created, m);
                               }}));
    for (auto* ms : store_.message_stores())
        for (auto& m : created)
            (void)ms->set_hint(id_, m.guid, m.name);
    return mailbox_info(norm);
}

StoreStatus Account::delete_mailbox(std::string_view name) {
    STORE_TRY(norm, engine::normalize_mailbox_name(name));
    if (norm == "INBOX")
        return store_fail(StoreErrc::invalid_name, "INBOX cannot be deleted");
    MailboxRow gone;
    std::vector<MessageRow> rows;
    STORE_CHECK(index_->write(
        {[&](engine::Db& db) -> StoreStatus {
             STORE_TRY(row, engine::index_find_mailbox(db, norm));
             if (!row)
                 return store_fail(StoreErrc::not_found, "mailbox " + norm + " does not exist");
             STORE_TRY(all, engine::index_list_mailboxes(db));
             for (auto& m : all)
                 if (m.name.compare(0, norm.size() + 1, norm + "/") == 0)
                     return store_fail(StoreErrc::not_empty,
                                       "mailbox " + norm + " has child mailboxes");
             gone = *row;
             STORE_TRY(msgs, engine::index_messages(db, row->id, UidSet::all()));
             rows = std::move(msgs);
             for (auto& r : rows)
                 STORE_CHECK(engine::index_delete_message(db, *row, r, 0, false));
             return engine::index_delete_mailbox_row(db, row->id);
         },
         [&] {
             if (auto v = loaded_view(gone.id))
                 v->mark_deleted();
             publish_mailbox_event(ChangeEvent::Kind::mailbox_deleted, gone);
         }}));
    drop_refs(rows);
    for (auto* ms : store_.message_stores())
        (void)ms->set_hint(id_, gone.guid, "");
    return {};
}

StoreStatus Account::rename_mailbox(std::string_view from, std::string_view to) {
    STORE_TRY(src, engine::normalize_mailbox_name(from));
    STORE_TRY(dst, engine::normalize_mailbox_name(to));
    if (src == "INBOX")
        return store_fail(StoreErrc::invalid_name,
                          "INBOX is renamed by moving its messages (move_all_messages)");
    if (dst == "INBOX")
        return store_fail(StoreErrc::exists, "mailbox INBOX already exists");
    std::vector<std::pair<std::string, MailboxRow>> moved;
    STORE_CHECK(index_->write({[&](engine::Db& db) -> StoreStatus {
                                   STORE_TRY(before, engine::index_list_mailboxes(db));
                                   STORE_TRY(rows, engine::index_rename_mailbox(db, src, dst));
                                   for (auto& r : rows) {
                                       std::string old;
                                       for (auto& b : before)
                                           if (b.id == r.id)
                                               old = b.name;
                                       moved.emplace_back(old, r);
                                   }
                                   return {};
                               },
                               [&] {
                                   for (auto& [old, r] : moved)
                                       publish_mailbox_event(
                                           old.empty() ? ChangeEvent::Kind::mailbox_created
                                                       : ChangeEvent::Kind::mailbox_renamed,
                                           r, old);
                               }}));
    for (auto* ms : store_.message_stores())
        for (auto& [old, r] : moved)
            (void)ms->set_hint(id_, r.guid, r.name);
    return {};
}

StoreResult<std::uint32_t> Account::move_all_messages(std::string_view from, std::string_view to) {
    STORE_TRY(dst_name, engine::normalize_mailbox_name(to));
    {
        auto exists = find_row(dst_name);
        if (!exists) {
            if (exists.error().code != StoreErrc::not_found)
                return store_fail(exists.error());
            STORE_CHECK(create_mailbox(dst_name));
        }
    }
    STORE_TRY(src_box, open_mailbox(from));
    STORE_TRY(dst_box, open_mailbox(dst_name));
    STORE_TRY(copied, src_box->move(UidSet::all(), *dst_box));
    return static_cast<std::uint32_t>(copied.uids.size());
}

StoreStatus Account::set_subscribed(std::string_view name, bool subscribed) {
    STORE_TRY(norm, engine::normalize_mailbox_name(name));
    MailboxRow changed;
    changed.name = norm;
    return index_->write(
        {[&](engine::Db& db) -> StoreStatus {
             // Only existing mailboxes can be subscribed (RFC 3501 §6.3.6 allows checking);
             // a subscription outlives its mailbox and can be removed after it is gone.
             STORE_TRY(row, engine::index_find_mailbox(db, norm));
             if (row)
                 changed = *row;
             if (!row && subscribed)
                 return store_fail(StoreErrc::not_found, "mailbox " + norm + " does not exist");
             STORE_CHECK(engine::index_set_subscribed(db, norm, subscribed));
             if (!row && db.changes() == 0)
                 return store_fail(StoreErrc::not_found, "mailbox " + norm + " does not exist");
             return {};
         },
         [&] { publish_mailbox_event(ChangeEvent::Kind::subscription_changed, changed); }});
}

StoreStatus Account::set_subscribed_name(std::string_view name, bool subscribed) {
    STORE_TRY(norm, engine::normalize_mailbox_name(name));
    MailboxRow changed;
    changed.name = norm;
    return index_->write(
        {[&](engine::Db& db) { return engine::index_set_subscribed(db, norm, subscribed); },
         [&] { publish_mailbox_event(ChangeEvent::Kind::subscription_changed, changed); }});
}

StoreStatus Account::set_special_use(std::string_view name, std::uint32_t special_use) {
    STORE_TRY(norm, engine::normalize_mailbox_name(name));
    return index_->write({[&](engine::Db& db) -> StoreStatus {
                              STORE_TRY(row, engine::index_find_mailbox(db, norm));
                              if (!row)
                                  return store_fail(StoreErrc::not_found,
                                                    "mailbox " + norm + " does not exist");
                              row->special_use = special_use;
                              return engine::index_save_mailbox(db, *row);
                          },
                          {}});
}

StoreResult<MailboxStatus> Account::status(std::string_view name) {
    STORE_TRY(box, open_mailbox(name));
    return box->status();
}

StoreResult<std::shared_ptr<Mailbox>> Account::open_mailbox(std::string_view name) {
    STORE_TRY(row, find_row(name));
    return std::make_shared<Mailbox>(shared_from_this(), row.id);
}

void Account::set_quota(std::uint64_t bytes_limit, std::uint64_t messages_limit) {
    quota_bytes_.store(bytes_limit);
    quota_messages_.store(messages_limit);
}

StoreResult<QuotaInfo> Account::quota() {
    STORE_TRY(lease, index_->reader());
    STORE_TRY(usage, engine::index_usage(*lease));
    return QuotaInfo{usage.bytes, quota_bytes_.load(), usage.messages, quota_messages_.load()};
}

StoreStatus Account::check_quota(std::uint64_t bytes, std::uint64_t messages) {
    auto limit_b = quota_bytes_.load(), limit_m = quota_messages_.load();
    if (!limit_b && !limit_m)
        return {};
    STORE_TRY(q, quota());
    if (limit_b && q.bytes_used + bytes > limit_b)
        return store_fail(StoreErrc::over_quota,
                          "account " + id_ + " would exceed its storage quota (" +
                              std::to_string(q.bytes_used) + " + " + std::to_string(bytes) + " > " +
                              std::to_string(limit_b) + " bytes)");
    if (limit_m && q.messages_used + messages > limit_m)
        return store_fail(StoreErrc::over_quota, "account " + id_ +
                                                     " would exceed its message quota (" +
                                                     std::to_string(limit_m) + " messages)");
    return {};
}

std::shared_ptr<MailboxView> Account::loaded_view(std::int64_t mailbox_id) {
    std::lock_guard lock(views_mu_);
    auto it = views_.find(mailbox_id);
    return it == views_.end() ? nullptr : it->second.lock();
}

void Account::expire_views() {
    std::lock_guard lock(views_mu_);
    purge_lingering();
}

void Account::purge_lingering() {
    auto now = std::chrono::steady_clock::now();
    std::erase_if(lingering_, [&](auto& p) { return p.first <= now; });
    std::erase_if(views_, [](auto& p) { return p.second.expired(); });
}

void Account::linger(std::shared_ptr<MailboxView> view) {
    if (!view)
        return;
    std::lock_guard lock(views_mu_);
    purge_lingering();
    // The last session's view is kept for the grace period, so a client that reconnects or
    // re-selects (very common) finds it warm.
    lingering_.emplace_back(std::chrono::steady_clock::now() + store_.options().view_grace,
                            std::move(view));
}

StoreResult<std::shared_ptr<MailboxView>> Account::get_view(std::int64_t mailbox_id) {
    std::lock_guard lock(views_mu_);
    purge_lingering();
    if (auto it = views_.find(mailbox_id); it != views_.end()) {
        if (auto v = it->second.lock()) {
            if (!v->deleted())
                return v;
            // Sessions that still hold the deleted mailbox keep their view; new ones get a
            // fresh one (and find out the mailbox is gone).
            views_.erase(it);
            std::erase_if(lingering_, [&](auto& p) { return p.second == v; });
        }
    }
    // Built under views_mu_: commits apply their changes to views under the same lock, so a
    // commit either lands before this snapshot or is applied to the view afterwards.
    STORE_TRY(lease, index_->reader());
    STORE_CHECK(lease->run("BEGIN"));
    auto load = [&]() -> StoreResult<std::shared_ptr<MailboxView>> {
        STORE_TRY(row, engine::index_mailbox_by_id(*lease, mailbox_id));
        if (!row)
            return store_fail(StoreErrc::not_found, "mailbox no longer exists");
        STORE_TRY(s,
                  lease->prepare(
                      "SELECT uid, flags, keywords, modseq FROM messages INDEXED BY messages_view "
                      "WHERE mailbox_id=? ORDER BY uid"));
        s->bind(1, mailbox_id);
        std::vector<ViewEntry> entries;
        entries.reserve(row->messages);
        for (;;) {
            STORE_TRY(r, s->step());
            if (!r)
                break;
            entries.push_back({static_cast<Uid>(s->i64(0)), static_cast<std::uint32_t>(s->i64(1)),
                               static_cast<std::uint64_t>(s->i64(2)),
                               static_cast<ModSeq>(s->i64(3))});
        }
        entries.shrink_to_fit();
        STORE_TRY(kw, engine::index_keywords(*lease, mailbox_id));
        return std::make_shared<MailboxView>(
            mailbox_id, ViewState{row->uidvalidity, row->uidnext, row->highestmodseq},
            std::move(entries), std::move(kw), store_.options().view_change_log);
    };
    auto v = load();
    (void)lease->run("COMMIT");
    if (!v)
        return v;
    views_[mailbox_id] = *v;
    return v;
}

StoreStatus Account::recount_mailboxes() {
    return index_->write({[&](engine::Db& db) -> StoreStatus {
                              STORE_TRY(all, engine::index_list_mailboxes(db));
                              for (auto& m : all)
                                  STORE_CHECK(engine::index_recount(db, m));
                              return {};
                          },
                          {}});
}

std::size_t Account::view_memory_bytes() {
    std::lock_guard lock(views_mu_);
    std::size_t n = 0;
    for (auto& [id, w] : views_)
        if (auto v = w.lock())
            n += v->memory_bytes();
    return n;
}

}  // namespace postern::store
