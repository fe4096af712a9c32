// UTF-8 decoding by the byte-range table of RFC 3629 §4, which by itself rules out overlong
// forms, surrogates and code points past U+10FFFF.
#include "base/utf8.h"

namespace postern {

std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t& cp) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    auto cont = [&](std::size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
        return k < s.size() && byte(k) >= lo && byte(k) <= hi;
    };
    unsigned char b = byte(i);
    if (b < 0x80) {
        cp = b;
        return 1;
    }
    if (b >= 0xC2 && b <= 0xDF && cont(i + 1)) {
        cp = (char32_t{b} & 0x1F) << 6 | (byte(i + 1) & 0x3F);
        return 2;
    }
    if (b >= 0xE0 && b <= 0xEF) {
        unsigned char lo = b == 0xE0 ? 0xA0 : 0x80;
        unsigned char hi = b == 0xED ? 0x9F : 0xBF;
        if (cont(i + 1, lo, hi) && cont(i + 2)) {
            cp = (char32_t{b} & 0x0F) << 12 | (char32_t{byte(i + 1)} & 0x3F) << 6 |
                 (byte(i + 2) & 0x3F);
            return 3;
        }
        return 0;
    }
    if (b >= 0xF0 && b <= 0xF4) {
        unsigned char lo = b == 0xF0 ? 0x90 : 0x80;
        unsigned char hi = b == 0xF4 ? 0x8F : 0xBF;
        if (cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3)) {
            cp = (char32_t{b} & 0x07) << 18 | (char32_t{byte(i + 1)} & 0x3F) << 12 |
                 (char32_t{byte(i + 2)} & 0x3F) << 6 | (byte(i + 3) & 0x3F);
            return 4;
        }
    }
    return 0;
}

bool is_ascii(std::string_view text) {
    for (unsigned char c : text) {
        if (c >= 0x80)
            return false;
    }
    return true;
}

bool is_valid_utf8(std::string_view text) {
    return utf8_code_points(text).has_value();
}

std::optional<std::size_t> utf8_code_points(std::string_view text) {
    std::size_t count = 0;
    char32_t cp = 0;
    for (std::size_t i = 0; i < text.size(); ++count) {
        if (static_cast<unsigned char>(text[i]) < 0x80) {
            ++i;
            continue;
        }
        auto n = utf8_sequence(text, i, cp);
        if (n == 0)
            return std::nullopt;
        i += n;
    }
    return count;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

}  // namespace postern
