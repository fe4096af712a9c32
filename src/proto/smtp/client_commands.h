// Client side: command lines for SMTP-OUT and LMTP delivery (RFC 5321 §4.1.1; parameters of
// RFC 1870, 3030, 3461, 4954, 6152, 6531), each ending in CRLF.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "proto/smtp/capabilities.h"
#include "proto/smtp/command.h"

namespace postern::proto::smtp {

inline constexpr std::string_view kDataLine = "DATA\r\n";
inline constexpr std::string_view kRsetLine = "RSET\r\n";
inline constexpr std::string_view kQuitLine = "QUIT\r\n";
inline constexpr std::string_view kNoopLine = "NOOP\r\n";
inline constexpr std::string_view kStartTlsLine = "STARTTLS\r\n";

// "EHLO name\r\n" (or HELO/LHLO for `verb`); `name` is our domain or address literal.
std::string format_hello(Verb verb, std::string_view name);

// Both MAIL and RCPT fail with "syntax" when a field would put a control character (CR, LF,
// NUL...) on the line: whatever the queue holds, no command can be injected into the session.

// "MAIL FROM:<sender> [params]\r\n" with the parameters this server can take: SIZE only if
// announced, RET/ENVID only with DSN, AUTH= only with AUTH. Fails, naming the missing keyword,
// when the transaction cannot go to this server as it is: "SMTPUTF8" (UTF-8 addresses or the
// SMTPUTF8 parameter), "8BITMIME" (BODY=8BITMIME), "BINARYMIME"/"CHUNKING" (BODY=BINARYMIME).
// The caller then downgrades (RFC 6152 §3) or bounces.
std::expected<std::string, std::string_view> format_mail_from(const MailFrom& mail,
                                                              const ServerCapabilities& server);

// "RCPT TO:<recipient> [NOTIFY=... ORCPT=...]\r\n", DSN parameters only with DSN (the caller
// owes a "relayed" DSN when it drops NOTIFY=SUCCESS, RFC 3461 §5.2.2). A stored ORCPT value is
// passed on unchanged when it is a valid parameter value, else rebuilt from its address. Fails
// with "SMTPUTF8" for a UTF-8 recipient the server cannot take.
std::expected<std::string, std::string_view> format_rcpt_to(const RcptTo& rcpt,
                                                            const ServerCapabilities& server);

std::string format_bdat(std::uint64_t size, bool last);

// "AUTH mech [response]\r\n"; `initial_response` is already base64 (or "=" for empty).
std::string format_auth(std::string_view mechanism,
                        std::optional<std::string_view> initial_response);

// "<local@domain>" with the local part quoted when needed; "<>" for the null sender.
std::string format_path(const std::optional<Mailbox>& mailbox);

}  // namespace postern::proto::smtp
