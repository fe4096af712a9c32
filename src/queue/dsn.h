// Delivery status notifications: builds the multipart/report message (RFC 3462/6522) with a
// human-readable part, a message/delivery-status part (RFC 3464 §2) and the returned content
// (RFC 3461 §4.3 RET: message/rfc822 or text/rfc822-headers), using the RFC 6533 global types
// for internationalized mail. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "queue/options.h"
#include "queue/types.h"

namespace postern::queue {

enum class DsnKind : std::uint8_t { failure, delay, success };
// RFC 3464 §2.3.3 Action values.
enum class DsnAction : std::uint8_t { failed, delayed, delivered, relayed, expanded };

std::string_view dsn_action_name(DsnAction a);

struct DsnRecipient {
    std::string final_recipient;     // the address we tried
    std::string original_recipient;  // ORCPT "addr-type;address", or empty
    DsnAction action = DsnAction::failed;
    std::string status;      // RFC 3463 code; a default for the action when empty
    std::string diagnostic;  // "smtp; 550 5.1.1 ..." or free text
    std::string remote_mta;  // host name, or empty
    UnixMs last_attempt = 0;
    UnixMs will_retry_until = 0;  // delayed only
};

struct DsnMessage {
    DsnKind kind = DsnKind::failure;
    std::string reporting_mta;  // our host name
    std::string from_address;   // MAILER-DAEMON@host
    std::string from_name;
    std::string to;  // the original envelope sender
    std::string subject;
    std::string text;           // the human-readable part, placeholders already expanded
    std::string queue_id;       // of the original
    std::string envid;          // RFC 3461 ENVID of the original
    std::string received_from;  // "helo ([ip])" of the original's client, or empty
    UnixMs arrival = 0;
    UnixMs now = 0;
    std::vector<DsnRecipient> recipients;
    std::string_view original;        // the returned content (the whole message or only its header)
    Attach attach = Attach::headers;  // what `original` is; none returns nothing
    bool utf8 = false;                // RFC 6533 types and utf-8 address types
    std::string message_id;           // without angle brackets
    std::string boundary;
};

// The whole notification, CRLF line ends, ready to be queued from the null sender.
std::string build_dsn(const DsnMessage& m);

// The header section of a message (up to and including the blank line; all of it when no
// blank line ends it), found with the MIME parser.
std::string_view message_header(std::string_view message);

// Replaces {name} placeholders; unknown ones stay as written.
std::string expand_placeholders(std::string_view text,
                                const std::map<std::string, std::string>& vars);

// The built-in human-readable text for a kind (placeholders not expanded).
std::string_view default_dsn_text(DsnKind kind);

// RFC 5322 §3.3 date-time in UTC: "Sun, 22 Nov 2026 13:49:08 +0000".
std::string rfc5322_date(UnixMs t);

}  // namespace postern::queue
