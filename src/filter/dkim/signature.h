// DKIM-Signature fields (RFC 6376 §3.5, RFC 8463 ed25519-sha256) and key records (§3.6.1):
// tag-list parsing with the syntax and semantic checks of §6.1.1 and §6.1.2. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "filter/dkim/canon.h"

namespace postern::filter::dkim {

enum class Algorithm { rsa_sha1, rsa_sha256, ed25519_sha256 };
std::string_view algorithm_name(Algorithm a);  // "rsa-sha256", ...
HashAlg hash_of(Algorithm a);

// tag=value pairs (§3.2); nullopt on a syntax error or a duplicate tag.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_tag_list(
    std::string_view text);

struct Signature {
    Algorithm algorithm = Algorithm::rsa_sha256;
    std::string b;   // decoded signature
    std::string bh;  // decoded body hash
    Canon header_canon = Canon::simple;
    Canon body_canon = Canon::simple;
    std::string domain;                        // d=, lower case
    std::string selector;                      // s=
    std::string identity;                      // i= (default "@" + d)
    std::vector<std::string> signed_headers;   // h=
    std::optional<std::uint64_t> body_length;  // l=
    std::optional<std::int64_t> timestamp;     // t=
    std::optional<std::int64_t> expiration;    // x=

    std::string key_name() const { return selector + "._domainkey." + domain; }
};

struct SignatureLimits {
    std::size_t max_field_length = 8192;
    std::size_t max_signed_headers = 64;
};

// Parses the value of a DKIM-Signature field (after the colon). nullopt with `error` on
// anything §6.1.1 calls a PERMFAIL before the key is fetched (except expiry: see expired()).
std::optional<Signature> parse_signature(std::string_view value, std::string* error,
                                         const SignatureLimits& limits = {});

struct KeyRecord {
    std::string key_type = "rsa";       // k=
    std::string public_key;             // p=, decoded; empty = revoked
    std::vector<std::string> hashes;    // h=, empty = any
    bool testing = false;               // t=y
    bool strict_identity = false;       // t=s
    std::vector<std::string> services;  // s=, empty = *
};

// Parses a key TXT record (§3.6.1); nullopt with `error` when it is not a usable DKIM key.
std::optional<KeyRecord> parse_key_record(std::string_view text, std::string* error);

}  // namespace postern::filter::dkim
