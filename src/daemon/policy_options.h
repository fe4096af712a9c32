// Maps [policy] (config::PolicyConfig) onto the policy library's limits, for the worker and
// for `posternctl policy test`.
#pragma once

#include <filesystem>

#include "config/config.h"
#include "filter/policy/limits.h"
#include "log/log.h"
#include "queue/queue.h"

namespace postern::filter::policy {
class PolicyHolder;
}

namespace postern::daemon {

filter::policy::PolicyLimits policy_limits(const config::PolicyConfig& config);

// The script to put in service: empty when no policy is configured or it is disabled.
std::filesystem::path policy_script(const config::PolicyConfig& config);

// The queue's hook for failure and delay notices: runs onDeliveryFailure /
// onTemporaryDeliveryFailure of the script in `holder` (discard, setNdrText). A failing call
// keeps the default notice. `holder` must outlive the queue's use of the hook.
queue::NoticePolicy notice_policy(filter::policy::PolicyHolder& holder, log::Logger logger);

}  // namespace postern::daemon
