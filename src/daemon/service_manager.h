// Owns the services of the worker and keeps them in line with the configuration: enabled
// services run, disabled ones stop; a reload reconfigures the running ones. Admins can also
// start, stop and restart one service at run time (until the next start of the daemon).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "log/log.h"
#include "services/service.h"

namespace postern::daemon {

class ServiceManager {
  public:
    explicit ServiceManager(log::Logger logger) : logger_(std::move(logger)) {}

    void add(std::unique_ptr<services::Service> service);

    // Brings every service in line with `config`. Returns the problems (one per service that
    // should run and could not); other services are unaffected.
    std::vector<std::string> apply(const config::ConfigPtr& config);

    Status start(const std::string& name);
    Status stop(const std::string& name);
    Status restart(const std::string& name);
    std::vector<services::ServiceStatus> status() const;

    void stop_all(std::chrono::milliseconds grace);

  private:
    services::Service* find(const std::string& name) const;

    mutable std::mutex mutex_;
    log::Logger logger_;
    config::ConfigPtr config_;
    std::vector<std::unique_ptr<services::Service>> services_;
    std::set<std::string> stopped_by_admin_;
};

}  // namespace postern::daemon
