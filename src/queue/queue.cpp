// Queue core: opening and recovering the spool, the commit path of new messages, persisting
// state changes through group commit, and the schedule's bookkeeping (docs/queue.md).
#include "queue/queue.h"

#include <algorithm>
#include <cerrno>
#include <future>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "queue/delay_rules.h"
#include "queue/message_writer.h"
#include "queue/queue_internal.h"
#include "queue/retry.h"
#include "queue/status_file.h"

namespace postern::queue {

namespace fs = std::filesystem;

namespace {

// Status files are small: one open, fstat and read, without iostreams.
Result<std::string> read_small_file(const fs::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(Errc::io_error, "open " + path.string() + ": " + errno_text(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        int err = errno;
        ::close(fd);
        return fail(Errc::io_error, "stat " + path.string() + ": " + errno_text(err));
    }
    std::string out(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t done = 0;
    while (done < out.size()) {
        auto n = ::read(fd, out.data() + done, out.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    out.resize(done);
    return out;
}

std::string host_name() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0 || !buf[0])
        return "localhost";
    return buf;
}

}  // namespace

Queue::Queue(QueueOptions options, log::Logger logger, ClockFn clock)
    : options_(std::move(options)), log_(std::move(logger)), clock_(std::move(clock)) {
    if (!clock_)
        clock_ = [] { return Clock::now(); };
    reporting_mta_ = options_.dsn.reporting_mta.empty() ? host_name() : options_.dsn.reporting_mta;
}

Result<std::unique_ptr<Queue>> Queue::open(QueueOptions options, log::Logger logger,
                                           ClockFn clock) {
    std::unique_ptr<Queue> q(new Queue(std::move(options), std::move(logger), std::move(clock)));
    auto spool = Spool::open(q->options_.directory, q->options_.subdirectories, q->options_.fsync);
    if (!spool)
        return fail(spool.error());
    q->spool_ = std::move(*spool);
    q->commit_ = std::make_unique<GroupCommit>(q->options_.fsync, q->options_.sync_threads,
                                               q->options_.max_batch, q->log_);
    if (auto s = q->recover(); !s)
        return fail(s.error());
    if (q->options_.background)
        q->maintenance_ = std::thread([p = q.get()] { p->maintenance_loop(); });
    return q;
}

Queue::~Queue() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    maintenance_wake_.notify_all();
    if (maintenance_.joinable())
        maintenance_.join();
    // Completions take mutex_ and touch the index: drain them while both still exist.
    commit_.reset();
}

Status Queue::recover() {
    auto scan = spool_->scan();
    if (!scan)
        return fail(scan.error());
    auto& rep = recovery_;
    for (const auto& stray : scan->strays) {
        rep.problems.push_back("unknown file left alone: " + stray.string());
        log_.warn("unknown file in the queue left alone: {}", stray.string());
    }
    const UnixMs now = to_unix_ms(this->now());
    for (const auto& entry : scan->entries) {
        auto id = entry.id.str();
        if (!entry.has_status) {
            // A status still under its temporary name: the commit never finished, so it was
            // never acknowledged. A lone body: the same before the status, or a removal cut short.
            spool_->remove_files(entry);
            if (entry.has_temp) {
                ++rep.incomplete_removed;
                msg_log(entry.id).info(
                    "incomplete message removed (crash before it was acknowledged)");
            } else if (entry.has_body) {
                ++rep.orphans_removed;
                msg_log(entry.id).info(
                    "body without status removed (never acknowledged, or removal cut short)");
            }
            continue;
        }
        if (entry.has_temp) {
            // A compaction that did not reach its rename: the status file beside it is intact.
            auto temp = spool_->status_path(entry.bucket, entry.id);
            temp += ".tmp";
            ::unlink(temp.c_str());
        }
        auto path = spool_->status_path(entry.bucket, entry.id);
        auto bytes = read_small_file(path);
        StatusLoad load;
        if (!bytes) {
            load.outcome = StatusOutcome::corrupt;
            load.error = bytes.error().message;
        } else {
            load = decode_status(*bytes);
        }
        if (load.outcome == StatusOutcome::ok && load.record.id != entry.id) {
            load.outcome = StatusOutcome::corrupt;
            load.error = "status file names message " + load.record.id.str();
        }
        if (load.outcome == StatusOutcome::ok &&
            (!entry.has_body || entry.body_size != load.record.size)) {
            load.outcome = StatusOutcome::corrupt;
            load.error = entry.has_body
                             ? "body has " + std::to_string(entry.body_size) +
                                   " bytes, status says " + std::to_string(load.record.size)
                             : "body file missing";
        }
        if (load.outcome == StatusOutcome::ok && load.record.body_replaced &&
            (!entry.has_body2 || entry.body2_size != load.record.replaced_size)) {
            load.outcome = StatusOutcome::corrupt;
            load.error = entry.has_body2
                             ? "replacement body has " + std::to_string(entry.body2_size) +
                                   " bytes, status says " +
                                   std::to_string(load.record.replaced_size)
                             : "replacement body file missing";
        }
        if (load.outcome == StatusOutcome::ok && !load.record.body_replaced && entry.has_body2) {
            // A filter's replacement whose processing never completed: it runs again.
            ::unlink(spool_->body2_path(entry.bucket, entry.id).c_str());
            msg_log(entry.id).info("unused replacement body removed (processing cut short)");
        }
        // A status file only gets its name once complete: one that reads as cut short was
        // damaged afterwards, like any other corruption.
        if (load.outcome != StatusOutcome::ok) {
            auto why = "message " + id + ": " + load.error;
            if (auto s = spool_->quarantine(entry, why); !s) {
                rep.problems.push_back(why + " (could not move aside: " + s.error().message + ")");
                msg_log(entry.id).crit("corrupt and could not be moved aside: {}: {}", load.error,
                                       s.error().message);
                continue;
            }
            ++rep.quarantined;
            rep.problems.push_back(why);
            msg_log(entry.id).error("moved to corrupt/: {}", load.error);
            continue;
        }
        auto m = std::make_unique<QueuedMessage>();
        m->rec = std::move(load.record);
        m->bucket = entry.bucket;
        m->updates = load.updates;
        m->fit_leases();
        bool all_final = true, notices_due = false;
        for (const auto& r : m->rec.recipients) {
            all_final = all_final && is_final(r.state);
            notices_due = notices_due || (r.notices & notice::due_mask);
        }
        if (all_final && !notices_due) {
            spool_->remove_files(entry);
            ++rep.finished_removed;
            continue;
        }
        if (load.torn_tail) {
            // Appending after a torn record would hide everything after it: rewrite first.
            std::promise<Status> done;
            commit_->rewrite(path, encode_status(m->rec),
                             [&done](Status s) { done.set_value(std::move(s)); });
            auto s = done.get_future().get();
            if (!s)
                return fail(s.error());
            m->updates = 0;
            ++rep.repaired;
            msg_log(entry.id).warn("torn status update dropped (crash during an update): {}",
                                   load.error);
        }
        std::lock_guard lock(mutex_);
        auto& ref = *m;
        messages_.emplace(entry.id, std::move(m));
        for (const auto& r : ref.rec.recipients)
            if (r.state == RecipientState::deferred && r.lane != Lane::processing)
                destination(r.lane, r.destination).waiting.insert(ref.rec.id);
        if (notices_due)
            notices_.insert(ref.rec.id);
        reschedule_all(ref);
        ref.last_state = state_of(ref, now);
        ++rep.messages;
    }
    log_.info(
        "queue opened: {} messages, {} incomplete removed, {} orphan bodies removed, {} moved to "
        "corrupt/, "
        "{} torn updates repaired",
        rep.messages, rep.incomplete_removed, rep.orphans_removed, rep.quarantined, rep.repaired);
    return ok();
}

void Queue::set_due_listener(DueListener listener) {
    std::lock_guard lock(listener_mutex_);
    listener_ = std::move(listener);
}

std::unique_ptr<MessageWriter> Queue::begin_message(std::string session) {
    auto id = ids_.next(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now().time_since_epoch()).count()));
    auto bucket = spool_->bucket_for(id);
    writer_opened(id);
    if (!session.empty())
        msg_log(id).proto("receiving for session {}", session);
    return std::unique_ptr<MessageWriter>(
        new MessageWriter(*this, id, bucket, spool_->body_path(bucket, id), options_.buffer_bytes,
                          options_.max_message_size));
}

