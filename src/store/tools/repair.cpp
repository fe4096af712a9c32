// repair ACCOUNT: rebuilds an account index from the catalogs' references (which message
// instances the account has, and the folder each was last in) and the bodies themselves,
// keeping folders, UIDs and flags wherever the old index can still be read.
#include <chrono>
#include <map>
#include <set>

#include "store/engine/account_index.h"
#include "store/engine/catalog.h"
#include "store/engine/message_store.h"
#include "store/tools/tools.h"

namespace postern::store::tools {
namespace {

struct OldMailbox {
    std::string name;
    std::uint32_t uidvalidity = 0;
    Uid uidnext = 1;
    ModSeq highestmodseq = 1;
    std::uint32_t special_use = 0;
};
struct OldMessage {
    std::string mailbox_guid;
    Uid uid = 0;
    std::uint32_t flags = 0;
    std::vector<std::string> keywords;
    Timestamp internal_date = 0;
};
struct Salvage {
    std::map<std::string, OldMailbox> mailboxes;  // by guid
    std::map<std::string, OldMessage> messages;   // by message guid
    std::vector<std::string> subscriptions;
};

// Reads whatever the damaged index still yields, row by row; stops quietly at damage.
Salvage salvage(const std::filesystem::path& path) {
    Salvage out;
    auto db = engine::Db::open(path, false, false, true);
    if (!db)
        return out;
    std::map<std::int64_t, std::string> guid_of;
    std::map<std::int64_t, std::vector<std::string>> keywords;
    if (auto s = (*db)->prepare(
            "SELECT id, guid, name, uidvalidity, uidnext, highestmodseq, special_use "
            "FROM mailboxes")) {
        for (;;) {
            auto r = (*s)->step();
            if (!r || !*r)
                break;
            guid_of[(*s)->i64(0)] = (*s)->text(1);
            out.mailboxes[(*s)->text(1)] =
                OldMailbox{(*s)->text(2), static_cast<std::uint32_t>((*s)->i64(3)),
                           static_cast<Uid>((*s)->i64(4)), static_cast<ModSeq>((*s)->i64(5)),
                           static_cast<std::uint32_t>((*s)->i64(6))};
        }
    }
    // Subscriptions: their own table since v3, a column of the mailbox row before.
    auto subs = (*db)->prepare("SELECT name FROM subscriptions");
    if (!subs)
        subs = (*db)->prepare("SELECT name FROM mailboxes WHERE subscribed=1");
    if (subs) {
        for (;;) {
            auto r = (*subs)->step();
            if (!r || !*r)
                break;
            out.subscriptions.push_back((*subs)->text(0));
        }
    }
    for (auto& [id, g] : guid_of) {
        auto kw = engine::index_keywords(**db, id);
        if (kw)
            keywords[id] = std::move(*kw);
    }
    if (auto s = (*db)->prepare(
            "SELECT guid, mailbox_id, uid, flags, keywords, internal_date FROM messages")) {
        for (;;) {
            auto r = (*s)->step();
            if (!r || !*r)
                break;
            auto mid = (*s)->i64(1);
            auto kw =
                keywords.count(mid)
                    ? engine::keyword_names(keywords[mid], static_cast<std::uint64_t>((*s)->i64(4)))
                    : std::vector<std::string>{};
            out.messages[(*s)->text(0)] =
                OldMessage{guid_of.count(mid) ? guid_of[mid] : "", static_cast<Uid>((*s)->i64(2)),
                           static_cast<std::uint32_t>((*s)->i64(3)), std::move(kw), (*s)->i64(5)};
        }
    }
    return out;
}

struct Found {
    engine::MessageStore* store;
    engine::RefRow ref;
    engine::BodyRow body;
};

}  // namespace

StoreResult<RepairReport> repair(Store& store, const std::string& account) {
    RepairReport rep;
    rep.account = account;
    if (!store.evict_account(account))
        return store_fail(StoreErrc::busy,
                          "account " + account + " is open; close its sessions first");
    auto path = store.index_path(account);
    Salvage old;
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) {
        old = salvage(path);
        auto stamp = std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
        rep.old_index = path.string() + ".broken-" + stamp;
        for (auto suffix : {"", "-wal", "-shm"}) {
            auto from = path.string() + suffix;
            if (std::filesystem::exists(from, ec))
                std::filesystem::rename(from, rep.old_index + suffix, ec);
            if (ec)
                return store_fail(StoreErrc::io, "cannot move " + from + " aside: " + ec.message());
        }
        rep.notes.push_back("old index kept at " + rep.old_index);
    }

