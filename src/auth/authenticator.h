// The one credential-check API every service uses: password checks (USER/PASS, IMAP LOGIN,
// HTTP Basic) and SASL exchanges, with service permissions, brute-force bans, a cache of
// recent verifications and migration of imported hashes to argon2id.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/account_lookup.h"
#include "auth/auth_result.h"
#include "auth/credential_checker.h"
#include "auth/failure_tracker.h"
#include "auth/sasl_exchange.h"
#include "base/result.h"
#include "config/config.h"

namespace postern::auth {

struct SaslRequest {
    std::string mechanism;  // as the client named it; case-insensitive
    ClientContext client;
};

// Owns a small worker pool (`hash_threads`) on which lookups and hashing run, so no caller's
// event-loop thread ever blocks. Callbacks run on those workers: they must not block, and
// services post back to their own executor. All members are thread-safe. The Authenticator
// must outlive every SaslExchange it made; destroying it waits for running jobs and answers
// queued ones with temporary_failure.
class Authenticator {
  public:
    using Callback = std::function<void(AuthResult)>;

    // `lookup` must outlive the Authenticator.
    Authenticator(const config::AuthConfig& cfg, AccountLookup& lookup,
                  AuthenticatorOptions options = {});
    ~Authenticator();
    Authenticator(const Authenticator&) = delete;
    Authenticator& operator=(const Authenticator&) = delete;

    // Applies a reloaded [auth] section: mechanisms, cache, limits, costs, pool size.
    void update(const config::AuthConfig& cfg);

    // Mechanisms to advertise, in configured order. On a plain connection nothing is offered
    // unless the service allows clear-text auth (then everything configured is). SCRAM would
    // be safe from eavesdroppers there, but without TLS the session that follows is not, so
    // the same rule keeps the admin's choice simple.
    std::vector<std::string> mechanisms_for(bool secure_transport, bool allow_plaintext) const;

    // Checks a login and password; `done` is called exactly once, on a worker thread — or on
    // the calling thread when refused before any work: encryption_required, or
    // temporary_failure when the server is overloaded.
    void check_password(PasswordRequest request, Callback done);

    // Checks an APOP digest (RFC 1939 §7). Only accounts whose `apop` setting is on and that
    // hold the clear-text secret can pass; for every other the answer is the same
    // bad_credentials as for a wrong digest. Bans, service permissions and failure counting as
    // for passwords; APOP is refused like clear-text logins on unencrypted connections that
    // do not allow them (MD5 of a timestamp does not stand up to an eavesdropper).
    void check_apop(ApopRequest request, Callback done);

    // Starts an exchange. Errc::not_found when the mechanism is unknown or not enabled;
    // Errc::permission_denied when the connection is not secure and the service does not
    // allow clear-text authentication (SMTP 538 5.7.11, IMAP [PRIVACYREQUIRED]).
    Result<std::unique_ptr<SaslExchange>> start_sasl(SaslRequest request);

    // The account's password changed (or the account was disabled or deleted): forget its
    // cached verifications. The directory also bumps password_generation, which has the
    // same effect for entries this call might miss.
    void password_changed(std::int64_t account_id);

    // The protocol-error ban ([protection.auto_ban]); see FailureTracker.
    void configure_protocol_errors(const ProtocolErrorLimits& limits);
    bool record_protocol_error(const IpAddress& ip);  // true: the IP is banned from now
    bool ip_blocked(const IpAddress& ip) const;

    // Admin views of the brute-force accounting.
    std::vector<Ban> bans() const;
    bool unban_ip(const IpAddress& ip);
    bool unban_account(std::string_view account);  // canonical address or login

    AuthStats stats() const;

  private:
    std::unique_ptr<CredentialChecker> checker_;
};

}  // namespace postern::auth
