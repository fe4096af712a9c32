// SASL CRAM-MD5 (RFC 2195): server challenge "<nonce@hostname>", client "user SP hex-digest".
#pragma once

#include <functional>

#include "auth/sasl/mechanism.h"

namespace postern::auth::sasl {

// Steps: start(nullopt) → Challenge → respond("user digest") → NeedCredentials{user} →
// provide_credentials(secrets) → Success | Failure{bad_credentials}. Server-first: an initial
// response is malformed. Accounts without a stored CRAM-MD5 secret fail like unknown users.
class CramMd5Mechanism final : public Mechanism {
  public:
    // `nonce` returns the "random.timestamp" part of the challenge; empty function: random
    // digits and the current Unix time.
    CramMd5Mechanism(std::string hostname, std::function<std::string()> nonce);

    std::string_view name() const override { return "CRAM-MD5"; }
    Step start(std::optional<std::string_view> initial_response) override;
    Step respond(std::string_view response) override;
    Step provide_credentials(const StoredSecrets* secrets) override;

  private:
    enum class State { initial, await_response, await_credentials };

    std::string hostname_;
    std::function<std::string()> nonce_;
    State state_ = State::initial;
    std::string challenge_;
    std::string user_;
    std::string digest_;  // lower-case hex as sent
};

}  // namespace postern::auth::sasl
