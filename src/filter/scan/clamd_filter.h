// A chain filter that streams each message to ClamAV's clamd (zINSTREAM).
#pragma once

#include "filter/scan/clamd_protocol.h"
#include "filter/scan/scanner.h"

namespace postern::filter::scan {

class ClamdFilter : public Scanner {
  public:
    using Scanner::Scanner;
    Status ping() override;
    Result<ClamdResult> instream(std::string_view message);

  protected:
    Result<Verdict> scan(const MessageView& message) override;
    Verdict not_scanned(std::string_view why) override;
};

}  // namespace postern::filter::scan
