// onRelay for SMTP-OUT (docs/policy.md): before delivering a message to one remote domain, the
// policy script may route it through a host of its choice (setRelay), defer it (tempfail) or
// fail it (reject). A failing script defers (the queue side never bounces for a script bug).
#pragma once

#include <string>

#include <boost/asio/awaitable.hpp>

#include "config/config.h"
#include "log/log.h"
#include "queue/queue.h"

namespace postern {
class ThreadPool;
}
namespace postern::filter::policy {
class PolicyHolder;
}

namespace postern::services::smtp_out {

// Runs onRelay on `pool` when a script in `holder` defines it. A route the script set replaces
// `route`'s smarthost and TLS. Returns true when the script refused the delivery: the result of
// every recipient was reported to `queue` (temporary for tempfail, permanent for reject) and
// the caller must not deliver. `holder` may be null (no policy).
boost::asio::awaitable<bool> relay_policy(filter::policy::PolicyHolder* holder, ThreadPool& pool,
                                          queue::Queue& queue, const queue::DeliveryJob& job,
                                          const std::string& destination,
                                          config::DeliveryRoute& route, const log::Logger& log);

}  // namespace postern::services::smtp_out
