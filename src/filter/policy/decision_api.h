// The decision functions scripts call — accept, reject, tempfail, discard, setReplyText,
// addHeader, removeHeader, setRecipients, addRecipient, removeRecipient, setRelay, setNdrText,
// log and print — validating every request (internal). An invalid request raises a Lua error,
// which fails the call: the configured failure action applies and the error is logged.
#pragma once

#include <lua.hpp>

namespace postern::filter::policy::detail {

// Defines the functions as globals. Runs inside a protected call.
void install_decision_api(lua_State* L);

}  // namespace postern::filter::policy::detail