void Queue::writer_opened(const QueueId& id) {
    std::lock_guard lock(mutex_);
    incoming_.emplace(id, to_unix_ms(now()));
}

void Queue::writer_closed(const QueueId& id) {
    std::lock_guard lock(mutex_);
    incoming_.erase(id);
}

void Queue::commit_message(MessageRecord rec, std::uint16_t bucket, int body_fd,
                           std::string body_tail, CommitCallback done) {
    const UnixMs now = to_unix_ms(this->now());
    rec.received_at = now;
    std::vector<NewRecipient> rcpts;
    if (!options_.delay_rules.empty()) {
        rcpts.reserve(rec.recipients.size());
        for (const auto& r : rec.recipients)
            rcpts.push_back(NewRecipient{r.address, {}, 0});
        auto hold = apply_delay_rules(options_.delay_rules, rec.sender, rcpts, rec.size, now);
        if (hold.until) {
            rec.hold_until = hold.until;
            rec.hold_reason = "rule " + hold.rule;
        }
    }
    auto m = std::make_shared<std::unique_ptr<QueuedMessage>>(std::make_unique<QueuedMessage>());
    auto& qm = **m;
    qm.rec = std::move(rec);
    qm.bucket = bucket;
    qm.fit_leases();
    NewMessageJob job;
    job.dir = spool_->bucket_dir(bucket);
    job.body_path = spool_->body_path(bucket, qm.rec.id);
    job.status_path = spool_->status_path(bucket, qm.rec.id);
    job.body_fd = body_fd;
    job.body_tail = std::move(body_tail);
    job.status = encode_status(qm.rec);
    job.done = [this, m, done = std::move(done)](Status s) mutable {
        committed(std::move(*m), std::move(s), std::move(done));
    };
    commit_->create(std::move(job));
}

