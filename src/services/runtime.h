// A service's own event loop: one io_context run by `threads_min` threads, plus a growable
// pool (up to threads_max) for blocking work. Keeps heavy Asio headers out of the interface.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "base/thread_pool.h"

namespace boost::asio {
class io_context;
}

namespace postern::services {

class Runtime {
  public:
    Runtime(std::string name, unsigned threads_min, unsigned threads_max);
    ~Runtime();  // stops and joins

    boost::asio::io_context& io();
    ThreadPool& blocking() { return blocking_; }
    void start();
    void stop();  // stops the loop and joins its threads; pending handlers are dropped
    unsigned threads() const {
        return static_cast<unsigned>(threads_.size()) + blocking_.threads();
    }

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::string name_;
    unsigned loop_threads_;
    ThreadPool blocking_;
    std::vector<std::thread> threads_;
};

// Runs `job` on `pool` and resumes the calling coroutine on its own executor afterwards.
// Capture results by reference in `job`.
boost::asio::awaitable<void> run_blocking(ThreadPool& pool, std::function<void()> job);

}  // namespace postern::services
