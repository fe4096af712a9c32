// Reply reading for the SMTP/LMTP client: RFC 5321 §4.2 (Reply-line grammar, §4.2.1 multi-line
// replies, §4.5.3.1.5 line length) and RFC 2034 §4 (enhanced codes on every line).
#include "proto/smtp/reply_parser.h"

namespace postern::proto::smtp {

std::optional<EnhancedCode> take_enhanced_code(std::string& text, int klass) {
    std::size_t end = text.find(' ');
    std::string_view word = std::string_view(text).substr(0, end);
    if (word.size() < 5 || word.size() > 9)
        return std::nullopt;
    auto code = EnhancedCode::parse(word);
    if (!code || code->klass != klass)
        return std::nullopt;
    text.erase(0, end == std::string::npos ? text.size() : end + 1);
    return code;
}

ReplyParser::Status ReplyParser::feed_line(std::string_view line) {
    if (status_ != Status::need_more && status_ != Status::complete)
        return status_;
    if (status_ == Status::complete)
        reset();
    if (line.size() > limits_.max_line)
        return status_ = Status::line_too_long;
    if (reply_.lines.size() >= limits_.max_lines)
        return status_ = Status::too_many_lines;
    if (line.size() < 3 || (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
        return status_ = Status::malformed;
    }
    int code = 0;
    for (int i = 0; i < 3; ++i) {
        if (line[i] < '0' || line[i] > '9')
            return status_ = Status::malformed;
        code = code * 10 + (line[i] - '0');
    }
    if (code < 200 || code > 599)
        return status_ = Status::malformed;
    if (!reply_.lines.empty() && code != reply_.code)
        return status_ = Status::malformed;
    std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view();
    if (text.find('\0') != std::string_view::npos)
        return status_ = Status::malformed;
    reply_.code = static_cast<std::uint16_t>(code);
    reply_.lines.emplace_back(text);
    bool more = line.size() > 3 && line[3] == '-';
    return status_ = more ? Status::need_more : Status::complete;
}

Reply ReplyParser::take() {
    Reply out = std::move(reply_);
    const int klass = out.code / 100;
    if (klass != 3) {
        for (auto& line : out.lines) {
            auto code = take_enhanced_code(line, klass);
            if (code && !out.enhanced)
                out.enhanced = code;
        }
    }
    reset();
    return out;
}

void ReplyParser::reset() {
    reply_ = Reply{};
    status_ = Status::need_more;
}

}  // namespace postern::proto::smtp
