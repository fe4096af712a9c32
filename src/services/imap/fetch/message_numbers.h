// Message sequence number checks for FETCH and STORE (RFC 9051 §9 seq-number: a number is
// between 1 and EXISTS; anything else is a client error, answered with BAD for the whole
// command). Header-only; pure.
#pragma once

#include <cstdint>

#include "proto/imap/command.h"

namespace postern::services::imap::fetch {

// True when every number the set names is a message of a mailbox with `exists` messages. "*"
// always is; a range ending in "*" on an empty mailbox names nothing rather than something
// invalid, so "1:*" there is an empty answer. "$" (RFC 5182) is checked by the caller.
inline bool message_numbers_valid(const proto::imap::SequenceSet& set, std::uint32_t exists) {
    using proto::imap::kStar;
    for (const auto& r : set.ranges) {
        const bool star = r.first == kStar || r.last == kStar;
        if (star && exists == 0)
            continue;
        if ((r.first != kStar && r.first > exists) || (r.last != kStar && r.last > exists))
            return false;
    }
    return true;
}

}  // namespace postern::services::imap::fetch
