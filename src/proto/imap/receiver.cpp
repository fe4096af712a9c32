// IMAP command framing (RFC 9051 §2.2.1 client commands, §4.3 literals and quoted strings,
// §7.5 continuation requests; RFC 7888 LITERAL+/LITERAL-; RFC 3516 §4.1 literal8). Lines end
// with CRLF or a bare LF; a line ending in "{n}", "{n+}", "~{n}" or "~{n+}" outside a quoted
// string is followed by n literal octets and then by the rest of the command.
#include "proto/imap/receiver.h"

#include <algorithm>
#include <limits>

#include "base/strings.h"

namespace postern::proto::imap {
namespace {

constexpr std::size_t kMaxTag = 256;
constexpr std::size_t kMaxWord = 16;
// number64 (RFC 9051 §9): 0 .. 2^63-1.
constexpr std::uint64_t kMaxNumber64 = std::numeric_limits<std::int64_t>::max();

bool is_tag_char(char c) {
    // tag = 1*<any ASTRING-CHAR except "+"> (RFC 9051 §9).
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F)
        return false;
    switch (c) {
        case '(':
        case ')':
        case '{':
        case '%':
        case '*':
        case '"':
        case '\\':
        case '+':
            return false;
        default:
            return true;
    }
}

}  // namespace

Receiver::Receiver(ReceiverOptions options) : options_(options) {
    start_command();
}

void Receiver::start_command() {
    state_ = State::line;
    command_ = FramedCommand{};
    error_ = ReceiveError{};
    failed_ = false;
    started_ = false;
    line_length_ = 0;
    marker_ = Marker::none;
    marker_pos_ = 0;
    marker_tilde_ = false;
    marker_plus_ = false;
    marker_overflow_ = false;
    marker_value_ = 0;
    marker_digits_ = 0;
    previous_ = 0;
    pending_cr_ = false;
    word_ = 0;
    depth_ = 0;
    tag_.clear();
    words_[0].clear();
    words_[1].clear();
    tag_valid_ = true;
    literal_left_ = 0;
    literal_index_ = 0;
    literal_keep_ = true;
    literal_skip_ = false;
    literal_streamed_ = false;
    literal_count_ = 0;
    buffered_ = 0;
    message_octets_ = 0;
}

void Receiver::reset() {
    plain_line_ = false;
    start_command();
}

void Receiver::expect_plain_line() {
    plain_line_ = true;
}

bool Receiver::idle() const {
    return state_ == State::line && !started_;
}

FramedCommand Receiver::take_command() {
    FramedCommand out = std::move(command_);
    plain_line_ = false;
    start_command();
    return out;
}

ReceiveError Receiver::take_error() {
    ReceiveError out = std::move(error_);
    plain_line_ = false;
    start_command();
    return out;
}

void Receiver::fail(ReceiveErrorKind kind, std::string reason, bool close, bool too_big,
                    bool reply_no) {
    if (failed_) {
        // A later problem of a command already refused can only make it worse.
        error_.close = error_.close || close;
        return;
    }
    failed_ = true;
    error_.kind = kind;
    error_.reason = std::move(reason);
    error_.close = close;
    error_.too_big = too_big;
    error_.reply_no = reply_no;
    if (!plain_line_ && word_ > 0 && tag_valid_ && !tag_.empty())
        error_.tag = tag_;
}

void Receiver::note_word_char(char c) {
    if (word_ == 0) {
        if (tag_.size() < kMaxTag && is_tag_char(c))
            tag_.push_back(c);
        else
            tag_valid_ = false;
    } else if (word_ <= 2) {
        std::string& w = words_[word_ - 1];
        if (w.size() < kMaxWord)
            w.push_back(ascii_upper(c));
    }
}

