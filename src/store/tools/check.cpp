// check: verifies every body record (header CRC, payload CRC, content hash), catalog
// refcounts against reference rows, account indexes (SQLite integrity, counters) against the
// catalogs, and finds orphans; with fix=true it repairs what is safe to repair.
#include <chrono>
#include <map>
#include <set>

#include "store/engine/account_index.h"
#include "store/engine/catalog.h"
#include "store/engine/message_store.h"
#include "store/tools/tools.h"

namespace postern::store::tools {
namespace {

struct IndexRow {
    std::string store_id;
    std::string hash;
    std::string mailbox;
    Uid uid = 0;
};
using AccountRows = std::map<std::string, IndexRow>;  // guid -> row

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Reads an account's index read-only. nullopt + message when it cannot be trusted.
std::optional<AccountRows> read_index(Store& store, const std::string& account, std::string& why,
                                      std::vector<CheckIssue>& issues, bool fix) {
    auto db = engine::Db::open(store.index_path(account), false, false, true);
    if (!db) {
        why = db.error().message;
        return std::nullopt;
    }
    auto qc = (*db)->prepare("PRAGMA quick_check");
    if (!qc) {
        why = qc.error().message;
        return std::nullopt;
    }
    auto first = (*qc)->step();
    if (!first || !*first || (*qc)->text(0) != "ok") {
        why = first && *first ? "integrity check: " + (*qc)->text(0) : "integrity check failed";
        (*qc)->reset();
        return std::nullopt;
    }
    (*qc)->reset();
    AccountRows rows;
    (void)(*db)->run("BEGIN");
    auto s = (*db)->prepare(
        "SELECT m.guid, m.store_id, m.body_hash, b.name, m.uid FROM messages m JOIN mailboxes b "
        "ON b.id = m.mailbox_id");
    if (!s) {
        why = s.error().message;
        return std::nullopt;
    }
    for (;;) {
        auto r = (*s)->step();
        if (!r) {
            why = r.error().message;
            return std::nullopt;
        }
        if (!*r)
            break;
        rows[(*s)->text(0)] =
            IndexRow{(*s)->text(1), (*s)->blob(2), (*s)->text(3), static_cast<Uid>((*s)->i64(4))};
    }
    // Counters kept in the mailbox rows must match the rows themselves.
    auto c = (*db)->prepare(
        "SELECT b.name, b.messages, b.size, b.unseen, (SELECT count(*) FROM messages m WHERE "
        "m.mailbox_id=b.id), (SELECT coalesce(sum(size),0) FROM messages m WHERE "
        "m.mailbox_id=b.id), "
        "(SELECT count(*) FROM messages m WHERE m.mailbox_id=b.id AND (m.flags & 1)=0) FROM "
        "mailboxes b");
    bool mismatch = false;
    if (c) {
        for (;;) {
            auto r = (*c)->step();
            if (!r || !*r)
                break;
            if ((*c)->i64(1) != (*c)->i64(4) || (*c)->i64(2) != (*c)->i64(5) ||
                (*c)->i64(3) != (*c)->i64(6)) {
                issues.push_back({CheckIssue::Kind::counter_mismatch, false, false, "", account,
                                  (*c)->text(0), 0, "mailbox counters differ from its messages"});
                mismatch = true;
            }
        }
    }
    // UIDs are unique by construction (no UNIQUE index since schema v3): say so if not.
    auto d = (*db)->prepare(
        "SELECT b.name, m.uid FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id "
        "GROUP BY m.mailbox_id, m.uid HAVING count(*) > 1");
    if (d) {
        for (;;) {
            auto r = (*d)->step();
            if (!r || !*r)
                break;
            issues.push_back({CheckIssue::Kind::duplicate_uid, true, false, "", account,
                              (*d)->text(0), static_cast<Uid>((*d)->i64(1)),
                              "several messages share this UID"});
        }
    }
    (void)(*db)->run("COMMIT");
    if (mismatch && fix) {
        auto acc = store.account(account);
        if (acc && (*acc)->recount_mailboxes()) {
            for (auto& i : issues)
                if (i.kind == CheckIssue::Kind::counter_mismatch && i.account == account)
                    i.fixed = true;
        }
    }
    return rows;
}

// Recomputes one body's refcount under the writer; frees it when nothing references it.
StoreStatus reconcile_body(engine::MessageStore::WriterAccess& w, std::int64_t body_id) {
    engine::Transaction txn(w.db);
    STORE_CHECK(txn.begin());
    STORE_TRY(row, engine::catalog_body_by_id(w.db, body_id));
    if (!row)
        return txn.commit();
    STORE_TRY(count, engine::catalog_count_refs(w.db, body_id));
    if (count == 0) {
        STORE_CHECK(engine::catalog_delete_body(w.db, body_id));
        w.space.release({row->container, row->offset, row->extent});
    } else {
        STORE_CHECK(engine::catalog_set_refcount(w.db, body_id, count));
    }
    STORE_CHECK(engine::catalog_save_space(w.db, w.space.take_changes()));
    return txn.commit();
}

}  // namespace

std::string_view issue_kind_name(CheckIssue::Kind kind) {
    switch (kind) {
        case CheckIssue::Kind::corrupt_body:
            return "corrupt_body";
        case CheckIssue::Kind::missing_body:
            return "missing_body";
        case CheckIssue::Kind::index_unreadable:
            return "index_unreadable";
        case CheckIssue::Kind::missing_ref:
            return "missing_ref";
        case CheckIssue::Kind::refcount_mismatch:
            return "refcount_mismatch";
        case CheckIssue::Kind::counter_mismatch:
            return "counter_mismatch";
        case CheckIssue::Kind::duplicate_uid:
            return "duplicate_uid";
        case CheckIssue::Kind::orphan_ref:
            return "orphan_ref";
        case CheckIssue::Kind::orphan_body:
            return "orphan_body";
    }
    return "unknown";
}

std::size_t CheckReport::errors() const {
    std::size_t n = 0;
    for (auto& i : issues)
        n += (i.error && !i.fixed) ? 1 : 0;
    return n;
}

StoreResult<CheckReport> check(Store& store, const CheckOptions& options) {
    CheckReport rep;
    const auto now = now_seconds();
    const auto grace = store.options().orphan_grace.count();
    auto accounts = options.accounts.empty() ? store.account_ids() : options.accounts;
    std::set<std::string> checked(accounts.begin(), accounts.end());

    // 1. Indexes first: a reference always commits before its index row, so every row seen
    //    here has its reference visible in the catalog snapshot taken afterwards.
    std::map<std::string, AccountRows> indexes;
    std::set<std::string> untrusted;
    for (auto& acc : accounts) {
        std::string why;
        auto rows = read_index(store, acc, why, rep.issues, options.fix);
        ++rep.accounts;
        if (!rows) {
            rep.issues.push_back({CheckIssue::Kind::index_unreadable, true, false, "", acc, "", 0,
                                  "index cannot be trusted (" + why + "); run repair"});
            untrusted.insert(acc);
            continue;
        }
        rep.messages += rows->size();
        indexes[acc] = std::move(*rows);
    }
    auto locate = [&](const std::string& acc, const std::string& guid) -> std::
                                                                           pair<std::string, Uid> {
                                                                               auto a =
                                                                                   indexes.find(
                                                                                       acc);
                                                                               if (a ==
                                                                                   indexes.end())
                                                                                   return {"", 0};
                                                                               auto r =
                                                                                   a->second.find(
                                                                                       guid);
                                                                               return r == a->second.end() ? std::pair<std::string, Uid>{"", 0} : std::pair{r->second.mailbox, r->second.uid};
                                                                           };

    // 2. Each message store: records, refcounts, orphans.
    // (account, guid) -> hash of the body the reference is on
    std::map<std::string, std::map<std::pair<std::string, std::string>, std::string>> refs_by_store;
    std::map<std::string, std::set<std::string>> hashes_by_store;
    for (auto* ms : store.message_stores()) {
        ++rep.stores;
        std::vector<engine::BodyRow> bodies;
        std::vector<engine::RefRow> refs;
        {
            STORE_TRY(lease, ms->reader());
            STORE_CHECK(lease->run("BEGIN"));
            auto b = engine::catalog_bodies(*lease);
            auto r = engine::catalog_all_refs(*lease);
            (void)lease->run("COMMIT");
            if (!b)
                return store_fail(b.error());
            if (!r)
                return store_fail(r.error());
            bodies = std::move(*b);
            refs = std::move(*r);
        }
        rep.bodies += bodies.size();
        rep.references += refs.size();
        std::map<std::int64_t, std::vector<const engine::RefRow*>> refs_of;
        std::map<std::int64_t, std::string> hash_of;
        for (auto& b : bodies)
            hash_of[b.id] =
                std::string(reinterpret_cast<const char*>(b.hash.data()), b.hash.size());
        for (auto& r : refs) {
            refs_of[r.body_id].push_back(&r);
            refs_by_store[ms->id()][{r.account, r.msg_guid}] = hash_of[r.body_id];
        }
        std::vector<std::int64_t> to_reconcile;
        for (auto& b : bodies) {
            hashes_by_store[ms->id()].insert(
                std::string(reinterpret_cast<const char*>(b.hash.data()), b.hash.size()));
            const engine::Container* c = ms->container(b.container);
            StoreStatus ok =
                c ? StoreStatus{} : store_fail(StoreErrc::corrupt, "container missing");
            if (ok) {
                auto rec = c->read_record(b.offset, &b.hash);
                if (!rec)
                    ok = store_fail(rec.error());
                else if (auto raw = engine::decode_payload(rec->header, rec->payload); !raw)
                    ok = store_fail(raw.error());
            }
            auto& owners = refs_of[b.id];
            if (!ok) {
                // Say exactly whose mail is hit, so the admin can tell the users.
                if (owners.empty())
                    rep.issues.push_back(
                        {CheckIssue::Kind::corrupt_body, true, false, ms->id(), "", "", 0,
                         "body " + engine::hash_hex(b.hash) + ": " + ok.error().message});
                for (auto* o : owners) {
                    auto [mb, uid] = locate(o->account, o->msg_guid);
                    rep.issues.push_back(
                        {CheckIssue::Kind::corrupt_body, true, false, ms->id(), o->account, mb, uid,
                         "message " + o->msg_guid + " body " + engine::hash_hex(b.hash) + ": " +
                             ok.error().message});
                }
            }
            if (static_cast<std::int64_t>(owners.size()) != b.refcount) {
                if (owners.empty()) {
                    if (b.created + grace <= now) {
                        rep.issues.push_back(
                            {CheckIssue::Kind::orphan_body, false, false, ms->id(), "", "", 0,
                             "body " + engine::hash_hex(b.hash) + " has no references"});
                        rep.reclaimable_bytes += b.extent;
                        to_reconcile.push_back(b.id);
                    }
                } else {
                    rep.issues.push_back({CheckIssue::Kind::refcount_mismatch, false, false,
                                          ms->id(), "", "", 0,
                                          "body " + engine::hash_hex(b.hash) + " refcount " +
                                              std::to_string(b.refcount) + " but " +
                                              std::to_string(owners.size()) + " references"});
                    to_reconcile.push_back(b.id);
                }
            }
        }
        // References that no index row uses: an append that crashed after its reference
        // committed, or an expunge that crashed before releasing it.
        std::map<std::string, std::vector<std::string>> orphan_refs;
        for (auto& r : refs) {
            if (!checked.count(r.account) || untrusted.count(r.account))
                continue;
            if (indexes[r.account].count(r.msg_guid))
                continue;
            if (r.created + grace > now)
                continue;
            rep.issues.push_back({CheckIssue::Kind::orphan_ref, false, false, ms->id(), r.account,
                                  "", 0, "reference " + r.msg_guid + " is used by no message"});
            orphan_refs[r.account].push_back(r.msg_guid);
        }
        if (options.deep) {
            std::set<std::pair<std::uint32_t, std::uint64_t>> live;
            for (auto& b : bodies)
                live.insert({b.container, b.offset});
            for (auto no : ms->container_numbers()) {
                const auto* c = ms->container(no);
                auto size = c->file_size();
                if (!size)
                    continue;
                (void)c->scan(0, *size, [&](const engine::Container::ScanItem& it) {
                    if (!live.count({no, it.offset}))
                        ++rep.stray_records;
                    return true;
                });
            }
        }
        if (options.fix) {
            for (auto& [acc, guids] : orphan_refs) {
                if (ms->drop_refs(acc, guids)) {
                    for (auto& i : rep.issues)
                        if (i.kind == CheckIssue::Kind::orphan_ref && i.store_id == ms->id() &&
                            i.account == acc)
                            i.fixed = true;
                }
            }
            for (auto id : to_reconcile) {
                auto s = ms->exclusive(
                    [id](engine::MessageStore::WriterAccess& w) { return reconcile_body(w, id); });
                if (!s)
                    return store_fail(s.error());
            }
            for (auto& i : rep.issues)
                if ((i.kind == CheckIssue::Kind::orphan_body ||
                     i.kind == CheckIssue::Kind::refcount_mismatch) &&
                    i.store_id == ms->id())
                    i.fixed = true;
        }
    }

    // 3. Index rows must have their body and their reference.
    for (auto& [acc, rows] : indexes) {
        for (auto& [guid, row] : rows) {
            auto* ms = store.message_store(row.store_id);
            auto& store_refs = refs_by_store[row.store_id];
            auto ref = ms ? store_refs.find({acc, guid}) : store_refs.end();
            if (ref != store_refs.end() && ref->second == row.hash)
                continue;
            bool has_body = ms && hashes_by_store[row.store_id].count(row.hash);
            // A reference on another body than the row names: the row is damaged.
            if (ref != store_refs.end())
                has_body = false;
            // Re-read: an expunge may have removed the row after our index snapshot.
            auto still = engine::Db::open(store.index_path(acc), false, false, true);
            if (still) {
                auto s = (*still)->prepare("SELECT 1 FROM messages WHERE guid=?");
                if (s) {
                    (*s)->bind(1, guid);
                    auto r = (*s)->step();
                    bool present = r && *r;
                    (*s)->reset();
                    if (!present)
                        continue;
                }
            }
            if (!has_body) {
                rep.issues.push_back(
                    {CheckIssue::Kind::missing_body, true, false, row.store_id, acc, row.mailbox,
                     row.uid, "message " + guid + " points at a body no message store holds"});
                continue;
            }
            CheckIssue issue{CheckIssue::Kind::missing_ref,
                             true,
                             false,
                             row.store_id,
                             acc,
                             row.mailbox,
                             row.uid,
                             "message " + guid + " is not counted as a reference of its body"};
            if (options.fix) {
                engine::ContentHash h{};
                std::memcpy(h.data(), row.hash.data(), std::min(h.size(), row.hash.size()));
                std::vector<char> found;
                if (ms->add_refs({{h, {acc, guid, ""}}}, &found) && !found.empty() && found[0])
                    issue.fixed = true;
            }
            rep.issues.push_back(std::move(issue));
        }
    }
    return rep;
}

}  // namespace postern::store::tools
