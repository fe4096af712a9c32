// Rotation policy: due checks, local calendar boundaries, rotated names and pruning order.
#include "log/rotation.h"

#include <algorithm>

#include <fmt/format.h>
#include <time.h>

#include "base/strings.h"

namespace postern::log {

FilePolicy FilePolicy::from_rule(const config::LogRule& rule) {
    return FilePolicy{rule.max_size, rule.max_age, rule.keep, rule.rotation};
}

std::optional<TimePoint> next_boundary(TimePoint t, config::Rotation rotation) {
    if (rotation == config::Rotation::none)
        return std::nullopt;
    auto secs = std::chrono::system_clock::to_time_t(t);
    struct tm local {};
    localtime_r(&secs, &local);
    local.tm_hour = 0;
    local.tm_min = 0;
    local.tm_sec = 0;
    local.tm_isdst = -1;  // let mktime find the offset valid at the boundary itself
    switch (rotation) {
        case config::Rotation::daily:
            local.tm_mday += 1;
            break;
        case config::Rotation::monthly:
            local.tm_mday = 1;
            local.tm_mon += 1;
            break;
        case config::Rotation::yearly:
            local.tm_mday = 1;
            local.tm_mon = 0;
            local.tm_year += 1;
            break;
        case config::Rotation::none:
            return std::nullopt;
    }
    auto boundary = mktime(&local);
    if (boundary == static_cast<time_t>(-1))
        return std::nullopt;
    return std::chrono::system_clock::from_time_t(boundary);
}

RotateReason rotation_due(const FileState& state, const FilePolicy& policy, TimePoint now,
                          std::uint64_t incoming) {
    if (state.size == 0)
        return RotateReason::none;
    if (auto boundary = next_boundary(state.first_line, policy.rotation);
        boundary && now >= *boundary) {
        return RotateReason::period;
    }
    if (policy.max_age.count() > 0 && now - state.opened >= policy.max_age)
        return RotateReason::age;
    if (policy.max_size > 0 && state.size + incoming > policy.max_size)
        return RotateReason::size;
    return RotateReason::none;
}

std::string rotated_name(std::string_view base, TimePoint when, unsigned seq) {
    auto secs = std::chrono::system_clock::to_time_t(when);
    struct tm local {};
    localtime_r(&secs, &local);
    auto name =
        fmt::format("{}.{:04}{:02}{:02}-{:02}{:02}{:02}", base, local.tm_year + 1900,
                    local.tm_mon + 1, local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec);
    if (seq > 0)
        name += fmt::format("-{}", seq);
    return name;
}

namespace {

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<RotatedKey> parse_rotated_name(std::string_view base, std::string_view name) {
    // base + "." + 8 digits + "-" + 6 digits [+ "-" + seq]
    if (name.size() < base.size() + 16 || name.substr(0, base.size()) != base)
        return std::nullopt;
    auto rest = name.substr(base.size());
    if (rest[0] != '.' || rest[9] != '-')
        return std::nullopt;
    auto date = rest.substr(1, 8);
    auto time = rest.substr(10, 6);
    if (!all_digits(date) || !all_digits(time))
        return std::nullopt;
    RotatedKey key;
    key.stamp = *parse_uint(date) * 1'000'000 + *parse_uint(time);
    auto tail = rest.substr(16);
    if (!tail.empty()) {
        // seq 0 is never written, and "-01" would make two names for one key.
        if (tail[0] != '-' || tail.size() < 2 || tail[1] == '0' || tail.size() > 10 ||
            !all_digits(tail.substr(1))) {
            return std::nullopt;
        }
        key.seq = *parse_uint(tail.substr(1));
    }
    return key;
}

std::vector<std::string> files_to_prune(std::string_view base,
                                        const std::vector<std::string>& names, unsigned keep) {
    std::vector<std::pair<RotatedKey, std::string>> rotated;
    for (const auto& n : names) {
        if (auto key = parse_rotated_name(base, n))
            rotated.emplace_back(*key, n);
    }
    if (rotated.size() <= keep)
        return {};
    std::sort(rotated.begin(), rotated.end());
    std::vector<std::string> out;
    for (std::size_t i = 0; i + keep < rotated.size(); ++i)
        out.push_back(rotated[i].second);
    return out;
}

}  // namespace postern::log
