// A service is something the service manager can start, stop, reload and report on; each
// runs on its own threads (ARCHITECTURE.md §1).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "config/config.h"

namespace postern::services {

struct ServiceStatus {
    std::string name;
    bool enabled = false;  // in the current configuration
    bool running = false;
    unsigned threads = 0;
    std::uint64_t connections = 0;  // open now
    std::uint64_t sessions_total = 0;
    std::vector<std::string> listeners;  // "127.0.0.1:25 (starttls)"
    std::string error;                   // why it is not running, when it should be
};

class Service {
  public:
    virtual ~Service() = default;
    virtual const std::string& name() const = 0;
    // Whether this configuration wants the service running.
    virtual bool enabled_in(const config::Config& config) const = 0;
    virtual Status start(const config::ConfigPtr& config) = 0;
    // Stops accepting; sessions get up to `grace` to finish, then are closed. Blocks until done.
    virtual void stop(std::chrono::milliseconds grace) = 0;
    // Applies a new configuration to a running service (listeners, rules, limits, logging).
    virtual Status reload(const config::ConfigPtr& config) = 0;
    virtual ServiceStatus status() const = 0;
};

}  // namespace postern::services
