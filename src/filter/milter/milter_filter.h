// A milter (Sendmail milter protocol v6) as a PROCESSING chain filter: one milter session per
// message, replaying the SMTP transaction from the queued envelope (docs/milter.md).
#pragma once

#include <string>
#include <vector>

#include "filter/milter/client.h"
#include "filter/scan/scanner.h"

namespace postern::filter::milter {

// What a milter decided about one message, before it is mapped to a Verdict.
struct MilterOutcome {
    enum class Final { accept, reject, tempfail, discard } final = Final::accept;
    std::string status;  // reject/tempfail: RFC 3463 code ("5.7.1")
    std::string text;
    std::vector<Modification> modifications;  // in the order the milter sent them
    std::uint32_t actions = 0;                // negotiated SMFIF_* bits
    bool leading_space = false;               // negotiated SMFIP_HDR_LEADSPC
    std::vector<std::string> rejected_recipients;
};

class MilterFilter : public scan::Scanner {
  public:
    MilterFilter(config::ScannerConfig config, scan::ScanAddress address, log::Logger logger);
    Status ping() override;
    // The whole milter conversation for one message (public for tests).
    Result<MilterOutcome> converse(const MessageView& message);

  protected:
    Result<Verdict> scan(const MessageView& message) override;
    Verdict not_scanned(std::string_view why) override;
};

// Maps the outcome for `message` to a chain verdict (public for tests): header changes, the
// quarantine folder, and the envelope changes CHGFROM/ADDRCPT/DELRCPT in the order the milter
// made them. Errc::cancelled for tempfail.
Result<Verdict> to_verdict(const MilterOutcome& outcome, const config::ScannerConfig& config,
                           const MessageView& message);

}  // namespace postern::filter::milter
