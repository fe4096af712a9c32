// The per-store catalog (catalog.db, schema v2): where each body lives, who references it
// (one row per message instance: account + message guid), free space, the journal regions
// that may hold records newer than the last checkpoint, and mailbox name hints that let repair
// rebuild folders. Functions take the connection; the caller serialises.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/api/store_error.h"
#include "store/engine/record.h"
#include "store/engine/space_allocator.h"
#include "store/engine/sqlite.h"

namespace postern::store::engine {

inline constexpr int kCatalogSchemaVersion = 2;

struct BodyRow {
    std::int64_t id = 0;
    ContentHash hash{};
    std::uint32_t container = 0;
    std::uint64_t offset = 0;
    std::uint64_t extent = 0;
    std::uint64_t raw_size = 0;
    std::uint64_t stored_size = 0;
    std::uint32_t flags = 0;
    std::int64_t refcount = 0;
    std::int64_t created = 0;
};

struct RefRow {
    std::string account;
    std::string msg_guid;
    std::string mailbox_guid;  // a hint: where the message was last known to be
    std::int64_t body_id = 0;
    std::int64_t created = 0;
};

// Creates the schema, or checks and upgrades an existing one (v1 -> v2 adds the journal).
StoreStatus catalog_init(Db& db, const std::string& store_id);
StoreResult<std::string> catalog_meta(Db& db, const std::string& key);
StoreStatus catalog_set_meta(Db& db, const std::string& key, const std::string& value);

// Journal regions: extents reserved (durably) for records written after the checkpoint whose
// sequence number is the meta key "durable_lsn". Recovery scans exactly these.
StoreResult<std::vector<Extent>> catalog_journal_regions(Db& db);
StoreStatus catalog_add_region(Db& db, const Extent& e);
StoreStatus catalog_remove_region(Db& db, const Extent& e);
// Recomputes a container's holes and logical end from its body rows (recovery: whatever no
// body occupies is free). Updates both the catalog and `space`.
StoreStatus catalog_rebuild_space(Db& db, SpaceAllocator& space, std::uint32_t container);
StoreStatus catalog_load_space(Db& db, SpaceAllocator& space);
StoreStatus catalog_save_space(Db& db, const std::vector<SpaceChange>& changes);

StoreResult<std::optional<BodyRow>> catalog_find_body(Db& db, const ContentHash& hash);
StoreResult<std::optional<BodyRow>> catalog_body_by_id(Db& db, std::int64_t id);
StoreResult<std::int64_t> catalog_insert_body(Db& db, const BodyRow& row);
StoreStatus catalog_update_location(Db& db, std::int64_t id, std::uint32_t container,
                                    std::uint64_t offset);
StoreStatus catalog_delete_body(Db& db, std::int64_t id);
StoreResult<std::vector<BodyRow>> catalog_bodies(Db& db);

// Adds a reference row (idempotent on account+guid) and bumps the body's refcount.
StoreResult<bool> catalog_add_ref(Db& db, std::int64_t body_id, const RefRow& ref);
// Removes one reference; returns the body id and its new refcount, or nullopt if absent.
struct Dropped {
    std::int64_t body_id;
    std::int64_t refcount;
};
StoreResult<std::optional<Dropped>> catalog_drop_ref(Db& db, const std::string& account,
                                                     const std::string& msg_guid);
StoreStatus catalog_move_ref(Db& db, const std::string& account, const std::string& msg_guid,
                             const std::string& mailbox_guid);
StoreResult<std::vector<RefRow>> catalog_refs_of_account(Db& db, const std::string& account);
StoreResult<std::vector<RefRow>> catalog_all_refs(Db& db);
StoreResult<std::int64_t> catalog_count_refs(Db& db, std::int64_t body_id);
StoreStatus catalog_set_refcount(Db& db, std::int64_t body_id, std::int64_t refcount);

StoreStatus catalog_set_hint(Db& db, const std::string& account, const std::string& mailbox_guid,
                             const std::string& name);
// mailbox guid -> last known name, for repair.
StoreResult<std::vector<std::pair<std::string, std::string>>> catalog_hints(
    Db& db, const std::string& account);

}  // namespace postern::store::engine
