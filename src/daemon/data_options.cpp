#include "daemon/data_options.h"

namespace postern::daemon {

queue::QueueOptions queue_options(const config::Config& config) {
    queue::QueueOptions o;
    o.directory = config.server.data_dir / "queue";
    o.dsn.reporting_mta = config.server.hostname;
    return o;
}

store::StoreOptions store_options(const config::Config& config) {
    store::StoreOptions o;
    o.data_root = config.server.data_dir / "store";
    return o;
}

}  // namespace postern::daemon
