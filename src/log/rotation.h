// Log file rotation policy as pure functions: when a file is due, what a rotated file is
// called, and which old files `keep` deletes. Calendar boundaries use local time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace postern::log {

using TimePoint = std::chrono::system_clock::time_point;
// The writer's notion of "now"; tests inject a fake one to drive rotation.
using WallClock = std::function<TimePoint()>;

// What a rule says about its file. A file named by several rules takes the policy of the
// highest-priority one.
struct FilePolicy {
    std::uint64_t max_size = 0;            // bytes; 0 = no size limit
    std::chrono::milliseconds max_age{0};  // 0 = no age limit
    unsigned keep = 10;                    // rotated files kept; 0 = delete on rotation
    config::Rotation rotation = config::Rotation::none;

    static FilePolicy from_rule(const config::LogRule& rule);
    bool operator==(const FilePolicy&) const = default;
};

// The first local midnight / first of month / first of year strictly after `t`; nullopt for
// Rotation::none. Correct across DST changes (mktime normalizes the local calendar).
std::optional<TimePoint> next_boundary(TimePoint t, config::Rotation rotation);

// Why a file is due for rotation before appending `incoming` bytes at `now`.
enum class RotateReason { none, size, age, period };

struct FileState {
    std::uint64_t size = 0;  // bytes in the file, including buffered ones
    TimePoint opened;        // when this process started writing it (for max_age)
    TimePoint first_line;    // time of its oldest line, or its mtime when we found it (periods)
};

// A file is never rotated while empty, so a single line longer than max_size is still written.
RotateReason rotation_due(const FileState& state, const FilePolicy& policy, TimePoint now,
                          std::uint64_t incoming);

// "postern.log" at 2026-11-22 13:49:08 local, seq 0 → "postern.log.20261122-134908";
// seq 2 → "postern.log.20261122-134908-2" (several rotations within one second).
std::string rotated_name(std::string_view base, TimePoint when, unsigned seq);

// Sort key of a rotated file of `base`, or nullopt when `name` is not one (other files in
// the directory are never touched).
struct RotatedKey {
    std::uint64_t stamp = 0;  // YYYYMMDDHHMMSS as a number
    std::uint64_t seq = 0;
    auto operator<=>(const RotatedKey&) const = default;
};
std::optional<RotatedKey> parse_rotated_name(std::string_view base, std::string_view name);

// Of the rotated files in `names` (other names ignored), those to delete so that at most
// `keep` remain: the oldest by (stamp, seq).
std::vector<std::string> files_to_prune(std::string_view base,
                                        const std::vector<std::string>& names, unsigned keep);

}  // namespace postern::log
