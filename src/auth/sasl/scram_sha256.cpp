// SCRAM-SHA-256 server side: RFC 5802 §3 (proof and signature), §5 (exchange), §5.1 (unknown
// users), RFC 7677 §3 (SHA-256 variant). Channel binding (RFC 5802 §6) is not offered.
#include "auth/sasl/scram_sha256.h"

#include <openssl/crypto.h>

#include "auth/digest.h"
#include "auth/login_name.h"
#include "auth/sasl/scram_message.h"
#include "base/encoding.h"
#include "base/random.h"

namespace postern::auth::sasl {

ScramSha256Mechanism::ScramSha256Mechanism(unsigned fake_iterations, std::string fake_salt_key,
                                           std::function<std::string()> nonce)
    : fake_iterations_(fake_iterations),
      fake_salt_key_(std::move(fake_salt_key)),
      nonce_(std::move(nonce)) {}

Step ScramSha256Mechanism::start(std::optional<std::string_view> initial_response) {
    if (done_ || state_ != State::initial)
        return finish(out_of_order("start called twice"));
    if (!initial_response) {
        state_ = State::await_first;
        return Challenge{};
    }
    return client_first(*initial_response);
}

Step ScramSha256Mechanism::respond(std::string_view response) {
    if (done_)
        return out_of_order("exchange finished");
    if (state_ == State::await_first)
        return client_first(response);
    if (state_ == State::await_final)
        return client_final(response);
    return finish(out_of_order("unexpected response"));
}

Step ScramSha256Mechanism::client_first(std::string_view message) {
    if (message.size() > kMaxResponseLength) {
        return finish(Failure{FailureKind::malformed, "client-first-message too long"});
    }
    auto first = parse_scram_client_first(message);
    if (!first)
        return finish(Failure{FailureKind::malformed, first.error().message});
    // RFC 5802 §5.1: the server prepares the name with SASLprep and aborts when that fails.
    auto user = saslprep(first->username);
    if (!user || user->empty()) {
        return finish(Failure{FailureKind::malformed, "username fails SASLprep"});
    }
    if (!first->authzid.empty()) {
        auto authzid = saslprep(first->authzid);
        if (!authzid || !same_identity(*authzid, *user)) {
            return finish(Failure{FailureKind::authzid_not_allowed,
                                  "authorization identity differs from authentication identity"});
        }
        authzid_ = std::move(*authzid);
    }
    gs2_header_ = std::move(first->gs2_header);
    client_nonce_ = std::move(first->client_nonce);
    client_first_bare_ = std::move(first->bare);
    user_ = std::move(*user);
    state_ = State::await_credentials;
    return NeedCredentials{user_};
}

ScramSecret ScramSha256Mechanism::fake_secret() const {
    // Deterministic per name so that asking twice gives the same salt, as for a real account.
    // SASLprep leaves no NUL or control character in user_, so the prefixes separate domains.
    ScramSecret s;
    s.iterations = fake_iterations_;
    s.salt = hmac_sha256(fake_salt_key_, "scram-sha-256 salt:" + user_).substr(0, kSaltSize);
    s.stored_key = hmac_sha256(fake_salt_key_, "scram-sha-256 stored key:" + user_);
    s.server_key = hmac_sha256(fake_salt_key_, "scram-sha-256 server key:" + user_);
    return s;
}

Step ScramSha256Mechanism::provide_credentials(const StoredSecrets* secrets) {
    if (done_ || state_ != State::await_credentials) {
        return finish(out_of_order("credentials were not asked for"));
    }
    std::optional<ScramSecret> real;
    if (secrets)
        real = parse_scram_secret(secrets->scram_sha256);
    fake_ = !real;
    secret_ = real ? std::move(*real) : fake_secret();
    auto server_nonce = nonce_ ? nonce_() : random_token(kServerNonceLength);
    nonce_all_ = client_nonce_ + server_nonce;
    server_first_ = "r=" + nonce_all_ + ",s=" + base64_encode(secret_.salt) +
                    ",i=" + std::to_string(secret_.iterations);
    state_ = State::await_final;
    return Challenge{server_first_};
}

Step ScramSha256Mechanism::client_final(std::string_view message) {
    auto malformed = [this](std::string why) {
        return finish(Failure{FailureKind::malformed, std::move(why)});
    };
    if (message.size() > kMaxResponseLength)
        return malformed("client-final-message too long");
    auto final_msg = parse_scram_client_final(message);
    if (!final_msg)
        return malformed(final_msg.error().message);
    // With flag n or y and no channel binding data, c= carries the GS2 header alone.
    if (final_msg->channel_binding != gs2_header_)
        return malformed("channel binding mismatch");
    if (final_msg->nonce != nonce_all_)
        return malformed("nonce mismatch");
    if (final_msg->proof.size() != kSha256Size)
        return malformed("proof has the wrong size");

    auto auth_message = client_first_bare_ + "," + server_first_ + "," + final_msg->without_proof;
    // ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); valid iff H(ClientKey) = StoredKey.
    auto client_key = hmac_sha256(secret_.stored_key, auth_message);
    for (std::size_t i = 0; i < client_key.size(); ++i)
        client_key[i] ^= final_msg->proof[i];
    bool match = constant_time_equal(sha256(client_key), secret_.stored_key);
    OPENSSL_cleanse(client_key.data(), client_key.size());
    if (!match || fake_) {
        return finish(Failure{FailureKind::bad_credentials, "wrong proof or unknown user"});
    }
    auto signature = hmac_sha256(secret_.server_key, auth_message);
    return finish(Success{user_, authzid_, "v=" + base64_encode(signature)});
}

}  // namespace postern::auth::sasl
