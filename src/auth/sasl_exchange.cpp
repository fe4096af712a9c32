// Drives one SASL mechanism (RFC 4422 §5 exchange) against the directory: answers
// NeedCredentials with a lookup and VerifyPassword with the shared password flow.
#include "auth/sasl_exchange.h"

#include "auth/credential_checker.h"
#include "auth/login_name.h"
#include "auth/sasl/mechanism.h"

namespace postern::auth {

struct SaslExchange::State : std::enable_shared_from_this<State> {
    CredentialChecker& checker;
    ClientContext client;
    std::unique_ptr<sasl::Mechanism> mechanism;
    bool started = false;
    bool busy = false;
    bool finished = false;
    std::optional<CredentialChecker::Lookup> looked;
    std::optional<AuthResult> password_result;  // the password flow's verdict (PLAIN, LOGIN)

    State(CredentialChecker& c, ClientContext cl, std::unique_ptr<sasl::Mechanism> m)
        : checker(c), client(std::move(cl)), mechanism(std::move(m)) {}

    void begin(std::optional<std::string> response, const Callback& done);
    void drive(sasl::Step step, const Callback& done);
    void finish(AuthResult result, std::optional<std::string> server_final, const Callback& done);
    AuthResult from_failure(const sasl::Failure& failure);
};

SaslExchange::SaslExchange(CredentialChecker& checker, ClientContext client,
                           std::unique_ptr<sasl::Mechanism> mechanism)
    : state_(std::make_shared<State>(checker, std::move(client), std::move(mechanism))) {}

SaslExchange::~SaslExchange() = default;

std::string_view SaslExchange::mechanism() const {
    return state_->mechanism->name();
}

void SaslExchange::step(std::optional<std::string> response, Callback done) {
    auto& s = *state_;
    if (s.busy || s.finished) {
        return done(SaslOutcome{
            AuthResult::failure(AuthStatus::malformed, "SASL step out of order"), std::nullopt});
    }
    s.busy = true;
    auto shared_done = std::make_shared<Callback>(std::move(done));
    s.checker.post(
        WorkerPool::Lane::fast,
        [state = state_, response = std::move(response), shared_done]() mutable {
            state->begin(std::move(response), *shared_done);
        },
        [state = state_, shared_done] {
            state->finish(
                AuthResult::failure(AuthStatus::temporary_failure, "server busy or stopping"),
                std::nullopt, *shared_done);
        });
}

SaslOutcome SaslExchange::cancel() {
    auto& s = *state_;
    if (!s.finished && !s.busy) {
        s.finished = true;
        s.mechanism->cancel();
        s.client.log.info("{} authentication cancelled by the client", s.mechanism->name());
    }
    return SaslOutcome{AuthResult::failure(AuthStatus::aborted, "cancelled by the client"),
                       std::nullopt};
}

void SaslExchange::State::begin(std::optional<std::string> response, const Callback& done) {
    if (started)
        return drive(mechanism->respond(response.value_or("")), done);
    started = true;
    if (auto banned = checker.check_bans(client, {}))
        return finish(std::move(*banned), std::nullopt, done);
    drive(mechanism->start(response), done);
}

void SaslExchange::State::drive(sasl::Step step, const Callback& done) {
    while (true) {
        if (auto* c = std::get_if<sasl::Challenge>(&step)) {
            busy = false;
            return done(SaslChallenge{std::move(c->data)});
        }
        if (auto* need = std::get_if<sasl::NeedCredentials>(&step)) {
            auto found = checker.lookup(need->authcid);
            if (!found) {
                client.log.error("account lookup for {} failed: {}", loggable(need->authcid),
                                 found.error().to_string());
                return finish(
                    AuthResult::failure(AuthStatus::temporary_failure, "directory unavailable"),
                    std::nullopt, done);
            }
            looked = std::move(*found);
            if (auto locked = checker.check_bans(client, looked->failure_key)) {
                return finish(std::move(*locked), std::nullopt, done);
            }
            step = mechanism->provide_credentials(looked->account ? &looked->account->secrets
                                                                  : nullptr);
            continue;
        }
        if (auto* verify = std::get_if<sasl::VerifyPassword>(&step)) {
            checker.check_password(client, std::move(verify->authcid), std::move(verify->password),
                                   [self = shared_from_this(), done](AuthResult result) {
                                       bool ok = result.ok();
                                       self->password_result = std::move(result);
                                       self->drive(self->mechanism->password_checked(ok), done);
                                   });
            return;
        }
        if (auto* success = std::get_if<sasl::Success>(&step)) {
            if (password_result)
                return finish(std::move(*password_result), std::nullopt, done);
            if (!looked || !looked->account) {  // no mechanism succeeds without credentials
                return finish(AuthResult::failure(AuthStatus::bad_credentials, "no account"),
                              std::nullopt, done);
            }
            auto result = checker.admit(client, *looked->account, looked->failure_key);
            auto server_final = result.ok() ? std::move(success->server_final) : std::nullopt;
            return finish(std::move(result), std::move(server_final), done);
        }
        return finish(from_failure(std::get<sasl::Failure>(step)), std::nullopt, done);
    }
}

AuthResult SaslExchange::State::from_failure(const sasl::Failure& failure) {
    // The password flow already counted and classified its own verdict.
    if (password_result && failure.kind == sasl::FailureKind::bad_credentials) {
        return std::move(*password_result);
    }
    switch (failure.kind) {
        case sasl::FailureKind::aborted:
            return AuthResult::failure(AuthStatus::aborted, failure.reason);
        case sasl::FailureKind::malformed:
            checker.record_failure(client, {});
            return AuthResult::failure(AuthStatus::malformed, failure.reason);
        case sasl::FailureKind::authzid_not_allowed:
            checker.record_failure(client, {});
            return AuthResult::failure(AuthStatus::bad_credentials, failure.reason);
        case sasl::FailureKind::bad_credentials:
            break;
    }
    checker.record_failure(client, looked ? std::string_view(looked->failure_key) : "");
    return AuthResult::failure(AuthStatus::bad_credentials, failure.reason);
}

void SaslExchange::State::finish(AuthResult result, std::optional<std::string> server_final,
                                 const Callback& done) {
    finished = true;
    busy = false;
    if (result.ok()) {
        client.log.info("{} authentication of {} succeeded", mechanism->name(), result.address);
    } else {
        client.log.info("{} authentication failed ({}): {}", mechanism->name(),
                        auth_status_name(result.status), result.reason);
    }
    done(SaslOutcome{std::move(result), std::move(server_final)});
}

}  // namespace postern::auth
