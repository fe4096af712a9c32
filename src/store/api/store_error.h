// StoreError: the store's own typed errors. Protocol layers map them to replies in one place
// each (IMAP `NO [OVERQUOTA]`, SMTP `452 4.2.2`); the store itself knows nothing of protocols.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace postern::store {

enum class StoreErrc {
    not_found,         // no such account, mailbox or message
    expunged,          // the message was expunged by another session (IMAP: NO [EXPUNGEISSUED])
    exists,            // mailbox name already taken
    invalid_name,      // mailbox name fails validation (empty component, control char, too long)
    invalid_argument,  // bad call: empty UID set, unknown section, out-of-range offsets
    not_empty,         // delete of a mailbox that still has child mailboxes
    over_quota,        // append/copy would exceed the account's quota
    store_full,        // every container of every eligible message store is full: tempfail
    too_large,         // message larger than the store accepts
    corrupt,           // a checksum or consistency check failed; message says where
    modseq_conflict,   // UNCHANGEDSINCE failed; `uids` lists the failed UIDs
    limit,             // a per-mailbox limit (e.g. 64 keywords) was hit
    busy,              // the object is in use (repair of an open account)
    denied,            // the caller lacks an access right (ACL, RFC 4314) on the mailbox
    io,                // the operating system failed a read/write/fsync
    internal,          // a bug or impossible state
};

std::string_view store_errc_name(StoreErrc code);

struct StoreError {
    StoreErrc code = StoreErrc::internal;
    std::string message;
    std::vector<std::uint32_t> uids;  // only for modseq_conflict

    std::string to_string() const;
};

template <class T>
using StoreResult = std::expected<T, StoreError>;
using StoreStatus = std::expected<void, StoreError>;

inline std::unexpected<StoreError> store_fail(StoreErrc code, std::string message) {
    return std::unexpected<StoreError>(StoreError{code, std::move(message), {}});
}
inline std::unexpected<StoreError> store_fail(StoreError e) {
    return std::unexpected<StoreError>(std::move(e));
}

// Maps to the project-wide error classes, for callers that only need the broad class.
Error to_error(const StoreError& e);

}  // namespace postern::store
