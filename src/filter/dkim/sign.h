// DKIM signing (RFC 6376 §5, RFC 8463): a DKIM-Signature field for a message from one of our
// domains, relaxed/relaxed, rsa-sha256 or ed25519-sha256 by the key's type. Keys are PEM files
// (posternctl dkim keygen writes them); with several keys for a domain the newest file signs,
// so a new key is rotated in by generating it, publishing its record, and letting the new file
// take over (older files stay for reference until removed).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "filter/dkim/canon.h"
#include "filter/dkim/crypto.h"

namespace postern::filter::dkim {

struct SigningKey {
    std::string domain;
    std::string selector;
    Algorithm algorithm = Algorithm::rsa_sha256;
    std::shared_ptr<void> key;  // EVP_PKEY, shared read-only between sessions
};

// Reads a PEM private key file. The selector is the file's stem ("s2026.pem" -> s2026).
Result<SigningKey> load_signing_key(const std::filesystem::path& file, std::string_view domain);

// The newest (by modification time, then name) "*.pem" key in `dir` for `domain`.
Result<SigningKey> newest_signing_key(const std::filesystem::path& dir, std::string_view domain);

// Fields we sign when present (§5.4.1 recommendations); From is signed once more than present
// so no From can be added later ("oversigning").
const std::vector<std::string>& default_signed_headers();

struct SignOptions {
    std::int64_t now = 0;                   // t=; 0 leaves t= out
    std::optional<std::int64_t> expire_in;  // x= = now + expire_in
    std::vector<std::string> headers;       // empty: default_signed_headers()
};

class Signer {
  public:
    Signer(SigningKey key, SignOptions options = {});
    void feed_body(std::string_view bytes);
    // The "DKIM-Signature: ...\r\n" field for a message with `header` (its fields as they will
    // be delivered); empty when the key cannot sign.
    std::string finish(const std::vector<RawField>& header);

  private:
    SigningKey key_;
    SignOptions options_;
    BodyHasher body_;
};

// The DNS TXT record publishing `public_b64` (the p= value) for a key type ("rsa"/"ed25519").
std::string key_record_text(std::string_view key_type, std::string_view public_b64);

}  // namespace postern::filter::dkim
