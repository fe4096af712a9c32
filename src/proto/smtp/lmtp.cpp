// LMTP per-recipient replies after the end of data (RFC 2033 §4.2, §4.3).
#include "proto/smtp/lmtp.h"

namespace postern::proto::smtp {

std::string format_lmtp_replies(std::span<const Reply> per_recipient, bool enhanced_codes) {
    std::string out;
    for (const auto& r : per_recipient)
        append_reply(out, r, enhanced_codes);
    return out;
}

std::vector<Reply> same_reply_for_all(const Reply& reply, std::size_t recipients) {
    return std::vector<Reply>(recipients, reply);
}

ReplyParser::Status LmtpReplyCollector::feed_line(std::string_view line) {
    if (complete())
        return ReplyParser::Status::complete;
    auto status = parser_.feed_line(line);
    if (status != ReplyParser::Status::complete)
        return status;
    replies_.push_back(parser_.take());
    return complete() ? ReplyParser::Status::complete : ReplyParser::Status::need_more;
}

}  // namespace postern::proto::smtp
