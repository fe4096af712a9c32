// The service-facing authentication API: transport rules (RFC 4954 §4 encryption required,
// RFC 9051 §6.2 LOGINDISABLED), mechanism selection and password checks on the worker pool.
#include "auth/authenticator.h"

#include "auth/login_name.h"
#include "auth/sasl/mechanism.h"
#include "base/strings.h"

namespace postern::auth {

Authenticator::Authenticator(const config::AuthConfig& cfg, AccountLookup& lookup,
                             AuthenticatorOptions options)
    : checker_(std::make_unique<CredentialChecker>(cfg, lookup, std::move(options))) {}

Authenticator::~Authenticator() = default;

void Authenticator::update(const config::AuthConfig& cfg) {
    checker_->update(cfg);
}

std::vector<std::string> Authenticator::mechanisms_for(bool secure_transport,
                                                       bool allow_plaintext) const {
    if (!secure_transport && !allow_plaintext)
        return {};
    return checker_->settings()->cfg.mechanisms;
}

void Authenticator::check_password(PasswordRequest request, Callback done) {
    if (!request.client.secure && !request.client.allow_plaintext) {
        request.client.log.info("clear-text login refused on an unencrypted connection");
        return done(AuthResult::failure(AuthStatus::encryption_required,
                                        "clear-text login on an unencrypted connection"));
    }
    auto shared =
        std::make_shared<std::pair<PasswordRequest, Callback>>(std::move(request), std::move(done));
    checker_->post(
        WorkerPool::Lane::fast,
        // The checker, not `this`: jobs may still run while ~Authenticator destroys checker_.
        [checker = checker_.get(), shared] {
            auto& [req, callback] = *shared;
            auto login = loggable(req.login);
            checker->check_password(
                req.client, std::move(req.login), std::move(req.password),
                [log = req.client.log, login, callback](AuthResult result) {
                    if (result.ok()) {
                        log.info("login of {} as {} succeeded", login, result.address);
                    } else {
                        log.info("login of {} failed ({}): {}", login,
                                 auth_status_name(result.status), result.reason);
                    }
                    callback(std::move(result));
                });
        },
        [shared] {
            shared->second(
                AuthResult::failure(AuthStatus::temporary_failure, "server busy or stopping"));
        });
}

void Authenticator::check_apop(ApopRequest request, Callback done) {
    if (!request.client.secure && !request.client.allow_plaintext) {
        request.client.log.info("APOP refused on an unencrypted connection");
        return done(AuthResult::failure(AuthStatus::encryption_required,
                                        "APOP on an unencrypted connection"));
    }
    auto shared =
        std::make_shared<std::pair<ApopRequest, Callback>>(std::move(request), std::move(done));
    checker_->post(
        WorkerPool::Lane::fast,
        [checker = checker_.get(), shared] {
            auto& [req, callback] = *shared;
            auto result = checker->check_apop(req.client, req.login, req.timestamp, req.digest);
            if (result.ok()) {
                req.client.log.info("APOP of {} as {} succeeded", loggable(req.login),
                                    result.address);
            } else {
                req.client.log.info("APOP of {} failed ({}): {}", loggable(req.login),
                                    auth_status_name(result.status), result.reason);
            }
            callback(std::move(result));
        },
        [shared] {
            shared->second(
                AuthResult::failure(AuthStatus::temporary_failure, "server busy or stopping"));
        });
}

Result<std::unique_ptr<SaslExchange>> Authenticator::start_sasl(SaslRequest request) {
    auto settings = checker_->settings();
    std::string name;
    for (const auto& m : settings->cfg.mechanisms) {
        if (iequals(m, request.mechanism))
            name = m;
    }
    if (name.empty())
        return fail(Errc::not_found, "SASL mechanism not available");
    if (!request.client.secure && !request.client.allow_plaintext) {
        return fail(Errc::permission_denied, "authentication requires an encrypted connection");
    }
    sasl::MechanismOptions options;
    options.hostname = checker_->options().hostname;
    options.scram_iterations = settings->cfg.scram_iterations;
    options.nonce = checker_->options().sasl_nonce;
    auto mechanism = sasl::make_mechanism(name, options);
    if (!mechanism)
        return fail(Errc::not_found, "SASL mechanism not implemented: " + name);
    return std::make_unique<SaslExchange>(*checker_, std::move(request.client),
                                          std::move(mechanism));
}

void Authenticator::password_changed(std::int64_t account_id) {
    checker_->cache().invalidate(account_id);
}

void Authenticator::configure_protocol_errors(const ProtocolErrorLimits& limits) {
    checker_->tracker().configure_protocol_errors(limits);
}

bool Authenticator::record_protocol_error(const IpAddress& ip) {
    return checker_->tracker().record_protocol_error(ip, checker_->now());
}

bool Authenticator::ip_blocked(const IpAddress& ip) const {
    return checker_->tracker().ip_blocked_until(ip, checker_->now()).has_value();
}

std::vector<Ban> Authenticator::bans() const {
    return checker_->tracker().bans(checker_->now());
}

bool Authenticator::unban_ip(const IpAddress& ip) {
    return checker_->tracker().unban_ip(ip);
}

bool Authenticator::unban_account(std::string_view account) {
    // Locks are keyed by lower-cased canonical address, or by normalized login for names
    // that match no account; accept either spelling from the admin.
    auto lowered = to_lower(account);
    bool any = checker_->tracker().unban_account(lowered);
    if (auto login = normalize_login(account); login && *login != lowered) {
        any = checker_->tracker().unban_account(*login) || any;
    }
    return any;
}

AuthStats Authenticator::stats() const {
    return checker_->stats();
}

}  // namespace postern::auth