void Queue::committed(std::unique_ptr<QueuedMessage> m, Status result, CommitCallback done) {
    auto id = m->rec.id;
    auto logger = msg_log(id);
    if (!result) {
        writer_closed(id);
        logger.error("not queued: {}", result.error().message);
        done(fail(result.error()));
        return;
    }
    const auto& r = m->rec;
    logger.info("queued from=<{}> size={} nrcpt={} client=[{}] helo={} auth={} tls={} session={}{}",
                r.sender, r.size, r.recipients.size(), r.client.ip, r.client.helo,
                r.client.auth_user.empty() ? "-" : r.client.auth_user,
                r.client.tls.empty() ? "-" : r.client.tls,
                r.client.session.empty() ? "-" : r.client.session,
                r.hold_until ? " held by " + r.hold_reason : std::string());
    std::vector<Lane> wakes;
    {
        std::lock_guard lock(mutex_);
        incoming_.erase(id);
        auto& ref = *m;
        messages_.emplace(id, std::move(m));
        ref.last_state = state_of(ref, to_unix_ms(now()));
        reschedule_all(ref);
        wakes = take_wakes();
    }
    // Consumers first: by the time SMTP-IN answers 250, PROCESSING already knows.
    wake(wakes);
    done(id);
}

QueuedMessage* Queue::find(const QueueId& id) const {
    auto it = messages_.find(id);
    return it == messages_.end() ? nullptr : it->second.get();
}

