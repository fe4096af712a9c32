// Storage tools as library functions with result structs: check (checksums, references,
// index consistency, orphans), repair of one account's index from the message stores,
// online compaction with a bounded I/O rate, and the storage report. posternctl and the
// admin layer print these; nothing here formats for humans.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/api/store.h"

namespace postern::store::tools {

struct CheckOptions {
    bool fix = false;   // reclaim orphans, fix refcounts and counters, re-add lost refs
    bool deep = false;  // also scan every container byte range for stray records
    std::vector<std::string> accounts;  // empty: all accounts
};

struct CheckIssue {
    enum class Kind {
        corrupt_body,       // record unreadable or checksum/hash mismatch (error)
        missing_body,       // an index row points at a body no store has (error)
        index_unreadable,   // an account index fails to open or its integrity check (error)
        missing_ref,        // an index row whose body lacks its reference (error; fixable)
        refcount_mismatch,  // catalog refcount differs from its reference rows (fixable)
        counter_mismatch,   // mailbox counters differ from its rows (fixable)
        duplicate_uid,      // two rows of one mailbox share a UID (error)
        orphan_ref,         // a reference no index row uses (reclaimable)
        orphan_body,        // a body nobody references (reclaimable)
    };
    Kind kind;
    bool error = false;  // false: reclaimable/cosmetic; true: data at risk
    bool fixed = false;
    std::string store_id;
    std::string account;
    std::string mailbox;
    Uid uid = 0;
    std::string message;
};
std::string_view issue_kind_name(CheckIssue::Kind kind);

struct CheckReport {
    std::uint64_t stores = 0;
    std::uint64_t bodies = 0;
    std::uint64_t references = 0;
    std::uint64_t accounts = 0;
    std::uint64_t messages = 0;
    std::uint64_t stray_records = 0;  // deep scan: valid records in free space (harmless)
    std::uint64_t reclaimable_bytes = 0;
    std::vector<CheckIssue> issues;
    std::size_t errors() const;
    bool clean() const { return errors() == 0; }
};

// Safe while the server runs: reads through WAL snapshots; fixes go through the writers.
// Orphans younger than StoreOptions::orphan_grace are left alone (an append in flight).
StoreResult<CheckReport> check(Store& store, const CheckOptions& options = {});

struct RepairReport {
    std::string account;
    std::string old_index;  // where the damaged index was moved ("" if there was none)
    std::uint32_t mailboxes = 0;
    std::uint64_t messages_recovered = 0;
    std::uint64_t messages_unreadable = 0;  // bodies that failed their checksum: not restored
    std::uint64_t flags_lost = 0;           // messages restored without their flags
    std::uint32_t uidvalidity_changed = 0;  // mailboxes whose UIDs had to be renumbered
    std::vector<std::string> notes;
};

// Rebuilds the account's index from the message stores' references and bodies, keeping
// what can still be read from the old index (folders, UIDs, flags). busy if the account is
// open. Messages are never dropped: ones with no known folder go to "Recovered".
StoreResult<RepairReport> repair(Store& store, const std::string& account);

struct CompactOptions {
    std::optional<std::uint64_t> io_rate;  // bytes/s; default StoreOptions::compact_io_rate
    std::uint64_t max_bytes = 0;           // stop after moving this much (0: no limit)
};
struct CompactReport {
    std::uint64_t records_moved = 0;
    std::uint64_t bytes_moved = 0;
    std::uint64_t bytes_released = 0;  // file bytes given back by truncation
    double seconds = 0;
};
// Online: moves records from the end of each container into holes nearer its start and
// truncates the freed tail, one short writer turn at a time, paced to the I/O rate.
StoreResult<CompactReport> compact(Store& store, const CompactOptions& options = {});

struct StoreUsage {
    std::string id;
    std::string path;
    std::uint32_t containers = 0;
    std::uint64_t file_bytes = 0;  // container files on disk
    std::uint64_t free_bytes = 0;  // holes inside containers
    std::uint64_t bodies = 0;
    std::uint64_t references = 0;
    std::uint64_t raw_bytes = 0;      // bodies as received, once each
    std::uint64_t stored_bytes = 0;   // bodies as stored (after compression)
    std::uint64_t logical_bytes = 0;  // bodies times references: what users "have"
    std::uint64_t catalog_bytes = 0;
};
struct AccountUsage {
    std::string account;
    std::string domain;
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;  // logical (raw sizes)
    std::uint64_t index_bytes = 0;
};
struct DomainUsage {
    std::string domain;
    std::uint32_t accounts = 0;
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
    std::uint64_t index_bytes = 0;
};
struct StorageReport {
    std::vector<StoreUsage> stores;
    std::vector<AccountUsage> accounts;
    std::vector<DomainUsage> domains;
    std::uint64_t dedup_savings = 0;        // bytes not stored thanks to single instance
    std::uint64_t compression_savings = 0;  // raw - stored over distinct bodies
};
StoreResult<StorageReport> report(Store& store);

}  // namespace postern::store::tools
