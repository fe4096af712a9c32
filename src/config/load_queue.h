// Internal to the loader: the [queue] section (docs/queue.md "Configuration").
#pragma once

#include <filesystem>

#include "config/config.h"
#include "config/reader.h"

namespace postern::config {

// Reads [queue] and its sub-tables into cfg.queue; problems go to the root reader's list.
// Needs cfg.server read first (hostname and data_dir give the defaults).
void read_queue(Reader& root, Config& cfg, const std::filesystem::path& base);

}  // namespace postern::config
