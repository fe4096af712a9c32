// How the configuration maps onto the queue's and the store's options: one place, used by the
// worker and by offline posternctl, so both open the same spool and stores the same way.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "queue/options.h"
#include "store/api/options.h"

namespace postern::store {
class Store;
}

namespace postern::daemon {

queue::QueueOptions queue_options(const config::Config& config);
store::StoreOptions store_options(const config::Config& config);

// On reload: opens the configured message stores the running store does not have yet, so
// storage grows without a restart. Returns a line per store added or refused, for the log.
// Stores removed from the configuration stay open until the next restart.
std::vector<std::string> add_new_message_stores(store::Store& store, const config::Config& config);

}  // namespace postern::daemon
