// Internal to the loader: the [protection] section (docs/smtp-protection.md).
#pragma once

#include <filesystem>

#include "config/config.h"
#include "config/reader.h"

namespace postern::config {

// Reads [protection] and its sub-tables into cfg.protection; problems go to the root reader's
// list. Needs cfg.server read first (data_dir gives the default database paths).
void read_protection(Reader& root, Config& cfg, const std::filesystem::path& base);

}  // namespace postern::config
