// Dropping root after the listening sockets are bound, and preparing the directories the
// worker must be able to write once it runs as that user.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"

namespace postern::daemon {

// Creates `dirs` (mode 0750) and, when running as root with a target user, gives them to that
// user. Only the directories themselves, not their contents: startup stays fast on big stores.
Status prepare_directories(const std::vector<std::filesystem::path>& dirs, const std::string& user,
                           const std::string& group);

// setgid/initgroups/setuid to `user` (and `group`, default the user's primary group) when
// running as root; a no-op otherwise or when `user` is empty. Verifies root cannot be regained.
Status drop_privileges(const std::string& user, const std::string& group);

}  // namespace postern::daemon
