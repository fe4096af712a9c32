// A chain filter that asks SpamAssassin's spamd (SPAMC/SPAMD 1.5) about each message.
#pragma once

#include "filter/scan/scanner.h"
#include "filter/scan/spamd_protocol.h"

namespace postern::filter::scan {

class SpamdFilter : public Scanner {
  public:
    using Scanner::Scanner;
    Status ping() override;

    // One request/reply exchange (used by scan() and by tests).
    Result<SpamdReply> exchange(SpamdCommand command, std::string_view message);

  protected:
    Result<Verdict> scan(const MessageView& message) override;
    Verdict not_scanned(std::string_view why) override;
};

}  // namespace postern::filter::scan
