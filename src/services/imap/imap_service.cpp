// Service spec for IMAP; each connection runs one Session.
#include "services/imap/imap_service.h"

#include "services/imap/session.h"

namespace postern::services::imap {

namespace asio = boost::asio;

namespace {

// A named coroutine (GCC 12: no coroutine lambdas).
asio::awaitable<void> run_session(net::Connection connection, SessionContext context, Deps deps) {
    Session session(std::move(connection), std::move(context), deps);
    co_await session.run();
}

}  // namespace

TcpServiceSpec imap_spec(const Deps& deps) {
    return TcpServiceSpec{
        "imap", "IMAP",
        [](const config::Config& c) -> const config::TcpServiceConfig& { return c.imap; }, kRefusal,
        [deps](net::Connection c, SessionContext ctx) {
            return run_session(std::move(c), std::move(ctx), deps);
        }};
}

}  // namespace postern::services::imap
