// Service event loops and the bridge from coroutines to the blocking pool.
#include "services/runtime.h"

#include <optional>

#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <pthread.h>

namespace postern::services {

namespace asio = boost::asio;

struct Runtime::Impl {
    asio::io_context io;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
};

Runtime::Runtime(std::string name, unsigned threads_min, unsigned threads_max)
    : impl_(std::make_unique<Impl>()),
      name_(std::move(name)),
      loop_threads_(threads_min ? threads_min : 1),
      blocking_(name_ + "-blk", threads_max > threads_min ? threads_max - threads_min : 1) {}

Runtime::~Runtime() {
    stop();
}

asio::io_context& Runtime::io() {
    return impl_->io;
}

void Runtime::start() {
    if (!threads_.empty())
        return;
    impl_->io.restart();
    impl_->work.emplace(impl_->io.get_executor());
    for (unsigned i = 0; i < loop_threads_; ++i) {
        threads_.emplace_back([this] {
            pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
            impl_->io.run();
        });
    }
}

void Runtime::stop() {
    impl_->work.reset();
    impl_->io.stop();
    for (auto& t : threads_) {
        if (t.joinable())
            t.join();
    }
    threads_.clear();
}

asio::awaitable<void> run_blocking(ThreadPool& pool, std::function<void()> job) {
    auto executor = co_await asio::this_coro::executor;
    // Named, not a temporary in the co_await expression (GCC 12, see docs/development.md).
    auto initiation = [&pool, executor, job = std::move(job)](auto handler) mutable {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        pool.post([job = std::move(job), shared, executor]() mutable {
            job();
            asio::post(executor, [shared]() mutable { (*shared)(); });
        });
    };
    co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(std::move(initiation),
                                                                         asio::use_awaitable);
}

}  // namespace postern::services
