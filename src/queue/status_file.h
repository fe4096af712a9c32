// Status file format v1 (docs/queue.md "Status file"): the initial group written once when the
// message is committed (envelope record 'E', one 'R' per recipient, commit marker 'C'), then
// update records 'U' appended on each state change. Replaying the file gives the message's
// record; compaction rewrites it as a fresh initial group. Pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "queue/types.h"

namespace postern::queue {

inline constexpr std::uint16_t kStatusVersion = 1;
inline constexpr std::uint32_t kMaxRecipients = 100000;  // per message; more is corruption

// The whole file for `record` (header + initial group). A recipient in the memory-only
// `sending` state is written as what it returns to (queued, or deferred once attempted).
std::string encode_status(const MessageRecord& record);

// One update record: the message's mutable fields (when `message` is set) and the full
// records of the recipients listed (an index equal to the previous count adds a recipient).
std::string encode_update(const MessageRecord& record, bool message,
                          std::span<const std::uint32_t> recipients);

enum class StatusOutcome : std::uint8_t {
    ok,          // a complete message (maybe with a torn tail of updates, dropped)
    incomplete,  // the initial group is cut short (the bytes end before its commit record)
    corrupt,     // damaged, an unknown version, or inconsistent
};

struct StatusLoad {
    StatusOutcome outcome = StatusOutcome::ok;
    MessageRecord record;
    std::uint32_t updates = 0;  // update records replayed
    bool torn_tail = false;     // bytes after `good_length` must be cut before appending
    std::uint64_t good_length = 0;
    std::string error;  // why, when not ok (or what was torn)
};

StatusLoad decode_status(std::string_view bytes);

}  // namespace postern::queue
