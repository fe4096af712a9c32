// POP3 commands (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH): the parsed form of one
// command line and the state rules. Pure: no I/O.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace postern::proto::pop3 {

enum class CommandName : std::uint8_t {
    user,
    pass,
    apop,
    auth,
    stls,
    capa,
    quit,
    stat,
    list,
    retr,
    dele,
    noop,
    rset,
    top,
    uidl,
};

std::string_view command_keyword(CommandName name);  // "USER", ...

// The states of RFC 1939 §3 in which a command may be given (UPDATE has no commands).
namespace state {
inline constexpr std::uint8_t authorization = 1;
inline constexpr std::uint8_t transaction = 2;
}  // namespace state
std::uint8_t allowed_states(CommandName name);

// A message number as the client wrote it: `number` is 0 when it does not fit 32 bits (no
// maildrop is that large, so it names no message: "-ERR no such message", not a syntax error).
struct MessageNumber {
    std::uint32_t number = 0;
};

struct Command {
    CommandName name = CommandName::noop;
    // USER name, PASS password (the rest of the line, spaces included), APOP name, AUTH
    // mechanism (upper-cased; empty for the bare AUTH of RFC 1734 that lists mechanisms).
    std::string text;
    std::string digest;                    // APOP: 32 lower-case hex digits
    std::optional<std::string> initial;    // AUTH: initial response as sent ("=" = empty)
    std::optional<MessageNumber> message;  // LIST/UIDL (optional), RETR/DELE/TOP
    std::uint64_t lines = 0;               // TOP: body lines wanted
};

struct ParseError {
    std::string reason;    // for "-ERR <reason>"
    bool unknown = false;  // not a POP3 command at all
};

// Parses one command line (without its line ending). Keywords are case-insensitive; arguments
// are separated by single spaces (runs of spaces are tolerated). Never logs or keeps the line.
std::expected<Command, ParseError> parse_command(std::string_view line);

}  // namespace postern::proto::pop3
