// A bounded, growable pool of threads for blocking work (disk, SQLite, password hashing) so
// that event-loop threads never block. Threads start on demand up to `max_threads` and exit
// after `idle_exit` without work.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace postern {

class ThreadPool {
  public:
    ThreadPool(std::string name, unsigned max_threads,
               std::chrono::milliseconds idle_exit = std::chrono::seconds(30));
    ~ThreadPool();  // runs every queued job, then joins
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    // Queues `job`; never blocks. Jobs must not throw.
    void post(std::function<void()> job);
    void set_max_threads(unsigned max_threads);

    unsigned threads() const;
    std::size_t queued() const;

  private:
    void worker();

    const std::string name_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable exited_;
    std::deque<std::function<void()>> jobs_;
    unsigned max_threads_;
    unsigned threads_ = 0;
    unsigned idle_ = 0;
    bool stopping_ = false;
    std::chrono::milliseconds idle_exit_;
};

}  // namespace postern
