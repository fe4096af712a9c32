// Mail address and domain name syntax for the directory: validation and the canonical
// (lower-case) form. Local parts follow RFC 5321 §4.1.2 Dot-string (with RFC 6531 UTF-8),
// domains RFC 1123 §2.1 host names; limits from RFC 5321 §4.5.3.1. Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace postern::directory {

inline constexpr std::size_t kMaxLocalPart = 64;  // RFC 5321 §4.5.3.1.1
inline constexpr std::size_t kMaxDomain = 253;    // 255 minus the root label's length octets
inline constexpr std::size_t kMaxLabel = 63;      // RFC 1035 §2.3.4

// A parsed address in canonical form: both parts lower-case (ASCII letters only; other UTF-8
// bytes are kept as given). The directory compares local parts case-insensitively, as almost
// every mail system does, although RFC 5321 §2.4 would allow case-sensitive ones.
struct Address {
    std::string local_part;
    std::string domain;

    std::string to_string() const { return local_part + "@" + domain; }
    bool operator==(const Address&) const = default;
};

// A host name: labels of letters, digits, hyphens (not first or last) and UTF-8 characters,
// 1..63 octets each, 253 in all, not all digits in the last label (that is an IP address).
// One trailing dot is dropped. Returns the lower-case form; Errc::invalid_argument says why not.
Result<std::string> canonical_domain(std::string_view name);

// A Dot-string local part (atext runs separated by single dots), 1..64 octets. Quoted local
// parts are refused: they cannot be typed reliably in a login form or a CSV file.
Result<std::string> canonical_local_part(std::string_view local);

// "local@domain", split at the last '@'. Surrounding whitespace and one pair of angle
// brackets are tolerated (addresses pasted from headers).
Result<Address> parse_address(std::string_view text);

}  // namespace postern::directory
