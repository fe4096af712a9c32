// DKIM canonicalization (RFC 6376 §3.4) and the hashing built on it: header fields split from a
// raw header block with their folding kept, "simple" and "relaxed" forms of a field, and a
// streaming body canonicalizer + hash that honours l= (§3.4.5, §3.5). The header-hash input
// (§3.7) is built here so DKIM signing, verification and later ARC (RFC 8617, same hashing with
// other field names) share it. Pure apart from OpenSSL digests.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace postern::filter::dkim {

enum class Canon { simple, relaxed };
enum class HashAlg { sha1, sha256 };

// One header field as it appears in the message: `raw` is the whole field including its
// continuation lines and the final CRLF.
struct RawField {
    std::string name;  // as written (case kept)
    std::string raw;
};

// Splits a header block (CRLF lines, optionally ending with the empty line) into fields.
// Lines before the first field that are not fields are dropped.
std::vector<RawField> split_header(std::string_view block);

// The canonical form of a whole field (§3.4.1, §3.4.2), with its trailing CRLF.
std::string canon_header(const RawField& field, Canon canon);

// §3.7 step 2: the fields named by `signed_names` picked bottom-up (each name consumes the
// last not yet used instance; a missing one contributes nothing), canonicalized, concatenated.
std::string header_hash_input(const std::vector<RawField>& fields,
                              const std::vector<std::string>& signed_names, Canon canon);

// `field` with the value of its b= tag removed (§3.7: the signature hashes itself that way).
std::string without_b_value(std::string_view raw_field);

// A digest (OpenSSL EVP); one per signature being checked or made.
class Digest {
  public:
    explicit Digest(HashAlg alg);
    ~Digest();
    Digest(const Digest&) = delete;
    Digest& operator=(const Digest&) = delete;
    void update(std::string_view bytes);
    std::string finish();  // raw digest bytes

  private:
    void* ctx_;  // EVP_MD_CTX
};

// Canonicalizes a body fed in pieces of any size and hashes at most `limit` canonical octets.
class BodyHasher {
  public:
    BodyHasher(Canon canon, HashAlg alg, std::optional<std::uint64_t> limit);
    void feed(std::string_view bytes);
    // The hash of the canonical body (l= applied); call once.
    std::string finish();
    std::uint64_t canonical_length() const { return length_; }  // octets before l= cut

  private:
    void line(std::string_view content);  // one line without its CRLF
    void emit(std::string_view bytes);

    Canon canon_;
    std::optional<std::uint64_t> limit_;
    Digest digest_;
    std::string partial_;  // bytes of the current line not yet terminated
    std::uint64_t empty_lines_ = 0;
    std::uint64_t length_ = 0;  // canonical octets so far
    std::uint64_t hashed_ = 0;
};

}  // namespace postern::filter::dkim
