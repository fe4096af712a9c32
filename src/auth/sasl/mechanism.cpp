// Shared parts of the SASL mechanisms (RFC 4422 §3-§5): out-of-order handling, the
// mechanism factory and the per-process secret.
#include "auth/sasl/mechanism.h"

#include "auth/sasl/cram_md5.h"
#include "auth/sasl/login.h"
#include "auth/sasl/plain.h"
#include "auth/sasl/scram_sha256.h"
#include "base/random.h"
#include "base/strings.h"

namespace postern::auth::sasl {

std::string_view failure_kind_name(FailureKind kind) {
    switch (kind) {
        case FailureKind::malformed:
            return "malformed";
        case FailureKind::bad_credentials:
            return "bad_credentials";
        case FailureKind::aborted:
            return "aborted";
        case FailureKind::authzid_not_allowed:
            return "authzid_not_allowed";
    }
    return "unknown";
}

Step Mechanism::provide_credentials(const StoredSecrets* /*secrets*/) {
    return out_of_order("credentials were not asked for");
}

Step Mechanism::password_checked(bool /*ok*/) {
    return out_of_order("no password was presented");
}

Step Mechanism::cancel() {
    done_ = true;
    return Failure{FailureKind::aborted, "cancelled by the client"};
}

Step Mechanism::finish(Step step) {
    if (std::holds_alternative<Success>(step) || std::holds_alternative<Failure>(step))
        done_ = true;
    return step;
}

Step Mechanism::out_of_order(std::string_view what) {
    return Failure{FailureKind::malformed, "out of order: " + std::string(what)};
}

std::unique_ptr<Mechanism> make_mechanism(std::string_view name, const MechanismOptions& options) {
    if (iequals(name, "PLAIN"))
        return std::make_unique<PlainMechanism>();
    if (iequals(name, "LOGIN"))
        return std::make_unique<LoginMechanism>();
    if (iequals(name, "CRAM-MD5")) {
        return std::make_unique<CramMd5Mechanism>(options.hostname, options.nonce);
    }
    if (iequals(name, "SCRAM-SHA-256")) {
        const auto& key = options.fake_salt_key.empty() ? process_secret() : options.fake_salt_key;
        return std::make_unique<ScramSha256Mechanism>(options.scram_iterations, key, options.nonce);
    }
    return nullptr;
}

const std::string& process_secret() {
    static const std::string secret = random_bytes(32);
    return secret;
}

}  // namespace postern::auth::sasl
