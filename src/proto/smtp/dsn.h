// Delivery Status Notification parameters of MAIL and RCPT (RFC 3461 §4.1-§4.4) and the BODY
// values of 8BITMIME/BINARYMIME (RFC 6152, RFC 3030 §3): typed values, parsing and wire form.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace postern::proto::smtp {

// NOTIFY= (RFC 3461 §4.1) as a bit set; 0 means the parameter was not given.
namespace notify {
inline constexpr std::uint8_t never = 1;
inline constexpr std::uint8_t success = 2;
inline constexpr std::uint8_t failure = 4;
inline constexpr std::uint8_t delay = 8;
}  // namespace notify

// "NEVER" alone, or a comma list of SUCCESS, FAILURE, DELAY (any case, each at most once).
std::optional<std::uint8_t> parse_notify(std::string_view value);
// "SUCCESS,FAILURE" in the canonical order; empty for 0.
std::string format_notify(std::uint8_t bits);

// RET= (RFC 3461 §4.3).
enum class Ret : std::uint8_t { unspecified, full, headers };
std::optional<Ret> parse_ret(std::string_view value);
std::string_view ret_name(Ret ret);  // "FULL", "HDRS", "" for unspecified

// BODY= (RFC 6152 §2, RFC 3030 §3).
enum class Body : std::uint8_t { unspecified, seven_bit, eight_bit_mime, binary_mime };
std::optional<Body> parse_body(std::string_view value);
std::string_view body_name(Body body);  // "7BIT", "8BITMIME", "BINARYMIME", ""

// RFC 3461 §4.4: ENVID is at most 100 characters; §4.2: ORCPT at most 500.
inline constexpr std::size_t kMaxEnvidLength = 100;
inline constexpr std::size_t kMaxOrcptLength = 500;

// ORCPT=addr-type;xtext (RFC 3461 §4.2). `value` is what was received, kept so that a relay
// passes it on unchanged; `address` is its xtext-decoded form for DSNs and logs.
struct OriginalRecipient {
    std::string addr_type;  // lower-cased atom, e.g. "rfc822", "utf-8" (RFC 6533 §3)
    std::string address;    // decoded
    std::string value;      // as received: "rfc822;user+40example.org"

    bool operator==(const OriginalRecipient&) const = default;
};

// Parses an ORCPT value; nullopt when the type is not an atom, the ";" is missing, the xtext
// is invalid, or the whole is longer than kMaxOrcptLength. `allow_utf8`: SMTPUTF8 was used, so
// UTF-8 may appear unencoded (RFC 6531 §3.3, RFC 6533 §3 utf-8-addr-unitext).
std::optional<OriginalRecipient> parse_orcpt(std::string_view value, bool allow_utf8);

// An ORCPT for an address we received as RCPT TO (RFC 3461 §4.2: "rfc822;" + xtext), or
// "utf-8;" + the address when it is not ASCII (RFC 6533 §3).
OriginalRecipient make_orcpt(std::string_view address);

}  // namespace postern::proto::smtp
