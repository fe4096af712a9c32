// The journal seam between account indexes and message stores: a transaction that adds
// message instances asks for container records describing them, and may commit only once
// those records are durable (docs/storage.md "Commit path"). The records are the journal that
// recovery replays after an unclean stop.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/api/store_error.h"
#include "store/engine/record.h"
#include "store/engine/record_meta.h"

namespace postern::store::engine {

class MessageStore;

// Holds a record's sequence number "unapplied": the store's checkpoint never passes it while
// the pin lives, so the record stays in the replayed part of the journal until the index
// transaction that depends on it has committed (or given up). Move-only.
class LsnPin {
  public:
    LsnPin() = default;
    LsnPin(MessageStore* store, std::uint64_t lsn) : store_(store), lsn_(lsn) {}
    LsnPin(LsnPin&& o) noexcept : store_(o.store_), lsn_(o.lsn_) { o.store_ = nullptr; }
    LsnPin& operator=(LsnPin&& o) noexcept;
    LsnPin(const LsnPin&) = delete;
    LsnPin& operator=(const LsnPin&) = delete;
    ~LsnPin() { reset(); }
    void reset();
    std::uint64_t lsn() const { return store_ ? lsn_ : 0; }

  private:
    MessageStore* store_ = nullptr;
    std::uint64_t lsn_ = 0;
};

// One record to write: a body (unless an identical one is stored already: then only the
// entries are written, as a reference record) and the message instances it creates.
struct JournalRequest {
    MessageStore* store = nullptr;       // where to write; for body == nullptr, where the body is
    std::string domain;                  // when not empty, a full store passes a new body on to
                                         // another store serving this domain
    const PreparedBody* body = nullptr;  // the bytes; nullptr: reference an existing body
    ContentHash hash{};
    std::vector<RefEntry> entries;

    // Filled in by the journal.
    StoreStatus status = store_fail(StoreErrc::internal, "record not written");
    MessageStore* written_to = nullptr;
    bool attempted = false;  // bytes may have reached the container (even if status failed)
    LsnPin pin;
};

// Implemented by the Store. Thread-safe.
class Journal {
  public:
    virtual ~Journal() = default;
    // Writes every request durably, blocking until all are done (or failed): status,
    // written_to, attempted and pin are set. Requests to different stores proceed in parallel
    // and share their stores' group commits.
    virtual void write(const std::vector<JournalRequest*>& requests) = 0;
    // The index of `account` will not hold the request's entries for that account after all:
    // drops their references again (best effort: check reclaims what this cannot).
    virtual void abandon(const JournalRequest& request, const std::string& account) = 0;
};

}  // namespace postern::store::engine
