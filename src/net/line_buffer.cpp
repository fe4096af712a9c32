// Line splitting with a length limit (RFC 5321 §4.5.3.1.6 style: overlong lines are errors).
#include "net/line_buffer.h"

#include <cstring>

namespace postern::net {

std::span<char> LineBuffer::prepare(std::size_t min) {
    if (begin_ == end_) {
        begin_ = end_ = 0;
        scanned_ = 0;
    } else if (begin_ > 0 && data_.size() - end_ < min) {
        std::memmove(data_.data(), data_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    if (data_.size() - end_ < min)
        data_.resize(end_ + min);
    return {data_.data() + end_, data_.size() - end_};
}

LineBuffer::Next LineBuffer::next_line() {
    while (true) {
        auto view = buffered();
        auto lf = view.find('\n', scanned_);
        if (lf == std::string_view::npos) {
            scanned_ = view.size();
            if (discarding_) {
                // Keep memory flat while skipping a huge line.
                begin_ = end_;
                scanned_ = 0;
                return {Kind::need_more, {}};
            }
            if (view.size() > max_line_ + 1) {  // +1: a trailing CR may still be followed by LF
                discarding_ = true;
                begin_ = end_;
                scanned_ = 0;
                return {Kind::too_long, {}};
            }
            return {Kind::need_more, {}};
        }
        scanned_ = 0;
        begin_ += lf + 1;
        if (discarding_) {
            discarding_ = false;
            continue;
        }
        bool crlf = lf > 0 && view[lf - 1] == '\r';
        auto text = view.substr(0, crlf ? lf - 1 : lf);
        if (text.size() > max_line_)
            return {Kind::too_long, {}};
        return {Kind::line, text, crlf};
    }
}

void LineBuffer::clear() {
    begin_ = end_ = 0;
    scanned_ = 0;
    discarding_ = false;
}

void LineBuffer::shrink() {
    if (begin_ != end_ || data_.capacity() <= 1024)
        return;
    std::string().swap(data_);
    begin_ = end_ = 0;
    scanned_ = 0;
}

}  // namespace postern::net
