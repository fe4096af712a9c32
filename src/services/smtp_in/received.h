// The Received trace field we prepend to every message (RFC 5321 §4.4, RFC 3848 protocol
// types, TLS and authentication noted in comments as other servers do).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace postern::services::smtp_in {

struct ReceivedInfo {
    std::string helo;          // as the client gave it
    std::string reverse_name;  // verified reverse DNS name of the client, or ""
    std::string client_ip;
    std::string server_name;   // our host name
    std::string protocol;      // RFC 3848: SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA, LMTP, ...
    std::string queue_id;
    std::string tls;           // "TLSv1.3 TLS_AES_256_GCM_SHA384" or ""
    std::string auth_user;     // or ""
    std::string recipient;     // the one recipient, or "" when there are several
    std::chrono::system_clock::time_point when;
};

// "Received: from ...\r\n" folded at 78 columns, CRLF-terminated.
std::string received_field(const ReceivedInfo& info);

// RFC 3848 "with" keyword from what the session knows; RFC 6531 §4.3 "UTF8" prefix when the
// transaction used SMTPUTF8.
std::string with_protocol(bool esmtp, bool tls, bool authenticated, bool lmtp, bool utf8 = false);

// RFC 5322 §3.3 date-time of `when` in local time: "Sun, 22 Nov 2026 13:49:08 +0000".
std::string rfc5322_date(std::chrono::system_clock::time_point when);

}  // namespace postern::services::smtp_in
