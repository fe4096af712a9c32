// Checks on what a script asks for: reply codes and texts (RFC 5321 §4.2, RFC 3463), header
// fields (RFC 5322 §2.2, no CR/LF injection), envelope addresses (RFC 5321 §4.1.2), relay
// hosts, NDR text. Pure functions; thread-safe. The `const char*` checks return nullptr when the
// input is valid, else a static message; they never allocate, so the Lua bindings can call them
// before raising an error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "filter/policy/decision.h"

namespace postern::filter::policy {

inline constexpr std::size_t kMaxReplyText = 400;   // fits a 512-octet reply line
inline constexpr std::size_t kMaxHeaderName = 76;   // a name that leaves room for a value
inline constexpr std::size_t kMaxHeaderLine = 998;  // RFC 5322 §2.1.1, name ": " value
inline constexpr std::size_t kMaxNdrText = 8192;
inline constexpr std::size_t kMaxLogText = 1000;           // longer log() text is cut
inline constexpr std::size_t kMaxHeaderChanges = 64;       // per call
inline constexpr std::size_t kMaxRecipientChanges = 1000;  // per call
inline constexpr std::size_t kMaxLogLines = 100;           // per call; further lines are dropped

// reject: 500..599; tempfail: 400..499 (421 makes SMTP-IN close the connection after replying).
const char* check_reply_code(Verdict verdict, long long code);
// Printable ASCII (RFC 5321 replies without SMTPUTF8), at most kMaxReplyText bytes.
const char* check_reply_text(std::string_view text);

// A reply text may start with an enhanced status code: "5.7.1 No thanks". Splits it off when the
// text starts with something shaped like one (digits and dots); the check fails when that code is
// malformed or its class differs from the reply code's first digit.
struct ReplyTextParts {
    std::optional<proto::smtp::EnhancedCode> enhanced;
    std::string_view text;
};
const char* split_enhanced_code(std::uint16_t code, std::string_view text, ReplyTextParts& out);

// RFC 5322 §2.2: printable US-ASCII except ':', 1..kMaxHeaderName bytes.
const char* check_header_name(std::string_view name);
// No CR, LF, NUL or other control but TAB; valid UTF-8; name + ": " + value fits one line.
const char* check_header_value(std::string_view name, std::string_view value);
// Received fields count hops for loop detection, so a script may not remove them.
const char* check_header_removable(std::string_view name);

// Valid UTF-8 without NUL or controls other than TAB, CR, LF; at most kMaxNdrText bytes.
const char* check_ndr_text(std::string_view text);

// An envelope address "local@domain" (optionally in angle brackets) in normal form, or nullopt
// when it is not a valid RFC 5321 Mailbox (UTF-8 allowed, RFC 6531).
std::optional<std::string> normalize_address(std::string_view text);

// A relay host: a domain, an address literal "[192.0.2.1]", or a bare IP address (returned as a
// literal). nullopt when it is none of these.
std::optional<std::string> normalize_relay_host(std::string_view host);
std::optional<RelayTls> relay_tls_from_name(std::string_view name);

// Log text made safe for one log line: controls become '?', invalid UTF-8 bytes too, and the text
// is cut (on a character boundary) to kMaxLogText bytes.
std::string sanitize_log_text(std::string_view text);

}  // namespace postern::filter::policy
