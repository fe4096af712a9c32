// IMAP command parser (RFC 9051 §6 commands, §9 formal syntax; RFC 3501 for IMAP4rev1 forms;
// extensions per command in command.h): a framed command (receiver.h) becomes a typed Command or
// the reason for a BAD reply. Pure, thread-safe, no I/O.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

#include "proto/imap/command.h"
#include "proto/imap/receiver.h"

namespace postern::proto::imap {

// Bounds inside one command, so that hostile input costs bounded time and memory.
struct ParserLimits {
    std::size_t max_sequence_ranges = 20000;  // ranges in one sequence set
    std::size_t max_search_depth = 100;       // nesting of "(", OR and NOT in search keys
    std::size_t max_search_keys = 10000;      // search keys in one command
    std::size_t max_list_items = 1000;        // items of one parenthesised list (FETCH items,
                                              // flags, patterns, ID fields, entries...)
};

struct ParserOptions {
    ParserLimits limits;
    // Accept UTF-8 in quoted strings (IMAP4rev2 RFC 9051 §4.3, UTF8=ACCEPT RFC 6855). When
    // false (strict IMAP4rev1) 8-bit octets in a quoted string are a syntax error; ill-formed
    // UTF-8 is always one.
    bool utf8_quoted = true;
};

using ParseResult = std::expected<Command, ParseError>;

// Parses one framed command. The command word and "UID" are case-insensitive; only the
// commands listed in CommandName are known (others give ParseErrorKind::unknown_command).
// Whether a command is allowed in the session's state is the caller's business
// (command_table.h has the RFC's rules).
ParseResult parse_command(const FramedCommand& command, const ParserOptions& options = {});

// Convenience for tests and tools: frames `text` as if received whole (literals must be
// written "{n}" CRLF data, as on the wire) and parses it. Returns a syntax error when `text`
// does not frame to exactly one command.
ParseResult parse_command_text(std::string_view text, const ParserOptions& options = {},
                               const ReceiverOptions& receiver = {});

// The line that ends IDLE (RFC 2177 §3): "DONE" in any case, nothing else.
bool is_idle_done(std::string_view line);

// A client line of an AUTHENTICATE exchange (RFC 9051 §6.2.2): base64 text, or "*" to cancel.
struct SaslLine {
    bool cancel = false;
    std::string response;  // base64 as sent (may be empty)
};
// A syntax error (not base64, embedded spaces) gives the reason for the tagged BAD.
std::expected<SaslLine, std::string> parse_sasl_line(std::string_view line);

}  // namespace postern::proto::imap
