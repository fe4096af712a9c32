// File helpers with explicit durability: atomic replace with fsync of file and directory.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"

namespace postern {

Result<std::string> read_file(const std::filesystem::path& path);

// Writes to a temporary sibling, fsyncs it, renames over `path`, fsyncs the directory.
// After success the new content survives a crash; before it the old content is intact.
Status write_file_atomic(const std::filesystem::path& path, std::string_view content,
                         int mode = 0644);

Status fsync_directory(const std::filesystem::path& dir);

// errno as text, for log lines and error messages.
std::string errno_text(int err);

}  // namespace postern
