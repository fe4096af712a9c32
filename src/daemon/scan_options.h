// [scan] → the scanner filters of PROCESSING's chain (docs/antivirus-antispam.md).
#pragma once

#include <memory>
#include <vector>

#include "config/config.h"
#include "filter/chain/chain.h"
#include "filter/scan/scanner.h"
#include "log/log.h"

namespace postern::directory {
class Directory;
}

namespace postern::daemon {

struct ScanSetup {
    std::shared_ptr<filter::FilterChain> chain;
    std::vector<std::shared_ptr<filter::scan::Scanner>> scanners;  // for the monitor
};

// Builds one filter per enabled [[scan.scanner]] at its level and priority. An account-level
// scanner whose account does not exist (yet) is skipped with a warning.
ScanSetup build_scan_filters(const config::Config& config, directory::Directory& directory,
                             log::Logger logger);

}  // namespace postern::daemon
