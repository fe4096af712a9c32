// ManageSieve commands (RFC 5804 §2, §4): a resumable receiver that frames one command at a
// time from raw client octets — its lines with embedded "{n+}"/"{n}" literals — and parses it
// into a typed Command. Limits on line, literal, argument count and quoted-string length are
// parameters. Pure: no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace postern::proto::managesieve {

enum class CommandName : std::uint8_t {
    authenticate,
    starttls,
    logout,
    capability,
    havespace,
    putscript,
    listscripts,
    setactive,
    getscript,
    deletescript,
    renamescript,
    checkscript,
    noop,
    unauthenticate,
};

std::string_view command_keyword(CommandName name);  // "AUTHENTICATE", ...

// The states in which a command may be given (RFC 5804 §2: before and after AUTHENTICATE).
namespace state {
inline constexpr std::uint8_t unauthenticated = 1;
inline constexpr std::uint8_t authenticated = 2;
}  // namespace state
std::uint8_t allowed_states(CommandName name);

struct Command {
    CommandName name = CommandName::noop;
    // The string arguments in order: AUTHENTICATE mechanism [initial], HAVESPACE name,
    // PUTSCRIPT name script, SETACTIVE/GETSCRIPT/DELETESCRIPT name, RENAMESCRIPT old new,
    // CHECKSCRIPT script, NOOP [tag].
    std::vector<std::string> strings;
    std::uint64_t number = 0;  // HAVESPACE size
};

struct ReceiverLimits {
    std::size_t max_line = 8192;           // one line, without CRLF and literal data
    std::uint64_t max_literal = 1 << 20;   // one literal (a script: the script size limit)
    std::uint64_t max_skip = 64ull << 20;  // a bigger "{n+}" literal is not skipped: close
    std::size_t max_literals = 4;          // literals in one command
    std::size_t max_quoted = 1024;         // RFC 5804 §4: quoted strings are 1024 octets
};

enum class ReceiveErrorKind : std::uint8_t {
    line_too_long,
    literal_too_large,
    too_many_literals,
    bad_literal,  // "{...}" that is not a size
};

// A command that cannot be taken: reply NO (or BYE and close when `close`). When `close` is
// false the rest of the command was skipped and the receiver is ready for the next one.
struct ReceiveError {
    ReceiveErrorKind kind = ReceiveErrorKind::line_too_long;
    std::string reason;
    bool close = false;
    std::uint64_t literal_size = 0;  // literal_too_large: the size the client announced
};

// A framed command: the lines without their endings, concatenated; each literal marker
// "{n}"/"{n+}" is followed by its n data octets, recorded in `literals`.
struct FramedLiteral {
    std::size_t marker = 0;  // offset of '{'
    std::size_t data = 0;    // offset of the first data octet
    std::uint64_t size = 0;
};
struct FramedCommand {
    std::string text;
    std::vector<FramedLiteral> literals;
};

class Receiver {
  public:
    explicit Receiver(ReceiverLimits limits = {}) : limits_(limits) {}

    enum class Event : std::uint8_t { need_more, command, error };
    struct Progress {
        std::size_t consumed = 0;
        Event event = Event::need_more;
    };

    // Consumes octets of `in` until a command is complete, an error, or `in` ends; never past
    // the end of a command. Any split of the input gives the same commands and errors.
    Progress feed(std::string_view in);
    FramedCommand take_command();
    ReceiveError take_error();
    // Drops any partial command (after STARTTLS).
    void reset();
    const ReceiverLimits& limits() const { return limits_; }

  private:
    void fail(ReceiveErrorKind kind, std::string reason, bool close, std::uint64_t size = 0);

    ReceiverLimits limits_;
    FramedCommand current_;
    std::size_t line_start_ = 0;
    std::uint64_t literal_left_ = 0;  // data octets still to read into current_
    bool in_literal_ = false;
    // After an error that does not close: skip to the end of the command, then report.
    bool skipping_ = false;
    std::uint64_t skip_literal_ = 0;
    std::string skip_line_;      // the tail of a line being skipped (to see a literal marker)
    bool discard_line_ = false;  // an overlong line: drop octets up to its LF
    std::optional<ReceiveError> error_;
};

struct ParseError {
    std::string reason;    // for NO "<reason>"
    bool unknown = false;  // not a ManageSieve command at all
};

// Parses a framed command: keyword (case-insensitive) then arguments separated by single
// spaces. Strings are quoted (with \" and \\ escapes, at most max_quoted octets, no CR/LF/NUL)
// or literals; numbers are decimal up to 2^63.
std::expected<Command, ParseError> parse_command(const FramedCommand& framed,
                                                 std::size_t max_quoted = 1024);

// A SASL client response (RFC 5804 §2.1): one string, quoted or literal. nullopt when the
// framed line is not exactly one string.
std::optional<std::string> parse_sasl_response(const FramedCommand& framed,
                                               std::size_t max_quoted = 1024);

// RFC 5804 §1.6 script names: non-empty UTF-8 without controls (U+0000-001F, U+007F-009F),
// U+2028 or U+2029; Postern adds (so a name is a file name): at most 128 octets, no '/',
// no leading '.'.
bool valid_script_name(std::string_view name);

}  // namespace postern::proto::managesieve
