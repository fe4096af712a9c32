// How the configuration maps onto the queue's and the store's options: one place, used by the
// worker and by offline posternctl, so both open the same spool and stores the same way.
#pragma once

#include "config/config.h"
#include "queue/options.h"
#include "store/api/options.h"

namespace postern::daemon {

queue::QueueOptions queue_options(const config::Config& config);
store::StoreOptions store_options(const config::Config& config);

}  // namespace postern::daemon
