// STARTTLS (RFC 3207) and AUTH (RFC 4954) on SMTP-IN. After STARTTLS everything the client
// pipelined behind the command is discarded and the session starts over (§4.2); AUTH answers
// the same failure text whatever the reason, so no reply tells whether an account exists.
#include "auth/authenticator.h"
#include "auth/sasl/wire.h"
#include "proto/smtp/replies.h"
#include "services/auth_bridge.h"
#include "services/smtp_in/session.h"

namespace postern::services::smtp_in {

namespace asio = boost::asio;
namespace smtp = proto::smtp;

asio::awaitable<Session::Flow> Session::on_starttls() {
    add_reply(smtp::replies::ready_for_tls());
    if (!co_await flush()) co_return Flow::close;
    // Plaintext pipelined behind STARTTLS must never be read as if it came over TLS.
    reader_.buffer().clear();
    auto st = co_await conn_.stream->start_tls_server(conn_.tls);
    if (!st) {
        ctx_.logger.info("TLS handshake failed: {}", st.error().message);
        co_return Flow::close;
    }
    ctx_.logger.info("TLS established: {}", conn_.stream->tls_summary());
    // RFC 3207 §4.2: forget everything learnt before TLS, including the EHLO.
    reset_transaction();
    greeted_ = false;
    esmtp_ = false;
    helo_.clear();
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_auth(const smtp::Auth& command) {
    auth::SaslRequest request;
    request.mechanism = command.mechanism;
    request.client = auth::ClientContext{lmtp_ ? "lmtp" : "smtp", conn_.client.ip, conn_.stream->tls_active(),
                                         cfg().allow_plaintext_auth, ctx_.logger};
    auto started = deps_.authenticator->start_sasl(std::move(request));
    if (!started) {
        if (started.error().code == Errc::permission_denied) co_return refuse(smtp::replies::auth_encryption_required());
        co_return refuse(smtp::replies::auth_mechanism_unsupported());
    }
    auto& exchange = **started;

    std::optional<std::string> response;
    if (command.initial_response) {
        auto decoded = auth::sasl::decode_initial_response(*command.initial_response);
        if (decoded.kind == auth::sasl::ClientResponse::Kind::malformed) {
            co_return refuse(smtp::replies::auth_malformed_response());
        }
        if (decoded.kind == auth::sasl::ClientResponse::Kind::cancel) {
            exchange.cancel();
            co_return refuse(smtp::replies::auth_cancelled());
        }
        response = std::move(decoded.data);
    }
    while (true) {
        auto reply = co_await sasl_step(exchange, std::move(response));
        response.reset();
        if (auto* challenge = std::get_if<auth::SaslChallenge>(&reply)) {
            add_reply(smtp::replies::auth_challenge(auth::sasl::encode_server_data(challenge->data)));
            if (!co_await flush()) co_return Flow::close;
            auto line = co_await reader_.read_line();
            if (!line) co_return Flow::close;
            if (line->kind == net::LineBuffer::Kind::too_long) {
                exchange.cancel();
                co_return refuse(smtp::replies::auth_line_too_long());
            }
            auto decoded = auth::sasl::decode_client_response(line->text);
            if (decoded.kind == auth::sasl::ClientResponse::Kind::cancel) {
                exchange.cancel();
                co_return refuse(smtp::replies::auth_cancelled());
            }
            if (decoded.kind == auth::sasl::ClientResponse::Kind::malformed) {
                exchange.cancel();
                co_return refuse(smtp::replies::auth_malformed_response());
            }
            response = std::move(decoded.data);
            continue;
        }
        auto& outcome = std::get<auth::SaslOutcome>(reply);
        auto& result = outcome.result;
        if (result.ok()) {
            if (outcome.server_final) {
                // SMTP has no success data in 235: send it as a last challenge (RFC 4954 §4).
                add_reply(smtp::replies::auth_challenge(auth::sasl::encode_server_data(*outcome.server_final)));
                if (!co_await flush()) co_return Flow::close;
                auto line = co_await reader_.read_line();
                if (!line) co_return Flow::close;
                if (line->kind != net::LineBuffer::Kind::line || !line->text.empty()) {
                    co_return refuse(smtp::replies::auth_cancelled());
                }
            }
            user_ = User{result.account_id, result.address, command.mechanism};
            ctx_.logger.info("authenticated as {} ({})", result.address, command.mechanism);
            add_reply(smtp::replies::auth_succeeded());
            co_return Flow::next;
        }
        ctx_.logger.info("authentication failed: {} ({})", auth::auth_status_name(result.status), result.reason);
        switch (result.status) {
            case auth::AuthStatus::temporary_failure:
                add_reply(smtp::replies::auth_temporary_failure());
                co_return Flow::next;
            case auth::AuthStatus::encryption_required:
                co_return refuse(smtp::replies::auth_encryption_required());
            case auth::AuthStatus::malformed:
                co_return refuse(smtp::replies::auth_malformed_response());
            case auth::AuthStatus::aborted:
                co_return refuse(smtp::replies::auth_cancelled());
            default:
                break;
        }
        // bad credentials, banned, service not allowed: one answer for all.
        add_reply(smtp::replies::auth_failed());
        if (errors_.auth_failure()) {
            add_reply(smtp::replies::too_many_errors());
            co_return Flow::close;
        }
        co_return Flow::next;
    }
}

Session::TlsNames Session::tls_names() const {
    if (!conn_.stream->tls_active())
        return {};
    auto summary = conn_.stream->tls_summary();  // "TLSv1.3 TLS_AES_256_GCM_SHA384"
    auto space = summary.find(' ');
    TlsNames names{summary.substr(0, space), {}};
    if (space != std::string::npos)
        names.cipher = summary.substr(space + 1);
    return names;
}

}  // namespace postern::services::smtp_in
