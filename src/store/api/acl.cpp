// Mailbox access control lists (RFC 4314 §2): an (mailbox id, identifier) -> rights table in the
// owner's account index, and the store-wide share index that answers "who shares with me".
#include <algorithm>

#include "store/api/store.h"
#include "store/engine/account_index.h"
#include "store/engine/share_index.h"

namespace postern::store {

namespace {

StoreStatus check_entry(std::string_view identifier, std::string_view rights) {
    if (identifier.empty() || identifier.size() > Account::kMaxAclIdentifier)
        return store_fail(StoreErrc::invalid_argument, "ACL identifier is empty or too long");
    for (unsigned char c : identifier)
        if (c < 0x20 || c == 0x7f)
            return store_fail(StoreErrc::invalid_argument, "ACL identifier has control bytes");
    if (rights.size() > 26 ||
        !std::all_of(rights.begin(), rights.end(), [](char c) { return c >= 'a' && c <= 'z'; }))
        return store_fail(StoreErrc::invalid_argument, "ACL rights must be letters a-z");
    return {};
}

}  // namespace

StoreResult<std::vector<AclEntry>> Account::acl(std::string_view mailbox) {
    STORE_TRY(row, find_row(mailbox));
    STORE_TRY(lease, index_->reader());
    STORE_TRY(s, lease->prepare(
                     "SELECT identifier, rights FROM acl WHERE mailbox_id=? ORDER BY identifier"));
    s->bind(1, row.id);
    std::vector<AclEntry> out;
    for (;;) {
        STORE_TRY(more, s->step());
        if (!more)
            break;
        out.push_back({s->text(0), s->text(1)});
    }
    s->reset();
    return out;
}

StoreStatus Account::set_acl(std::string_view mailbox, std::string_view identifier,
                             std::string_view rights) {
    STORE_CHECK(check_entry(identifier, rights));
    const std::string who(identifier);
    // A grant reaches the share index before the owner's table, a removal after it: a crash
    // in between leaves the index a superset, which readers tolerate.
    if (!rights.empty())
        STORE_CHECK(store_.shares_->add(who, id_));
    bool still_granted = !rights.empty();
    STORE_CHECK(index_->write(
        {[&](engine::Db& db) -> StoreStatus {
             STORE_TRY(norm, engine::normalize_mailbox_name(mailbox));
             STORE_TRY(row, engine::index_find_mailbox(db, norm));
             if (!row)
                 return store_fail(StoreErrc::not_found, "mailbox " + norm + " does not exist");
             STORE_TRY(s, db.prepare(rights.empty() ? "DELETE FROM acl WHERE mailbox_id=? AND "
                                                      "identifier=?"
                                                    : "INSERT OR REPLACE INTO acl(mailbox_id, "
                                                      "identifier, rights) VALUES(?, ?, ?)"));
             s->bind(1, row->id).bind(2, who);
             if (!rights.empty())
                 s->bind(3, rights);
             STORE_CHECK(s->run());
             STORE_TRY(c, db.prepare("SELECT count(*) FROM acl WHERE mailbox_id=?"));
             c->bind(1, row->id);
             STORE_TRY(counted, c->step());
             const auto entries = counted ? c->i64(0) : 0;
             c->reset();
             if (static_cast<std::size_t>(entries) > kMaxAclEntries)
                 return store_fail(StoreErrc::limit, "more than " + std::to_string(kMaxAclEntries) +
                                                         " ACL entries on one mailbox");
             STORE_TRY(g, db.prepare("SELECT 1 FROM acl WHERE identifier=? LIMIT 1"));
             g->bind(1, who);
             STORE_TRY(any, g->step());
             still_granted = any;
             g->reset();
             return {};
         },
         {},
         engine::Durability::synced,
         nullptr}));
    // After the commit: a session that sees the new generation reads the new entries.
    acl_generation_.fetch_add(1, std::memory_order_acq_rel);
    if (!still_granted)
        STORE_CHECK(store_.shares_->remove(who, id_));
    return {};
}

StoreResult<std::vector<MailboxGrant>> Account::grants_to(
    const std::vector<std::string>& identifiers) {
    STORE_TRY(lease, index_->reader());
    STORE_TRY(s, lease->prepare("SELECT mailbox_id, rights FROM acl WHERE identifier=?"));
    std::vector<MailboxGrant> out;
    for (const auto& who : identifiers) {
        s->bind(1, who);
        for (;;) {
            STORE_TRY(more, s->step());
            if (!more)
                break;
            out.push_back({s->i64(0), {who, s->text(1)}});
        }
        s->reset();
    }
    return out;
}

StoreResult<std::vector<std::string>> Store::accounts_sharing_with(
    const std::vector<std::string>& grantees) {
    return shares_->owners_for(grantees);
}

}  // namespace postern::store
