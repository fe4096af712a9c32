// A SASL exchange as a service drives it: feed the client's decoded responses, get back a
// challenge to send or the final outcome. Lookups and verification happen off the caller's
// thread; the mechanisms themselves are the pure state machines in sasl/.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "auth/auth_result.h"

namespace postern::auth {

class CredentialChecker;
namespace sasl {
class Mechanism;
}

// Send `data` base64-encoded as a continuation (sasl::encode_server_data) and feed the
// client's answer to the next step().
struct SaslChallenge {
    std::string data;
};

// The exchange is over. On success `server_final` may hold additional data (SCRAM's "v=...");
// a protocol without success data sends it as one more challenge, waits for an empty
// response, then reports success (RFC 4422 §5 step 7). The result's status is what to tell
// the client (see AuthStatus); failures were already counted and logged.
struct SaslOutcome {
    AuthResult result;
    std::optional<std::string> server_final;
};

using SaslReply = std::variant<SaslChallenge, SaslOutcome>;

// Created by Authenticator::start_sasl(). The Authenticator must outlive it and its pending
// callbacks.
class SaslExchange {
  public:
    using Callback = std::function<void(SaslReply)>;

    SaslExchange(CredentialChecker& checker, ClientContext client,
                 std::unique_ptr<sasl::Mechanism> mechanism);
    ~SaslExchange();
    SaslExchange(const SaslExchange&) = delete;
    SaslExchange& operator=(const SaslExchange&) = delete;

    // The first call passes the initial response (nullopt when the client sent none); later
    // calls pass the decoded answer to the last challenge. `done` is called exactly once,
    // normally on an auth worker thread (post back to your executor), or on the calling
    // thread when the server is overloaded or the exchange was misused (step while another is
    // pending, or after the outcome). One step at a time.
    void step(std::optional<std::string> response, Callback done);

    // The client cancelled ("*"). Only between steps. Not counted as a failure.
    SaslOutcome cancel();

    std::string_view mechanism() const;

  private:
    struct State;
    std::shared_ptr<State> state_;  // shared with in-flight jobs, which may outlive this handle
};

}  // namespace postern::auth
