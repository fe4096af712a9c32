// The public-key operations of DKIM with OpenSSL 3: RSA (RFC 6376 §3.3.1, PKCS#1 v1.5) and
// Ed25519 over the SHA-256 of the header data (RFC 8463 §3), key loading (SubjectPublicKeyInfo
// or bare RSAPublicKey DER from p=, PEM private keys) and key generation for posternctl.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "filter/dkim/signature.h"

namespace postern::filter::dkim {

struct KeyDeleter {
    void operator()(void* key) const;
};
using PublicKey = std::unique_ptr<void, KeyDeleter>;   // EVP_PKEY
using PrivateKey = std::unique_ptr<void, KeyDeleter>;  // EVP_PKEY

// A public key from a key record's p= (decoded). nullopt with `error` when it cannot be used
// (bad DER, RSA under `min_rsa_bits`, wrong type).
PublicKey load_public_key(const KeyRecord& record, std::size_t min_rsa_bits, std::string* error);

// True when `signature` is valid for `header_data` (the §3.7 hash input) under `key`.
bool verify_header(Algorithm alg, void* key, std::string_view header_data,
                   std::string_view signature);

// A private key from PEM text (PKCS#8 or traditional RSA). Null on error.
PrivateKey load_private_key_pem(std::string_view pem, std::string* error);
// The algorithm a private key signs with (rsa-sha256 or ed25519-sha256); nullopt if neither.
std::optional<Algorithm> algorithm_of(void* key);
// The signature of `header_data`; empty on error.
std::string sign_header(Algorithm alg, void* key, std::string_view header_data);

struct GeneratedKey {
    std::string private_pem;  // PKCS#8
    std::string public_b64;   // p= value: SubjectPublicKeyInfo (RSA) or the raw key (Ed25519)
    std::string key_type;     // "rsa" or "ed25519"
};
// A new key pair: RSA of `rsa_bits` bits, or Ed25519.
std::optional<GeneratedKey> generate_key(bool ed25519, int rsa_bits = 2048);
// The public half of a private key as a key record's p= value.
std::string public_key_b64(void* key);

}  // namespace postern::filter::dkim
