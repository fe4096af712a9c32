// The PROCESSING side of the queue: leasing received messages, recording how each recipient
// was routed (or rejected, discarded, expanded), and processing retries.
#include <algorithm>

#include "base/fs.h"
#include "base/strings.h"
#include "queue/queue.h"
#include "queue/queue_internal.h"
#include "queue/record_codec.h"
#include "queue/retry.h"
#include "queue/status_file.h"

namespace postern::queue {

namespace {

// Whether `m` (found by `id`) is a message PROCESSING holds now.
Status check_processing(const QueuedMessage* m, const QueueId& id) {
    if (!m)
        return fail(Errc::not_found, "message " + id.str() + " is not in the queue");
    if (m->rec.stage != Stage::received || !m->leased)
        return fail(Errc::invalid_argument, "message " + id.str() + " is not being processed");
    return ok();
}

}  // namespace

std::vector<ProcessingJob> Queue::take_processing(TimePoint when, std::size_t limit) {
    std::vector<ProcessingJob> jobs;
    std::vector<Lane> wakes;
    {
        std::lock_guard lock(mutex_);
        const UnixMs now = to_unix_ms(when);
        auto& heap = heaps_[static_cast<std::size_t>(Lane::processing)];
        while (!heap.empty() && heap.top().due <= now && jobs.size() < limit) {
            auto entry = heap.top();
            heap.pop();
            auto* m = find(entry.id);
            if (!m || m->scheduled[0] != entry.due)
                continue;  // stale entry
            m->scheduled[0] = -1;
            if (m->rec.stage != Stage::received)
                continue;
            if (m->leased) {
                if (m->lease_until > now) {
                    reschedule(*m, Lane::processing);
                    continue;
                }
                m->leased = false;
                msg_log(m->rec.id).warn("processing lease expired; taking it again");
            }
            if (held(*m, now) || m->rec.next_processing > now) {
                reschedule(*m, Lane::processing);
                continue;
            }
            if (now >= expires_at(options_.processing_retry, m->rec.received_at)) {
                std::vector<std::uint32_t> changed;
                fail_pending(*m, "4.4.7",
                             "X-Postern; message expired before it could be processed: " +
                                 m->rec.processing_error,
                             now, changed);
                persist(*m, false, std::move(changed));
                after_change(*m, now);
                continue;
            }
            m->leased = true;
            m->lease_until =
                now + std::chrono::duration_cast<std::chrono::milliseconds>(options_.lease_timeout)
                          .count();
            ProcessingJob job;
            job.id = m->rec.id;
            job.sender = m->rec.sender;
            job.envid = m->rec.envid;
            job.ret = m->rec.ret;
            job.body_type = m->rec.body_type;
            job.smtputf8 = m->rec.smtputf8;
            job.is_notification = (m->rec.flags & message_flag::dsn) != 0;
            job.client = m->rec.client;
            job.size = m->rec.size;
            job.received_at = from_unix_ms(m->rec.received_at);
            job.attempt = m->rec.processing_attempts + 1;
            job.body_path = spool_->body_path(m->bucket, m->rec.id);
            job.header_prefix = m->rec.header_prefix;
            for (std::uint32_t i = 0; i < m->rec.recipients.size(); ++i) {
                const auto& r = m->rec.recipients[i];
                if (r.state == RecipientState::pending)
                    job.recipients.push_back(
                        JobRecipient{i, r.address, r.orcpt, r.notify, r.attempts});
            }
            msg_log(m->rec.id).info("taken for processing (attempt {})", job.attempt);
            jobs.push_back(std::move(job));
            note_state(*m, now);
            reschedule(*m, Lane::processing);
        }
        wakes = take_wakes();
    }
    wake(wakes);
    return jobs;
}

void Queue::want_notice(QueuedMessage& m, std::uint32_t i, std::uint8_t kind) {
    auto& r = m.rec.recipients[i];
    if (m.rec.sender.empty() || (m.rec.flags & message_flag::dsn)) {
        // Never bounce a bounce (RFC 5321 §4.5.5, RFC 3461 §6.2).
        if (kind == notify::failure)
            msg_log(m.rec.id).info("to=<{}> no notification: the message came from the null sender",
                                   r.address);
        return;
    }
    if (!options_.dsn.enabled || !wants_notice(r.notify, kind, options_.dsn.delay_by_default))
        return;
    r.notices |= kind == notify::failure ? notice::failure_due
                 : kind == notify::delay ? notice::delay_due
                                         : notice::success_due;
    notices_.insert(m.rec.id);
    maintenance_wake_.notify_one();
}

void Queue::fail_pending(QueuedMessage& m, const std::string& status, const std::string& diagnostic,
                         UnixMs now, std::vector<std::uint32_t>& changed) {
    m.leased = false;
    for (std::uint32_t i = 0; i < m.rec.recipients.size(); ++i) {
        auto& r = m.rec.recipients[i];
        if (r.state != RecipientState::pending)
            continue;
        r.state = RecipientState::failed;
        r.status = status;
        r.diagnostic = diagnostic;
        r.last_attempt = now;
        msg_log(m.rec.id).info("to=<{}> failed: {}", r.address, diagnostic);
        want_notice(m, i, notify::failure);
        changed.push_back(i);
    }
}

Result<BodyReplacement> Queue::write_replacement_body(const QueueId& id, std::string_view message) {
    std::filesystem::path path;
    {
        std::lock_guard lock(mutex_);
        auto* m = find(id);
        if (auto st = check_processing(m, id); !st)
            return fail(st.error());
        path = spool_->body2_path(m->bucket, id);
    }
    if (auto s = write_file_atomic(path, message, 0600); !s)
        return fail(Errc::io_error, s.error().message);
    return BodyReplacement{message.size(), crc32_of(message)};
}

Status Queue::complete_processing(const QueueId& id, ProcessingResult result, Done durable) {
    std::vector<Lane> wakes;
    {
        std::lock_guard lock(mutex_);
        auto* m = find(id);
        if (auto st = check_processing(m, id); !st)
            return fail(st.error());
        auto& rcpts = m->rec.recipients;
        // Validate everything before changing anything.
        std::vector<std::vector<const RouteDecision*>> by_rcpt(rcpts.size());
        for (const auto& d : result.decisions) {
            if (d.recipient >= rcpts.size() || rcpts[d.recipient].state != RecipientState::pending)
                return fail(Errc::invalid_argument, "decision for recipient " +
                                                        std::to_string(d.recipient) +
                                                        ", which is not pending");
            if ((d.disposition == Disposition::local || d.disposition == Disposition::remote) &&
                !d.address.empty() && d.address.find('@') == std::string::npos &&
                d.disposition == Disposition::remote)
                return fail(Errc::invalid_argument,
                            "remote address without a domain: " + d.address);
            by_rcpt[d.recipient].push_back(&d);
        }
        for (std::uint32_t i = 0; i < rcpts.size(); ++i)
            if (rcpts[i].state == RecipientState::pending && by_rcpt[i].empty())
                return fail(Errc::invalid_argument,
                            "no decision for recipient <" + rcpts[i].address + ">");
        for (const auto& d : result.added)
            if (d.address.empty() ||
                (d.disposition != Disposition::local && d.disposition != Disposition::remote))
                return fail(Errc::invalid_argument,
                            "an added recipient needs an address and a local or remote route");
        if (rcpts.size() + result.added.size() > kMaxRecipients)
            return fail(Errc::invalid_argument, "too many recipients after the filters' additions");

        const UnixMs now = to_unix_ms(this->now());
        auto logger = msg_log(id);
        std::vector<std::uint32_t> changed;
        std::size_t local = 0, remote = 0;
        auto route = [&](RecipientRecord& r, const RouteDecision& d) {
            r.attempts = 0;
            r.next_attempt = now;
            r.mailbox = d.disposition == Disposition::local ? d.mailbox : std::string();
            switch (d.disposition) {
                case Disposition::local:
                case Disposition::remote:
                    r.state = RecipientState::queued;
                    r.lane = d.disposition == Disposition::local ? Lane::local : Lane::remote;
                    r.destination = r.lane == Lane::local   ? std::string()
                                    : d.destination.empty() ? address_domain(r.address)
                                                            : to_lower(d.destination);
                    ++(r.lane == Lane::local ? local : remote);
                    break;
                case Disposition::reject:
                case Disposition::fail:
                    r.state = d.disposition == Disposition::reject ? RecipientState::rejected
                                                                   : RecipientState::failed;
                    r.status = d.status.empty() ? "5.7.1" : d.status;
                    r.diagnostic = d.diagnostic;
                    r.last_attempt = now;
                    logger.info(
                        "to=<{}> {}: {} {}", r.address,
                        d.disposition == Disposition::reject ? "rejected by filter" : "failed",
                        r.status, d.diagnostic);
                    break;
                case Disposition::discard:
                    r.state = RecipientState::discarded;
                    r.diagnostic = d.diagnostic;
                    logger.info("to=<{}> discarded by filter {}", r.address, d.diagnostic);
                    break;
            }
        };
        const auto original_count = static_cast<std::uint32_t>(rcpts.size());
        for (std::uint32_t i = 0; i < original_count; ++i) {
            if (m->rec.recipients[i].state != RecipientState::pending)
                continue;
            const auto& ds = by_rcpt[i];
            bool in_place = ds.size() == 1 && (ds[0]->address.empty() ||
                                               ds[0]->address == m->rec.recipients[i].address);
            if (in_place) {
                route(m->rec.recipients[i], *ds[0]);
                changed.push_back(i);
                continue;
            }
            m->rec.recipients[i].state = RecipientState::expanded;
            changed.push_back(i);
            for (const auto* d : ds) {
                const auto& parent = m->rec.recipients[i];
                RecipientRecord child;
                child.address = d->address.empty() ? parent.address : d->address;
                // RFC 3461 §6.2.1 (aliases): the expansion keeps the original's ORCPT and NOTIFY.
                child.orcpt = parent.orcpt.empty() ? "rfc822;" + parent.address : parent.orcpt;
                child.notify = parent.notify;
                child.parent = i;
                route(child, *d);
                m->rec.recipients.push_back(std::move(child));
                changed.push_back(static_cast<std::uint32_t>(m->rec.recipients.size() - 1));
            }
            logger.info("to=<{}> expanded to {} recipients", m->rec.recipients[i].address,
                        ds.size());
        }
        // A filter's new recipients (a milter's ADDRCPT): no parent, no ORCPT or NOTIFY.
        for (const auto& d : result.added) {
            RecipientRecord added;
            added.address = d.address;
            route(added, d);
            m->rec.recipients.push_back(std::move(added));
            changed.push_back(static_cast<std::uint32_t>(m->rec.recipients.size() - 1));
            logger.info("to=<{}> added by a filter", d.address);
        }
        if (result.body) {
            m->rec.body_replaced = true;
            m->rec.replaced_size = result.body->size;
            m->rec.replaced_crc = result.body->crc;
            logger.info("message replaced by a filter ({} bytes)", result.body->size);
        }
        if (result.sender && *result.sender != m->rec.sender) {
            logger.info("sender <{}> changed to <{}> by a filter", m->rec.sender, *result.sender);
            m->rec.sender = *result.sender;
            m->rec.sender_changed = true;
        }
        for (auto i : changed) {
            auto& r = m->rec.recipients[i];
            if (r.state == RecipientState::rejected || r.state == RecipientState::failed)
                want_notice(*m, i, notify::failure);
        }
        m->fit_leases();
        m->rec.stage = Stage::processed;
        m->rec.header_prefix += result.header_prefix;  // after SMTP-IN's, if any
        for (auto& name : result.remove_headers) {
            if (std::find(m->rec.remove_headers.begin(), m->rec.remove_headers.end(), name) ==
                m->rec.remove_headers.end())
                m->rec.remove_headers.push_back(name);
        }
        m->rec.processing_error.clear();
        m->leased = false;
        logger.info("processed: {} local, {} remote", local, remote);
        persist(*m, true, std::move(changed), std::move(durable));
        for (auto& r : m->rec.recipients)
            if (r.state == RecipientState::queued)
                mark_wake(r.lane);
        after_change(*m, now);
        wakes = take_wakes();
    }
    wake(wakes);
    return ok();
}

Status Queue::defer_processing(const QueueId& id, std::string reason,
                               std::optional<std::chrono::seconds> retry_after, Done durable) {
    std::vector<Lane> wakes;
    {
        std::lock_guard lock(mutex_);
        auto* m = find(id);
        if (auto st = check_processing(m, id); !st)
            return fail(st.error());
        const UnixMs now = to_unix_ms(this->now());
        m->leased = false;
        ++m->rec.processing_attempts;
        m->rec.processing_error = reason;
        const auto& policy = options_.processing_retry;
        std::vector<std::uint32_t> changed;
        if (retries_exhausted(policy, m->rec.processing_attempts, m->rec.received_at, now)) {
            fail_pending(*m, "4.3.0", "X-Postern; processing failed too often: " + reason, now,
                         changed);
        } else {
            auto delay = retry_after
                             ? std::chrono::duration_cast<std::chrono::milliseconds>(*retry_after)
                             : retry_delay(policy, m->rec.processing_attempts);
            m->rec.next_processing = now + delay.count();
            msg_log(id).info("processing deferred (attempt {}), retry in {} s: {}",
                             m->rec.processing_attempts, delay.count() / 1000, reason);
        }
        persist(*m, true, std::move(changed), std::move(durable));
        after_change(*m, now);
        wakes = take_wakes();
    }
    wake(wakes);
    return ok();
}

std::size_t Queue::resume_processing(std::string_view error_text) {
    std::vector<Lane> wakes;
    std::size_t count = 0;
    {
        std::lock_guard lock(mutex_);
        const UnixMs now = to_unix_ms(this->now());
        for (auto& [id, m] : messages_) {
            if (m->rec.stage != Stage::received || m->leased || m->rec.next_processing <= now ||
                m->rec.processing_error.find(error_text) == std::string::npos)
                continue;
            if (held(*m, now))
                continue;
            m->rec.next_processing = now;
            reschedule(*m, Lane::processing);
            ++count;
        }
        if (count > 0) {
            mark_wake(Lane::processing);
            log_.info("{} message(s) waiting on \"{}\" resumed", count, error_text);
        }
        wakes = take_wakes();
    }
    wake(wakes);
    return count;
}

}  // namespace postern::queue
