// UTF-8 validation per RFC 3629 §4 (the byte-sequence table).
#include "directory/utf8.h"

namespace postern::directory {

std::optional<std::size_t> utf8_code_points(std::string_view text) {
    std::size_t count = 0;
    std::size_t i = 0;
    auto byte = [&](std::size_t at) { return static_cast<unsigned char>(text[at]); };
    while (i < text.size()) {
        unsigned char c = byte(i);
        std::size_t length = 0;
        // The valid range of the second byte depends on the first (RFC 3629 §4), which is
        // what rules out overlong forms, surrogates and values past U+10FFFF.
        unsigned char low = 0x80, high = 0xbf;
        if (c < 0x80) {
            length = 1;
        } else if (c >= 0xc2 && c <= 0xdf) {
            length = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            length = 3;
            if (c == 0xe0)
                low = 0xa0;
            if (c == 0xed)
                high = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            length = 4;
            if (c == 0xf0)
                low = 0x90;
            if (c == 0xf4)
                high = 0x8f;
        } else {
            return std::nullopt;
        }
        if (i + length > text.size())
            return std::nullopt;
        for (std::size_t k = 1; k < length; ++k) {
            unsigned char b = byte(i + k);
            unsigned char lo = k == 1 ? low : 0x80;
            unsigned char hi = k == 1 ? high : 0xbf;
            if (b < lo || b > hi)
                return std::nullopt;
        }
        i += length;
        ++count;
    }
    return count;
}

}  // namespace postern::directory
