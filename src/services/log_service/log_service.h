// The log service: a UDP listener (default 127.0.0.1:2000) that collects log lines from other
// Postern nodes (log type "remote") and writes them through this node's log rules. Allow/deny
// rules decide which senders are accepted.
#pragma once

#include <memory>
#include <mutex>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/udp.hpp>

#include "log/collector.h"
#include "net/listen_sockets.h"
#include "services/runtime.h"
#include "services/service.h"

namespace postern::services {

class LogService : public Service {
  public:
    LogService(net::ListenSockets& sockets, std::shared_ptr<log::Sink> internal,
               log::Logger logger);
    ~LogService() override;

    const std::string& name() const override { return name_; }
    bool enabled_in(const config::Config& config) const override {
        return config.log_service.enabled;
    }
    Status start(const config::ConfigPtr& config) override;
    void stop(std::chrono::milliseconds grace) override;
    Status reload(const config::ConfigPtr& config) override;
    ServiceStatus status() const override;

    log::CollectorStats stats() const { return collector_.stats(); }

  private:
    struct Socket;
    boost::asio::awaitable<void> receive_loop(boost::asio::ip::udp::socket* socket);
    const std::string name_ = "log";
    net::ListenSockets& sockets_;
    log::Collector collector_;
    log::Logger logger_;
    mutable std::mutex mutex_;
    std::unique_ptr<Runtime> runtime_;
    std::vector<std::unique_ptr<Socket>> sockets_open_;
    std::shared_ptr<const std::vector<config::AccessRule>> rules_;
    std::string error_;
};

}  // namespace postern::services
