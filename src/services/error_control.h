// Per-session error control (reference: "Error control"): a session that sends more than
// max_bad_commands bad commands or max_auth_failures failed logins is dropped.
#pragma once

#include <cstdint>

#include "config/config.h"
#include "services/tcp_service.h"

namespace postern::services {

class ErrorControl {
  public:
    explicit ErrorControl(const config::TcpServiceConfig& c)
        : max_bad_(c.max_bad_commands), max_auth_(c.max_auth_failures) {}
    // Also reports a session closed for bad commands to the automatic ban (ctx.abuse).
    ErrorControl(const SessionContext& ctx, const IpAddress& client)
        : ErrorControl(*ctx.service) {
        abuse_ = ctx.abuse;
        logger_ = ctx.logger;
        client_ = client;
    }

    // Each returns true when the session has now gone over its limit and must be closed.
    bool bad_command() {
        bool over = ++bad_ > max_bad_ && max_bad_ != 0;
        if (over && abuse_ && !reported_) {
            reported_ = true;
            abuse_->protocol_errors(client_, logger_);
        }
        return over;
    }
    bool auth_failure() { return ++auth_ >= max_auth_ && max_auth_ != 0; }

    std::uint32_t bad_commands() const { return bad_; }
    std::uint32_t auth_failures() const { return auth_; }

  private:
    std::uint32_t max_bad_;
    std::uint32_t max_auth_;
    std::uint32_t bad_ = 0;
    std::uint32_t auth_ = 0;
    AbuseGuard* abuse_ = nullptr;
    log::Logger logger_;
    IpAddress client_;
    bool reported_ = false;
};

}  // namespace postern::services
