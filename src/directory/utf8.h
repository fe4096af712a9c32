// UTF-8 well-formedness (RFC 3629 §4): used to validate names and count password characters.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace postern::directory {

// The number of code points in `text`, or nullopt when it is not well-formed UTF-8
// (overlong forms, surrogates, values above U+10FFFF and truncated sequences are refused).
std::optional<std::size_t> utf8_code_points(std::string_view text);

}  // namespace postern::directory
