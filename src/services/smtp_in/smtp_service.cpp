// Service specs for SMTP-IN and LMTP; each connection runs one Session.
#include "services/smtp_in/smtp_service.h"

namespace postern::services::smtp_in {

namespace asio = boost::asio;

namespace {

// A named coroutine (GCC 12: no coroutine lambdas).
asio::awaitable<void> run_session(net::Connection connection, SessionContext context, Deps deps, bool lmtp) {
    Session session(std::move(connection), std::move(context), deps, lmtp);
    co_await session.run();
}

}  // namespace

TcpServiceSpec smtp_spec(const Deps& deps) {
    return TcpServiceSpec{"smtp", "SMTP-IN",
                          [](const config::Config& c) -> const config::TcpServiceConfig& { return c.smtp; }, kRefusal,
                          [deps](net::Connection c, SessionContext ctx) {
                              return run_session(std::move(c), std::move(ctx), deps, false);
                          }};
}

TcpServiceSpec lmtp_spec(const Deps& deps) {
    return TcpServiceSpec{"lmtp", "LMTP",
                          [](const config::Config& c) -> const config::TcpServiceConfig& { return c.lmtp; },
                          "421 4.7.0 Access denied\r\n",
                          [deps](net::Connection c, SessionContext ctx) {
                              return run_session(std::move(c), std::move(ctx), deps, true);
                          }};
}

}  // namespace postern::services::smtp_in
