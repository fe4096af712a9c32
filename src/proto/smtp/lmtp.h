// LMTP (RFC 2033): after the end of data (DATA or BDAT LAST) the server sends one reply per
// recipient whose RCPT it accepted, in RCPT order (§4.2), instead of one reply for the message.
// LHLO parsing is in command.h (Dialect::lmtp); everything else is SMTP's.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "proto/smtp/reply.h"
#include "proto/smtp/reply_parser.h"

namespace postern::proto::smtp {

// Server side: the replies for all accepted recipients, in order, as one write. `per_recipient`
// must hold exactly one reply per accepted RCPT (the session checks the count it passes).
std::string format_lmtp_replies(std::span<const Reply> per_recipient, bool enhanced_codes);

// Server side: when the message itself is refused (too large, bad line endings, queue failure)
// every recipient gets the same reply (RFC 2033 §4.2).
std::vector<Reply> same_reply_for_all(const Reply& reply, std::size_t recipients);

// Client side (LMTP delivery): collects the `recipients` replies that follow the end of data.
class LmtpReplyCollector {
  public:
    explicit LmtpReplyCollector(std::size_t recipients, ReplyLimits limits = {})
        : expected_(recipients), parser_(limits) {}

    // need_more until all replies are in, then complete; parser errors are returned as they are
    // (the connection is then unusable and the missing recipients stay deferred).
    ReplyParser::Status feed_line(std::string_view line);

    const std::vector<Reply>& replies() const { return replies_; }
    bool complete() const { return replies_.size() == expected_; }

  private:
    std::size_t expected_;
    ReplyParser parser_;
    std::vector<Reply> replies_;
};

}  // namespace postern::proto::smtp
