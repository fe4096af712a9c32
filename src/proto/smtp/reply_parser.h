// Client side: reading a server's reply line by line (RFC 5321 §4.2, §4.2.1 multi-line
// replies; RFC 2034 §4 enhanced codes), bounded against hostile servers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "proto/smtp/reply.h"

namespace postern::proto::smtp {

struct ReplyLimits {
    std::size_t max_line = 4096;  // octets without CRLF; RFC 5321 says 512, some servers exceed it
    std::size_t max_lines = 128;  // per reply; an EHLO reply has about 20
};

class ReplyParser {
  public:
    enum class Status : std::uint8_t {
        need_more,       // a continuation line ("250-..."): feed the next line
        complete,        // the reply is complete: take() it
        malformed,       // not "ddd", "ddd text" or "ddd-text", code outside 200..599, a code that
                         // changes between lines, or a NUL in the text
        line_too_long,   // over ReplyLimits::max_line
        too_many_lines,  // over ReplyLimits::max_lines
    };

    explicit ReplyParser(ReplyLimits limits = {}) : limits_(limits) {}

    // One line as received, CRLF removed (LineBuffer gives lines so). After an error the
    // connection is unusable; the parser stays in the error state until reset().
    Status feed_line(std::string_view line);

    // The finished reply, with the enhanced code taken off every line that carries it (it is
    // recognised when it is well-formed and its class matches the code, RFC 2034 §4). Resets the
    // parser for the next reply.
    Reply take();
    void reset();

  private:
    ReplyLimits limits_;
    Reply reply_;
    Status status_ = Status::need_more;
};

// "250 2.1.5 text": when `text` begins with an enhanced code of class `klass` followed by a
// space or the end, returns it and removes it (and the space) from `text`.
std::optional<EnhancedCode> take_enhanced_code(std::string& text, int klass);

}  // namespace postern::proto::smtp
