// Service spec for ManageSieve; each connection runs one Session.
#include "services/managesieve/managesieve_service.h"

#include "services/managesieve/session.h"

namespace postern::services::managesieve {

namespace {

// A named coroutine (GCC 12: no coroutine lambdas).
boost::asio::awaitable<void> run_session(net::Connection connection, SessionContext context,
                                         Deps deps) {
    Session session(std::move(connection), std::move(context), deps);
    co_await session.run();
}

}  // namespace

TcpServiceSpec managesieve_spec(const Deps& deps) {
    return TcpServiceSpec{
        "managesieve", "MANAGESIEVE",
        [](const config::Config& c) -> const config::TcpServiceConfig& { return c.managesieve; },
        kRefusal,
        [deps](net::Connection c, SessionContext ctx) {
            return run_session(std::move(c), std::move(ctx), deps);
        }};
}

}  // namespace postern::services::managesieve
