// SMTP replies (RFC 5321 §4.2) with enhanced status codes (RFC 2034, RFC 3463) and their wire
// form, shared by the server (writing) and the client (reply_parser.h reads them back).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace postern::proto::smtp {

// RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets including the code and CRLF.
inline constexpr std::size_t kMaxReplyLine = 512;

// "class.subject.detail", RFC 3463 §2. The class is 2, 4 or 5 and matches the reply code's first
// digit; subject and detail are 0..999.
struct EnhancedCode {
    std::uint8_t klass = 0;
    std::uint16_t subject = 0;
    std::uint16_t detail = 0;

    // "5.1.3". nullopt unless the whole text is a well-formed code of class 2, 4 or 5.
    static std::optional<EnhancedCode> parse(std::string_view text);
    std::string to_string() const;
    bool operator==(const EnhancedCode&) const = default;
};

struct Reply {
    std::uint16_t code = 0;                // 200..599
    std::optional<EnhancedCode> enhanced;  // absent for greetings, EHLO, 334 and 354 (RFC 2034 §3)
    std::vector<std::string> lines;        // text of each line without code; at least one

    bool positive() const { return code >= 200 && code < 400; }
    bool transient_failure() const { return code >= 400 && code < 500; }
    bool permanent_failure() const { return code >= 500; }
    // The lines joined with "\n" (for logs and DSN diagnostic text).
    std::string text() const;
    bool operator==(const Reply&) const = default;
};

// A one-line reply. Asserts (in debug builds) that the enhanced class matches the code.
Reply make_reply(std::uint16_t code, std::optional<EnhancedCode> enhanced, std::string text);

// Appends the wire form: "250-first\r\n250 last\r\n". With `enhanced_codes` (the session
// advertised ENHANCEDSTATUSCODES) every line of a reply that has an enhanced code carries it
// after the code (RFC 2034 §4). Text is made safe to send: CR, LF, NUL and other controls become
// '?', and each line is cut (at a UTF-8 boundary) to fit kMaxReplyLine. A reply without lines is
// written as one line with no text.
void append_reply(std::string& out, const Reply& reply, bool enhanced_codes);
std::string format_reply(const Reply& reply, bool enhanced_codes);

}  // namespace postern::proto::smtp
