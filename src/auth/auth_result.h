// What a credential check tells the service that asked, and what the service tells us about
// the client. Shared by password checks and SASL exchanges.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/ip_address.h"
#include "log/log.h"

namespace postern::auth {

// Services answer the client with one generic "authentication failed" text for
// bad_credentials, banned and service_not_allowed alike, so that no answer reveals whether an
// account exists, is locked or may use the service; only the log tells them apart.
// encryption_required, malformed, aborted and temporary_failure have their own protocol codes
// (e.g. SMTP 538 5.7.11, 501 5.5.2, 501 5.7.0, 454 4.7.0).
enum class AuthStatus {
    ok,
    bad_credentials,      // unknown user, wrong password, disabled account, authzid refused
    banned,               // the client IP is banned or the account locked for now
    service_not_allowed,  // right password, but the account may not use this service
    encryption_required,  // clear-text credentials on a plain connection that does not allow them
    malformed,            // the client broke the SASL mechanism's syntax
    aborted,              // the client cancelled the exchange
    temporary_failure,    // the directory failed, or the server is overloaded or stopping
};

std::string_view auth_status_name(AuthStatus status);

struct AuthResult {
    AuthStatus status = AuthStatus::bad_credentials;
    std::int64_t account_id = 0;  // when ok
    std::string address;          // when ok: the account's canonical address
    std::string reason;           // for the log only; never shown to clients

    bool ok() const { return status == AuthStatus::ok; }
    static AuthResult failure(AuthStatus status, std::string reason) {
        return AuthResult{status, 0, {}, std::move(reason)};
    }
};

// Who is asking, as the service knows it.
struct ClientContext {
    std::string service;  // "smtp", "imap", "pop3", ... as in AccountCredentials::services
    IpAddress remote_ip;
    bool secure = false;           // TLS, or a local socket
    bool allow_plaintext = false;  // the service's allow_plaintext_auth setting
    log::Logger log;               // the session's logger: lines carry its session id
};

// POP3 APOP (RFC 1939 §7): the greeting's timestamp and the digest the client computed.
struct ApopRequest {
    std::string login;
    std::string timestamp;  // "<...>" exactly as in the greeting
    std::string digest;     // 32 lower-case hex digits
    ClientContext client;
};

struct PasswordRequest {
    std::string login;
    std::string password;
    ClientContext client;
};

}  // namespace postern::auth
