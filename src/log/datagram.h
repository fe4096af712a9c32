// The log service's UDP datagram format (one record per datagram), encoder and strict parser:
//   v1 <level> <unix-time-ms> <host> <MODULE>:<session>: <text>
// Documented for admins in docs/logging.md ("Remote datagram format"). Text is UTF-8 as
// RFC 3629 section 4 defines it (no overlongs, surrogates or code points past U+10FFFF).
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "log/log.h"

namespace postern::log {

inline constexpr std::string_view kDatagramVersion = "v1";
inline constexpr std::size_t kDefaultMaxDatagram = 8192;
// Every header fits in this, so a limit below it could not carry any text.
inline constexpr std::size_t kMinDatagram = 512;
inline constexpr std::size_t kMaxHostLength = 255;
inline constexpr std::size_t kMaxModuleLength = 64;
inline constexpr std::size_t kMaxSessionLength = 64;
// 2200-01-01T00:00:00Z: far enough for any real clock, and well inside the range of
// system_clock (nanoseconds in 64 bits end in 2262).
inline constexpr std::uint64_t kMaxUnixMillis = 7'258'118'400'000;

// Encodes `r` in at most max(max_size, kMinDatagram) bytes. The result always parses with
// decode_datagram: host/module/session characters outside [A-Za-z0-9._-] (':' also allowed in
// hosts) become '_', text that is not UTF-8 or holds control characters is cleaned the same
// way clean_text() does, long fields are cut, and text is cut at a character boundary.
// `truncated` (optional) is set when text had to be cut.
std::string encode_datagram(const Record& r, std::size_t max_size = kDefaultMaxDatagram,
                            bool* truncated = nullptr);

enum class DatagramError {
    oversize,   // longer than max_size
    malformed,  // a field missing, empty, too long, with a bad character, or a bad number
    encoding,   // text not UTF-8, or holding control characters
};

struct DecodeError {
    DatagramError kind;
    std::string_view reason;  // static text: "bad level", "missing session"...
};

// Parses one datagram strictly. One trailing "\n" or "\r\n" is ignored (for `nc -u` users).
// Accepts only: version "v1"; level one of 1, 2, 4, 8, 16 (one or two digits); time 1-15
// digits, at most kMaxUnixMillis; host 1-255 of [A-Za-z0-9._:-]; module 1-64 and session
// 0-64 of [A-Za-z0-9._-]; text valid UTF-8 without C0/C1 controls or DEL (TAB allowed).
std::expected<Record, DecodeError> decode_datagram(std::string_view datagram,
                                                   std::size_t max_size = kDefaultMaxDatagram);

// Appends `text` to `out` as clean UTF-8 using at most `max_bytes` bytes: bytes that are not
// UTF-8 and C1 controls become '?', C0 controls (but TAB) and DEL become ' ', and the text is
// cut at a character boundary. False when it had to cut.
bool clean_text(std::string_view text, std::string& out, std::size_t max_bytes);

// True when `text` is valid UTF-8 without C0/C1 controls or DEL (TAB allowed).
bool is_clean_text(std::string_view text);

}  // namespace postern::log
