// SASL PLAIN (RFC 4616): one client message "[authzid] NUL authcid NUL passwd".
#pragma once

#include "auth/sasl/mechanism.h"

namespace postern::auth::sasl {

// Steps: start(ir) → [Challenge "" → respond(msg)] → VerifyPassword → password_checked(ok)
// → Success | Failure{bad_credentials}. A non-empty authzid must name the authcid itself
// (no proxy authorization yet), else Failure{authzid_not_allowed} before any password check.
class PlainMechanism final : public Mechanism {
  public:
    std::string_view name() const override { return "PLAIN"; }
    Step start(std::optional<std::string_view> initial_response) override;
    Step respond(std::string_view response) override;
    Step password_checked(bool ok) override;

  private:
    enum class State { initial, await_message, await_verdict };
    Step parse(std::string_view message);

    State state_ = State::initial;
    std::string authzid_;
    std::string authcid_;
};

}  // namespace postern::auth::sasl
