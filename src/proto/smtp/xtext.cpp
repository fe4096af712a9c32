// xtext encoding and decoding (RFC 3461 §4).
#include "proto/smtp/xtext.h"

#include "base/utf8.h"

namespace postern::proto::smtp {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

}  // namespace

std::string xtext_encode(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    for (char c : raw) {
        auto u = static_cast<unsigned char>(c);
        if (u >= 33 && u <= 126 && c != '+' && c != '=') {
            out += c;
        } else {
            out += '+';
            out += kHex[u >> 4];
            out += kHex[u & 0xF];
        }
    }
    return out;
}

std::optional<std::string> xtext_decode(std::string_view text, bool allow_utf8) {
    if (allow_utf8 && !is_ascii(text) && !is_valid_utf8(text))
        return std::nullopt;
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto u = static_cast<unsigned char>(text[i]);
        if (text[i] == '+') {
            if (text.size() - i < 3)
                return std::nullopt;
            int hi = hex_value(text[i + 1]);
            int lo = hex_value(text[i + 2]);
            if (hi < 0 || lo < 0)
                return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if ((u >= 33 && u <= 126 && text[i] != '=') || (u >= 0x80 && allow_utf8)) {
            out += text[i];
        } else {
            return std::nullopt;
        }
    }
    return out;
}

}  // namespace postern::proto::smtp