    // Every message instance of the account, from every store's references.
    std::vector<Found> found;
    std::map<std::string, std::string> hint_names;  // mailbox guid -> last known name
    for (auto* ms : store.message_stores()) {
        STORE_TRY(lease, ms->reader());
        STORE_TRY(refs, engine::catalog_refs_of_account(*lease, account));
        for (auto& r : refs) {
            STORE_TRY(body, engine::catalog_body_by_id(*lease, r.body_id));
            if (!body)
                continue;
            found.push_back({ms, r, *body});
        }
        STORE_TRY(hints, engine::catalog_hints(*lease, account));
        for (auto& [g, n] : hints)
            hint_names.emplace(g, n);
    }

    STORE_TRY(index, engine::AccountIndex::open(path, account, true, store.options().fsync));
    // Decide each message's folder: old index, else the reference's hint, else Recovered.
    struct Planned {
        const Found* f;
        std::string mailbox_guid;
        std::string mailbox_name;
        const OldMessage* old = nullptr;
    };
    std::vector<Planned> plan;
    for (auto& f : found) {
        Planned p{&f, f.ref.mailbox_guid, "", nullptr};
        if (auto it = old.messages.find(f.ref.msg_guid); it != old.messages.end()) {
            p.old = &it->second;
            if (!it->second.mailbox_guid.empty())
                p.mailbox_guid = it->second.mailbox_guid;
        }
        if (auto m = old.mailboxes.find(p.mailbox_guid); m != old.mailboxes.end())
            p.mailbox_name = m->second.name;
        else if (auto h = hint_names.find(p.mailbox_guid); h != hint_names.end())
            p.mailbox_name = h->second;
        if (p.mailbox_name.empty() || !engine::normalize_mailbox_name(p.mailbox_name)) {
            p.mailbox_name = "Recovered";
            p.mailbox_guid.clear();
        }
        plan.push_back(std::move(p));
    }
    // UIDs ascending within a mailbox, messages with known UIDs first.
    std::stable_sort(plan.begin(), plan.end(), [](const Planned& a, const Planned& b) {
        if (a.mailbox_name != b.mailbox_name)
            return a.mailbox_name < b.mailbox_name;
        Uid ua = a.old ? a.old->uid : kUidStar, ub = b.old ? b.old->uid : kUidStar;
        return ua < ub;
    });

