// A chain filter speaking Postern's socket filter protocol (docs/socket-filter.md) to any
// third-party scanner.
#pragma once

#include "filter/scan/scanner.h"
#include "filter/scan/socket_filter_protocol.h"

namespace postern::filter::scan {

class SocketFilter : public Scanner {
  public:
    using Scanner::Scanner;
    Status ping() override;

  protected:
    Result<Verdict> scan(const MessageView& message) override;
    Verdict not_scanned(std::string_view why) override;

  private:
    Result<SocketFilterReply> exchange(std::string_view request);
};

}  // namespace postern::filter::scan
