// The durable mail queue (ARCHITECTURE.md §4, docs/queue.md): SMTP-IN streams messages in
// and gets its 250 only once they are durable; PROCESSING takes received messages and routes
// their recipients; PROCESSING (local) and SMTP-OUT (remote, per destination) take due
// deliveries and report results; the admin layer inspects and acts. The queue keeps an index
// of every message in memory, schedules retries, keeps per-destination availability (virtual
// queues), holds messages by delay rules and writes delivery status notifications (RFC 3464).
// Only this class writes the spool.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/result.h"
#include "log/log.h"
#include "queue/group_commit.h"
#include "queue/options.h"
#include "queue/spool.h"
#include "queue/state_machine.h"
#include "queue/types.h"

namespace postern::queue {

class MessageWriter;
struct QueuedMessage;
struct Destination;

// ---- PROCESSING -------------------------------------------------------------------------

struct JobRecipient {
    std::uint32_t index = 0;  // the recipient's position in the message: quote it in reports
    std::string address;
    std::string orcpt;
    std::uint8_t notify = notify::unspecified;
    std::uint32_t attempts = 0;  // earlier attempts (delivery jobs)
    std::string mailbox;         // local delivery: the folder a filter chose ("" = INBOX)
};

struct ProcessingJob {
    QueueId id;
    std::string sender;
    std::string envid;
    Ret ret = Ret::unspecified;
    BodyType body_type = BodyType::unspecified;
    bool smtputf8 = false;
    bool is_notification = false;  // a DSN we generated (from <>)
    ClientInfo client;
    std::uint64_t size = 0;
    TimePoint received_at;
    std::uint32_t attempt = 1;  // 1 on the first try
    std::filesystem::path body_path;
    std::string
        header_prefix;  // SMTP-IN's fields delivered before the body (Authentication-Results)
    std::vector<JobRecipient> recipients;  // the pending ones
};

enum class Disposition : std::uint8_t {
    local,    // deliver into the store
    remote,   // hand to SMTP-OUT
    reject,   // a filter rejected it: failed, with an NDR (message state filter_reject)
    discard,  // a filter discarded it: no delivery, no notice
    fail,     // permanently undeliverable (no such user, no route): failed, with an NDR
};

struct RouteDecision {
    std::uint32_t recipient = 0;  // JobRecipient::index
    Disposition disposition = Disposition::local;
    std::string address;      // where to deliver after rewriting; empty = unchanged
    std::string destination;  // remote: virtual queue key ("example.org" or "[smarthost]");
                              // empty = the address's domain
    std::string status;       // reject/fail: RFC 3463 code ("5.7.1")
    std::string diagnostic;   // reject/fail: why, for the NDR and the log
    std::string mailbox;      // local: the folder to deliver into ("" = INBOX)
};

// A filter's replacement of a message, written by Queue::write_replacement_body.
struct BodyReplacement {
    std::uint64_t size = 0;
    std::uint32_t crc = 0;  // CRC-32 (zlib)
};

// Every pending recipient needs at least one decision. One decision that keeps the address
// routes the recipient itself; several, or a changed address, expand it: the original becomes
// `expanded` and each decision adds a recipient that inherits NOTIFY and ORCPT.
struct ProcessingResult {
    std::vector<RouteDecision> decisions;
    std::string header_prefix;  // CRLF-terminated fields put before the body on delivery
    // Header fields (by name) of the queued body left out on delivery: the filters' removals
    // (scanner verdict fields forged by the sender, a Subject that gets a prefix).
    std::vector<std::string> remove_headers;
    // Envelope changes of the filters (a milter's CHGFROM and ADDRCPT): the new sender ("" =
    // the null sender), and recipients to add, each routed (local or remote; `recipient` is
    // not used). Added recipients have no ORCPT or NOTIFY of their own.
    std::optional<std::string> sender;
    std::vector<RouteDecision> added;
    // The message was replaced (write_replacement_body): deliveries send the replacement.
    std::optional<BodyReplacement> body;
};

// ---- delivery (PROCESSING local, SMTP-OUT remote) -----------------------------------------

struct DeliveryJob {
    QueueId id;
    Lane lane = Lane::remote;
    std::string destination;  // remote: the virtual queue key; local: empty
    bool probe = false;       // the destination is marked unavailable: this tries it again
    std::string sender;
    std::string envid;
    Ret ret = Ret::unspecified;
    BodyType body_type = BodyType::unspecified;
    bool smtputf8 = false;
    std::uint64_t size = 0;
    TimePoint received_at;
    std::filesystem::path body_path;
    std::string header_prefix;                // send this, then the body file
    std::vector<std::string> remove_headers;  // minus these fields of the body's header
    std::vector<JobRecipient> recipients;
};

enum class Outcome : std::uint8_t {
    delivered,  // stored locally, or accepted by a next hop (that got NOTIFY/ORCPT onwards)
    relayed,    // accepted by a next hop without DSN support: a "relayed" DSN if SUCCESS asked
    temporary,  // try again later (4xx, timeout, store busy)
    permanent,  // give up (5xx, no such mailbox)
};

struct RecipientResult {
    std::uint32_t recipient = 0;  // JobRecipient::index
    Outcome outcome = Outcome::delivered;
    std::string status;      // RFC 3463 code from the reply, or ours
    std::string diagnostic;  // "smtp; 550 5.1.1 <x@y>: no such user" or our text
    std::string remote_mta;  // the host that answered
};

struct DeliveryReport {
    // False when the destination could not be reached at all (DNS, connect, greeting,
    // store down): counts toward marking it unavailable. True when it answered, which also
    // brings an unavailable destination back and flushes its waiting messages.
    bool reached = true;
    std::string reason;  // why it could not be reached
    // One per job recipient; missing ones are retried (4.4.1 with `reason` when not reached).
    // May be empty when reached is false: the recipients in flight (to one destination) are
    // the job.
    std::vector<RecipientResult> results;
    // False when nothing was tried (onRelay deferred or refused the delivery): the destination
    // keeps its availability and failure count; a probe it stood for is retried after the
    // same back-off.
    bool tried = true;
};

// ---- admin ----------------------------------------------------------------------------------

struct ListFilter {
    std::string sender;     // glob
    std::string recipient;  // glob on any recipient
    std::uint64_t min_size = 0;
    std::uint64_t max_size = UINT64_MAX;
    std::optional<MessageState> state;
    std::string
        reason;  // substring (case-insensitive) of any recipient's last error or hold reason
    std::optional<TimePoint> older_than;  // received before
    std::optional<TimePoint> newer_than;  // received after
    std::size_t offset = 0;
    std::size_t limit = 1000;
};

struct MessageSummary {
    QueueId id;
    MessageState state = MessageState::received;
    std::string sender;
    std::vector<std::string> recipients;  // those not finished yet (all when none are)
    std::uint64_t size = 0;
    TimePoint received_at;
    std::optional<TimePoint> next_attempt;
    std::uint32_t attempts = 0;  // the most of any recipient
    std::string last_error;
    std::optional<TimePoint> hold_until;
};

struct MessageDetail {
    MessageRecord record;  // the full status record, per recipient
    MessageState state = MessageState::received;
    bool leased = false;
    std::uint32_t pending_notices = 0;  // recipients with a notification still to send
    std::filesystem::path body_path;
    std::filesystem::path status_path;
};

struct QueueCounts {
    std::array<std::uint64_t, kMessageStateCount> by_state{};
    std::uint64_t messages = 0;
    std::uint64_t recipients = 0;  // not finished
    std::uint64_t bytes = 0;
    std::uint64_t scheduled_entries = 0;  // schedule heap entries, superseded ones included
};

struct DestinationStatus {
    Lane lane = Lane::remote;
    std::string name;
    bool available = true;
    std::uint32_t failures = 0;  // consecutive
    std::optional<TimePoint> retry_at;
    std::string last_error;
    std::size_t waiting = 0;  // messages parked behind it
};

// What open() found and did, for the startup log and tests.
struct RecoveryReport {
    std::size_t messages = 0;
    std::size_t incomplete_removed = 0;  // never acknowledged (crash before the 250)
    std::size_t orphans_removed = 0;    // bodies without a status (crash mid-receive or mid-remove)
    std::size_t quarantined = 0;        // moved to corrupt/
    std::size_t repaired = 0;           // torn update tails cut off
    std::size_t finished_removed = 0;   // every recipient was final already
    std::vector<std::string> problems;  // one line per quarantined or odd file
};

// Commit results: the id on success; Errc::unavailable when out of space (SMTP 452 4.3.1),
// Errc::io_error otherwise (451 4.3.0), Errc::invalid_argument for an unusable envelope.
using CommitCallback = std::function<void(Result<QueueId>)>;
// Called when a lane has work due now (new message, retry time reached by a flush, release).
using DueListener = std::function<void(Lane)>;

// A failure or delay notice about to be written, for the policy script's onDeliveryFailure /
// onTemporaryDeliveryFailure (docs/policy.md): it may drop the notice or give its text.
struct NoticeFacts {
    bool failure = true;  // false: a delay notice
    std::string sender;
    std::vector<std::string> recipients;  // those this notice is about
    std::string domain;                   // the first recipient's domain
    std::string remote_mta;               // the host that answered last (first recipient)
    std::string diagnostic;               // its reply, "smtp; 550 5.1.1 ..." (first recipient)
    std::uint32_t attempts = 0;
    std::chrono::seconds queued_for{0};
};
struct NoticeVerdict {
    bool discard = false;             // do not send this notice (it counts as sent)
    std::optional<std::string> text;  // the human-readable part instead of [queue.dsn]'s
};
// Runs on the maintenance thread (may block briefly); must not call back into the queue.
using NoticePolicy = std::function<NoticeVerdict(const QueueId&, const NoticeFacts&)>;

// Thread-safety: every public member may be called from any thread. Members return after
// in-memory work only (no disk I/O, no waiting) unless noted; durability is reported through
// callbacks, which run on the queue's commit thread and must not block.
class Queue {
  public:
    using ClockFn = std::function<TimePoint()>;

