// The configurable bounds of policy scripts (config section [policy]) and what a failed call
// turns into.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/result.h"

namespace postern::filter::policy {

// What an event yields when the script fails (error, time or memory limit, invalid decision).
// Queue-side events never bounce because of a script bug: onRelay defers (unless `ignore`),
// and a failed onDeliveryFailure/onTemporaryDeliveryFailure keeps the default NDR.
enum class FailureAction : std::uint8_t {
    tempfail,  // 451 4.3.0: the client retries later; nothing is lost (the default)
    reject,    // 554 5.7.0
    ignore,    // as if the script had no opinion (a failing script lets mail through)
};

std::string_view failure_action_name(FailureAction action);
std::optional<FailureAction> failure_action_from_name(std::string_view name);

struct PolicyLimits {
    // Bytes one interpreter may hold, the script's own tables included; an allocation beyond it
    // fails inside the script ("not enough memory"), which fails the call.
    std::uint64_t max_memory = 16 * 1024 * 1024;
    // Wall-clock time one event call may run (also the top level of the script when an
    // interpreter is created, and the longest a call waits for a free interpreter).
    std::chrono::milliseconds max_time{50};
    FailureAction failure_action = FailureAction::tempfail;
    // Interpreters created on demand and kept for reuse: the number of calls that can run at once.
    unsigned states = 16;
};

inline constexpr std::uint64_t kMinMemory = 256 * 1024;
inline constexpr std::uint64_t kMaxMemory = 1024ull * 1024 * 1024;
inline constexpr std::chrono::milliseconds kMinTime{1};
inline constexpr std::chrono::milliseconds kMaxTime{10000};
inline constexpr unsigned kMaxStates = 1024;

// Checks the ranges above; the error names the offending key.
Status validate_limits(const PolicyLimits& limits);

}  // namespace postern::filter::policy
