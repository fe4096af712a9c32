// Service spec for POP3; each connection runs one Session.
#include "services/pop3/pop3_service.h"

#include "services/pop3/maildrops.h"
#include "services/pop3/session.h"

namespace postern::services::pop3 {

namespace asio = boost::asio;

namespace {

// A named coroutine (GCC 12: no coroutine lambdas).
asio::awaitable<void> run_session(net::Connection connection, SessionContext context, Deps deps,
                                  std::shared_ptr<Maildrops> maildrops) {
    Session session(std::move(connection), std::move(context), deps, std::move(maildrops));
    co_await session.run();
}

}  // namespace

TcpServiceSpec pop3_spec(const Deps& deps) {
    auto maildrops = std::make_shared<Maildrops>();
    return TcpServiceSpec{
        "pop3", "POP3",
        [](const config::Config& c) -> const config::TcpServiceConfig& { return c.pop3; }, kRefusal,
        [deps, maildrops](net::Connection c, SessionContext ctx) {
            return run_session(std::move(c), std::move(ctx), deps, maildrops);
        }};
}

}  // namespace postern::services::pop3