    // Opens (creating if needed) the spool, recovers every message (docs/queue.md
    // "Startup"), and starts the commit and maintenance threads. Blocks on disk.
    static Result<std::unique_ptr<Queue>> open(QueueOptions options, log::Logger logger,
                                               ClockFn clock = {});
    // Finishes pending writes; jobs still out are simply not reported (they resume on open).
    ~Queue();
    Queue(const Queue&) = delete;
    Queue& operator=(const Queue&) = delete;

    const RecoveryReport& recovery() const { return recovery_; }
    const QueueOptions& options() const { return options_; }
    void set_due_listener(DueListener listener);
    void set_notice_policy(NoticePolicy policy) {
        std::lock_guard lock(mutex_);
        notice_policy_ = std::move(policy);
    }

    // SMTP-IN: a writer for one message; its id exists from here on (log it, put it into the
    // Received field). See message_writer.h.
    std::unique_ptr<MessageWriter> begin_message(std::string session = {});

    // PROCESSING: received messages whose time has come; each is leased until reported.
    std::vector<ProcessingJob> take_processing(TimePoint now, std::size_t limit);
    Status complete_processing(const QueueId& id, ProcessingResult result, Done durable = {});
    // While PROCESSING holds the message: writes `message` (header and body as they are to be
    // delivered; the prefix and removals still apply) durably beside the original. It counts
    // once complete_processing gets the result; until then a crash or a deferral leaves the
    // original in force (the unused file is overwritten or removed).
    Result<BodyReplacement> write_replacement_body(const QueueId& id, std::string_view message);
    // A filter or lookup failed: retry later (after `retry_after`, or by the processing
    // retry policy); gives up with NDRs when the policy says so.
    Status defer_processing(const QueueId& id, std::string reason,
                            std::optional<std::chrono::seconds> retry_after = {},
                            Done durable = {});
    // A filter that failed answers again: messages waiting in processing whose last error
    // contains `error_text` are due now. Returns how many. (Not persisted: after a restart
    // every message is due at its recorded time anyway.)
    std::size_t resume_processing(std::string_view error_text);

