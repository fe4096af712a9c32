// Turning a scan result into a Verdict by the scanner's configured actions: normalised header
// fields (forged copies removed first), subject prefix, folder, reject or discard.
#pragma once

#include <string_view>

#include "config/config.h"
#include "filter/chain/filter.h"

namespace postern::filter::scan {

struct SpamResult {
    bool spam = false;
    double score = 0;
    double required = 5;
    std::string_view tests;  // "GTUBE,NO_RECEIVED" or "" (goes into the status field)
};

Verdict spam_verdict(const config::ScannerConfig& config, std::string_view raw,
                     const SpamResult& result);
Verdict virus_verdict(const config::ScannerConfig& config, bool infected, std::string_view virus);
// Level 0 ("not tested", RFC 5235) with the reason in the status field.
Verdict spam_not_scanned(std::string_view why);
Verdict virus_not_scanned(std::string_view why);

}  // namespace postern::filter::scan
