// posternctl's human output: tables for lists, "key: value" for objects.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace postern::tools {

// Prints `result` of `command` for people. Known list commands get fixed columns; anything
// else is printed generically.
void print_human(std::ostream& out, const std::string& command, const nlohmann::json& result);

// Exit code for an admin error code (documented in docs/posternctl.md).
int exit_code_for(const std::string& error_code);

}  // namespace postern::tools
