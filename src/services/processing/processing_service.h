// PROCESSING (ARCHITECTURE.md §4 step 2-3): takes received messages from the queue, expands
// their recipients, runs the filter chain (server → domain → account, failsafe) and routes each
// recipient local or remote; then delivers local recipients into the store, storing the body
// once for all of them. A module: no listener, its own threads.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include "base/thread_pool.h"
#include "filter/chain/chain.h"
#include "log/log.h"
#include "services/lane_loop.h"
#include "services/processing/quota_notices.h"
#include "services/processing/sieve_delivery.h"
#include "services/service.h"

namespace postern::directory {
class Directory;
}
namespace postern::store {
class Store;
}

namespace postern::services::processing {

struct Deps {
    queue::Queue* queue = nullptr;
    directory::Directory* directory = nullptr;
    store::Store* store = nullptr;
    std::shared_ptr<const filter::FilterChain> filters;  // may be empty
};

class ProcessingService : public Service {
  public:
    ProcessingService(Deps deps, log::Logger logger);
    ~ProcessingService() override;

    const std::string& name() const override { return name_; }
    bool enabled_in(const config::Config& config) const override {
        return config.processing.enabled;
    }
    Status start(const config::ConfigPtr& config) override;
    void stop(std::chrono::milliseconds grace) override;
    Status reload(const config::ConfigPtr& config) override;
    ServiceStatus status() const override;

    // The queue has work for a lane this service consumes (processing, local).
    void wake();
    // Replaces the filter chain (configuration reload); messages in flight keep the old one.
    void set_filters(std::shared_ptr<const filter::FilterChain> filters);

  private:
    std::size_t drain(queue::Lane lane);
    void process(queue::ProcessingJob job);
    void deliver(queue::DeliveryJob job);
    // Queues mail a Sieve action generated (redirect, vacation reply).
    void submit_generated(const sieve::OutgoingMessage& message, const log::Logger& log);
    void notify_quota(std::int64_t account, const std::string& address, unsigned level,
                      std::uint64_t used, std::uint64_t limit);

    const std::string name_ = "processing";
    Deps deps_;
    log::Logger log_;
    mutable std::mutex mutex_;
    config::ConfigPtr config_;
    std::unique_ptr<ThreadPool> pool_;
    std::unique_ptr<LaneLoop> loop_;
    std::unique_ptr<QuotaNotices> notices_;
    SieveDelivery sieve_;
    std::atomic<unsigned> in_flight_{0};
    std::atomic<std::uint64_t> processed_{0};
    std::atomic<std::uint64_t> delivered_{0};
};

}  // namespace postern::services::processing
