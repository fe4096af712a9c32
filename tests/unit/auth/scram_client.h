// The client side of SCRAM-SHA-256 (RFC 5802 §3), just enough to drive the server in tests.
#pragma once

#include <string>
#include <string_view>

namespace postern::auth::testing {

struct ScramClient {
    std::string username;  // already SASLprep'ed and escaped as it goes on the wire
    std::string password;
    std::string client_nonce;
    std::string gs2_header = "n,,";
    std::string final_extensions;  // e.g. ",x=1": inserted before the proof, and signed

    std::string client_first_bare() const { return "n=" + username + ",r=" + client_nonce; }
    std::string client_first() const { return gs2_header + client_first_bare(); }

    // Builds client-final-message from the server-first-message; empty when the latter cannot
    // be parsed. Remembers the expected server signature.
    std::string client_final(std::string_view server_first);
    std::string expected_server_final;  // "v=..."
};

}  // namespace postern::auth::testing