bool Receiver::is_message_literal() const {
    // APPEND mailbox [flags] [date-time] message..., REPLACE number mailbox [...] message:
    // any literal after the mailbox, at top level or inside "UTF8 (...)" / CATENATE lists.
    std::size_t first_arg = 2;
    std::string_view name = words_[0];
    if (name == "UID") {
        name = words_[1];
        first_arg = 3;
    }
    if (name == "APPEND")
        return word_ >= first_arg + 1 && depth_ <= 1;
    if (name == "REPLACE")
        return word_ >= first_arg + 2 && depth_ <= 1;
    return false;
}

void Receiver::text_char(char c) {
    ++line_length_;
    if (line_length_ > options_.limits.max_line)
        fail(ReceiveErrorKind::line_too_long, "Command line too long", false);
    const std::size_t pos = command_.text.size();
    if (!failed_) {
        if (++buffered_ > options_.limits.max_command) {
            fail(ReceiveErrorKind::command_too_large, "Command too large", false, true);
        } else {
            command_.text.push_back(c);
        }
    }
    switch (state_) {
        case State::quoted:
            if (c == '\\')
                state_ = State::quoted_escape;
            else if (c == '"')
                state_ = State::line;
            marker_ = Marker::none;
            break;
        case State::quoted_escape:
            state_ = State::quoted;
            break;
        default:
            if (c == '"') {
                state_ = State::quoted;
                marker_ = Marker::none;
            } else if (c == '{') {
                marker_ = Marker::open;
                marker_tilde_ = previous_ == '~';
                marker_pos_ = marker_tilde_ && pos > 0 ? pos - 1 : pos;
                marker_plus_ = false;
                marker_overflow_ = false;
                marker_value_ = 0;
                marker_digits_ = 0;
            } else if (marker_ == Marker::open && c >= '0' && c <= '9') {
                const auto d = static_cast<std::uint64_t>(c - '0');
                if (marker_value_ > (kMaxNumber64 - d) / 10)
                    marker_overflow_ = true;
                else
                    marker_value_ = marker_value_ * 10 + d;
                ++marker_digits_;
            } else if (marker_ == Marker::open && c == '+' && marker_digits_ > 0) {
                marker_ = Marker::plus;
                marker_plus_ = true;
            } else if (c == '}' && ((marker_ == Marker::open && marker_digits_ > 0) ||
                                    marker_ == Marker::plus)) {
                marker_ = Marker::closed;
            } else {
                marker_ = Marker::none;
            }
            if (word_ == 0 && (c == '(' || c == ')' || c == '"'))
                tag_valid_ = false;  // not a tag character, and it would upset the word count
            if (c == ' ' && depth_ == 0) {
                ++word_;
            } else if (c == '(') {
                ++depth_;
            } else if (c == ')') {
                if (depth_ > 0)
                    --depth_;
            } else if (c != ' ') {
                note_word_char(c);
            }
            break;
    }
    previous_ = c;
}

void Receiver::new_segment() {
    line_length_ = 0;
    marker_ = Marker::none;
    previous_ = 0;
    pending_cr_ = false;
}

bool Receiver::end_line(Progress& progress) {
    const bool literal = marker_ == Marker::closed && state_ == State::line && !plain_line_;
    if (state_ != State::line)
        state_ = State::line;  // an unterminated quoted string: the parser reports it
    if (literal)
        return begin_literal(progress);
    if (command_.text.empty() && !failed_ && !plain_line_) {
        // Tolerate empty lines between commands (clients send a stray CRLF after a literal).
        command_.octets = 0;
        started_ = false;
        new_segment();
        return false;
    }
    state_ = State::complete;
    progress.event = failed_ ? Event::error : Event::command;
    return true;
}