void Queue::persist(QueuedMessage& m, bool message_fields, std::vector<std::uint32_t> recipients,
                    Done durable) {
    auto path = spool_->status_path(m.bucket, m.rec.id);
    bool whole = m.needs_rewrite || m.updates + 1 > options_.compact_after;
    auto id = m.rec.id;
    Done cb = [this, id, whole, durable = std::move(durable)](Status s) {
        {
            std::lock_guard lock(mutex_);
            if (auto* mm = find(id)) {
                if (!s) {
                    mm->io_error = true;
                    mm->needs_rewrite = true;
                } else if (whole) {
                    mm->io_error = false;
                }
            }
        }
        if (!s)
            msg_log(id).crit("status update not written: {}", s.error().message);
        if (durable)
            durable(s);
    };
    if (whole) {
        commit_->rewrite(std::move(path), encode_status(m.rec), std::move(cb));
        m.updates = 0;
        m.needs_rewrite = false;
    } else {
        commit_->append(std::move(path), encode_update(m.rec, message_fields, recipients),
                        std::move(cb));
        ++m.updates;
    }
}

bool Queue::held(const QueuedMessage& m, UnixMs now) const {
    return m.rec.hold_until > now;
}

UnixMs Queue::compute_due(const QueuedMessage& m, Lane lane) const {
    // A hold postpones everything, expiry included: a message held by an administrator does
    // not expire under the hold; it does once released if it is too old by then.
    const UnixMs hold = m.rec.hold_until;
    if (lane == Lane::processing) {
        if (m.rec.stage != Stage::received)
            return kNever;
        bool any_pending = false;
        for (const auto& r : m.rec.recipients)
            any_pending = any_pending || r.state == RecipientState::pending;
        if (!any_pending)
            return kNever;
        if (m.leased)
            return m.lease_until;
        UnixMs due = std::max(m.rec.next_processing, hold);
        return std::min(due,
                        std::max(expires_at(options_.processing_retry, m.rec.received_at), hold));
    }
    UnixMs due = kNever;
    const UnixMs expiry = std::max(expires_at(options_.delivery_retry, m.rec.received_at), hold);
    const auto delay_after = options_.dsn.delay_after.count();
    const bool may_notify =
        !m.rec.sender.empty() && !(m.rec.flags & message_flag::dsn) && options_.dsn.enabled;
    for (std::size_t i = 0; i < m.rec.recipients.size(); ++i) {
        const auto& r = m.rec.recipients[i];
        if (r.lane != lane || is_final(r.state))
            continue;
        if (r.state == RecipientState::sending) {
            due = std::min(due, i < m.rcpt_lease.size() ? m.rcpt_lease[i] : 0);
            continue;
        }
        UnixMs t = std::max(r.next_attempt, hold);
        auto dit = destinations_.find({lane, r.destination});
        // Parked behind an unavailable destination: its probe decides. A recipient not parked
        // yet stays due, so the next take parks it (and it joins the flush).
        if (r.state == RecipientState::deferred && dit != destinations_.end() && dit->second->down)
            t = kNever;
        t = std::min(t, expiry);
        if (r.state == RecipientState::deferred && delay_after > 0 && may_notify &&
            !(r.notices & (notice::delay_due | notice::delay_sent)) &&
            wants_notice(r.notify, notify::delay, options_.dsn.delay_by_default))
            t = std::min(t, std::max(m.rec.received_at + delay_after * 1000, hold));
        due = std::min(due, t);
    }
    return due;
}

void Queue::reschedule(QueuedMessage& m, Lane lane) {
    auto l = static_cast<std::size_t>(lane);
    UnixMs due = compute_due(m, lane);
    if (due == kNever) {
        m.scheduled[l] = -1;
        return;
    }
    if (m.scheduled[l] == due)
        return;
    m.scheduled[l] = due;
    heaps_[l].push(HeapEntry{due, m.rec.id});
    // Superseded entries stay until their time comes (a finished delivery's lease end, up to
    // lease_timeout later): rebuild once they outnumber the messages, amortized O(1) a push.
    if (heaps_[l].size() > 2 * messages_.size() + 1024)
        rebuild_heap(lane);
    if (due <= to_unix_ms(now()))
        mark_wake(lane);
}

