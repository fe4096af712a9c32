// Mail that Sieve actions generate: the vacation reply and the rules that decide whether one
// is sent (RFC 5230 §4.5-§4.6, §5; RFC 3834 §2-§3), the reject MDN (RFC 5429 §2.1, RFC 3798
// §3), and the redirected copy with its loop marker. Pure functions: the caller tracks
// replies per sender and submits the messages to the queue.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filter/sieve/actions.h"
#include "filter/sieve/runtime.h"

namespace postern::sieve {

// The header that marks mail a Sieve redirect sent on: one line per redirecting recipient.
inline constexpr std::string_view kRedirectLoopHeader = "X-Postern-Sieve-Redirect";

struct OutgoingMessage {
    // A redirect carries the message itself: sent only once the delivery it belongs to is
    // settled, so a retried delivery does not send it twice. Replies are tracked instead.
    bool redirect = false;
    std::string envelope_from;  // "" = null sender
    std::string envelope_to;
    std::string raw;  // CRLF line ends
};

struct GenerateContext {
    std::string hostname = "localhost";  // for Message-ID and Reporting-UA
    std::int64_t now = 0;                // seconds since the epoch (Date header)
    std::string unique;                  // makes the Message-ID unique (queue id, counter)
};

// Why no vacation reply is sent, or "" when one should be (before reply tracking).
std::string vacation_skip_reason(const VacationAction& vacation, const SieveMessage& message,
                                 const Envelope& envelope);

// The tracking key for one reply: handle and sender, so ":days" counts per sender (§4.2).
std::string vacation_tracking_key(const VacationAction& vacation, std::string_view sender);

// The reply to `message` (call only when vacation_skip_reason() is "").
OutgoingMessage build_vacation_reply(const VacationAction& vacation, const SieveMessage& message,
                                     const Envelope& envelope, const GenerateContext& context);

// The MDN for reject; nullopt for the null sender (no bounce to a bounce).
std::optional<OutgoingMessage> build_reject_mdn(std::string_view reason,
                                                const SieveMessage& message,
                                                const Envelope& envelope,
                                                const GenerateContext& context);

// True when `message` was already redirected by `recipient` (a loop).
bool redirect_loops(const SieveMessage& message, std::string_view recipient);

// The copy a redirect sends: the message with the loop marker prepended. The envelope sender
// stays the original one (RFC 5228 §4.2) so bounces reach the author.
OutgoingMessage build_redirect(std::string_view to, const SieveMessage& message,
                               const Envelope& envelope);

// Why a notify action sends nothing for `message`, or "" when it sends: RFC 5436 §2.7 (no
// notification about mail that is itself automatic: Auto-Submitted other than "no").
std::string notification_skip_reason(const SieveMessage& message);

// The mail of a notify with a mailto URI (RFC 5436 §2.7), one per recipient, all from the null
// sender with "Auto-Submitted: auto-notified"; empty when the URI does not parse. Subject and
// body come from the URI's fields, else :message, else a default naming the original sender
// and subject; only harmless URI fields (Keywords, Comments, In-Reply-To, References) are kept.
// Like redirects they are marked `redirect`: sent once the delivery is settled.
std::vector<OutgoingMessage> build_notification(const NotifyAction& notify,
                                                const SieveMessage& message,
                                                const Envelope& envelope,
                                                const GenerateContext& context);

std::string rfc5322_date(std::int64_t unix_seconds);

}  // namespace postern::sieve
