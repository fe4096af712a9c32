// posternctl's transport: one JSON request per line over the daemon's admin socket.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace postern::tools {

// Sends `request` and returns the daemon's response object. Errc::unavailable when the
// daemon is not running (the message suggests --offline).
Result<nlohmann::json> call_daemon(const std::filesystem::path& socket,
                                   const nlohmann::json& request);

}  // namespace postern::tools