    // PROCESSING (Lane::local) and SMTP-OUT (Lane::remote): due deliveries, one job per
    // message and destination, leased until reported (or until lease_timeout).
    std::vector<DeliveryJob> take_deliveries(Lane lane, TimePoint now, std::size_t limit);
    Status report_delivery(const QueueId& id, DeliveryReport report, Done durable = {});
    // When the next work in a lane falls due (nullopt: none), to set a timer.
    std::optional<TimePoint> next_due(Lane lane) const;

    // Virtual queues: mark a destination reachable (flushes its waiting messages) or not.
    void destination_up(Lane lane, const std::string& destination);
    void destination_down(Lane lane, const std::string& destination, const std::string& reason);
    std::vector<DestinationStatus> destinations() const;

    // Reads the body and checks its size and checksum (Errc::corrupt otherwise). Blocks on disk.
    Result<std::string> read_body(const QueueId& id) const;

    // Admin (posternctl queue ...).
    std::vector<MessageSummary> list(const ListFilter& filter) const;
    Result<MessageDetail> show(const QueueId& id) const;
    Status retry_now(const QueueId& id);
    Status remove(const QueueId& id);                             // no notification
    Status bounce(const QueueId& id, const std::string& reason);  // NDR now, then removed
    Status hold(const QueueId& id, std::optional<TimePoint> until = {},
                std::string reason = "admin");
    Status release(const QueueId& id);
    QueueCounts counts() const;

