// One event call as the Lua bindings see it: the context being read, the decision being built
// and the variable writes waiting for the call to succeed (internal).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "filter/policy/context.h"
#include "filter/policy/decision.h"
#include "filter/policy/event.h"
#include "log/log.h"

namespace postern::filter::policy::detail {

struct Call {
    Call(Event e, const PolicyContext& c, const PolicyVars& v, const log::Logger& l)
        : event(e), context(c), vars(v), logger(l) {}

    Event event;
    const PolicyContext& context;
    const PolicyVars& vars;  // as committed by earlier calls; read-only during the call
    // ctx.vars assignments of this call, applied only if it succeeds (nullopt: erase).
    std::vector<std::pair<std::string, std::optional<VarValue>>> var_writes;
    PolicyDecision decision;
    const log::Logger& logger;
    bool log_lines_dropped = false;
};

}  // namespace postern::filter::policy::detail
