// STARTTLS (RFC 9051 §6.2.1), LOGIN (§6.2.3), AUTHENTICATE with SASL-IR (§6.2.2, RFC 4959) and
// UNAUTHENTICATE (RFC 8437). Failures say the same whatever the reason, so no reply tells
// whether an account exists; they count toward error control and the authenticator's bans.
#include "auth/authenticator.h"
#include "auth/sasl/wire.h"
#include "directory/directory.h"
#include "services/auth_bridge.h"
#include "services/imap/session.h"
#include "store/api/store.h"

namespace postern::services::imap {

namespace asio = boost::asio;

namespace {

// The answer to a failed login (RFC 5530 codes); `close` when error control says so.
struct Refusal {
    std::optional<wire::ResponseCode> code;
    std::string text;
};

Refusal refusal_for(auth::AuthStatus status) {
    switch (status) {
        case auth::AuthStatus::temporary_failure:
            return {wire::codes::unavailable(), "Temporary authentication failure"};
        case auth::AuthStatus::encryption_required:
            return {wire::codes::privacy_required(), "Use TLS before logging in"};
        default:
            return {wire::codes::authentication_failed(), "Authentication failed"};
    }
}

}  // namespace

asio::awaitable<Session::Flow> Session::on_starttls(const wire::Command& c) {
    if (conn_.stream->tls_active() || !conn_.tls ||
        conn_.listener->tls != config::TlsMode::starttls) {
        co_return bad(c.tag, "STARTTLS not available here");
    }
    ok(c, "Begin TLS negotiation now");
    if (!co_await flush())
        co_return Flow::close;
    // Plaintext pipelined behind STARTTLS must never be read as if it came over TLS
    // (RFC 9051 §6.2.1, the STARTTLS command injection attacks).
    in_.clear();
    in_pos_ = 0;
    receiver_.reset();
    auto st = co_await conn_.stream->start_tls_server(conn_.tls);
    if (!st) {
        ctx_.logger.info("TLS handshake failed: {}", st.error().message);
        co_return Flow::close;
    }
    ctx_.logger.info("TLS established: {}", conn_.stream->tls_summary());
    co_return Flow::next;
}

asio::awaitable<bool> Session::become_user(std::int64_t id, std::string address) {
    std::shared_ptr<store::Account> account;
    std::string error;
    co_await blocking([&] {
        auto a = deps_.store->account(std::to_string(id));
        if (!a) {
            error = a.error().to_string();
            return;
        }
        account = std::move(*a);
        std::uint64_t quota = 0;
        if (deps_.directory)
            if (auto s = deps_.directory->account_settings(id))
                quota = s->quota;
        account->set_quota(quota, 0);
        // Every account has an INBOX (RFC 9051 §5.1): create it on first login.
        if (!account->mailbox_info("INBOX"))
            (void)account->create_mailbox("INBOX");
    });
    if (!account) {
        ctx_.logger.error("cannot open the mailboxes of {}: {}", address, error);
        co_return false;
    }
    ctx_.logger.info("authenticated as {}", address);
    state_ = Authenticated{User{id, std::move(address), std::move(account)}};
    co_return true;
}

asio::awaitable<Session::Flow> Session::on_login(const wire::Command& c, const wire::Login& l) {
    const bool secure = conn_.stream->tls_active();
    if (!secure && !cfg_.allow_plaintext_auth) {
        no(c, "Use STARTTLS or the implicit TLS port before LOGIN",
           wire::codes::privacy_required());
        co_return Flow::next;
    }
    auth::PasswordRequest request;
    request.login = l.user;
    request.password = l.password;
    request.client = auth::ClientContext{"imap", conn_.client.ip, secure, cfg_.allow_plaintext_auth,
                                         ctx_.logger};
    auto result = co_await check_password(*deps_.authenticator, std::move(request));
    if (result.ok()) {
        if (!co_await become_user(result.account_id, result.address)) {
            no(c, "Mailboxes unavailable, try again later", wire::codes::unavailable());
            co_return Flow::next;
        }
        ok(c, "Logged in", wire::codes::capability(capabilities()));
        co_return Flow::next;
    }
    ctx_.logger.info("login failed: {} ({})", auth::auth_status_name(result.status), result.reason);
    auto r = refusal_for(result.status);
    no(c, r.text, r.code);
    if (result.status != auth::AuthStatus::temporary_failure && errors_.auth_failure()) {
        wire::append_bye(out_, "Too many failed logins", mode_);
        co_return Flow::close;
    }
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_authenticate(const wire::Command& c,
                                                        const wire::Authenticate& a) {
    auth::SaslRequest request;
    request.mechanism = a.mechanism;
    request.client = auth::ClientContext{"imap", conn_.client.ip, conn_.stream->tls_active(),
                                         cfg_.allow_plaintext_auth, ctx_.logger};
    auto started = deps_.authenticator->start_sasl(std::move(request));
    if (!started) {
        if (started.error().code == Errc::permission_denied) {
            no(c, "Use TLS before authenticating", wire::codes::privacy_required());
            co_return Flow::next;
        }
        no(c, "Unsupported authentication mechanism", wire::codes::cannot());
        co_return Flow::next;
    }
    auto& exchange = **started;
    std::optional<std::string> response;
    if (a.initial_response) {
        auto decoded = auth::sasl::decode_initial_response(*a.initial_response);
        if (decoded.kind != auth::sasl::ClientResponse::Kind::data) {
            exchange.cancel();
            co_return bad(c.tag, decoded.kind == auth::sasl::ClientResponse::Kind::cancel
                                     ? "Authentication cancelled"
                                     : "Malformed initial response");
        }
        response = std::move(decoded.data);
    }
    while (true) {
        auto reply = co_await sasl_step(exchange, std::move(response));
        response.reset();
        if (auto* challenge = std::get_if<auth::SaslChallenge>(&reply)) {
            wire::append_continuation_base64(out_, auth::sasl::encode_server_data(challenge->data));
            if (!co_await flush())
                co_return Flow::close;
            receiver_.expect_plain_line();
            auto frame = co_await next_frame();
            if (!frame)
                co_return Flow::close;
            if (frame->error) {
                exchange.cancel();
                co_return bad(c.tag, "Response line too long");
            }
            auto line = wire::parse_sasl_line(frame->command->text);
            if (!line) {
                exchange.cancel();
                co_return bad(c.tag, line.error());
            }
            if (line->cancel) {
                exchange.cancel();
                co_return bad(c.tag, "Authentication cancelled");
            }
            auto decoded = auth::sasl::decode_client_response(line->response);
            if (decoded.kind != auth::sasl::ClientResponse::Kind::data) {
                exchange.cancel();
                co_return bad(c.tag, "Malformed response");
            }
            response = std::move(decoded.data);
            continue;
        }
        auto& outcome = std::get<auth::SaslOutcome>(reply);
        auto& result = outcome.result;
        if (result.ok()) {
            if (outcome.server_final) {
                // IMAP carries SASL success data in a last challenge; the client answers it
                // with an empty line (RFC 9051 §6.2.2 allows data in the OK only with SASL-IR
                // aware clients, and a challenge works with every client).
                wire::append_continuation_base64(
                    out_, auth::sasl::encode_server_data(*outcome.server_final));
                if (!co_await flush())
                    co_return Flow::close;
                receiver_.expect_plain_line();
                auto frame = co_await next_frame();
                if (!frame)
                    co_return Flow::close;
                if (frame->error || !frame->command->text.empty())
                    co_return bad(c.tag, "Authentication cancelled");
            }
            if (!co_await become_user(result.account_id, result.address)) {
                no(c, "Mailboxes unavailable, try again later", wire::codes::unavailable());
                co_return Flow::next;
            }
            ok(c, "Authenticated", wire::codes::capability(capabilities()));
            co_return Flow::next;
        }
        ctx_.logger.info("authentication failed: {} ({})", auth::auth_status_name(result.status),
                         result.reason);
        if (result.status == auth::AuthStatus::malformed ||
            result.status == auth::AuthStatus::aborted)
            co_return bad(c.tag, "Authentication exchange failed");
        auto r = refusal_for(result.status);
        no(c, r.text, r.code);
        if (result.status != auth::AuthStatus::temporary_failure && errors_.auth_failure()) {
            wire::append_bye(out_, "Too many failed logins", mode_);
            co_return Flow::close;
        }
        co_return Flow::next;
    }
}

asio::awaitable<Session::Flow> Session::on_unauthenticate(const wire::Command& c) {
    co_await stop_notify();
    state_ = NotAuthenticated{};
    ok(c, "Unauthenticated");
    co_return Flow::next;
}

}  // namespace postern::services::imap
