// Waits for queue work and hands it out: one thread per consumer (PROCESSING, SMTP-OUT) that
// sleeps until the queue says a lane has work due (wake()) or the lane's next retry time
// passes, then calls `drain` for each lane it serves. `drain` takes jobs from the queue and
// gives them to a pool; it returns how many it started (0 when its pool is busy: it is woken
// again when a job finishes).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "queue/queue.h"

namespace postern::services {

class LaneLoop {
  public:
    using Drain = std::function<std::size_t(queue::Lane)>;
    LaneLoop(std::string name, queue::Queue& queue, std::vector<queue::Lane> lanes, Drain drain);
    ~LaneLoop();

    void start();
    void stop();  // returns once the loop thread has ended (jobs in pools are the caller's)
    void wake();  // from any thread

  private:
    void run();

    std::string name_;
    queue::Queue& queue_;
    std::vector<queue::Lane> lanes_;
    Drain drain_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool woken_ = false;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace postern::services
