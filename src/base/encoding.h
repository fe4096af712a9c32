// Byte encodings used by protocols and stored secrets: base64 (RFC 4648), hex.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace postern {

std::string base64_encode(std::string_view bytes);
// Strict RFC 4648 decoding with padding; nullopt on any invalid character or length.
std::optional<std::string> base64_decode(std::string_view text);

std::string hex_encode(std::string_view bytes);
std::optional<std::string> hex_decode(std::string_view text);

}  // namespace postern
