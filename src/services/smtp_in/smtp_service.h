// The SMTP-IN and LMTP services: a TcpService with the SMTP session.
#pragma once

#include <memory>

#include "services/smtp_in/session.h"
#include "services/tcp_service.h"

namespace postern::services::smtp_in {

// Refusal for connections that rules or limits turn away (RFC 5321 §3.1: 554 at greeting).
inline constexpr const char* kRefusal = "554 5.7.1 Access denied\r\n";

TcpServiceSpec smtp_spec(const Deps& deps);
TcpServiceSpec lmtp_spec(const Deps& deps);

}  // namespace postern::services::smtp_in
