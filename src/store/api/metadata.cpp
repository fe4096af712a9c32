// Account and mailbox annotations (RFC 5464 METADATA): a (mailbox id, entry name) → value table
// in the account index; mailbox id 0 holds the account-wide ("server") entries.
#include "base/strings.h"
#include "store/api/store.h"
#include "store/engine/account_index.h"

namespace postern::store {

namespace {

// Mailbox id for `mailbox` ("" = the account's own entries, id 0).
StoreResult<std::int64_t> metadata_owner(engine::Db& db, std::string_view mailbox) {
    if (mailbox.empty())
        return std::int64_t{0};
    STORE_TRY(norm, engine::normalize_mailbox_name(mailbox));
    STORE_TRY(row, engine::index_find_mailbox(db, norm));
    if (!row)
        return store_fail(StoreErrc::not_found, "mailbox " + norm + " does not exist");
    return row->id;
}

// Whether `name` is `entry` itself or below it within `depth`.
bool within(const std::string& name, const std::string& entry, MetadataDepth depth) {
    if (name == entry)
        return true;
    if (depth == MetadataDepth::zero || !name.starts_with(entry + "/"))
        return false;
    return depth == MetadataDepth::infinity ||
           name.find('/', entry.size() + 1) == std::string::npos;
}

}  // namespace

StoreResult<std::vector<MetadataEntry>> Account::get_metadata(std::string_view mailbox,
                                                              const std::vector<std::string>& names,
                                                              MetadataDepth depth) {
    STORE_TRY(lease, index_->reader());
    STORE_TRY(owner, metadata_owner(*lease, mailbox));
    STORE_TRY(s,
              lease->prepare("SELECT name, value FROM metadata WHERE mailbox_id=? ORDER BY name"));
    s->bind(1, owner);
    std::vector<MetadataEntry> out;
    for (;;) {
        STORE_TRY(row, s->step());
        if (!row)
            break;
        std::string name = s->text(0);
        for (const auto& wanted : names) {
            if (within(name, to_lower(wanted), depth)) {
                out.push_back({name, s->blob(1)});
                break;
            }
        }
    }
    s->reset();
    return out;
}

StoreStatus Account::set_metadata(
    std::string_view mailbox,
    const std::vector<std::pair<std::string, std::optional<std::string>>>& entries) {
    for (const auto& [name, value] : entries)
        if (value && value->size() > kMaxMetadataValue)
            return store_fail(StoreErrc::too_large, "annotation " + name + " is larger than " +
                                                        std::to_string(kMaxMetadataValue));
    return index_->write(
        {[&](engine::Db& db) -> StoreStatus {
             STORE_TRY(owner, metadata_owner(db, mailbox));
             for (const auto& [name, value] : entries) {
                 STORE_TRY(s, db.prepare(value ? "INSERT OR REPLACE INTO metadata(mailbox_id, "
                                                 "name, value) VALUES(?, ?, ?)"
                                               : "DELETE FROM metadata WHERE mailbox_id=? AND "
                                                 "name=?"));
                 s->bind(1, owner).bind(2, to_lower(name));
                 if (value)
                     s->bind_blob(3, *value);
                 STORE_CHECK(s->run());
             }
             STORE_TRY(c, db.prepare("SELECT count(*) FROM metadata WHERE mailbox_id=?"));
             c->bind(1, owner);
             STORE_TRY(row, c->step());
             const auto count = row ? c->i64(0) : 0;
             c->reset();
             // The job's savepoint is rolled back on failure: all entries or none.
             if (static_cast<std::size_t>(count) > kMaxMetadataEntries)
                 return store_fail(
                     StoreErrc::limit,
                     "more than " + std::to_string(kMaxMetadataEntries) + " annotations");
             return {};
         },
         {},
         engine::Durability::synced,
         nullptr});
}

}  // namespace postern::store
