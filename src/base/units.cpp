// Parsing of durations and byte sizes as written in configuration files.
#include "base/units.h"

#include "base/strings.h"

namespace postern {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view raw) {
    auto text = trim(raw);
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
        ++digits;
    auto number = parse_uint(text.substr(0, digits));
    if (!number || *number > (1ULL << 40))
        return std::nullopt;
    auto unit = to_lower(trim(text.substr(digits)));
    std::uint64_t ms = 0;
    if (unit == "ms") {
        ms = *number;
    } else if (unit.empty() || unit == "s") {
        ms = *number * 1000;
    } else if (unit == "m") {
        ms = *number * 60'000;
    } else if (unit == "h") {
        ms = *number * 3'600'000;
    } else if (unit == "d") {
        ms = *number * 86'400'000;
    } else {
        return std::nullopt;
    }
    return std::chrono::milliseconds(ms);
}

std::string format_duration(std::chrono::milliseconds d) {
    auto ms = d.count();
    if (ms % 86'400'000 == 0 && ms)
        return std::to_string(ms / 86'400'000) + "d";
    if (ms % 3'600'000 == 0 && ms)
        return std::to_string(ms / 3'600'000) + "h";
    if (ms % 60'000 == 0 && ms)
        return std::to_string(ms / 60'000) + "m";
    if (ms % 1000 == 0)
        return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

std::optional<std::uint64_t> parse_size(std::string_view raw) {
    auto text = trim(raw);
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
        ++digits;
    auto number = parse_uint(text.substr(0, digits));
    if (!number)
        return std::nullopt;
    auto unit = to_lower(trim(text.substr(digits)));
    std::uint64_t mult = 1;
    if (unit.empty() || unit == "b") {
        mult = 1;
    } else if (unit == "k" || unit == "kb" || unit == "kib") {
        mult = 1ULL << 10;
    } else if (unit == "m" || unit == "mb" || unit == "mib") {
        mult = 1ULL << 20;
    } else if (unit == "g" || unit == "gb" || unit == "gib") {
        mult = 1ULL << 30;
    } else {
        return std::nullopt;
    }
    if (*number > (~0ULL) / mult)
        return std::nullopt;
    return *number * mult;
}

}  // namespace postern
