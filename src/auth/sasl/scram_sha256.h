// SASL SCRAM-SHA-256 server side (RFC 5802, RFC 7677), without channel binding (-PLUS).
#pragma once

#include <functional>

#include "auth/password.h"
#include "auth/sasl/mechanism.h"

namespace postern::auth::sasl {

// Steps: start(ir) → [Challenge "" → respond(client-first)] → NeedCredentials{username after
// SASLprep} → provide_credentials(secrets) → Challenge server-first → respond(client-final)
// → Success{server_final "v=..."} | Failure. An unknown user, or an account without a SCRAM
// secret yet, gets a salt and iteration count derived from `fake_salt_key` and the name, so
// the server-first message looks like a real account's; the exchange then fails at the proof.
class ScramSha256Mechanism final : public Mechanism {
  public:
    // `nonce` returns the server's nonce part (printable, no ','); empty function: random.
    ScramSha256Mechanism(unsigned fake_iterations, std::string fake_salt_key,
                         std::function<std::string()> nonce);

    std::string_view name() const override { return "SCRAM-SHA-256"; }
    Step start(std::optional<std::string_view> initial_response) override;
    Step respond(std::string_view response) override;
    Step provide_credentials(const StoredSecrets* secrets) override;

    static constexpr std::size_t kSaltSize = 16;  // as derive_secrets() stores
    static constexpr std::size_t kServerNonceLength = 24;

  private:
    enum class State { initial, await_first, await_credentials, await_final };
    Step client_first(std::string_view message);
    Step client_final(std::string_view message);
    ScramSecret fake_secret() const;

    unsigned fake_iterations_;
    std::string fake_salt_key_;
    std::function<std::string()> nonce_;
    State state_ = State::initial;
    std::string gs2_header_;
    std::string authzid_;
    std::string user_;
    std::string client_nonce_;
    std::string nonce_all_;  // client + server nonce
    std::string client_first_bare_;
    std::string server_first_;
    ScramSecret secret_;
    bool fake_ = false;
};

}  // namespace postern::auth::sasl
