// Test responder session: read a line, act, reply; the error-control and TLS rules are the
// same ones the real protocols follow.
#include "services/test_responder/session.h"

#include "base/strings.h"
#include "auth/authenticator.h"
#include "net/line_reader.h"
#include "services/auth_bridge.h"
#include "services/error_control.h"

namespace postern::services::test_responder {

namespace asio = boost::asio;

namespace {

struct Session {
    net::Connection conn;
    SessionContext ctx;
    auth::Authenticator* authenticator;
    ErrorControl errors;
    std::string user;

    asio::awaitable<bool> reply(std::string_view text) {
        ctx.logger.proto(">> {}", text);
        std::string line(text);
        line += "\r\n";
        auto st = co_await conn.stream->write(line);
        co_return st.has_value();
    }

    asio::awaitable<void> run() {
        auto& stream = *conn.stream;
        net::LineReader reader(stream, ctx.service->max_line_length);
        std::string greeting = "+OK postern test responder ready " + ctx.config->server.hostname + " " + conn.session_id;
        if (!co_await reply(greeting)) co_return;
        while (true) {
            if (conn.stopping && conn.stopping->load()) {
                co_await reply("-ERR server shutting down");
                break;
            }
            stream.set_interruptible(true);
            auto line = co_await reader.read_line();
            stream.set_interruptible(false);
            if (!line) {
                auto& e = line.error();
                if (e.code == Errc::timeout) {
                    ctx.logger.info("idle timeout, closing");
                    co_await reply("-ERR idle timeout");
                } else if (e.code == Errc::cancelled) {
                    co_await reply("-ERR server shutting down");
                } else {
                    ctx.logger.info("connection ended: {}", e.message);
                }
                break;
            }
            if (line->kind == net::LineBuffer::Kind::too_long) {
                ctx.logger.warn("line longer than {} bytes", ctx.service->max_line_length);
                if (!co_await reply("-ERR line too long")) break;
                if (errors.bad_command()) {
                    co_await reply("-ERR too many errors, closing");
                    break;
                }
                continue;
            }
            std::string text(line->text);
            auto space = text.find(' ');
            auto verb = to_upper(text.substr(0, space));
            auto arg = space == std::string::npos ? std::string() : text.substr(space + 1);
            ctx.logger.proto("<< {}", verb == "AUTH" ? "AUTH ***" : text);

            if (verb == "QUIT") {
                co_await reply("+OK bye");
                break;
            }
            bool keep = true;
            if (verb == "NOOP") {
                keep = co_await reply("+OK");
            } else if (verb == "ECHO") {
                std::string echoed = "+OK " + arg;
                keep = co_await reply(echoed);
            } else if (verb == "WHOAMI") {
                // Built before co_await: GCC 12 mishandles ?: temporaries in co_await operands.
                std::string who = "+OK ip=" + conn.client.ip.to_string() + " tls=" +
                                  (stream.tls_active() ? "yes" : "no") + " user=" + (user.empty() ? "-" : user);
                keep = co_await reply(who);
            } else if (verb == "STARTTLS") {
                if (stream.tls_active() || conn.listener->tls != config::TlsMode::starttls || !conn.tls) {
                    keep = co_await reply("-ERR STARTTLS not available");
                    if (keep && errors.bad_command()) keep = false;
                } else {
                    reader.buffer().clear();  // nothing pipelined behind STARTTLS survives
                    if (!co_await reply("+OK begin TLS")) break;
                    auto st = co_await stream.start_tls_server(conn.tls);
                    if (!st) {
                        ctx.logger.info("TLS handshake failed: {}", st.error().message);
                        break;
                    }
                    ctx.logger.info("TLS established: {}", stream.tls_summary());
                }
            } else if (verb == "LITERAL") {
                keep = co_await literal(reader, arg);
            } else if (verb == "AUTH") {
                keep = co_await authenticate(arg);
            } else {
                keep = co_await reply("-ERR unknown command");
                if (keep && errors.bad_command()) {
                    co_await reply("-ERR too many errors, closing");
                    keep = false;
                }
            }
            if (!keep) break;
        }
        stream.close();
    }

    asio::awaitable<bool> authenticate(const std::string& arg);
    asio::awaitable<bool> literal(net::LineReader& reader, const std::string& arg);
};

// "LITERAL <n>" then n raw bytes: the size-limited byte reader (IMAP literals, BDAT chunks).
asio::awaitable<bool> Session::literal(net::LineReader& reader, const std::string& arg) {
    auto size = parse_uint(arg);
    if (!size) co_return co_await reply("-ERR usage: LITERAL <bytes>");
    if (*size > ctx.service->max_literal_size) {
        // Refused before reading: the client must not send it (as with IMAP synchronizing literals).
        std::string text = "-ERR literal larger than " + std::to_string(ctx.service->max_literal_size) + " bytes";
        co_return co_await reply(text);
    }
    if (!co_await reply("+ go ahead")) co_return false;
    std::string data;
    auto st = co_await reader.read_exact(*size, data);
    if (!st) co_return false;
    std::string text = "+OK " + std::to_string(data.size()) + " bytes";
    co_return co_await reply(text);
}

asio::awaitable<bool> Session::authenticate(const std::string& arg) {
    if (!conn.stream->tls_active() && !ctx.service->allow_plaintext_auth) {
        co_return co_await reply("-ERR authentication requires TLS");
    }
    auto space = arg.find(' ');
    if (space == std::string::npos || !authenticator) {
        co_return co_await reply("-ERR usage: AUTH <user> <password>");
    }
    auth::PasswordRequest request;
    request.login = arg.substr(0, space);
    request.password = arg.substr(space + 1);
    // Checked as SMTP AUTH, the login this responder stands in for until SMTP exists.
    request.client = auth::ClientContext{"smtp", conn.client.ip, conn.stream->tls_active(),
                                         ctx.service->allow_plaintext_auth, ctx.logger};
    auto result = co_await check_password(*authenticator, std::move(request));
    if (result.ok()) {
        user = result.address;
        ctx.logger.info("authenticated as {}", user);
        std::string text = "+OK authenticated as " + user;
        co_return co_await reply(text);
    }
    ctx.logger.info("authentication failed: {} ({})", auth::auth_status_name(result.status), result.reason);
    if (result.status == auth::AuthStatus::temporary_failure) {
        co_return co_await reply("-ERR temporary failure, try again later");
    }
    // One generic answer: whether the account exists, is banned or may not use the service
    // stays in the log.
    bool failed_too_often = errors.auth_failure();
    if (!co_await reply("-ERR authentication failed")) co_return false;
    if (failed_too_often) {
        co_await reply("-ERR too many authentication failures, closing");
        co_return false;
    }
    co_return true;
}

// A named coroutine: GCC 12 mis-allocates the frames of coroutine lambdas.
asio::awaitable<void> run_session(net::Connection conn, SessionContext ctx, auth::Authenticator* authenticator) {
    ErrorControl errors(*ctx.service);
    Session session{std::move(conn), std::move(ctx), authenticator, errors, {}};
    co_await session.run();
}

}  // namespace

SessionFunction make_session(auth::Authenticator* authenticator) {
    return [authenticator](net::Connection conn, SessionContext ctx) {
        return run_session(std::move(conn), std::move(ctx), authenticator);
    };
}

}  // namespace postern::services::test_responder
