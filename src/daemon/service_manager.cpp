// Service lifecycle bookkeeping.
#include "daemon/service_manager.h"

#include <thread>

namespace postern::daemon {

void ServiceManager::add(std::unique_ptr<services::Service> service) {
    std::lock_guard lock(mutex_);
    services_.push_back(std::move(service));
}

services::Service* ServiceManager::find(const std::string& name) const {
    for (auto& s : services_) {
        if (s->name() == name)
            return s.get();
    }
    return nullptr;
}

std::vector<std::string> ServiceManager::apply(const config::ConfigPtr& config) {
    std::lock_guard lock(mutex_);
    config_ = config;
    std::vector<std::string> problems;
    for (auto& s : services_) {
        bool wanted = s->enabled_in(*config) && !stopped_by_admin_.contains(s->name());
        Status st;
        if (!wanted) {
            if (s->status().running)
                logger_.info("stopping service {}", s->name());
            s->stop(config->server.shutdown_grace);
        } else if (s->status().running) {
            st = s->reload(config);
        } else {
            logger_.info("starting service {}", s->name());
            st = s->start(config);
        }
        if (!st) {
            logger_.error("service {}: {}", s->name(), st.error().message);
            problems.push_back(s->name() + ": " + st.error().message);
        }
    }
    return problems;
}

Status ServiceManager::start(const std::string& name) {
    std::lock_guard lock(mutex_);
    auto* s = find(name);
    if (!s)
        return fail(Errc::not_found, "no service named " + name);
    stopped_by_admin_.erase(name);
    if (!s->enabled_in(*config_)) {
        return fail(Errc::invalid_argument,
                    "service " + name + " is disabled in the configuration");
    }
    logger_.info("service {} started by an administrator", name);
    return s->start(config_);
}

Status ServiceManager::stop(const std::string& name) {
    std::lock_guard lock(mutex_);
    auto* s = find(name);
    if (!s)
        return fail(Errc::not_found, "no service named " + name);
    stopped_by_admin_.insert(name);
    logger_.info("service {} stopped by an administrator", name);
    s->stop(config_->server.shutdown_grace);
    return ok();
}

Status ServiceManager::restart(const std::string& name) {
    if (auto st = stop(name); !st)
        return st;
    return start(name);
}

std::vector<services::ServiceStatus> ServiceManager::status() const {
    std::lock_guard lock(mutex_);
    std::vector<services::ServiceStatus> out;
    for (auto& s : services_)
        out.push_back(s->status());
    return out;
}

void ServiceManager::stop_all(std::chrono::milliseconds grace) {
    std::lock_guard lock(mutex_);
    // Stop accepting everywhere first, then wait: services stop in parallel, so shutdown
    // takes one grace period, not one per service.
    std::vector<std::thread> stoppers;
    for (auto& s : services_) {
        stoppers.emplace_back([&s, grace] { s->stop(grace); });
    }
    for (auto& t : stoppers)
        t.join();
}

}  // namespace postern::daemon
