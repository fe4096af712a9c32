// DATA transparency for the sender (RFC 5321 §4.5.2), canonical line endings (§2.3.8), end of
// data (§4.1.1.4); the same line-ending repair for BDAT chunks (RFC 3030 §2).
#include "proto/smtp/data_sender.h"

namespace postern::proto::smtp {

void DataEncoder::encode(std::string_view in, std::string& out) {
    out.reserve(out.size() + in.size() + in.size() / 64 + 4);
    std::size_t i = 0;
    while (i < in.size()) {
        if (pending_cr_) {
            // CR LF, or a bare CR: either way one CRLF goes out.
            pending_cr_ = false;
            out += "\r\n";
            at_line_start_ = true;
            if (in[i] == '\n')
                ++i;
            continue;
        }
        if (at_line_start_) {
            at_line_start_ = false;
            if (in[i] == '.' && mode_ == Mode::dot_stuffed)
                out += '.';
        }
        std::size_t j = i;
        while (j < in.size() && in[j] != '\r' && in[j] != '\n')
            ++j;
        out.append(in.substr(i, j - i));
        if (j == in.size())
            break;
        if (in[j] == '\r') {
            pending_cr_ = true;
        } else {
            out += "\r\n";
            at_line_start_ = true;
        }
        i = j + 1;
    }
}

void DataEncoder::finish(std::string& out) {
    if (pending_cr_ || !at_line_start_) {
        out += "\r\n";
        pending_cr_ = false;
        at_line_start_ = true;
    }
    if (mode_ == Mode::dot_stuffed)
        out += ".\r\n";
}

std::string encode_data(std::string_view message, DataEncoder::Mode mode) {
    std::string out;
    DataEncoder encoder(mode);
    encoder.encode(message, out);
    encoder.finish(out);
    return out;
}

}  // namespace postern::proto::smtp
