// Internal to the loader: the [sender_auth] section (docs/sender-authentication.md).
#pragma once

#include <filesystem>

#include "config/config.h"
#include "config/reader.h"

namespace postern::config {

// Reads [sender_auth] and its spf/dkim/dmarc sub-tables into cfg.sender_auth. Needs cfg.server
// read first (hostname and data_dir give the defaults).
void read_sender_auth(Reader& root, Config& cfg, const std::filesystem::path& base);

}  // namespace postern::config
