// Maps [policy] (config::PolicyConfig) onto the policy library's limits, for the worker and
// for `posternctl policy test`.
#pragma once

#include <filesystem>

#include "config/config.h"
#include "filter/policy/limits.h"

namespace postern::daemon {

filter::policy::PolicyLimits policy_limits(const config::PolicyConfig& config);

// The script to put in service: empty when no policy is configured or it is disabled.
std::filesystem::path policy_script(const config::PolicyConfig& config);

}  // namespace postern::daemon
