// The queue's data model: envelope (RFC 5321 §4.1.1.2-3 with the RFC 3461 ENVID, RET, NOTIFY
// and ORCPT parameters, RFC 6152 BODY, RFC 6531 SMTPUTF8), per-recipient delivery state and the
// message record that the status file stores. Plain data; no locking of its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "queue/queue_id.h"

namespace postern::queue {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

// Milliseconds since the Unix epoch: the unit of every time stored on disk and in the index.
using UnixMs = std::int64_t;
inline constexpr UnixMs kNever = std::numeric_limits<UnixMs>::max();
inline UnixMs to_unix_ms(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline TimePoint from_unix_ms(UnixMs ms) {
    return TimePoint(std::chrono::duration_cast<Clock::duration>(std::chrono::milliseconds(ms)));
}

// RFC 3461 §4.3 RET.
enum class Ret : std::uint8_t { unspecified = 0, full = 1, headers = 2 };

// RFC 6152 / RFC 3030 BODY.
enum class BodyType : std::uint8_t {
    unspecified = 0,
    seven_bit = 1,
    eight_bit_mime = 2,
    binary_mime = 3
};

// RFC 3461 §4.1 NOTIFY as bits. `notify_unspecified` (0) means the client gave no NOTIFY:
// the server default applies (failure, and delay when DsnOptions::delay_by_default).
namespace notify {
inline constexpr std::uint8_t unspecified = 0;
inline constexpr std::uint8_t never = 1;
inline constexpr std::uint8_t success = 2;
inline constexpr std::uint8_t failure = 4;
inline constexpr std::uint8_t delay = 8;
}  // namespace notify

// Who handed us the message and how, for the Received field and the log (RFC 5321 §4.4).
struct ClientInfo {
    std::string ip;         // "192.0.2.7" / "2001:db8::1"; empty for local submission
    std::string helo;       // EHLO/HELO argument as given
    std::string auth_user;  // authenticated login; empty when not authenticated
    std::string tls;        // "TLSv1.3 TLS_AES_256_GCM_SHA384"; empty without TLS
    std::string protocol;   // RFC 3848 WITH keyword: "ESMTPSA", "LMTP", "local", "DSN"
    std::string session;    // the SMTP-IN session id, to tie log lines together
    // A milter at SMTP time asked for quarantine: the folder (that milter's quarantine_folder)
    // PROCESSING delivers local recipients into. Empty normally.
    std::string quarantine;

    bool operator==(const ClientInfo&) const = default;
};

struct NewRecipient {
    std::string address;  // forward-path without angle brackets
    std::string orcpt;    // RFC 3461 ORCPT as "addr-type;address" (xtext decoded), or empty
    std::uint8_t notify = notify::unspecified;
};

// What SMTP-IN (or another producer) knows when DATA ends.
struct Envelope {
    std::string sender;  // reverse-path without angle brackets; empty = null sender "<>"
    std::string envid;   // RFC 3461 ENVID, xtext decoded; empty when absent
    Ret ret = Ret::unspecified;
    BodyType body_type = BodyType::unspecified;
    bool smtputf8 = false;
    ClientInfo client;
    std::vector<NewRecipient> recipients;
    // CRLF-terminated header fields delivered before the body (SMTP-IN's policy additions made
    // after the header was written); PROCESSING's own additions follow them.
    std::string header_prefix;
};

// Where a recipient goes after PROCESSING routed it; also the consumer lanes of the schedule.
enum class Lane : std::uint8_t {
    processing = 0,  // not routed yet: PROCESSING takes the message
    local = 1,       // into the store
    remote = 2,      // SMTP-OUT, grouped by destination
};
inline constexpr std::size_t kLaneCount = 3;

// Per-recipient state (the state machine is in state_machine.h).
enum class RecipientState : std::uint8_t {
    pending = 0,    // received, waits for PROCESSING
    queued = 1,     // routed; waits for its (first or next) attempt
    sending = 2,    // handed to a consumer (memory only: on disk it stays queued/deferred)
    deferred = 3,   // temporary failure; retried at next_attempt
    delivered = 4,  // final: stored locally or accepted by the next hop
    failed = 5,     // final: permanent failure, or retries ran out
    rejected = 6,   // final: a filter rejected it (NDR)
    discarded = 7,  // final: a filter discarded it (silently)
    expanded = 8,   // final: replaced by the recipients it expanded to
    removed = 9,    // final: an administrator deleted or bounced it
};

// Delivery status notifications that are due or done for a recipient (bits).
namespace notice {
inline constexpr std::uint8_t failure_due = 1;
inline constexpr std::uint8_t delay_due = 2;
inline constexpr std::uint8_t success_due = 4;  // delivered locally / relayed with NOTIFY=SUCCESS
inline constexpr std::uint8_t delay_sent = 8;   // one delay notice per recipient
inline constexpr std::uint8_t relayed = 16;     // success was "relayed" (next hop had no DSN)
inline constexpr std::uint8_t due_mask = failure_due | delay_due | success_due;
}  // namespace notice

inline constexpr std::uint32_t kNoParent = std::numeric_limits<std::uint32_t>::max();

struct RecipientRecord {
    std::string address;
    std::string orcpt;
    std::uint8_t notify = notify::unspecified;
    RecipientState state = RecipientState::pending;
    Lane lane = Lane::processing;
    std::uint8_t notices = 0;
    std::uint32_t parent = kNoParent;  // the recipient this one was expanded from
    std::string destination;           // virtual queue key ("example.org", "[relay.example]")
    std::uint32_t attempts = 0;
    UnixMs next_attempt = 0;
    UnixMs last_attempt = 0;
    std::string status;      // RFC 3463 enhanced status of the last result ("4.4.1")
    std::string diagnostic;  // RFC 3464 diagnostic of the last result ("smtp; 451 ...")
    std::string remote_mta;  // the host that gave it ("mx1.example.org")
    std::string mailbox;     // local: the folder a filter chose ("" = INBOX)

    bool operator==(const RecipientRecord&) const = default;
};

// Message-level flags (bits), persisted.
namespace message_flag {
inline constexpr std::uint32_t dsn = 1;  // a notification we generated: never notify about it
}

// Where in its life a message is, persisted. The states admins see (MessageState) are
// derived from this, the hold and the recipients (state_machine.h).
enum class Stage : std::uint8_t {
    received = 0,   // waits for (or is in) PROCESSING
    processed = 1,  // recipients routed; deliveries under way
};

// Everything the status file stores about one message.
struct MessageRecord {
    QueueId id;
    std::string sender;
    bool sender_changed =
        false;  // a filter changed `sender` (it is then kept with the mutable fields)
    std::string envid;
    Ret ret = Ret::unspecified;
    BodyType body_type = BodyType::unspecified;
    bool smtputf8 = false;
    ClientInfo client;
    std::uint64_t size = 0;      // body bytes
    std::uint32_t body_crc = 0;  // CRC-32 (zlib) of the body
    UnixMs received_at = 0;
    std::uint32_t flags = 0;
    Stage stage = Stage::received;
    UnixMs hold_until = 0;  // 0: not held; kNever: until released
    std::string hold_reason;
    std::uint32_t processing_attempts = 0;
    UnixMs next_processing = 0;
    std::string processing_error;
    std::string header_prefix;  // header lines PROCESSING added, delivered before the body
    std::vector<std::string> remove_headers;  // fields of the body's header dropped on delivery
    // A filter replaced the message (a milter's REPLBODY in PROCESSING): deliveries read
    // <id>.body2 of this size and CRC-32; <id>.body (size, body_crc) stays as received.
    bool body_replaced = false;
    std::uint64_t replaced_size = 0;
    std::uint32_t replaced_crc = 0;
    std::vector<RecipientRecord> recipients;

    bool operator==(const MessageRecord&) const = default;
};

std::string_view ret_name(Ret r);
std::string_view body_type_name(BodyType b);
std::string_view lane_name(Lane l);
std::string_view recipient_state_name(RecipientState s);
std::optional<RecipientState> parse_recipient_state(std::string_view name);
// "SUCCESS,FAILURE" / "NEVER" / "" for the bits above.
std::string notify_text(std::uint8_t bits);

// The domain part of an address (after the last '@'), lower-cased; empty when none.
std::string address_domain(std::string_view address);

}  // namespace postern::queue
