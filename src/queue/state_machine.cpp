// Allowed transitions of recipients and messages, and the derived message state.
#include "queue/state_machine.h"

#include <array>

#include "base/strings.h"

namespace postern::queue {

namespace {

constexpr std::array<std::string_view, kMessageStateCount> kMessageStateNames = {
    "incoming",       "received", "processing",  "processed",   "sending",
    "send_failure",   "sent",     "relay_error", "local_error", "filter_reject",
    "filter_discard", "held",     "removed",     "io_error",    "cleanup_error",
};

using RS = RecipientState;
using MS = MessageState;

constexpr std::uint32_t bit(RS s) {
    return 1u << static_cast<unsigned>(s);
}
constexpr std::uint32_t bit(MS s) {
    return 1u << static_cast<unsigned>(s);
}

constexpr std::uint32_t kRecipientFinals = bit(RS::delivered) | bit(RS::failed) |
                                           bit(RS::rejected) | bit(RS::discarded) |
                                           bit(RS::expanded) | bit(RS::removed);

// Successors of each recipient state, indexed by the state.
constexpr std::array<std::uint32_t, 10> kRecipientNext = {
    // pending: routed, decided by a filter, expanded, failed (no route / expired), removed
    bit(RS::queued) | bit(RS::rejected) | bit(RS::discarded) | bit(RS::expanded) | bit(RS::failed) |
        bit(RS::removed),
    // queued: taken, parked behind a dead destination, expired, removed
    bit(RS::sending) | bit(RS::deferred) | bit(RS::failed) | bit(RS::removed),
    // sending: the consumer's report, or back to queued when its lease runs out
    bit(RS::delivered) | bit(RS::deferred) | bit(RS::failed) | bit(RS::queued) | bit(RS::removed),
    // deferred: retried, flushed (queued), given up, removed
    bit(RS::sending) | bit(RS::queued) | bit(RS::failed) | bit(RS::removed), 0, 0, 0, 0, 0,
    0,  // final states
};

constexpr std::uint32_t kMessageFinals = bit(MS::sent) | bit(MS::relay_error) |
                                         bit(MS::local_error) | bit(MS::filter_reject) |
                                         bit(MS::filter_discard) | bit(MS::removed);

constexpr std::array<std::uint32_t, kMessageStateCount> kMessageNext = {
    // incoming: committed (possibly straight into a hold), aborted, or the write failed
    bit(MS::received) | bit(MS::held) | bit(MS::removed) | bit(MS::io_error),
    // received
    bit(MS::processing) | bit(MS::held) | bit(MS::removed) | bit(MS::io_error) |
        bit(MS::local_error) | bit(MS::cleanup_error),
    // processing: routed, deferred back, decided by filters, failed, held or removed meanwhile
    bit(MS::received) | bit(MS::processed) | bit(MS::send_failure) | bit(MS::filter_reject) |
        bit(MS::filter_discard) | bit(MS::local_error) | bit(MS::relay_error) | bit(MS::sent) |
        bit(MS::held) | bit(MS::removed) | bit(MS::io_error) | bit(MS::cleanup_error),
    // processed
    bit(MS::sending) | bit(MS::send_failure) | bit(MS::relay_error) | bit(MS::local_error) |
        bit(MS::held) | bit(MS::removed) | bit(MS::io_error) | bit(MS::cleanup_error),
    // sending
    bit(MS::processed) | bit(MS::send_failure) | kMessageFinals | bit(MS::held) |
        bit(MS::io_error) | bit(MS::cleanup_error),
    // send_failure
    bit(MS::sending) | bit(MS::processed) | bit(MS::relay_error) | bit(MS::local_error) |
        bit(MS::held) | bit(MS::removed) | bit(MS::io_error) | bit(MS::cleanup_error),
    0,
    0,
    0,
    0,
    0,  // sent, relay_error, local_error, filter_reject, filter_discard
    // held: released into whatever it was, finished meanwhile (in-flight results), removed
    bit(MS::received) | bit(MS::processing) | bit(MS::processed) | bit(MS::sending) |
        bit(MS::send_failure) | kMessageFinals | bit(MS::io_error) | bit(MS::cleanup_error),
    0,  // removed
    // io_error: an administrator retries (or the next write works) or removes it
    bit(MS::received) | bit(MS::processed) | bit(MS::send_failure) | bit(MS::held) |
        bit(MS::removed) | kMessageFinals | bit(MS::cleanup_error),
    // cleanup_error: the notification is queued at a later try, or the message is removed
    kMessageFinals,
};

}  // namespace

std::string_view message_state_name(MessageState s) {
    auto i = static_cast<std::size_t>(s);
    return i < kMessageStateNames.size() ? kMessageStateNames[i] : "?";
}

std::optional<MessageState> parse_message_state(std::string_view name) {
    for (std::size_t i = 0; i < kMessageStateNames.size(); ++i)
        if (iequals(name, kMessageStateNames[i]))
            return static_cast<MessageState>(i);
    return std::nullopt;
}

bool is_final(RecipientState s) {
    return (kRecipientFinals & bit(s)) != 0;
}
bool is_final(MessageState s) {
    return (kMessageFinals & bit(s)) != 0;
}

bool recipient_transition_allowed(RecipientState from, RecipientState to) {
    if (from == to)
        return true;
    auto i = static_cast<std::size_t>(from);
    return i < kRecipientNext.size() && (kRecipientNext[i] & bit(to)) != 0;
}

bool message_transition_allowed(MessageState from, MessageState to) {
    if (from == to)
        return true;
    auto i = static_cast<std::size_t>(from);
    return i < kMessageNext.size() && (kMessageNext[i] & bit(to)) != 0;
}

MessageState final_state(std::span<const RecipientRecord> recipients) {
    bool removed = false, relay = false, local = false, rejected = false, delivered = false;
    for (const auto& r : recipients) {
        switch (r.state) {
            case RS::removed:
                removed = true;
                break;
            case RS::failed:
                (r.lane == Lane::remote ? relay : local) = true;
                break;
            case RS::rejected:
                rejected = true;
                break;
            case RS::delivered:
                delivered = true;
                break;
            default:
                break;
        }
    }
    if (removed)
        return MS::removed;
    if (relay)
        return MS::relay_error;
    if (local)
        return MS::local_error;
    if (rejected)
        return MS::filter_reject;
    if (delivered)
        return MS::sent;
    return MS::filter_discard;
}

MessageState derive_state(const MessageFacts& facts, std::span<const RecipientRecord> recipients) {
    if (facts.writing)
        return MS::incoming;
    bool all_final = true, any_sending = false, any_deferred = false;
    for (const auto& r : recipients) {
        if (!is_final(r.state))
            all_final = false;
        if (r.state == RS::sending)
            any_sending = true;
        if (r.state == RS::deferred)
            any_deferred = true;
    }
    if (all_final)
        return facts.notice_failed ? MS::cleanup_error : final_state(recipients);
    if (facts.io_error)
        return MS::io_error;
    if (facts.held)
        return MS::held;
    if (facts.stage == Stage::received)
        return facts.leased ? MS::processing : MS::received;
    if (any_sending)
        return MS::sending;
    if (any_deferred)
        return MS::send_failure;
    return MS::processed;
}

}  // namespace postern::queue
