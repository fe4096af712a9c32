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
    while (true) {
        {
            std::unique_lock lock(mutex_);
            // Sleep until woken or the earliest next-due time of our lanes (at most 1 s, so a
            // clock step or a missed wake costs at most a second).
            auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(1);
            for (auto lane : lanes_) {
                if (auto due = queue_.next_due(lane); due && *due < deadline)
                    deadline = *due;
            }
            cv_.wait_until(lock, deadline, [&] { return woken_ || stopping_; });
            if (stopping_)
                return;
            woken_ = false;
        }
        for (auto lane : lanes_) {
            // Drain while there is work and room; a full pool wakes us when a job ends.
            while (drain_(lane) > 0) {
                std::lock_guard lock(mutex_);
                if (stopping_)
                    return;
            }
        }
    }
}

}  // namespace postern::services
