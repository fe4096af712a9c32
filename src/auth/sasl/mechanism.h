// The common shape of a server-side SASL mechanism (RFC 4422 §3, §5): a pure state machine
// that turns the client's decoded responses into typed steps. No I/O, no threads, no clocks.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "auth/password.h"

namespace postern::auth::sasl {

// Caps on what a client may send. RFC 4616 §2 asks servers to accept identities and
// passwords of at least 255 octets; these leave generous room above that.
inline constexpr std::size_t kMaxResponseLength = 4096;  // one decoded client response
inline constexpr std::size_t kMaxIdentityLength = 512;   // authcid, authzid
inline constexpr std::size_t kMaxPasswordLength = 1024;
inline constexpr std::size_t kMaxNonceLength = 256;  // SCRAM client nonce

enum class FailureKind {
    malformed,            // the response broke the mechanism's syntax or limits
    bad_credentials,      // wrong password/proof, or no such account (never told apart)
    aborted,              // the client cancelled the exchange ("*", RFC 4422 §3.5)
    authzid_not_allowed,  // authorization identity differs from the authentication identity
};

std::string_view failure_kind_name(FailureKind kind);

// Send these bytes as a server challenge (the protocol layer base64-encodes them; an empty
// challenge is sent as an empty continuation line).
struct Challenge {
    std::string data;
};

// The mechanism needs the stored secrets of `authcid`. Answer with provide_credentials().
struct NeedCredentials {
    std::string authcid;
};

// The mechanism received a clear-text password. Verify it and answer with password_checked().
struct VerifyPassword {
    std::string authzid;  // empty, or equal to authcid (checked by the mechanism)
    std::string authcid;
    std::string password;
};

struct Success {
    std::string authcid;
    std::string authzid;
    // Additional data with success (RFC 4422 §5 step 7; SCRAM's "v=..."). A protocol that
    // cannot carry it in its success reply sends it as one more challenge and expects an
    // empty response before reporting success.
    std::optional<std::string> server_final;
};

struct Failure {
    FailureKind kind;
    std::string reason;  // for logs only; never shown to the client
};

using Step = std::variant<Challenge, NeedCredentials, VerifyPassword, Success, Failure>;

// One exchange of one mechanism. Call start() first, then respond() after each Challenge,
// provide_credentials() after NeedCredentials and password_checked() after VerifyPassword.
// A call out of that order, or any call after Success/Failure, yields Failure{malformed}.
// Not thread-safe; one exchange is driven by one caller at a time.
class Mechanism {
  public:
    virtual ~Mechanism() = default;

    virtual std::string_view name() const = 0;

    // `initial_response` is the SASL-IR response (RFC 4422 §5 step 2), possibly empty;
    // nullopt when the client sent none.
    virtual Step start(std::optional<std::string_view> initial_response) = 0;

    // The client's decoded answer to the last Challenge.
    virtual Step respond(std::string_view response) = 0;

    // The stored secrets of the account NeedCredentials named; nullptr when there is no such
    // account. The mechanism must not reveal the difference before the final verdict.
    // The pointer is only read during the call.
    virtual Step provide_credentials(const StoredSecrets* secrets);

    // Whether the password VerifyPassword carried is right.
    virtual Step password_checked(bool ok);

    // The client cancelled; always Failure{aborted}.
    Step cancel();

  protected:
    bool done_ = false;
    Step finish(Step step);  // marks the exchange done when `step` is Success or Failure
    static Step out_of_order(std::string_view what);
};

// How mechanisms get what they cannot compute purely.
struct MechanismOptions {
    // CRAM-MD5's challenge is "<nonce@hostname>" (RFC 2195 §2).
    std::string hostname = "localhost";
    // SCRAM's answer for unknown users uses this iteration count and a salt derived from
    // `fake_salt_key` and the user name (RFC 5802 §5.1), so both look like a real account's.
    unsigned scram_iterations = 4096;
    std::string fake_salt_key;  // empty: process_secret()
    // The server nonce (SCRAM, printable ASCII without ',') or the "random.timestamp" part of
    // the CRAM-MD5 challenge. Empty function: a fresh random value. Tests inject fixed values.
    std::function<std::string()> nonce;
};

// Creates a mechanism by its IANA name (case-insensitive): PLAIN, LOGIN, CRAM-MD5,
// SCRAM-SHA-256. nullptr for any other name.
std::unique_ptr<Mechanism> make_mechanism(std::string_view name, const MechanismOptions& options);

// 32 random bytes drawn once per process: the default key for SCRAM's fake salts and for
// other per-process keyed hashes. Immutable after the first call; thread-safe.
const std::string& process_secret();

}  // namespace postern::auth::sasl
