// [policy] → filter::policy::PolicyLimits.
#include "daemon/policy_options.h"

namespace postern::daemon {

filter::policy::PolicyLimits policy_limits(const config::PolicyConfig& config) {
    filter::policy::PolicyLimits limits;
    limits.max_memory = config.max_memory;
    limits.max_time = config.max_time;
    limits.failure_action = filter::policy::failure_action_from_name(config.failure_action)
                                .value_or(filter::policy::FailureAction::tempfail);
    limits.states = config.states;
    return limits;
}

std::filesystem::path policy_script(const config::PolicyConfig& config) {
    return config.active() ? config.script : std::filesystem::path();
}

}  // namespace postern::daemon
