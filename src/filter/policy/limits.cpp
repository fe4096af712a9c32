// Failure action names and the range checks of the [policy] limits.
#include "filter/policy/limits.h"

#include <string>

namespace postern::filter::policy {

std::string_view failure_action_name(FailureAction action) {
    switch (action) {
        case FailureAction::tempfail:
            return "tempfail";
        case FailureAction::reject:
            return "reject";
        case FailureAction::ignore:
            return "ignore";
    }
    return "tempfail";
}

std::optional<FailureAction> failure_action_from_name(std::string_view name) {
    for (auto a : {FailureAction::tempfail, FailureAction::reject, FailureAction::ignore}) {
        if (failure_action_name(a) == name)
            return a;
    }
    return std::nullopt;
}

Status validate_limits(const PolicyLimits& limits) {
    if (limits.max_memory < kMinMemory || limits.max_memory > kMaxMemory)
        return fail(Errc::invalid_argument, "policy max_memory must be between 256K and 1G");
    if (limits.max_time < kMinTime || limits.max_time > kMaxTime)
        return fail(Errc::invalid_argument, "policy max_time must be between 1ms and 10s");
    if (limits.states < 1 || limits.states > kMaxStates)
        return fail(Errc::invalid_argument,
                    "policy states must be between 1 and " + std::to_string(kMaxStates));
    return ok();
}

}  // namespace postern::filter::policy
