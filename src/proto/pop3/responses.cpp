// POP3 response formatting (RFC 1939 §3: multi-line responses and byte-stuffing).
#include "proto/pop3/responses.h"

namespace postern::proto::pop3 {

namespace {

std::string_view one_line(std::string_view text) {
    auto cut = text.find_first_of("\r\n");
    return cut == std::string_view::npos ? text : text.substr(0, cut);
}

void status(std::string& out, std::string_view head, std::string_view text, std::string_view code) {
    out += head;
    if (!code.empty()) {
        out += " [";
        out += code;
        out += ']';
    }
    text = one_line(text);
    if (!text.empty()) {
        out += ' ';
        out += text;
    }
    out += "\r\n";
}

}  // namespace

void append_ok(std::string& out, std::string_view text, std::string_view code) {
    status(out, "+OK", text, code);
}

void append_err(std::string& out, std::string_view text, std::string_view code) {
    status(out, "-ERR", text, code);
}

void append_challenge(std::string& out, std::string_view base64) {
    out += "+ ";
    out += base64;
    out += "\r\n";
}

void append_line(std::string& out, std::string_view line) {
    line = one_line(line);
    if (!line.empty() && line.front() == '.')
        out += '.';
    out += line;
    out += "\r\n";
}

void append_end(std::string& out) {
    out += ".\r\n";
}

void append_message(std::string& out, std::string_view raw,
                    std::optional<std::uint64_t> body_lines) {
    out.reserve(out.size() + raw.size() + raw.size() / 64 + 8);
    bool in_header = true;
    std::uint64_t lines_left = body_lines.value_or(0);
    std::size_t i = 0;
    while (i < raw.size()) {
        if (!in_header && body_lines && lines_left-- == 0)
            break;
        std::size_t lf = raw.find('\n', i);
        std::size_t end = lf == std::string_view::npos ? raw.size() : lf;
        std::string_view line = raw.substr(i, end - i);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (!line.empty() && line.front() == '.')
            out += '.';
        out += line;
        out += "\r\n";
        if (in_header && line.empty())
            in_header = false;  // the blank line is part of what TOP returns
        i = lf == std::string_view::npos ? raw.size() : lf + 1;
    }
    out += ".\r\n";
}

std::uint64_t wire_size(std::string_view raw) {
    // Every line, CRLF-terminated, as append_message writes it before byte-stuffing.
    std::uint64_t size = 0;
    std::size_t i = 0;
    while (i < raw.size()) {
        std::size_t lf = raw.find('\n', i);
        std::size_t end = lf == std::string_view::npos ? raw.size() : lf;
        std::size_t len = end - i;
        if (len > 0 && raw[end - 1] == '\r')
            --len;
        size += len + 2;
        i = lf == std::string_view::npos ? raw.size() : lf + 1;
    }
    return size;
}

}  // namespace postern::proto::pop3
