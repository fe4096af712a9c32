// Test-only SCRAM-SHA-256 client: SaltedPassword via PBKDF2, ClientProof and ServerSignature
// per RFC 5802 §3.
#include "scram_client.h"

#include <openssl/evp.h>

#include "auth/digest.h"
#include "base/encoding.h"
#include "base/strings.h"

namespace postern::auth::testing {

std::string ScramClient::client_final(std::string_view server_first) {
    std::string nonce, salt_b64, iterations;
    for (auto part : split(server_first, ',')) {
        if (part.starts_with("r="))
            nonce = part.substr(2);
        if (part.starts_with("s="))
            salt_b64 = part.substr(2);
        if (part.starts_with("i="))
            iterations = part.substr(2);
    }
    auto salt = base64_decode(salt_b64);
    auto rounds = parse_uint(iterations);
    if (nonce.empty() || !salt || !rounds)
        return {};
    std::string salted(32, '\0');
    PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                      reinterpret_cast<const unsigned char*>(salt->data()),
                      static_cast<int>(salt->size()), static_cast<int>(*rounds), EVP_sha256(), 32,
                      reinterpret_cast<unsigned char*>(salted.data()));
    auto client_key = hmac_sha256(salted, "Client Key");
    auto stored_key = sha256(client_key);
    auto server_key = hmac_sha256(salted, "Server Key");
    auto without_proof = "c=" + base64_encode(gs2_header) + ",r=" + nonce + final_extensions;
    auto auth_message = client_first_bare() + "," + std::string(server_first) + "," + without_proof;
    auto signature = hmac_sha256(stored_key, auth_message);
    std::string proof = client_key;
    for (std::size_t i = 0; i < proof.size(); ++i)
        proof[i] ^= signature[i];
    expected_server_final = "v=" + base64_encode(hmac_sha256(server_key, auth_message));
    return without_proof + ",p=" + base64_encode(proof);
}

}  // namespace postern::auth::testing
