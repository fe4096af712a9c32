// Recipient routing for PROCESSING: each queued recipient becomes one or more final
// recipients — local accounts (aliases, domain aliases, catch-all, groups and forwarders
// expanded through the directory), remote addresses (for SMTP-OUT) or failures.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "filter/chain/chain.h"
#include "queue/queue.h"

namespace postern::directory {
class Directory;
}

namespace postern::services::processing {

struct Routed {
    std::uint32_t recipient = 0;  // JobRecipient::index it came from
    queue::Disposition disposition = queue::Disposition::local;
    std::string address;          // final address (an account's canonical address when local)
    std::int64_t account_id = 0;  // local only
    std::string status;           // fail only
    std::string diagnostic;
};

// Routes every pending recipient of `job`, delivering once per account and remote address.
// Errc::unavailable when the directory cannot be read (the message is deferred, not failed).
Result<std::vector<Routed>> route(directory::Directory& directory, const queue::ProcessingJob& job);
// The same without removing duplicates (every expansion as the directory gives it).
Result<std::vector<Routed>> route_all(directory::Directory& directory,
                                      const queue::ProcessingJob& job);

// The filter chain's view of the routed recipients.
std::vector<filter::ChainRecipient> chain_recipients(const std::vector<Routed>& routed);

}  // namespace postern::services::processing