bool Receiver::begin_literal(Progress& progress) {
    const std::uint64_t size = marker_value_;
    const bool sync = !marker_plus_;
    const bool message = is_message_literal();
    const std::uint64_t limit =
        message ? options_.limits.max_message_literal : options_.limits.max_literal;
    const std::size_t index = literal_count_++;
    auto finish_with_error = [&] {
        state_ = State::complete;
        progress.event = Event::error;
        return true;
    };

    if (marker_overflow_) {
        // The size cannot be followed: after "{n+}" the stream is lost, after "{n}" the client
        // waits for a "+" that does not come.
        fail(ReceiveErrorKind::bad_literal, "Invalid literal size", !sync, true);
        if (!sync)
            error_.close = true;
        return finish_with_error();
    }
    if (!failed_) {
        if (literal_count_ > options_.limits.max_literals) {
            fail(ReceiveErrorKind::too_many_literals, "Too many literals", false);
        } else if (!sync && options_.non_sync == NonSyncLiterals::minus &&
                   size > kLiteralMinusMax) {
            fail(ReceiveErrorKind::literal_minus,
                 "Non-synchronizing literal over 4096 octets (LITERAL-)", true, true);
        } else if (size > limit) {
            fail(ReceiveErrorKind::literal_too_large,
                 message ? "Message too large" : "Literal too large", !sync, true, message && sync);
        } else if (message && message_octets_ + size > options_.limits.max_message_total) {
            fail(ReceiveErrorKind::command_too_large, "Messages too large", !sync, true, sync);
        } else if (!message && buffered_ + size > options_.limits.max_command) {
            fail(ReceiveErrorKind::command_too_large, "Command too large", false, true);
        }
    }
    if (failed_) {
        // Skip the rest of the command. A synchronizing literal ends it: the client waits for
        // a continuation and gets the tagged reply instead (RFC 9051 §7.5). A non-synchronizing
        // one is already on its way: skip it when it is within its limit, else give up.
        if (sync)
            return finish_with_error();
        if (size > limit || error_.close) {
            error_.close = true;
            return finish_with_error();
        }
        literal_skip_ = true;
        literal_keep_ = false;
        literal_streamed_ = false;
        literal_left_ = size;
        literal_index_ = index;
        state_ = State::literal;
        new_segment();
        return false;
    }

    FramedLiteral lit;
    lit.marker = marker_pos_;
    lit.data = command_.text.size();
    lit.size = size;
    lit.binary = marker_tilde_;
    lit.sync = sync;
    lit.message = message;
    lit.streamed = message && options_.stream_message_literals && size > 0;
    command_.literals.push_back(lit);
    if (message)
        message_octets_ += size;
    else
        buffered_ += size;
    literal_skip_ = false;
    literal_streamed_ = lit.streamed;
    literal_keep_ = !lit.streamed;
    literal_left_ = size;
    literal_index_ = index;
    state_ = State::literal;
    new_segment();
    if (sync) {
        progress.event = Event::continuation;
        progress.literal_index = index;
        return true;
    }
    return false;
}

Receiver::Progress Receiver::feed(std::string_view in) {
    if (state_ == State::complete)
        start_command();  // the caller did not take what was framed: drop it
    Progress progress;
    std::size_t i = 0;
    while (i < in.size()) {
        if (state_ == State::literal) {
            const auto n =
                static_cast<std::size_t>(std::min<std::uint64_t>(literal_left_, in.size() - i));
            const std::string_view chunk = in.substr(i, n);
            if (literal_keep_)
                command_.text.append(chunk);
            literal_left_ -= n;
            command_.octets += n;
            i += n;
            const bool end = literal_left_ == 0;
            if (end)
                state_ = State::line;
            if (literal_streamed_) {
                progress.consumed = i;
                progress.event = Event::literal_data;
                progress.chunk = chunk;
                progress.literal_index = literal_index_;
                progress.literal_end = end;
                return progress;
            }
            continue;
        }
        const char c = in[i++];
        started_ = true;
        ++command_.octets;
        if (c == '\n') {
            pending_cr_ = false;
            if (end_line(progress)) {
                progress.consumed = i;
                return progress;
            }
            continue;
        }
        if (pending_cr_) {
            pending_cr_ = false;
            text_char('\r');  // a bare CR inside a line: kept for the parser to refuse
        }
        if (c == '\r') {
            pending_cr_ = true;
            continue;
        }
        text_char(c);
    }
    progress.consumed = in.size();
    progress.event = Event::need_more;
    return progress;
}

}  // namespace postern::proto::imap
