// Changing one key of postern.toml in place, keeping the admin's comments and layout, for
// admin tools that change server settings (e.g. `posternctl log level`).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"

namespace postern::config {

// Returns `text` with `key = literal` set in table `[section]` ("services.smtp"): the key's
// line is replaced, or the key is added at the end of the table, or the table is appended.
// `literal` is a TOML value as written ("15", "\"daily\""). The result is parsed back and
// the value checked; files that define the table in other ways (dotted keys, inline tables)
// give Errc::invalid_argument asking for a manual edit.
Result<std::string> set_key(std::string_view text, std::string_view section, std::string_view key,
                            std::string_view literal);

// set_key on a file, validated with load_string() before it atomically replaces the file.
Status set_key_in_file(const std::filesystem::path& file, std::string_view section,
                       std::string_view key, std::string_view literal);

}  // namespace postern::config
