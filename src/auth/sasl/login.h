// SASL LOGIN (draft-murchison-sasl-login-00): the widespread "Username:"/"Password:" exchange.
#pragma once

#include "auth/sasl/mechanism.h"

namespace postern::auth::sasl {

// Steps: start(ir) → Challenge "Username:" → respond(user) → Challenge "Password:" →
// respond(pw) → VerifyPassword → password_checked(ok) → Success | Failure. A non-empty initial
// response is the user name (an empty one is treated as absent, as common clients expect).
// The mechanism has no authorization identity.
class LoginMechanism final : public Mechanism {
  public:
    std::string_view name() const override { return "LOGIN"; }
    Step start(std::optional<std::string_view> initial_response) override;
    Step respond(std::string_view response) override;
    Step password_checked(bool ok) override;

    static constexpr std::string_view kUserPrompt = "Username:";
    static constexpr std::string_view kPasswordPrompt = "Password:";

  private:
    enum class State { initial, await_user, await_password, await_verdict };
    Step take_user(std::string_view user);

    State state_ = State::initial;
    std::string authcid_;
};

}  // namespace postern::auth::sasl
