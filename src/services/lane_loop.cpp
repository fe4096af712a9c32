// The consumer loop: no polling while idle, a bounded sleep until the next due retry.
#include "services/lane_loop.h"

#include <pthread.h>

namespace postern::services {

LaneLoop::LaneLoop(std::string name, queue::Queue& queue, std::vector<queue::Lane> lanes,
                   Drain drain)
    : name_(std::move(name)), queue_(queue), lanes_(std::move(lanes)), drain_(std::move(drain)) {}

LaneLoop::~LaneLoop() {
    stop();
}

void LaneLoop::start() {
    std::lock_guard lock(mutex_);
    if (thread_.joinable())
        return;
    stopping_ = false;
    woken_ = true;  // look once at start: recovered messages may be due
    thread_ = std::thread(&LaneLoop::run, this);
}

void LaneLoop::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable())
        thread_.join();
}

void LaneLoop::wake() {
    {
        std::lock_guard lock(mutex_);
        woken_ = true;
    }
    cv_.notify_all();
}

void LaneLoop::run() {
    pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
    bool stalled = false;  // the last round left due work behind (a full pool)
    while (true) {
        {
            std::unique_lock lock(mutex_);
            // Sleep until woken or the earliest next-due time of our lanes (at most 1 s, so a
            // clock step or a missed wake costs at most a second). After a round that could
            // not start everything due, a due time already past would return at once and
            // spin: then only a wake (a job ended, new work) or the 1 s bound ends the wait.
            auto now = std::chrono::system_clock::now();
            auto deadline = now + std::chrono::seconds(1);
            for (auto lane : lanes_) {
                auto due = queue_.next_due(lane);
                if (!due || *due >= deadline)
                    continue;
                if (stalled && *due <= now)
                    continue;
                deadline = *due;
            }
            cv_.wait_until(lock, deadline, [&] { return woken_ || stopping_; });
            if (stopping_)
                return;
            woken_ = false;
        }
        stalled = false;
        for (auto lane : lanes_) {
            // Drain while there is work and room; a full pool wakes us when a job ends.
            while (drain_(lane) > 0) {
                std::lock_guard lock(mutex_);
                if (stopping_)
                    return;
            }
            auto due = queue_.next_due(lane);
            if (due && *due <= std::chrono::system_clock::now())
                stalled = true;
        }
    }
}

}  // namespace postern::services
