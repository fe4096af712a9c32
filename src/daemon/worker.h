// The worker process: logging, directory, authentication, every service, the admin socket.
#pragma once

#include "config/config.h"

namespace postern::daemon {

// Runs until SIGTERM/SIGINT. `control_fd` is the supervisor channel, or -1 when running
// without a supervisor (sockets are then bound directly). Returns the process exit code.
int run_worker(const config::ConfigPtr& config, int control_fd);

}  // namespace postern::daemon
