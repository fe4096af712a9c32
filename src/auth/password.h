// Password storage: argon2id hashes for new passwords, the secrets SCRAM-SHA-256 and CRAM-MD5
// need, and verification of hashes imported from other servers ({SCHEME} forms).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace postern::config {
struct AuthConfig;
}

namespace postern::auth {

// Cost settings for new secrets.
struct HashParams {
    std::uint32_t argon2_memory_kib = 19456;
    std::uint32_t argon2_iterations = 2;
    std::uint32_t argon2_parallelism = 1;
    unsigned scram_iterations = 4096;
    bool cram_md5 = false;  // keep the CRAM-MD5 secret (password-equivalent for that mechanism)
    // Keep the password itself for POP3 APOP (RFC 1939 §7), which needs it in the clear. Per
    // account (the directory's `apop` setting), never server-wide.
    bool apop = false;

    static HashParams from(const config::AuthConfig& cfg);
    // Reduced argon2id cost for bulk imports of plain passwords; such hashes are upgraded to
    // `from(cfg)` cost at the account's next successful login (needs_upgrade says so).
    static HashParams bulk_import(const config::AuthConfig& cfg);
};

// What an account stores. Empty fields mean "not known yet": they are derived at the next
// successful password login, when the password is in hand.
struct StoredSecrets {
    std::string hash;  // "{ARGON2ID}$argon2id$v=19$m=..,t=..,p=..$salt$hash" or imported {SCHEME}
    std::string scram_sha256;  // "iterations,salt_b64,storedkey_b64,serverkey_b64"
    std::string cram_md5;      // hex of the HMAC-MD5 inner and outer states (32 bytes)
    std::string apop;          // the password in the clear, only with HashParams::apop
    bool operator==(const StoredSecrets&) const = default;
};

StoredSecrets derive_secrets(std::string_view password, const HashParams& params);

// Checks an imported "{SCHEME}..." hash and returns it in canonical form (scheme upper-case).
// Supported: ARGON2ID, SHA512-CRYPT, SHA256-CRYPT, BLF-CRYPT, MD5-CRYPT, SSHA512, SSHA256,
// PLAIN (also CLEAR). Errc::invalid_argument names what is wrong.
Result<std::string> normalize_imported_hash(std::string_view text);

// The scheme of a stored hash ("ARGON2ID", "SHA512-CRYPT", ...), or "" when unrecognised.
std::string hash_scheme(std::string_view stored_hash);

// Verifies a password against a stored hash of any supported scheme, in constant time with
// respect to the password. False for unrecognised or malformed hashes.
bool verify_hash(std::string_view stored_hash, std::string_view password);

// True when the stored secrets should be re-derived from the password at the next login:
// not argon2id, argon2id at other costs, SCRAM/CRAM secrets missing, or the APOP secret
// missing or present against params.apop.
bool needs_upgrade(const StoredSecrets& secrets, const HashParams& params);

// SCRAM-SHA-256 (RFC 5802/7677) stored secret, parsed.
struct ScramSecret {
    unsigned iterations = 0;
    std::string salt;
    std::string stored_key;  // H(ClientKey), 32 bytes
    std::string server_key;  // HMAC(SaltedPassword, "Server Key"), 32 bytes
};
ScramSecret make_scram_secret(std::string_view password, unsigned iterations, std::string salt);
std::optional<ScramSecret> parse_scram_secret(std::string_view stored);
std::string format_scram_secret(const ScramSecret& s);

// RFC 4013 SASLprep of a password or user name; nullopt when it contains prohibited
// characters. Pure ASCII printable input is returned unchanged.
std::optional<std::string> saslprep(std::string_view text);

// CRAM-MD5 (RFC 2195): the keyed digest of `challenge` from the stored inner/outer states,
// as 32 lower-case hex digits. Empty when the secret is malformed.
std::string cram_md5_digest(std::string_view stored_secret, std::string_view challenge);

// APOP (RFC 1939 §7): MD5 of the greeting's timestamp followed by the password, as 32
// lower-case hex digits.
std::string apop_digest(std::string_view timestamp, std::string_view password);

}  // namespace postern::auth
