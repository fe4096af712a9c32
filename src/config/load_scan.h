// Internal to the loader: the [scan] section (docs/antivirus-antispam.md).
#pragma once

#include "config/config.h"
#include "config/reader.h"

namespace postern::config {

// Reads [scan] and its [[scan.scanner]] tables into cfg.scan.
void read_scan(Reader& root, Config& cfg);

}  // namespace postern::config
