// Low-level IMAP response data (RFC 9051 §4, §9; RFC 3501 §4, §9): atoms, numbers, NIL, quoted
// strings, literals and literal8 (RFC 3516), sets, flag lists, date-time and mailbox names
// (RFC 3501 §5.1.3, RFC 6855 §3). Pure functions appending to a caller-owned buffer.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace postern::proto::imap {

// What the client enabled, which decides how strings and mailbox names are written. One value
// per session; ENABLE changes it between commands, never during a response.
struct SessionMode {
    bool utf8_accept = false;  // ENABLE UTF8=ACCEPT (RFC 6855 §3)
    bool imap4rev2 = false;    // ENABLE IMAP4rev2 (RFC 9051 §6.3.1)

    // UTF-8 is allowed in quoted strings and mailbox names are UTF-8, not modified UTF-7: RFC
    // 6855 §3 for UTF8=ACCEPT, RFC 9051 §5.1 and its QUOTED-CHAR rule for IMAP4rev2.
    bool utf8() const { return utf8_accept || imap4rev2; }
};

// Longest string written quoted; longer ones become literals (they are rare in responses, and
// a literal costs the client no unescaping).
inline constexpr std::size_t kMaxQuotedLength = 1024;

// RFC 9051 §9 ATOM-CHAR: a 7-bit char that is not a control, SP, "(", ")", "{", "%", "*", '"',
// "\" or "]". ASTRING-CHAR adds "]".
bool is_atom_char(char c);
bool is_astring_char(char c);
// Non-empty and made only of ATOM-CHARs.
bool is_atom(std::string_view s);

// How append_string() would write `s` in `mode`: quoted when short, free of CR, LF and NUL, and
// 7-bit (or valid UTF-8 in a UTF-8 session); a literal otherwise. NUL bytes are dropped before
// the choice (no IMAP string may carry them: RFC 9051 §4.3 CHAR8 excludes %x00).
enum class StringChoice : std::uint8_t { quoted, literal };
StringChoice choose_string_form(std::string_view s, const SessionMode& mode);

void append_nil(std::string& out);
void append_number(std::string& out, std::uint64_t n);
// A string (RFC 9051 §4.3): "quoted" with \" and \\ escaped, or {n}CRLF followed by the bytes.
void append_string(std::string& out, std::string_view s, const SessionMode& mode);
// nstring: NIL when absent.
void append_nstring(std::string& out, std::optional<std::string_view> s, const SessionMode& mode);
// astring: a bare atom when every char is an ASTRING-CHAR (and it is not "NIL", which some
// clients would read as nil), else a string.
void append_astring(std::string& out, std::string_view s, const SessionMode& mode);
// A quoted string for places that cannot hold a literal (response codes, resp-text): CR, LF,
// NUL and other controls become spaces, and outside a UTF-8 session 8-bit bytes become '?'.
void append_quoted_only(std::string& out, std::string_view s, const SessionMode& mode);

// Literal framing: "{n}\r\n", or "~{n}\r\n" for literal8 (RFC 3516 §4.2, only in answer to
// BINARY). The caller then sends exactly n bytes.
void append_literal_header(std::string& out, std::uint64_t size, bool literal8);
// Header plus data. In a plain literal NUL bytes become 0x80 (they are not CHAR8; Dovecot does
// the same), so the size still matches RFC822.SIZE; literal8 copies them as they are.
void append_literal(std::string& out, std::string_view data, bool literal8);
// Appends literal data, replacing NUL with 0x80 unless `literal8`.
void append_literal_data(std::string& out, std::string_view data, bool literal8);
bool contains_nul(std::string_view data);

// resp-text text (RFC 9051 §7.1): controls (CR, LF, NUL...) become spaces; 8-bit bytes become
// '?' unless they are well-formed UTF-8 in an IMAP4rev2 session (RFC 9051 §9 "text"; RFC 6855
// UTF8=ACCEPT extends only quoted strings).
void append_text(std::string& out, std::string_view text, const SessionMode& mode);

// One element of a set: first..last (first <= last).
struct NumberRange {
    std::uint32_t first = 0;
    std::uint32_t last = 0;
    bool operator==(const NumberRange&) const = default;
};
// sequence-set / uid-set (RFC 9051 §9) from numbers in any order, sorted, duplicates removed,
// runs written as "a:b": {5,1,2,3} is "1:3,5". Zero is skipped (not an nz-number). Nothing is
// written for an empty input; callers omit the item then.
void append_number_set(std::string& out, std::span<const std::uint32_t> numbers);
// The same from ranges in any order; overlapping and adjacent ranges are merged.
void append_range_set(std::string& out, std::span<const NumberRange> ranges);
// A set whose order is meaningful (ESORT results, RFC 5267 §3; COPYUID, RFC 4315 §3): numbers
// in the given order, with "a:b" only where they ascend by one: {23,24,25,5} is "23:25,5".
void append_ordered_number_set(std::string& out, std::span<const std::uint32_t> numbers);

// A flag-list "(...)" (RFC 9051 §9 flag-list / flag-fetch). Each flag is a system flag "\Seen",
// a "\Extension" or a keyword atom; anything else (which the store should never hold) is left
// out rather than breaking the response. `allow_wildcard` admits "\*" (PERMANENTFLAGS only).
void append_flag_list(std::string& out, std::span<const std::string> flags,
                      bool allow_wildcard = false);
bool is_valid_flag(std::string_view flag, bool allow_wildcard = false);
// "(A B C)": atoms (capabilities, attributes); non-atoms are left out.
void append_atom_list(std::string& out, std::span<const std::string> atoms);

// date-time (RFC 9051 §9): "dd-Mon-yyyy hh:mm:ss +zzzz" quoted, for `unix_seconds` shown in a
// zone `zone_minutes` east of UTC (-1439..1439). Years outside 1..9999 are clamped.
void append_date_time(std::string& out, std::int64_t unix_seconds, int zone_minutes);

// A mailbox name (RFC 9051 §5.1, RFC 3501 §5.1.3): `utf8_name` is the store's UTF-8 name.
// "INBOX" (any case) is written "INBOX"; otherwise the name is always a string (never an atom,
// as Dovecot does, so clients need no astring rules), in modified UTF-7
// unless the session is in UTF-8 mode. A name that is not valid UTF-8 (which the store refuses
// to create) is written as its bytes.
void append_mailbox(std::string& out, std::string_view utf8_name, const SessionMode& mode);
// The wire form of a mailbox name without quoting: modified UTF-7 or UTF-8.
std::string mailbox_wire_name(std::string_view utf8_name, const SessionMode& mode);

}  // namespace postern::proto::imap
