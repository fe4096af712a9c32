// QueueOptions: everything the queue takes from configuration ([queue] in postern.toml; the
// keys, types and defaults are listed in docs/queue.md "Configuration").
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace postern::queue {

using Seconds = std::chrono::seconds;

// Per-attempt back-off: the first retry after `first_retry`, each next one twice as late, never
// later than `max_retry_interval` after the previous; give up after `max_attempts` attempts (0:
// no limit) or once the message is older than `max_age`.
struct RetryPolicy {
    Seconds first_retry{300};
    Seconds max_retry_interval{3600};
    std::uint32_t max_attempts = 0;
    Seconds max_age{5 * 24 * 3600};
};

// Virtual queues: a destination that fails `failure_threshold` times in a row is marked
// unavailable; its messages wait without being tried while one probe is retried after
// `first_retry`, doubling up to `max_retry_interval`. A success flushes them all.
struct DestinationPolicy {
    std::uint32_t failure_threshold = 3;
    Seconds first_retry{60};
    Seconds max_retry_interval{1800};
};

// Hold matching messages when they are committed. Every criterion given must match (a
// recipient criterion matches when any recipient does); empty criteria match everything.
struct DelayRule {
    std::string name;       // for logs and `show`
    std::string sender;     // glob ('*', '?'), case-insensitive; "<>" matches the null sender
    std::string recipient;  // glob on any recipient address
    std::string recipient_domain;     // exact domain of any recipient, case-insensitive
    std::uint64_t min_size = 0;       // body bytes
    Seconds hold_for{0};              // hold this long after arrival ("undo send")
    std::optional<int> until_minute;  // or until the next HH:MM local time (minute of day)
};

enum class Attach : std::uint8_t { none, headers, full };

// Delivery status notifications (RFC 3464) the queue writes.
struct DsnOptions {
    bool enabled = true;
    std::string reporting_mta;             // our host name; empty: gethostname()
    std::string sender = "MAILER-DAEMON";  // From address; "@reporting_mta" added when no '@'
    std::string from_name = "Mail Delivery System";
    std::string failure_subject = "Undelivered Mail Returned to Sender";
    std::string delay_subject = "Delayed Mail (still being retried)";
    std::string success_subject = "Successful Mail Delivery Report";
    // Human-readable parts; empty uses the built-in text. Placeholders: {queue_id}, {sender},
    // {recipients}, {reporting_mta}, {subject}, {arrival}, {retry_until}.
    std::string failure_text;
    std::string delay_text;
    std::string success_text;
    std::string footer_text;
    Attach attach = Attach::headers;  // what failure notices return when the client gave no RET
    std::uint64_t max_full_attach = 10ull << 20;  // RET=FULL bodies above this return headers only
    Seconds delay_after{4 * 3600};  // delay notice once a recipient waited this long (0: never)
    bool delay_by_default = true;   // NOTIFY absent means FAILURE,DELAY (else FAILURE only)
};

struct QueueOptions {
    std::filesystem::path directory;    // the spool; created when missing
    std::uint32_t subdirectories = 64;  // hashed fan-out, 1..256
    bool fsync = true;                  // false only in tests: no durability
    std::uint32_t sync_threads = 8;     // threads issuing fdatasync in parallel per round
    std::uint32_t max_batch = 128;      // new messages (2 open files each) and updates per round
    std::uint64_t buffer_bytes = 256 * 1024;  // bodies up to this stay in memory until commit
    std::uint64_t max_message_size = 1ull << 30;
    std::uint32_t compact_after = 32;  // update records before a status file is rewritten
    RetryPolicy delivery_retry;
    RetryPolicy processing_retry{Seconds(60), Seconds(900), 0, Seconds(5 * 24 * 3600)};
    DestinationPolicy destinations;
    Seconds lease_timeout{1800};  // a taken job not reported by then is given back
    std::vector<DelayRule> delay_rules;
    DsnOptions dsn;
    bool background = true;  // run the notice/maintenance thread (tests drive it by hand)
    Seconds maintenance_interval{10};
};

}  // namespace postern::queue