    std::set<std::string> names;
    for (auto& [g, m] : old.mailboxes)
        names.insert(m.name);
    for (auto& p : plan)
        names.insert(p.mailbox_name);
    std::uint64_t recovered = 0, unreadable = 0, flags_lost = 0;
    std::uint32_t renumbered = 0;
    auto status = index->write(
        {[&](engine::Db& db) -> StoreStatus {
             std::map<std::string, engine::MailboxRow> rows;
             std::map<std::string, Uid> old_uidnext;
             for (auto& name : names) {
                 auto norm = engine::normalize_mailbox_name(name);
                 if (!norm)
                     continue;
                 STORE_TRY(have, engine::index_find_mailbox(db, *norm));
                 if (!have)
                     STORE_CHECK(engine::index_create_mailbox(db, *norm, 0));
                 STORE_TRY(row, engine::index_find_mailbox(db, *norm));
                 // Keep the identity of folders the old index still knew.
                 for (auto& [g, m] : old.mailboxes) {
                     if (m.name != *norm)
                         continue;
                     STORE_TRY(s, db.prepare("UPDATE mailboxes SET guid=?, uidvalidity=?, "
                                             "special_use=? WHERE id=?"));
                     STORE_CHECK(s->bind(1, g)
                                     .bind(2, m.uidvalidity)
                                     .bind(3, m.special_use)
                                     .bind(4, row->id)
                                     .run());
                     row->guid = g;
                     row->uidvalidity = m.uidvalidity;
                     old_uidnext[*norm] = m.uidnext;
                     row->highestmodseq = std::max<ModSeq>(row->highestmodseq, m.highestmodseq + 1);
                     row->special_use = m.special_use;
                 }
                 rows[*norm] = *row;
             }
             for (auto& name : old.subscriptions)
                 STORE_CHECK(engine::index_set_subscribed(db, name, true));
             std::set<std::string> renumbered_boxes;
             for (auto& p : plan) {
                 auto& mb = rows[p.mailbox_name];
                 auto raw = p.f->store->read(p.f->body.hash);
                 if (!raw) {
                     ++unreadable;
                     continue;
                 }
                 auto analysis = store.analyze(*raw);
                 engine::MessageRow r;
                 r.guid = p.f->ref.msg_guid;
                 r.store_id = p.f->store->id();
                 r.hash = p.f->body.hash;
                 r.size = raw->size();
                 r.internal_date = p.old ? p.old->internal_date : p.f->body.created;
                 r.save_date = p.f->ref.created;
                 r.header_size = analysis.header_size;
                 if (p.old) {
                     r.flags = p.old->flags;
                     STORE_TRY(mask, engine::index_keyword_mask(db, mb.id, p.old->keywords, true));
                     r.keywords = mask;
                     // Keep the old UID when it is still free and ordered; else renumber.
                     if (p.old->uid >= mb.uidnext)
                         mb.uidnext = p.old->uid;
                     else
                         renumbered_boxes.insert(p.mailbox_name);
                 } else {
                     ++flags_lost;
                 }
                 mb.highestmodseq += 1;
                 STORE_CHECK(engine::index_insert_message(db, mb, r, analysis));
                 ++recovered;
             }
             for (auto& [name, mb] : rows) {
                 // UIDs once handed out stay used, even for messages that did not come back.
                 mb.uidnext = std::max<Uid>(mb.uidnext, old_uidnext[name]);
                 if (renumbered_boxes.count(name)) {
                     STORE_TRY(uv, engine::index_next_uidvalidity(db));
                     mb.uidvalidity = uv;
                     STORE_TRY(s, db.prepare("UPDATE mailboxes SET uidvalidity=? WHERE id=?"));
                     STORE_CHECK(s->bind(1, uv).bind(2, mb.id).run());
                     ++renumbered;
                 }
                 STORE_CHECK(engine::index_recount(db, mb));
             }
             return {};
         },
         {}});
    if (!status)
        return store_fail(status.error());
    rep.mailboxes = static_cast<std::uint32_t>(names.size());
    rep.messages_recovered = recovered;
    rep.messages_unreadable = unreadable;
    rep.flags_lost = flags_lost;
    rep.uidvalidity_changed = renumbered;
    if (flags_lost)
        rep.notes.push_back(std::to_string(flags_lost) +
                            " messages restored without flags (old index unreadable for them)");
    if (unreadable)
        rep.notes.push_back(
            std::to_string(unreadable) +
            " messages have damaged bodies and were not restored; their references are kept");
    for (auto* ms : store.message_stores()) {
        STORE_TRY(lease, index->reader());
        STORE_TRY(boxes, engine::index_list_mailboxes(*lease));
        for (auto& m : boxes)
            (void)ms->set_hint(account, m.guid, m.name);
    }
    store.logger().info(
        "repair of {}: {} messages in {} mailboxes, {} without flags, {} unreadable", account,
        recovered, rep.mailboxes, flags_lost, unreadable);
    return rep;
}

}  // namespace postern::store::tools
