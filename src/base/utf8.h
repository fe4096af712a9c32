// UTF-8 well-formedness (RFC 3629 §3-§4): the one validator every layer uses.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace postern {

// Length (1..4) of the well-formed UTF-8 sequence at text[i], with its code point in `cp`;
// 0 when the bytes there are ill-formed or truncated (overlong forms, surrogates, values above
// U+10FFFF, stray continuation bytes). `i` must be < text.size().
std::size_t utf8_sequence(std::string_view text, std::size_t i, char32_t& cp);

bool is_ascii(std::string_view text);
bool is_valid_utf8(std::string_view text);
// Appends the UTF-8 encoding of `cp` (the caller passes a valid scalar value, <= U+10FFFF).
void append_utf8(std::string& out, char32_t cp);

// Number of code points, or nullopt when `text` is not well-formed UTF-8.
std::optional<std::size_t> utf8_code_points(std::string_view text);

}  // namespace postern
