// Human-friendly durations ("30s", "10m", "2h", "7d") and sizes ("512", "64K", "10M", "1G").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace postern {

// Durations: a number followed by ms, s, m, h or d; a bare number means seconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
std::string format_duration(std::chrono::milliseconds d);

// Sizes: a number optionally followed by K, M, G (powers of 1024; "KB"/"KiB" accepted too).
std::optional<std::uint64_t> parse_size(std::string_view text);

}  // namespace postern