    // Sends due notifications and removes finished messages. The maintenance thread calls
    // it; tests (options.background = false) call it by hand. Blocks on disk.
    void run_maintenance();
    // Returns once every spool write submitted before the call is durable.
    void sync();
    GroupCommitStats commit_stats() const { return commit_->stats(); }

  private:
    friend class MessageWriter;

    Queue(QueueOptions options, log::Logger logger, ClockFn clock);
    Status recover();
    TimePoint now() const { return clock_(); }
    log::Logger msg_log(const QueueId& id) const { return log_.with_session(id.str()); }

    // Writer hooks.
    void writer_opened(const QueueId& id);
    void writer_closed(const QueueId& id);
    void commit_message(MessageRecord record, std::uint16_t bucket, int body_fd,
                        std::string body_tail, CommitCallback done);
    void committed(std::unique_ptr<QueuedMessage> message, Status result, CommitCallback done);

    // Everything below runs with mutex_ held.
    QueuedMessage* find(const QueueId& id) const;
    void persist(QueuedMessage& m, bool message_fields, std::vector<std::uint32_t> recipients,
                 Done durable = {});
    void reschedule(QueuedMessage& m, Lane lane);
    void reschedule_all(QueuedMessage& m);
    void rebuild_heap(Lane lane);
    UnixMs compute_due(const QueuedMessage& m, Lane lane) const;
    bool held(const QueuedMessage& m, UnixMs now) const;
    MessageState state_of(const QueuedMessage& m, UnixMs now) const;
    void note_state(QueuedMessage& m, UnixMs now) const;
    void after_change(QueuedMessage& m, UnixMs now);
    void finish(QueuedMessage& m);
    void erase(const QueueId& id);
    void mark_wake(Lane lane);
    Destination& destination(Lane lane, const std::string& name);
    Destination* find_destination(Lane lane, const std::string& name);
    void update_waiting(QueuedMessage& m, Lane lane, const std::string& name);
    void destination_reached(Lane lane, const std::string& name, UnixMs now);
    void destination_failed(Lane lane, const std::string& name, const std::string& reason,
                            UnixMs now);
    void service_delivery(QueuedMessage& m, Lane lane, UnixMs now, std::vector<DeliveryJob>& jobs);
    void expire_recipient(QueuedMessage& m, std::uint32_t i, UnixMs now);
    void fail_pending(QueuedMessage& m, const std::string& status, const std::string& diagnostic,
                      UnixMs now, std::vector<std::uint32_t>& changed);
    void want_notice(QueuedMessage& m, std::uint32_t i, std::uint8_t kind);
    std::vector<Lane> take_wakes();
    void wake(const std::vector<Lane>& lanes);

    void maintenance_loop();
    void send_notices(const QueueId& id);

    QueueOptions options_;
    log::Logger log_;
    ClockFn clock_;
    std::string reporting_mta_;
    std::unique_ptr<Spool> spool_;
    std::unique_ptr<GroupCommit> commit_;
    QueueIdGenerator ids_;
    RecoveryReport recovery_;

    struct HeapEntry {
        UnixMs due;
        QueueId id;
        bool operator>(const HeapEntry& o) const { return due != o.due ? due > o.due : id > o.id; }
    };
    using Heap = std::priority_queue<HeapEntry, std::vector<HeapEntry>, std::greater<>>;

    mutable std::mutex mutex_;
    std::map<QueueId, std::unique_ptr<QueuedMessage>> messages_;
    std::map<QueueId, UnixMs> incoming_;          // open writers: id -> since
    mutable std::array<Heap, kLaneCount> heaps_;  // next_due() drops stale tops
    std::map<std::pair<Lane, std::string>, std::unique_ptr<Destination>> destinations_;
    std::set<QueueId> notices_;  // messages with notifications to send (or to remove)
    unsigned wake_mask_ = 0;
    DueListener listener_;
    std::mutex listener_mutex_;
    NoticePolicy notice_policy_;  // guarded by mutex_

    std::mutex maintenance_mutex_;  // one run_maintenance at a time
    std::condition_variable maintenance_wake_;
    bool stopping_ = false;
    std::thread maintenance_;
};

}  // namespace postern::queue
