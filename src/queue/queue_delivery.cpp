// The delivery side of the queue: due deliveries per lane and destination, results per
// recipient with retries and back-off, and virtual queues that park the messages of an
// unavailable destination behind one probe and flush them when it answers again.
#include <algorithm>

#include "base/strings.h"
#include "queue/queue.h"
#include "queue/queue_internal.h"
#include "queue/retry.h"

namespace postern::queue {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

Destination& Queue::destination(Lane lane, const std::string& name) {
    auto& slot = destinations_[{lane, name}];
    if (!slot) {
        slot = std::make_unique<Destination>();
        slot->lane = lane;
        slot->name = name;
    }
    return *slot;
}

Destination* Queue::find_destination(Lane lane, const std::string& name) {
    auto it = destinations_.find({lane, name});
    return it == destinations_.end() ? nullptr : it->second.get();
}

void Queue::update_waiting(QueuedMessage& m, Lane lane, const std::string& name) {
    bool any = false;
    for (const auto& r : m.rec.recipients)
        any =
            any || (r.lane == lane && r.destination == name && r.state == RecipientState::deferred);
    if (any) {
        destination(lane, name).waiting.insert(m.rec.id);
    } else if (auto* d = find_destination(lane, name)) {
        d->waiting.erase(m.rec.id);
    }
}

void Queue::destination_reached(Lane lane, const std::string& name, UnixMs now) {
    auto* d = find_destination(lane, name);
    if (!d)
        return;
    d->failures = 0;
    d->probing = false;
    if (!d->down)
        return;
    d->down = false;
    d->backoff = milliseconds(0);
    log_.info("{} destination {} is available again; flushing {} waiting messages", lane_name(lane),
              name.empty() ? "(store)" : name, d->waiting.size());
    // Everything that waited for it is due now, in arrival order (the set is sorted by id).
    for (const auto& id : d->waiting) {
        auto* m = find(id);
        if (!m)
            continue;
        for (auto& r : m->rec.recipients)
            if (r.lane == lane && r.destination == name && r.state == RecipientState::deferred)
                r.next_attempt = std::min(r.next_attempt, now);
        reschedule(*m, lane);
    }
    mark_wake(lane);
}

void Queue::destination_failed(Lane lane, const std::string& name, const std::string& reason,
                               UnixMs now) {
    auto& d = destination(lane, name);
    const auto& policy = options_.destinations;
    ++d.failures;
    d.last_error = reason;
    if (d.down) {
        d.probing = false;
        d.backoff = next_destination_backoff(policy, d.backoff);
        d.retry_at = now + d.backoff.count();
        return;
    }
    if (policy.failure_threshold == 0 || d.failures < policy.failure_threshold)
        return;
    d.down = true;
    d.probing = false;
    d.backoff = next_destination_backoff(policy, milliseconds(0));
    d.retry_at = now + d.backoff.count();
    log_.warn(
        "{} destination {} marked unavailable after {} failures in a row ({}); next try in {} s",
        lane_name(lane), name.empty() ? "(store)" : name, d.failures, reason,
        d.backoff.count() / 1000);
}

void Queue::destination_up(Lane lane, const std::string& destination_name) {
    std::vector<Lane> wakes;
    {
        std::lock_guard lock(mutex_);
        destination_reached(lane, to_lower(destination_name), to_unix_ms(now()));
        wakes = take_wakes();
    }
    wake(wakes);
}

void Queue::destination_down(Lane lane, const std::string& destination_name,
                             const std::string& reason) {
    std::lock_guard lock(mutex_);
    auto& d = destination(lane, to_lower(destination_name));
    // Marked by hand: skip the count of failures.
    d.failures = std::max(d.failures, options_.destinations.failure_threshold);
    if (!d.down) {
        d.down = true;
        d.backoff = next_destination_backoff(options_.destinations, milliseconds(0));
        d.retry_at = to_unix_ms(now()) + d.backoff.count();
        d.last_error = reason;
        log_.warn("{} destination {} marked unavailable: {}", lane_name(lane), d.name, reason);
    }
}

void Queue::expire_recipient(QueuedMessage& m, std::uint32_t i, UnixMs now) {
    auto& r = m.rec.recipients[i];
    r.state = RecipientState::failed;
    // The last temporary status stays (what actually went wrong); without one, RFC 3463's
    // "delivery time expired".
    if (r.status.empty() || r.status[0] != '4')
        r.status = "4.4.7";
    if (r.diagnostic.empty())
        r.diagnostic = "X-Postern; delivery time expired";
    r.last_attempt = std::max(r.last_attempt, r.attempts ? r.last_attempt : now);
    msg_log(m.rec.id).info("to=<{}> given up after {} attempts: {}", r.address, r.attempts,
                           r.diagnostic);
    want_notice(m, i, notify::failure);
}

void Queue::service_delivery(QueuedMessage& m, Lane lane, UnixMs now,
                             std::vector<DeliveryJob>& jobs) {
    m.fit_leases();
    const bool is_held = held(m, now);
    const UnixMs expiry = expires_at(options_.delivery_retry, m.rec.received_at);
    const auto delay_after = options_.dsn.delay_after.count();
    const UnixMs lease_end = now + duration_cast<milliseconds>(options_.lease_timeout).count();
    std::vector<std::uint32_t> changed;
    std::vector<std::pair<std::string, std::size_t>> job_of;  // destination -> index into jobs
    std::set<std::string> touched;
    auto logger = msg_log(m.rec.id);
    for (std::uint32_t i = 0; i < m.rec.recipients.size(); ++i) {
        auto& r = m.rec.recipients[i];
        if (r.lane != lane || is_final(r.state))
            continue;
        if (r.state == RecipientState::sending) {
            if (m.rcpt_lease[i] > now)
                continue;
            r.state = r.attempts ? RecipientState::deferred : RecipientState::queued;
            r.next_attempt = now;
            touched.insert(r.destination);
            logger.warn("to=<{}> delivery lease expired without a report; trying again", r.address);
        }
        if (r.state != RecipientState::queued && r.state != RecipientState::deferred)
            continue;
        if (is_held)
            continue;
        if (now >= expiry) {
            expire_recipient(m, i, now);
            changed.push_back(i);
            touched.insert(r.destination);
            continue;
        }
        if (r.state == RecipientState::deferred && delay_after > 0 &&
            now >= m.rec.received_at + delay_after * 1000 &&
            !(r.notices & (notice::delay_due | notice::delay_sent))) {
            auto before = r.notices;
            want_notice(m, i, notify::delay);
            if (r.notices != before)
                changed.push_back(i);
        }
        if (r.next_attempt > now)
            continue;
        auto slot = std::find_if(job_of.begin(), job_of.end(),
                                 [&](const auto& p) { return p.first == r.destination; });
        if (slot == job_of.end()) {
            bool probe = false;
            auto* d = find_destination(lane, r.destination);
            if (d && d->down) {
                if (d->probing && d->probe_until <= now)
                    d->probing = false;  // its report never came
                if (now < d->retry_at || d->probing) {
                    if (r.state == RecipientState::queued) {
                        // Parked without an attempt: it waits for the destination, not for itself.
                        r.state = RecipientState::deferred;
                        r.diagnostic = "X-Postern; destination unavailable: " + d->last_error;
                        changed.push_back(i);
                    }
                    touched.insert(r.destination);
                    continue;
                }
                d->probing = true;
                d->probe_until = lease_end;
                probe = true;
            }
            DeliveryJob job;
            job.id = m.rec.id;
            job.lane = lane;
            job.destination = r.destination;
            job.probe = probe;
            job.sender = m.rec.sender;
            job.envid = m.rec.envid;
            job.ret = m.rec.ret;
            job.body_type = m.rec.body_type;
            job.smtputf8 = m.rec.smtputf8;
            job.size = m.rec.body_replaced ? m.rec.replaced_size : m.rec.size;
            job.received_at = from_unix_ms(m.rec.received_at);
            job.body_path = m.rec.body_replaced ? spool_->body2_path(m.bucket, m.rec.id)
                                                : spool_->body_path(m.bucket, m.rec.id);
            job.header_prefix = m.rec.header_prefix;
            job.remove_headers = m.rec.remove_headers;
            jobs.push_back(std::move(job));
            job_of.emplace_back(r.destination, jobs.size() - 1);
            slot = job_of.end() - 1;
        }
        jobs[slot->second].recipients.push_back(
            JobRecipient{i, r.address, r.orcpt, r.notify, r.attempts, r.mailbox});
        r.state = RecipientState::sending;
        m.rcpt_lease[i] = lease_end;
        touched.insert(r.destination);
    }
    for (const auto& [dest, index] : job_of)
        logger.proto("{} delivery to {} taken ({} recipients{})", lane_name(lane),
                     dest.empty() ? "(store)" : dest, jobs[index].recipients.size(),
                     jobs[index].probe ? ", probe" : "");
    for (const auto& dest : touched)
        update_waiting(m, lane, dest);
    if (!changed.empty())
        persist(m, false, std::move(changed));
    after_change(m, now);  // may remove m
}

std::vector<DeliveryJob> Queue::take_deliveries(Lane lane, TimePoint when, std::size_t limit) {
    std::vector<DeliveryJob> jobs;
    if (lane == Lane::processing)
        return jobs;
    std::vector<Lane> wakes;
    {
        std::lock_guard lock(mutex_);
        const UnixMs now = to_unix_ms(when);
        // An unavailable destination whose back-off ran out gets one probe: the oldest waiting
        // message that is not held is made due now.
        for (auto& [key, d] : destinations_) {
            if (key.first != lane || !d->down || d->retry_at > now || d->waiting.empty())
                continue;
            if (d->probing && d->probe_until > now)
                continue;
            std::vector<QueueId> gone;
            for (const auto& id : d->waiting) {
                auto* m = find(id);
                bool waits = false;
                if (m)
                    for (const auto& r : m->rec.recipients)
                        waits = waits || (r.lane == lane && r.destination == d->name &&
                                          r.state == RecipientState::deferred);
                if (!waits) {
                    gone.push_back(id);  // removed or finished meanwhile
                    continue;
                }
                if (held(*m, now))
                    continue;
                for (auto& r : m->rec.recipients)
                    if (r.lane == lane && r.destination == d->name &&
                        r.state == RecipientState::deferred)
                        r.next_attempt = std::min(r.next_attempt, now);
                auto l = static_cast<std::size_t>(lane);
                m->scheduled[l] = now;
                heaps_[l].push(HeapEntry{now, id});
                break;
            }
            for (const auto& id : gone)
                d->waiting.erase(id);
        }
        auto& heap = heaps_[static_cast<std::size_t>(lane)];
        const auto l = static_cast<std::size_t>(lane);
        while (!heap.empty() && heap.top().due <= now && jobs.size() < limit) {
            auto entry = heap.top();
            heap.pop();
            auto* m = find(entry.id);
            if (!m || m->scheduled[l] != entry.due)
                continue;
            m->scheduled[l] = -1;
            service_delivery(*m, lane, now, jobs);
        }
        wakes = take_wakes();
    }
    wake(wakes);
    return jobs;
}

Status Queue::report_delivery(const QueueId& id, DeliveryReport report, Done durable) {
    std::vector<Lane> wakes;
    {
        std::lock_guard lock(mutex_);
        auto* m = find(id);
        if (!m)
            return fail(Errc::not_found, "message " + id.str() + " is not in the queue");
        auto& rcpts = m->rec.recipients;
        for (const auto& res : report.results)
            if (res.recipient >= rcpts.size())
                return fail(Errc::invalid_argument,
                            "no recipient " + std::to_string(res.recipient));
        // "No server answered" may come without per-recipient results: the job is then the
        // recipients in flight, which must all go to one destination.
        const RecipientRecord* in_flight = nullptr;
        if (report.results.empty()) {
            if (report.reached || !report.tried)
                return fail(Errc::invalid_argument, "a report needs results");
            for (const auto& r : rcpts) {
                if (r.state != RecipientState::sending)
                    continue;
                if (in_flight &&
                    (r.lane != in_flight->lane || r.destination != in_flight->destination))
                    return fail(Errc::invalid_argument,
                                "a report without results is ambiguous: the message is in "
                                "flight to several destinations");
                in_flight = &r;
            }
            if (!in_flight)
                return ok();  // the lease ran out and the work was handed back already
        }
        const auto& first = in_flight ? *in_flight : rcpts[report.results.front().recipient];
        const Lane lane = first.lane;
        const std::string dest = first.destination;
        if (lane == Lane::processing)
            return fail(Errc::invalid_argument, "recipient was never routed");
        for (const auto& res : report.results)
            if (rcpts[res.recipient].lane != lane || rcpts[res.recipient].destination != dest)
                return fail(Errc::invalid_argument, "a report covers one destination");

        const UnixMs now = to_unix_ms(this->now());
        auto logger = msg_log(id);
        const auto& policy = options_.delivery_retry;
        std::vector<std::uint32_t> changed;
        std::vector<char> reported(rcpts.size(), 0);
        auto temporary = [&](std::uint32_t i, const std::string& status,
                             const std::string& diagnostic, const std::string& mta) {
            auto& r = m->rec.recipients[i];
            ++r.attempts;
            r.last_attempt = now;
            r.status = status.empty() ? "4.0.0" : status;
            r.diagnostic = diagnostic;
            r.remote_mta = mta;
            if (retries_exhausted(policy, r.attempts, m->rec.received_at, now)) {
                expire_recipient(*m, i, now);
                return;
            }
            r.state = RecipientState::deferred;
            auto delay = retry_delay(policy, r.attempts);
            r.next_attempt = now + delay.count();
            logger.info("to=<{}> relay={} deferred (attempt {}, next in {} s): {}", r.address,
                        mta.empty() ? "-" : mta, r.attempts, delay.count() / 1000, diagnostic);
        };
        for (const auto& res : report.results) {
            auto& r = m->rec.recipients[res.recipient];
            reported[res.recipient] = 1;
            if (is_final(r.state)) {
                logger.proto("to=<{}> late result ignored: already {}", r.address,
                             recipient_state_name(r.state));
                continue;
            }
            changed.push_back(res.recipient);
            switch (res.outcome) {
                case Outcome::delivered:
                case Outcome::relayed:
                    r.state = RecipientState::delivered;
                    ++r.attempts;
                    r.last_attempt = now;
                    r.status = res.status.empty() ? "2.0.0" : res.status;
                    r.diagnostic = res.diagnostic;
                    r.remote_mta = res.remote_mta;
                    logger.info("to=<{}> relay={} delivered: {} {}", r.address,
                                res.remote_mta.empty() ? (lane == Lane::local ? "store" : "-")
                                                       : res.remote_mta,
                                r.status, res.diagnostic);
                    // RFC 3461 §6.2.2: a success notice when we delivered locally or the next hop
                    // could not carry the request on; otherwise the next hop sends it.
                    if (lane == Lane::local || res.outcome == Outcome::relayed) {
                        if (res.outcome == Outcome::relayed)
                            r.notices |= notice::relayed;
                        want_notice(*m, res.recipient, notify::success);
                    }
                    break;
                case Outcome::permanent:
                    r.state = RecipientState::failed;
                    ++r.attempts;
                    r.last_attempt = now;
                    r.status = res.status.empty() ? "5.0.0" : res.status;
                    r.diagnostic = res.diagnostic;
                    r.remote_mta = res.remote_mta;
                    logger.info("to=<{}> relay={} failed: {} {}", r.address,
                                res.remote_mta.empty() ? "-" : res.remote_mta, r.status,
                                res.diagnostic);
                    want_notice(*m, res.recipient, notify::failure);
                    break;
                case Outcome::temporary:
                    temporary(res.recipient, res.status, res.diagnostic, res.remote_mta);
                    break;
            }
        }
        // Job recipients the consumer left out count as a temporary failure: "no answer from
        // host" (RFC 3463 4.4.1) with the reason when the destination was not reached.
        const std::string unreached =
            "X-Postern; " + (report.reason.empty() ? std::string("unreachable") : report.reason);
        for (std::uint32_t i = 0; i < rcpts.size(); ++i) {
            auto& r = m->rec.recipients[i];
            if (reported[i] || r.state != RecipientState::sending || r.lane != lane ||
                r.destination != dest)
                continue;
            if (report.reached)
                temporary(i, "4.3.0", "X-Postern; no result reported for this recipient", "");
            else
                temporary(i, "4.4.1", unreached, "");
            changed.push_back(i);
        }
        if (!report.tried) {
            // A probe that never went out: the next one after the same back-off, not counted
            // as a failure (probing at once would pick this same message again).
            if (auto* d = find_destination(lane, dest); d && d->down && d->probing) {
                d->probing = false;
                d->retry_at = now + d->backoff.count();
            }
        } else if (report.reached) {
            destination_reached(lane, dest, now);
        } else {
            destination_failed(lane, dest, report.reason.empty() ? "unreachable" : report.reason,
                               now);
        }
        update_waiting(*m, lane, dest);
        if (!changed.empty()) {
            persist(*m, false, std::move(changed), std::move(durable));
        } else if (durable) {
            commit_->barrier(std::move(durable));
        }
        after_change(*m, now);  // may remove m
        wakes = take_wakes();
    }
    wake(wakes);
    return ok();
}

std::optional<TimePoint> Queue::next_due(Lane lane) const {
    std::lock_guard lock(mutex_);
    auto l = static_cast<std::size_t>(lane);
    // Drop stale entries on top so the answer is the real next time.
    auto& heap = heaps_[l];
    while (!heap.empty()) {
        const auto& top = heap.top();
        auto* m = find(top.id);
        if (m && m->scheduled[l] == top.due)
            break;
        heap.pop();
    }
    UnixMs due = heap.empty() ? kNever : heap.top().due;
    for (const auto& [key, d] : destinations_)
        if (key.first == lane && d->down && !d->waiting.empty())
            due = std::min(due, d->probing ? d->probe_until : d->retry_at);
    if (due == kNever)
        return std::nullopt;
    return from_unix_ms(due);
}

std::vector<DestinationStatus> Queue::destinations() const {
    std::lock_guard lock(mutex_);
    std::vector<DestinationStatus> out;
    for (const auto& [key, d] : destinations_) {
        if (!d->down && d->failures == 0 && d->waiting.empty())
            continue;
        DestinationStatus s;
        s.lane = d->lane;
        s.name = d->name;
        s.available = !d->down;
        s.failures = d->failures;
        if (d->down)
            s.retry_at = from_unix_ms(d->retry_at);
        s.last_error = d->last_error;
        s.waiting = d->waiting.size();
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace postern::queue
