// The policy events (where SMTP-IN, PROCESSING and SMTP-OUT call the script) and which
// decisions each event may make. Pure data; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace postern::filter::policy {

// In the order a message meets them. The script defines a global function per event it cares
// about (event_function_name); a missing function means "no opinion".
enum class Event : std::uint8_t {
    connect,                     // SMTP-IN, after the listener rules accepted the connection
    ehlo,                        // SMTP-IN, HELO/EHLO/LHLO
    mail_from,                   // SMTP-IN, MAIL FROM (after syntax and size checks)
    rcpt_to,                     // SMTP-IN, each RCPT TO (after syntax and relay checks)
    headers_received,            // SMTP-IN, the header block has been read
    body_chunk,                  // SMTP-IN, each piece of body read (not for every byte)
    data_received,               // SMTP-IN, end of data, before the message is queued
    relay,                       // SMTP-OUT, before delivering to one remote domain
    delivery_failure,            // PROCESSING, a recipient failed permanently (an NDR follows)
    temporary_delivery_failure,  // PROCESSING, delivery is delayed (a delay DSN may follow)
};

inline constexpr std::size_t kEventCount = 10;

inline constexpr std::array<Event, kEventCount> kAllEvents = {
    Event::connect,          Event::ehlo,
    Event::mail_from,        Event::rcpt_to,
    Event::headers_received, Event::body_chunk,
    Event::data_received,    Event::relay,
    Event::delivery_failure, Event::temporary_delivery_failure,
};

// "onConnect", "onEhlo", ..., "onTemporaryDeliveryFailure": the script's function names.
std::string_view event_function_name(Event event);
std::optional<Event> event_from_function_name(std::string_view name);

// What a decision function may do in an event; calling one where it is not allowed fails the
// call (the script has a bug, and silently ignoring the request would hide it).
enum class Operation : std::uint8_t {
    accept,      // accept([text])
    refuse,      // reject(...) and tempfail(...)
    discard,     // discard()
    reply_text,  // setReplyText(text)
    headers,     // addHeader, removeHeader
    recipients,  // setRecipients, addRecipient, removeRecipient
    relay,       // setRelay
    ndr_text,    // setNdrText
};

bool event_allows(Event event, Operation operation);

// SMTP-IN events answer an SMTP command; the others run on queued messages.
bool is_smtp_in_event(Event event);

}  // namespace postern::filter::policy
