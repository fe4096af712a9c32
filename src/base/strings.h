// Small string helpers for ASCII protocol text: case folding, trimming, splitting, numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace postern {

constexpr char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}
constexpr char ascii_upper(char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
}

std::string to_lower(std::string_view s);
std::string to_upper(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);

std::string_view trim(std::string_view s);
std::vector<std::string_view> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);

// Parses a whole decimal string; nullopt on empty, sign, junk or overflow.
std::optional<std::uint64_t> parse_uint(std::string_view s);

// Glob match with '*' (any run) and '?' (one char), ASCII case-insensitive.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace postern
