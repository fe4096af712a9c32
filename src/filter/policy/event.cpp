// Event names and the table of which decisions each event may make (docs/policy.md lists it).
#include "filter/policy/event.h"

namespace postern::filter::policy {
namespace {

constexpr std::array<std::string_view, kEventCount> kNames = {
    "onConnect",         "onEhlo",
    "onMailFrom",        "onRcptTo",
    "onHeadersReceived", "onBodyChunk",
    "onDataReceived",    "onRelay",
    "onDeliveryFailure", "onTemporaryDeliveryFailure",
};

constexpr std::uint16_t bit(Operation op) {
    return static_cast<std::uint16_t>(1u << static_cast<unsigned>(op));
}

// One row per event. The message-level SMTP-IN events may edit the message; onConnect and onEhlo
// come before any transaction, so they may only answer; queue-side events have their own verbs.
constexpr std::uint16_t kBeforeTransaction =
    bit(Operation::accept) | bit(Operation::refuse) | bit(Operation::reply_text);
constexpr std::uint16_t kInTransaction = kBeforeTransaction | bit(Operation::discard) |
                                         bit(Operation::headers) | bit(Operation::recipients);
constexpr std::uint16_t kRelay = bit(Operation::refuse) | bit(Operation::relay);
constexpr std::uint16_t kFailure = bit(Operation::discard) | bit(Operation::ndr_text);

constexpr std::array<std::uint16_t, kEventCount> kAllowed = {
    kBeforeTransaction, kBeforeTransaction, kInTransaction, kInTransaction, kInTransaction,
    kInTransaction,     kInTransaction,     kRelay,         kFailure,       kFailure,
};

}  // namespace

std::string_view event_function_name(Event event) {
    return kNames[static_cast<std::size_t>(event)];
}

std::optional<Event> event_from_function_name(std::string_view name) {
    for (Event e : kAllEvents) {
        if (kNames[static_cast<std::size_t>(e)] == name)
            return e;
    }
    return std::nullopt;
}

bool event_allows(Event event, Operation operation) {
    return (kAllowed[static_cast<std::size_t>(event)] & bit(operation)) != 0;
}

bool is_smtp_in_event(Event event) {
    return static_cast<unsigned>(event) <= static_cast<unsigned>(Event::data_received);
}

}  // namespace postern::filter::policy
