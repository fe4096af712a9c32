// SASL PLAIN server side per RFC 4616 §2 (message syntax) and §3 (server checks).
#include "auth/sasl/plain.h"

#include "auth/login_name.h"
#include "base/utf8.h"

namespace postern::auth::sasl {

Step PlainMechanism::start(std::optional<std::string_view> initial_response) {
    if (done_ || state_ != State::initial)
        return finish(out_of_order("start called twice"));
    if (!initial_response) {
        // RFC 4422 §5: without an initial response the server sends an empty challenge.
        state_ = State::await_message;
        return Challenge{};
    }
    return parse(*initial_response);
}

Step PlainMechanism::respond(std::string_view response) {
    if (done_ || state_ != State::await_message)
        return finish(out_of_order("unexpected response"));
    return parse(response);
}

Step PlainMechanism::parse(std::string_view message) {
    auto malformed = [this](std::string reason) {
        return finish(Failure{FailureKind::malformed, std::move(reason)});
    };
    if (message.size() > kMaxResponseLength)
        return malformed("message too long");
    auto first = message.find('\0');
    if (first == std::string_view::npos)
        return malformed("no NUL separator");
    auto second = message.find('\0', first + 1);
    if (second == std::string_view::npos)
        return malformed("one NUL separator only");
    auto authzid = message.substr(0, first);
    auto authcid = message.substr(first + 1, second - first - 1);
    auto password = message.substr(second + 1);
    // The password is the rest; a third NUL means the message is not PLAIN (RFC 4616 §2:
    // passwd = 1*SAFE, and SAFE excludes NUL).
    if (password.find('\0') != std::string_view::npos)
        return malformed("too many NULs");
    if (authcid.empty())
        return malformed("empty authentication identity");
    if (password.empty())
        return malformed("empty password");
    if (authzid.size() > kMaxIdentityLength || authcid.size() > kMaxIdentityLength) {
        return malformed("identity too long");
    }
    if (password.size() > kMaxPasswordLength)
        return malformed("password too long");
    if (!is_valid_utf8(authzid) || !is_valid_utf8(authcid) || !is_valid_utf8(password)) {
        return malformed("not UTF-8");
    }
    if (!authzid.empty() && !same_identity(authzid, authcid)) {
        return finish(Failure{FailureKind::authzid_not_allowed,
                              "authorization identity differs from authentication identity"});
    }
    authzid_ = std::string(authzid);
    authcid_ = std::string(authcid);
    state_ = State::await_verdict;
    return VerifyPassword{authzid_, authcid_, std::string(password)};
}

Step PlainMechanism::password_checked(bool ok) {
    if (done_ || state_ != State::await_verdict)
        return finish(out_of_order("no password pending"));
    if (!ok)
        return finish(Failure{FailureKind::bad_credentials, "wrong password or unknown user"});
    return finish(Success{authcid_, authzid_, std::nullopt});
}

}  // namespace postern::auth::sasl
