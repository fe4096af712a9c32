// The IMAP command receiver (RFC 9051 §2.2, §4.3, §7.5; LITERAL+/LITERAL- RFC 7888; literal8
// RFC 3516 §4.1): a resumable state machine fed raw client octets in any split that frames one
// command at a time — its lines, with embedded literals — and says when a synchronizing literal
// needs a "+" continuation request. It does not parse arguments; parse_command() does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace postern::proto::imap {

// Which non-synchronizing literals the server advertised (RFC 7888).
enum class NonSyncLiterals : std::uint8_t {
    minus,  // LITERAL- (the IMAP4rev2 base, RFC 9051 §2.2.1): "{n+}" only up to 4096 octets
    plus,   // LITERAL+: "{n+}" of any size within the limits
};

inline constexpr std::uint64_t kLiteralMinusMax = 4096;  // RFC 7888 §5

// Bounds on one command. A "message literal" is the message of APPEND or REPLACE (and a
// CATENATE/UTF8 part of it); every other literal is an ordinary literal.
struct ReceiverLimits {
    std::size_t max_line = 64 * 1024;       // octets of one line, excluding CRLF and literal data
    std::uint64_t max_literal = 64 * 1024;  // one ordinary literal
    std::uint64_t max_message_literal = 64ull << 20;  // one message literal (APPENDLIMIT)
    std::uint64_t max_message_total = 256ull << 20;   // all message literals of one command
    std::size_t max_command = 1 << 20;                // lines + ordinary literals of one command
    std::size_t max_literals = 1000;                  // literals of any kind in one command
};

struct ReceiverOptions {
    ReceiverLimits limits;
    NonSyncLiterals non_sync = NonSyncLiterals::plus;
    // Hand message literals to the caller in chunks (Event::literal_data) instead of keeping
    // them in FramedCommand::text; the parsed AppendMessage then has streamed_literal set.
    bool stream_message_literals = false;
};

// One literal of a framed command.
struct FramedLiteral {
    std::size_t marker = 0;  // offset in FramedCommand::text of "{" (or "~" for literal8)
    std::size_t data = 0;    // offset of its first data octet (just after the marker's "}")
    std::uint64_t size = 0;
    bool binary = false;    // literal8 "~{n}" (RFC 3516)
    bool sync = true;       // "{n}": a continuation request was asked for; false for "{n+}"
    bool message = false;   // the message of APPEND/REPLACE: max_message_literal applies
    bool streamed = false;  // data handed out as Event::literal_data, not in `text`
};

// A complete command. `text` is every line without its line ending, concatenated; after each
// literal marker "{n}" come the n data octets (none when streamed) and then the next line. The
// literals are listed in order.
struct FramedCommand {
    std::string text;
    std::vector<FramedLiteral> literals;
    std::uint64_t octets = 0;  // octets consumed from the wire for it, line endings included
};

enum class ReceiveErrorKind : std::uint8_t {
    line_too_long,      // a line over max_line
    command_too_large,  // max_command or max_message_total exceeded
    literal_too_large,  // a literal over max_literal / max_message_literal
    literal_minus,      // "{n+}" over 4096 octets while only LITERAL- is advertised
    too_many_literals,  // more than max_literals
    bad_literal,        // a literal size that is not a number64 ({99999999999999999999})
};

// A command that cannot be taken. Reply "<tag> BAD <reason>" ("*" when tag is empty; NO when
// `reply_no`), with the [TOOBIG] response code when `too_big` (RFC 9051 §7.1, RFC 7888 §4).
// When `close` is false the receiver has already skipped the rest of the command (it never
// asked for a continuation the client waits on, and skipped any "{n+}" data) and is ready for
// the next one; when true the byte stream cannot be followed: send the reply and disconnect.
struct ReceiveError {
    ReceiveErrorKind kind = ReceiveErrorKind::line_too_long;
    std::string tag;  // the command's tag when it was read and valid
    std::string reason;
    bool too_big = false;
    bool reply_no = false;  // an APPEND message over max_message_literal: "NO [TOOBIG]"
    bool close = false;
};