void Queue::rebuild_heap(Lane lane) {
    auto l = static_cast<std::size_t>(lane);
    std::vector<HeapEntry> live;
    live.reserve(messages_.size());
    for (const auto& [id, m] : messages_)
        if (m->scheduled[l] >= 0)
            live.push_back(HeapEntry{m->scheduled[l], id});
    heaps_[l] = Heap(std::greater<>(), std::move(live));
}

void Queue::reschedule_all(QueuedMessage& m) {
    for (std::size_t l = 0; l < kLaneCount; ++l)
        reschedule(m, static_cast<Lane>(l));
}

MessageState Queue::state_of(const QueuedMessage& m, UnixMs now) const {
    MessageFacts f;
    f.stage = m.rec.stage;
    f.leased = m.leased;
    f.held = held(m, now);
    f.io_error = m.io_error;
    f.notice_failed = m.notice_failed;
    return derive_state(f, m.rec.recipients);
}

void Queue::note_state(QueuedMessage& m, UnixMs now) const {
    auto s = state_of(m, now);
    if (s == m.last_state)
        return;
    if (!message_transition_allowed(m.last_state, s))
        msg_log(m.rec.id).error("unexpected state change {} -> {}",
                                message_state_name(m.last_state), message_state_name(s));
    msg_log(m.rec.id).proto("state {} -> {}", message_state_name(m.last_state),
                            message_state_name(s));
    m.last_state = s;
}

void Queue::after_change(QueuedMessage& m, UnixMs now) {
    note_state(m, now);
    reschedule_all(m);
    bool all_final = true;
    for (const auto& r : m.rec.recipients)
        all_final = all_final && is_final(r.state);
    if (all_final)
        finish(m);
}

void Queue::finish(QueuedMessage& m) {
    for (const auto& r : m.rec.recipients) {
        if (r.notices & notice::due_mask) {
            notices_.insert(m.rec.id);
            maintenance_wake_.notify_one();
            return;
        }
    }
    msg_log(m.rec.id).info("removed from queue ({})",
                           message_state_name(final_state(m.rec.recipients)));
    Done drop_replacement;
    if (m.rec.body_replaced)  // after the status is gone, like the original body
        drop_replacement = [path = spool_->body2_path(m.bucket, m.rec.id)](const Status&) {
            ::unlink(path.c_str());
        };
    commit_->remove(spool_->status_path(m.bucket, m.rec.id), spool_->body_path(m.bucket, m.rec.id),
                    std::move(drop_replacement));
    erase(m.rec.id);
}

void Queue::erase(const QueueId& id) {
    auto it = messages_.find(id);
    if (it == messages_.end())
        return;
    for (const auto& r : it->second->rec.recipients)
        if (r.lane != Lane::processing)
            if (auto* d = find_destination(r.lane, r.destination))
                d->waiting.erase(id);
    notices_.erase(id);
    messages_.erase(it);
}

void Queue::mark_wake(Lane lane) {
    wake_mask_ |= 1u << static_cast<unsigned>(lane);
}

std::vector<Lane> Queue::take_wakes() {
    std::vector<Lane> lanes;
    for (std::size_t l = 0; l < kLaneCount; ++l)
        if (wake_mask_ & (1u << l))
            lanes.push_back(static_cast<Lane>(l));
    wake_mask_ = 0;
    return lanes;
}

void Queue::wake(const std::vector<Lane>& lanes) {
    if (lanes.empty())
        return;
    std::lock_guard lock(listener_mutex_);
    if (!listener_)
        return;
    for (auto l : lanes)
        listener_(l);
}

void Queue::sync() {
    std::promise<void> done;
    commit_->barrier([&done](Status) { done.set_value(); });
    done.get_future().wait();
}

void Queue::maintenance_loop() {
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            maintenance_wake_.wait_for(lock, options_.maintenance_interval);
            if (stopping_)
                return;
        }
        run_maintenance();
    }
}

}  // namespace postern::queue
