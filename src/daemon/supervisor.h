// The supervisor: the parent process that forks the worker, restarts it with back-off when it
// dies, binds listening sockets for it (so privileged ports work after the worker dropped
// root, and connections queue instead of failing while a worker restarts), and turns SIGHUP,
// SIGTERM and SIGINT into reload and clean shutdown.
#pragma once

#include <filesystem>
#include <functional>

#include "config/config.h"

namespace postern::daemon {

// Runs in the forked child with the current configuration and its end of the control channel.
// Returns the worker's exit code.
using WorkerMain = std::function<int(const config::ConfigPtr& config, int control_fd)>;

// Returns the supervisor's exit code: 0 after a clean shutdown, non-zero when the first worker
// could not start (so a broken setup fails loudly instead of restarting forever).
int run_supervisor(const std::filesystem::path& config_file, config::ConfigPtr config,
                   WorkerMain worker_main);

// Exit code a worker uses when it could not start (ports, data directory, ...).
inline constexpr int kWorkerStartFailed = 75;

}  // namespace postern::daemon
