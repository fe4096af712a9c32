// SMTP envelope addresses: Path, Mailbox, Domain and address literals (RFC 5321 §4.1.2,
// §4.1.3, §4.5.3.1), with UTF-8 local parts and U-labels when SMTPUTF8 is in use (RFC 6531
// §3.3). Only envelope syntax: message header addresses belong to mime/address.h.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "base/ip_address.h"

namespace postern::proto::smtp {

// Octet limits of RFC 5321 §4.5.3.1.1-§4.5.3.1.3. The RFC itself asks servers to accept longer
// objects where they can (§4.5.3.1), and real mail does exceed 64 for local parts (VERP, SRS,
// BATV), so the default is lenient(); rfc() enforces the numbers exactly. A domain is never
// accepted above 255 octets or with an ASCII label above 63: DNS could not resolve it.
struct AddressLimits {
    std::size_t local_part = 64;
    std::size_t domain = 255;
    std::size_t path = 256;  // "<" ... ">" including any source route

    static AddressLimits rfc() { return {64, 255, 256}; }
    static AddressLimits lenient() { return {255, 255, 1024}; }
};

struct AddressPolicy {
    AddressLimits limits = AddressLimits::lenient();
    // "MAIL FROM: <a@b>": not RFC 5321 syntax, but common and unambiguous.
    bool allow_space_after_colon = true;
    // "MAIL FROM:a@b": not RFC 5321 syntax; off because only broken or abusive clients send it.
    bool allow_unbracketed = false;
};

enum class AddressError : std::uint8_t {
    syntax,     // not a valid path/mailbox  -> 553 5.1.3 / 5.1.7
    too_long,   // over AddressLimits        -> 501 5.1.3 / 5.1.7 "Path too long"
    non_ascii,  // 8-bit bytes while UTF-8 is not allowed -> 553 5.6.7
};

// A mailbox in normal form: the local part without quoting (quoted-pairs resolved, case kept,
// RFC 5321 §2.4) and the domain lower-cased (ASCII letters only; U-labels are kept as sent). An
// address literal domain keeps its brackets in normal form: "[192.0.2.1]", "[IPv6:2001:db8::1]".
// The special recipient "<postmaster>" has local part "postmaster" and an empty domain.
struct Mailbox {
    std::string local_part;
    std::string domain;

    bool is_postmaster() const;  // local part "postmaster" in any case (RFC 5321 §4.5.1)
    bool has_address_literal() const { return !domain.empty() && domain.front() == '['; }
    bool is_utf8() const;  // needs SMTPUTF8 (RFC 6531 §3.3)
    // Wire form without brackets: the local part is quoted when it is not a Dot-string.
    std::string to_string() const;
    bool operator==(const Mailbox&) const = default;
};

enum class PathKind : std::uint8_t {
    reverse,  // MAIL FROM: "<>" allowed
    forward,  // RCPT TO: "<postmaster>" allowed
};

struct PathParse {
    std::optional<Mailbox> mailbox;  // nullopt: the null reverse-path "<>"
    std::size_t length = 0;          // octets of `text` the path occupied
};

// Parses the path at the start of `text` (after "FROM:"/"TO:" and any tolerated space). It ends
// at the matching ">" (or, when unbracketed paths are allowed, at the first space); what
// follows is left to the caller. A source route ("<@a,@b:user@c>") is validated and dropped
// (RFC 5321 §4.1.1.3, §C). `allow_utf8`: SMTPUTF8 was offered, so UTF-8 local parts and U-labels
// are valid syntax (whether this transaction may use them is the caller's check).
std::expected<PathParse, AddressError> parse_path(std::string_view text, PathKind kind,
                                                  const AddressPolicy& policy, bool allow_utf8);

// The whole of `text` as a Mailbox ("user@example.org", no brackets).
std::expected<Mailbox, AddressError> parse_mailbox(std::string_view text,
                                                   const AddressPolicy& policy, bool allow_utf8);

// RFC 5321 Domain (no address literal): LDH labels, or U-labels with `allow_utf8`. No trailing
// dot. IDNA2008 validity of U-labels is not checked here (the resolver converts them).
bool is_valid_domain(std::string_view domain, bool allow_utf8);

// A bracketed address literal (RFC 5321 §4.1.3) in normal form ("[IPv6:" tag spelled so, hex
// lower-cased), or nullopt when it is not one. General literals ("[tag:content]") are syntax
// only: no standard tag other than IPv6 exists.
std::optional<std::string> normalize_address_literal(std::string_view literal);

// The IP address of an IPv4 or IPv6 address literal in normal form.
std::optional<IpAddress> address_literal_ip(std::string_view literal);

// RFC 5321 Dot-string (atoms separated by single dots), UTF-8 atoms with `allow_utf8`.
bool is_dot_string(std::string_view local_part, bool allow_utf8);

// The local part as it must be written: as is when a Dot-string, else as a Quoted-string.
std::string quote_local_part(std::string_view local_part);

}  // namespace postern::proto::smtp
