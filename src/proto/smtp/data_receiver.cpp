// DATA transparency and end of data (RFC 5321 §4.5.2, §4.1.1.4), line endings (§2.3.8), and the
// SMTP smuggling defence: only <CRLF>.<CRLF> ends the data.
#include "proto/smtp/data_receiver.h"

#include <array>

namespace postern::proto::smtp {
namespace {

// Octets that stop the fast scan of a line's text.
constexpr std::array<bool, 256> kSpecial = [] {
    std::array<bool, 256> t{};
    t['\r'] = true;
    t['\n'] = true;
    t[0] = true;
    return t;
}();

}  // namespace

DataReceiver::Progress DataReceiver::feed(std::string_view in, std::string& out) {
    if (state_ == State::done)
        return {0, true};
    const char* const begin = in.data();
    const char* p = begin;
    const char* const end = begin + in.size();
    while (p < end) {
        switch (state_) {
            case State::text: {
                const char* q = p;
                while (q < end && !kSpecial[static_cast<unsigned char>(*q)])
                    ++q;
                if (q != p)
                    writer_.text(std::string_view(p, q - p), out);
                p = q;
                if (p == end)
                    break;
                char c = *p++;
                if (c == '\r') {
                    state_ = State::cr;
                } else if (c == '\n') {
                    writer_.bare_lf(out);
                    state_ = State::bare_line_start;
                } else {
                    writer_.nul();
                }
                break;
            }
            case State::cr:
                if (*p == '\n') {
                    ++p;
                    writer_.crlf(out);
                    state_ = State::line_start;
                } else {
                    // The octet after a bare CR starts a line, but not one that may end data.
                    writer_.bare_cr(out);
                    state_ = State::bare_line_start;
                }
                break;
            case State::line_start:
                if (*p == '.') {
                    ++p;
                    state_ = State::dot;
                } else {
                    state_ = State::text;
                }
                break;
            case State::bare_line_start:
                // Unstuff here too: a client that (wrongly) uses bare LF still doubles its dots,
                // and a lone "." after a bare LF must not survive as a "." line that a later hop
                // could read as the end.
                if (*p == '.')
                    ++p;
                state_ = State::text;
                break;
            case State::dot:
                if (*p == '\r') {
                    ++p;
                    state_ = State::dot_cr;
                } else {
                    state_ = State::text;  // the dot was stuffing; what follows is text
                }
                break;
            case State::dot_cr:
                if (*p == '\n') {
                    ++p;
                    state_ = State::done;
                    const auto n = static_cast<std::size_t>(p - begin);
                    writer_.report().received += n;
                    return {n, true};
                }
                // "." CR then not LF: the dot was stuffing and the CR is bare.
                writer_.bare_cr(out);
                state_ = State::bare_line_start;
                break;
            case State::done:
                break;
        }
    }
    writer_.report().received += in.size();
    return {in.size(), false};
}

}  // namespace postern::proto::smtp
