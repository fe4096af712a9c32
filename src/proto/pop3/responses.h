// POP3 responses (RFC 1939 §3, RFC 2449 §8 extended response codes, RFC 3206 SYS and AUTH
// codes, RFC 5034 §4 challenges): status lines and multi-line bodies with byte-stuffing.
// Everything appends to a caller's buffer so a pipelined batch goes out in one write.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace postern::proto::pop3 {

// Extended response codes, written as "[CODE]" after +OK/-ERR (RFC 2449 §8, RFC 3206).
namespace code {
inline constexpr std::string_view in_use = "IN-USE";  // maildrop locked by another session
inline constexpr std::string_view login_delay = "LOGIN-DELAY";  // logged in too recently
inline constexpr std::string_view sys_temp = "SYS/TEMP";        // temporary server failure
inline constexpr std::string_view sys_perm = "SYS/PERM";        // permanent server failure
inline constexpr std::string_view auth = "AUTH";  // credentials (or their use) refused
}  // namespace code

// "+OK [code] text\r\n"; the text is cut at any CR or LF.
void append_ok(std::string& out, std::string_view text, std::string_view code = {});
// "-ERR [code] text\r\n".
void append_err(std::string& out, std::string_view text, std::string_view code = {});
// A SASL challenge: "+ " and the base64 data (RFC 5034 §4).
void append_challenge(std::string& out, std::string_view base64);
// One line of a multi-line response ("1 120", "TOP"): byte-stuffed when it starts with '.'.
void append_line(std::string& out, std::string_view line);
// The terminating ".\r\n" of a multi-line response.
void append_end(std::string& out);

// A message as the body of a multi-line response (RETR, or TOP with `body_lines`): line
// endings normalised to CRLF, lines starting with '.' byte-stuffed, a final CRLF added when
// the message lacks one, then the terminating ".\r\n". With `body_lines`, the header, the
// blank line and at most that many body lines (RFC 1939 §7 TOP).
void append_message(std::string& out, std::string_view raw,
                    std::optional<std::uint64_t> body_lines = std::nullopt);

// Octets of the message as append_message(raw) sends it, before byte-stuffing and the
// terminator: every line CRLF-terminated (RFC 1939 §11: sizes count CRLF line endings).
std::uint64_t wire_size(std::string_view raw);

}  // namespace postern::proto::pop3