class Receiver {
  public:
    explicit Receiver(ReceiverOptions options = {});

    enum class Event : std::uint8_t {
        need_more,     // all of `in` was consumed; feed more
        continuation,  // send "+ <text>" CRLF now: a synchronizing literal was accepted
        literal_data,  // Progress::chunk is data of streamed message literal `literal_index`
        command,       // a command is complete: take_command()
        error,         // take_error(); after a non-closing error the receiver is ready again
    };

    struct Progress {
        std::size_t consumed = 0;  // octets of `in` used; feed the rest next
        Event event = Event::need_more;
        std::string_view chunk;         // literal_data: a view into `in`
        std::size_t literal_index = 0;  // literal_data, continuation: index in the command
        bool literal_end = false;       // literal_data: this chunk ends the literal
    };

    // Consumes octets of `in` until one of the events above; never past the end of a command,
    // so pipelined commands are framed one at a time. Any splitting of the input gives the same
    // commands and errors. After Event::command or Event::error, call take_command() or
    // take_error() before feeding again (feeding first drops them).
    Progress feed(std::string_view in);

    FramedCommand take_command();
    ReceiveError take_error();

    // The next line is framed as plain text with no literals (a SASL response line, IDLE's
    // "DONE"): it comes back as a FramedCommand without literals.
    void expect_plain_line();

    // Drops any partial command and starts afresh (after STARTTLS or COMPRESS, before the
    // stream changes).
    void reset();

    // True when the receiver is between commands (nothing partial buffered).
    bool idle() const;

    const ReceiverOptions& options() const { return options_; }
    void set_non_sync(NonSyncLiterals mode) { options_.non_sync = mode; }

  private:
    enum class State : std::uint8_t {
        line,           // command text outside quotes
        quoted,         // inside a quoted string
        quoted_escape,  // after "\" inside a quoted string
        literal,        // reading literal data
        complete,       // a command or error waits to be taken
    };
    enum class Marker : std::uint8_t { none, open, plus, closed };

    void start_command();
    void new_segment();
    void text_char(char c);
    bool end_line(Progress& progress);
    bool begin_literal(Progress& progress);
    void fail(ReceiveErrorKind kind, std::string reason, bool close, bool too_big = false,
              bool reply_no = false);
    void note_word_char(char c);
    bool is_message_literal() const;

    ReceiverOptions options_;
    State state_ = State::line;
    FramedCommand command_;
    ReceiveError error_;
    bool failed_ = false;      // an error is pending: skip to the end of the command
    bool plain_line_ = false;  // expect_plain_line() in effect
    bool started_ = false;     // octets of the current command were seen

    // The current line.
    std::size_t line_length_ = 0;
    Marker marker_ = Marker::none;
    std::size_t marker_pos_ = 0;  // offset in text of the marker start ("{" or "~")
    bool marker_tilde_ = false;
    bool marker_plus_ = false;
    bool marker_overflow_ = false;
    std::uint64_t marker_value_ = 0;
    std::size_t marker_digits_ = 0;
    char previous_ = 0;
    bool pending_cr_ = false;  // a CR was read: a LF next ends the line

    // Where we are among the command's words: the tag, the command name, its arguments.
    std::size_t word_ = 0;   // index of the current word at depth 0
    std::size_t depth_ = 0;  // parenthesis depth outside quotes
    std::string tag_;
    std::string words_[2];  // the first two words after the tag, upper-cased, truncated
    bool tag_valid_ = true;

    // The current literal.
    std::uint64_t literal_left_ = 0;
    std::size_t literal_index_ = 0;
    bool literal_keep_ = true;          // false: streamed or skipped
    bool literal_skip_ = false;         // skipping data of a failed command
    bool literal_streamed_ = false;     // handed out as Event::literal_data
    std::size_t literal_count_ = 0;     // literals announced so far, refused ones included
    std::uint64_t buffered_ = 0;        // octets counted against max_command
    std::uint64_t message_octets_ = 0;  // octets counted against max_message_total
};

}  // namespace postern::proto::imap
