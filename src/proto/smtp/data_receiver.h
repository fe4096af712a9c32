// The DATA receiver (RFC 5321 §4.1.1.4, §4.5.2, §2.3.8): a resumable state machine over the raw
// octets after "354" that removes dot-stuffing and finds the end of data. The end is only ever
// CRLF "." CRLF with the dot at the start of a line that began after a CRLF (or at the very
// start): "\n.\n", "\r.\r", "\r\n.\n", "\n.\r\n", NUL next to the dot and every other variant
// stay inside the message, so a message boundary can never be smuggled through us.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/smtp/content.h"

namespace postern::proto::smtp {

class DataReceiver {
  public:
    explicit DataReceiver(const ContentLimits& limits) : writer_(limits) {}

    struct Progress {
        std::size_t consumed = 0;  // octets of `in` used
        bool complete = false;     // the end of data was found (and consumed)
    };

    // Consumes `in` up to and including the end-of-data line and appends the message, in
    // canonical CRLF form without the stuffing dots, to `out` (the caller flushes `out` to the
    // queue as it likes: the message never has to be in memory at once). Octets after the end
    // are not consumed: they are the next pipelined command. Once the message is refused
    // (too large, or a violation under the reject policy) nothing more is appended (what was is
    // the message up to the violation, or its first max_message_size octets: drop it) but input
    // is still consumed to the end, so the reply (content_reply(verdict())) comes after it. Any
    // splitting of the input gives the same output. After completion feed() consumes nothing.
    Progress feed(std::string_view in, std::string& out);

    bool complete() const { return state_ == State::done; }
    // True once the message will be refused: what was appended so far may be dropped.
    bool refused() const { return writer_.refused(); }
    const ContentReport& report() const { return writer_.report(); }
    ContentVerdict verdict() const { return content_verdict(writer_.report(), writer_.limits()); }

  private:
    enum class State : std::uint8_t {
        line_start,       // after CRLF (or at the start): "." may begin the end of data
        bare_line_start,  // after a bare LF/CR: a "." is unstuffed but never ends the data
        dot,              // "." at line_start
        dot_cr,           // "." CR at line_start: LF ends the data
        text,             // inside a line
        cr,               // CR inside a line: LF makes a line end, anything else is a bare CR
        done,
    };

    detail::ContentWriter writer_;
    State state_ = State::line_start;
};

}  // namespace postern::proto::smtp
