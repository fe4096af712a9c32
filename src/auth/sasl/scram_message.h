// SCRAM message syntax (RFC 5802 §5.1 attributes, §7 ABNF): parsing the client's two
// messages and the saslname escaping. Pure; the mechanism in scram_sha256.h does the crypto.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace postern::auth::sasl {

// client-first-message = gs2-header client-first-message-bare
struct ScramClientFirst {
    char cbind_flag = 'n';   // 'n' (client does not support channel binding) or 'y'
    std::string gs2_header;  // as sent, e.g. "n,," — the client echoes it in c=
    std::string authzid;     // decoded; empty when absent
    std::string username;    // decoded, not yet SASLprep'ed
    std::string client_nonce;
    std::string bare;  // client-first-message-bare as sent, for AuthMessage
};

// client-final-message = channel-binding "," nonce ["," extensions] "," proof
struct ScramClientFinal {
    std::string channel_binding;  // decoded c= value
    std::string nonce;            // r=, the client and server nonces together
    std::string proof;            // decoded p= value
    std::string without_proof;    // client-final-message-without-proof as sent
};

// Errc::invalid_argument with a reason for logs. Rejects: "p=" channel binding (no -PLUS
// mechanism is offered), the "m=" mandatory extension, attributes out of order or repeated,
// bad escapes, empty or over-long values, nonces with characters outside %x21-2B / %x2D-7E.
// Well-formed optional extensions in their designated places are ignored (RFC 5802 §5).
Result<ScramClientFirst> parse_scram_client_first(std::string_view message);
Result<ScramClientFinal> parse_scram_client_final(std::string_view message);

// saslname escaping: "," ↔ "=2C", "=" ↔ "=3D". decode: nullopt on any other '=' sequence,
// on NUL or ',' inside, or on an empty name.
std::optional<std::string> decode_saslname(std::string_view text);
std::string encode_saslname(std::string_view name);

// printable = %x21-2B / %x2D-7E: what a nonce may contain.
bool is_scram_printable(std::string_view text);

}  // namespace postern::auth::sasl
