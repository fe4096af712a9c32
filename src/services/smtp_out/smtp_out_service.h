// SMTP-OUT (ARCHITECTURE.md §4 step 4): takes due remote deliveries from the queue, finds the
// next hop (route rules, then MX with A/AAAA fallback), delivers with opportunistic or
// required TLS, reuses connections, limits sessions per destination, and reports each
// recipient's result back to the queue (which retries, flushes virtual queues and writes DSNs).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>

#include "log/log.h"
#include "net/dns/resolver.h"
#include "net/tls.h"
#include "services/lane_loop.h"
#include "services/runtime.h"
#include "services/service.h"

namespace postern::filter::policy {
class PolicyHolder;
}

namespace postern::services::smtp_out {

class SmtpClient;

class SmtpOutService : public Service {
public:
    SmtpOutService(queue::Queue& queue, net::dns::Resolver& resolver, log::Logger logger);
    ~SmtpOutService() override;

    const std::string& name() const override { return name_; }
    bool enabled_in(const config::Config& config) const override { return config.delivery.enabled; }
    Status start(const config::ConfigPtr& config) override;
    void stop(std::chrono::milliseconds grace) override;
    Status reload(const config::ConfigPtr& config) override;
    ServiceStatus status() const override;

    void wake();
    // The policy script's onRelay runs before each delivery (null: no policy). Set before start.
    void set_policy(filter::policy::PolicyHolder* policy) { policy_ = policy; }

private:
    struct Pool;
    std::size_t drain();
    boost::asio::awaitable<void> deliver(queue::DeliveryJob job);
    boost::asio::awaitable<bool> acquire_slot(const std::string& destination);
    void release_slot(const std::string& destination);
    void job_finished();

    const std::string name_ = "delivery";
    queue::Queue& queue_;
    net::dns::Resolver& resolver_;
    log::Logger log_;
    mutable std::mutex mutex_;
    config::ConfigPtr config_;
    std::unique_ptr<Runtime> runtime_;
    std::unique_ptr<LaneLoop> loop_;
    std::atomic<LaneLoop*> loop_for_wakeups_{nullptr};  // loop_ while running, for job_finished
    std::shared_ptr<net::TlsContext> tls_any_;     // opportunistic / required: no verification
    std::shared_ptr<net::TlsContext> tls_verify_;  // verify / implicit
    std::unique_ptr<Pool> pool_;
    std::atomic<unsigned> in_flight_{0};
    std::atomic<std::uint64_t> delivered_{0};
    std::map<std::string, unsigned> per_destination_;  // guarded by mutex_
    std::atomic<bool> stopping_{false};
    filter::policy::PolicyHolder* policy_ = nullptr;
};

}  // namespace postern::services::smtp_out
