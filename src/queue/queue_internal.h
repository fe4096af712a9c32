// Internal to src/queue: the in-memory form of a queued message and of a virtual queue
// (destination). Guarded by Queue::mutex_.
#pragma once

#include <array>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "queue/state_machine.h"
#include "queue/types.h"

namespace postern::queue {

struct QueuedMessage {
    MessageRecord rec;
    std::uint16_t bucket = 0;
    std::uint32_t updates = 0;   // update records appended since the file was written whole
    bool needs_rewrite = false;  // an append failed: the next change rewrites the whole file
    bool io_error = false;
    bool notice_failed = false;
    bool leased = false;  // PROCESSING has it
    UnixMs lease_until = 0;
    std::vector<UnixMs> rcpt_lease;  // per recipient: end of its delivery lease while sending
    std::array<UnixMs, kLaneCount> scheduled{-1, -1, -1};  // due time of the live heap entry
    MessageState last_state = MessageState::received;

    void fit_leases() {
        if (rcpt_lease.size() < rec.recipients.size())
            rcpt_lease.resize(rec.recipients.size(), 0);
    }
};

struct Destination {
    Lane lane = Lane::remote;
    std::string name;
    bool down = false;
    std::uint32_t failures = 0;
    UnixMs retry_at = 0;
    std::chrono::milliseconds backoff{0};
    bool probing = false;
    UnixMs probe_until = 0;  // a probe not reported by then no longer blocks the next one
    std::string last_error;
    std::set<QueueId> waiting;  // messages with recipients deferred for this destination
};

}  // namespace postern::queue
