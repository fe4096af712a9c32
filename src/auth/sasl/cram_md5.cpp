// SASL CRAM-MD5 server side per RFC 2195 §2 (challenge format, keyed MD5 response).
#include "auth/sasl/cram_md5.h"

#include <ctime>

#include "auth/digest.h"
#include "base/random.h"
#include "base/strings.h"

namespace postern::auth::sasl {
namespace {

std::string default_nonce() {
    return std::to_string(random_u64()) + "." + std::to_string(std::time(nullptr));
}

bool is_hex_digest(std::string_view s) {
    if (s.size() != 32)
        return false;
    for (char c : s) {
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!hex)
            return false;
    }
    return true;
}

// A well-formed secret no account has, so unknown users cost one digest like known ones.
constexpr std::string_view kDummySecret =
    "00000000000000000000000000000000"
    "00000000000000000000000000000000";

}  // namespace

CramMd5Mechanism::CramMd5Mechanism(std::string hostname, std::function<std::string()> nonce)
    : hostname_(std::move(hostname)), nonce_(std::move(nonce)) {}

Step CramMd5Mechanism::start(std::optional<std::string_view> initial_response) {
    if (done_ || state_ != State::initial)
        return finish(out_of_order("start called twice"));
    if (initial_response) {
        return finish(
            Failure{FailureKind::malformed, "initial response to a server-first mechanism"});
    }
    challenge_ = "<" + (nonce_ ? nonce_() : default_nonce()) + "@" + hostname_ + ">";
    state_ = State::await_response;
    return Challenge{challenge_};
}

Step CramMd5Mechanism::respond(std::string_view response) {
    if (done_ || state_ != State::await_response)
        return finish(out_of_order("unexpected response"));
    if (response.size() > kMaxResponseLength) {
        return finish(Failure{FailureKind::malformed, "response too long"});
    }
    // The digest is the last word: user names may contain spaces, the digest cannot.
    auto space = response.rfind(' ');
    if (space == std::string_view::npos || space == 0) {
        return finish(Failure{FailureKind::malformed, "expected \"user digest\""});
    }
    auto user = response.substr(0, space);
    auto digest = response.substr(space + 1);
    if (!is_hex_digest(digest))
        return finish(Failure{FailureKind::malformed, "bad digest"});
    if (user.size() > kMaxIdentityLength) {
        return finish(Failure{FailureKind::malformed, "user name too long"});
    }
    user_ = std::string(user);
    digest_ = to_lower(digest);
    state_ = State::await_credentials;
    return NeedCredentials{user_};
}

Step CramMd5Mechanism::provide_credentials(const StoredSecrets* secrets) {
    if (done_ || state_ != State::await_credentials) {
        return finish(out_of_order("credentials were not asked for"));
    }
    bool usable = secrets && !secrets->cram_md5.empty();
    auto expected =
        cram_md5_digest(usable ? std::string_view(secrets->cram_md5) : kDummySecret, challenge_);
    bool match = usable && constant_time_equal(expected, digest_);
    if (!match)
        return finish(Failure{FailureKind::bad_credentials, "wrong digest or unknown user"});
    return finish(Success{user_, "", std::nullopt});
}

}  // namespace postern::auth::sasl
