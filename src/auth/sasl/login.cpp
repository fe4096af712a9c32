// SASL LOGIN server side (draft-murchison-sasl-login-00 §2), with SASL-IR (RFC 4422 §5).
#include "auth/sasl/login.h"

namespace postern::auth::sasl {

Step LoginMechanism::start(std::optional<std::string_view> initial_response) {
    if (done_ || state_ != State::initial)
        return finish(out_of_order("start called twice"));
    if (!initial_response || initial_response->empty()) {
        state_ = State::await_user;
        return Challenge{std::string(kUserPrompt)};
    }
    return take_user(*initial_response);
}

Step LoginMechanism::take_user(std::string_view user) {
    if (user.empty())
        return finish(Failure{FailureKind::malformed, "empty user name"});
    if (user.size() > kMaxIdentityLength) {
        return finish(Failure{FailureKind::malformed, "user name too long"});
    }
    authcid_ = std::string(user);
    state_ = State::await_password;
    return Challenge{std::string(kPasswordPrompt)};
}

Step LoginMechanism::respond(std::string_view response) {
    if (done_)
        return out_of_order("exchange finished");
    switch (state_) {
        case State::await_user:
            return take_user(response);
        case State::await_password:
            if (response.empty())
                return finish(Failure{FailureKind::malformed, "empty password"});
            if (response.size() > kMaxPasswordLength) {
                return finish(Failure{FailureKind::malformed, "password too long"});
            }
            state_ = State::await_verdict;
            return VerifyPassword{"", authcid_, std::string(response)};
        case State::initial:
        case State::await_verdict:
            break;
    }
    return finish(out_of_order("unexpected response"));
}

Step LoginMechanism::password_checked(bool ok) {
    if (done_ || state_ != State::await_verdict)
        return finish(out_of_order("no password pending"));
    if (!ok)
        return finish(Failure{FailureKind::bad_credentials, "wrong password or unknown user"});
    return finish(Success{authcid_, "", std::nullopt});
}

}  // namespace postern::auth::sasl
