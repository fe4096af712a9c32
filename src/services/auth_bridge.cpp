// Adapts Authenticator callbacks (run on auth worker threads) to Asio coroutines.
#include "services/auth_bridge.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace postern::services {

namespace asio = boost::asio;

asio::awaitable<auth::AuthResult> check_password(auth::Authenticator& authenticator,
                                                 auth::PasswordRequest request) {
    auto executor = co_await asio::this_coro::executor;
    auth::AuthResult result;
    // A named initiation: GCC 12 destroys the captures of a lambda temporary inside a
    // co_await expression twice (docs/development.md).
    auto initiation = [&authenticator, &result, executor,
                       request = std::move(request)](auto handler) mutable {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        authenticator.check_password(std::move(request),
                                     [&result, shared, executor](auth::AuthResult r) {
                                         // The coroutine stays suspended until the post below runs,
                                         // so writing to its frame from this thread is safe: the
                                         // post publishes the write.
                                         result = std::move(r);
                                         asio::post(executor, [shared]() mutable { (*shared)(); });
                                     });
    };
    co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(std::move(initiation),
                                                                         asio::use_awaitable);
    co_return result;
}

asio::awaitable<auth::AuthResult> check_apop(auth::Authenticator& authenticator,
                                             auth::ApopRequest request) {
    auto executor = co_await asio::this_coro::executor;
    auth::AuthResult result;
    auto initiation = [&authenticator, &result, executor,
                       request = std::move(request)](auto handler) mutable {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        authenticator.check_apop(std::move(request), [&result, shared, executor](auth::AuthResult r) {
            result = std::move(r);
            asio::post(executor, [shared]() mutable { (*shared)(); });
        });
    };
    co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(std::move(initiation),
                                                                         asio::use_awaitable);
    co_return result;
}

asio::awaitable<auth::SaslReply> sasl_step(auth::SaslExchange& exchange,
                                           std::optional<std::string> response) {
    auto executor = co_await asio::this_coro::executor;
    auth::SaslReply reply;
    auto initiation = [&exchange, &reply, executor,
                       response = std::move(response)](auto handler) mutable {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        exchange.step(std::move(response), [&reply, shared, executor](auth::SaslReply r) {
            reply = std::move(r);
            asio::post(executor, [shared]() mutable { (*shared)(); });
        });
    };
    co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(std::move(initiation),
                                                                         asio::use_awaitable);
    co_return reply;
}

}  // namespace postern::services
