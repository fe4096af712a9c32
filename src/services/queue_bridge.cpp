// Adapts MessageWriter::commit's callback (queue commit thread) to Asio coroutines.
#include "services/queue_bridge.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace postern::services {

namespace asio = boost::asio;

asio::awaitable<Result<queue::QueueId>> commit_message(queue::MessageWriter& writer,
                                                       queue::Envelope envelope) {
    auto executor = co_await asio::this_coro::executor;
    Result<queue::QueueId> result = fail(Errc::internal, "not committed");
    auto initiation = [&writer, &result, executor,
                       envelope = std::move(envelope)](auto handler) mutable {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        writer.commit(std::move(envelope), [&result, shared, executor](Result<queue::QueueId> r) {
            result = std::move(r);
            asio::post(executor, [shared]() mutable { (*shared)(); });
        });
    };
    co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(std::move(initiation),
                                                                         asio::use_awaitable);
    co_return result;
}

}  // namespace postern::services
