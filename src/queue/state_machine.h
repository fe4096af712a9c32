// The queue's state machine in one place: which recipient state may follow which, how the
// message state that admins and logs see (the reference product's statuses) follows from the
// stage, hold and recipients, and which message state changes are legal. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "queue/types.h"

namespace postern::queue {

enum class MessageState : std::uint8_t {
    incoming = 0,         // the body is being received; nothing acknowledged yet
    received = 1,         // durably queued; waits for PROCESSING
    processing = 2,       // PROCESSING has it (filters, expansion, routing)
    processed = 3,        // routed; deliveries wait for their turn
    sending = 4,          // at least one delivery is in flight
    send_failure = 5,     // a delivery failed temporarily and waits for a retry
    sent = 6,             // final: every recipient delivered
    relay_error = 7,      // final: a remote recipient failed for good
    local_error = 8,      // final: a local recipient failed for good (or no route/processing)
    filter_reject = 9,    // final: a filter rejected it (an NDR went back)
    filter_discard = 10,  // final: filters discarded it without notice
    held = 11,            // held by a delay rule or an administrator
    removed = 12,         // final: deleted (or bounced) by an administrator
    io_error = 13,        // the spool could not be read or written for it
    cleanup_error = 14,   // finished, but its delivery notification could not be queued yet
};
inline constexpr std::size_t kMessageStateCount = 15;

std::string_view message_state_name(MessageState s);
std::optional<MessageState> parse_message_state(std::string_view name);

bool is_final(RecipientState s);
bool is_final(MessageState s);

// True when a recipient may change from `from` to `to` (a state to itself is always allowed:
// a deferred recipient that fails again stays deferred).
bool recipient_transition_allowed(RecipientState from, RecipientState to);
// True when the derived message state may change from `from` to `to`.
bool message_transition_allowed(MessageState from, MessageState to);

// The inputs of the derived message state besides the recipients.
struct MessageFacts {
    Stage stage = Stage::received;
    bool writing = false;        // a MessageWriter is still open
    bool leased = false;         // PROCESSING holds it
    bool held = false;           // hold_until is in the future
    bool io_error = false;       // the last spool write for it failed
    bool notice_failed = false;  // queuing its notification failed
};

// The message state for the facts and recipients, by precedence: incoming; final states
// (cleanup_error while a notification for a finished message failed); io_error; held;
// received/processing; sending; send_failure; processed.
MessageState derive_state(const MessageFacts& facts, std::span<const RecipientRecord> recipients);

// The final state of a message whose recipients are all final: removed > relay_error >
// local_error > filter_reject > sent > filter_discard.
MessageState final_state(std::span<const RecipientRecord> recipients);

}  // namespace postern::queue
