// Queue inspection and administrator actions (posternctl queue list/show/retry/delete/bounce/
// hold/release, counts), returning plain structs for the admin layer to render.
#include <algorithm>

#include "base/fs.h"
#include "base/strings.h"
#include "queue/dsn.h"
#include "queue/queue.h"
#include "queue/queue_internal.h"
#include "queue/record_codec.h"
#include "queue/retry.h"

namespace postern::queue {

namespace {

bool contains_nocase(std::string_view hay, std::string_view needle) {
    if (needle.empty())
        return true;
    return to_lower(hay).find(to_lower(needle)) != std::string::npos;
}

}  // namespace

std::vector<MessageSummary> Queue::list(const ListFilter& f) const {
    std::lock_guard lock(mutex_);
    const UnixMs now = to_unix_ms(this->now());
    std::vector<MessageSummary> out;
    std::size_t skipped = 0;
    auto take = [&](MessageSummary s) {
        if (skipped < f.offset) {
            ++skipped;
            return;
        }
        out.push_back(std::move(s));
    };
    const bool only_incoming = f.state && *f.state == MessageState::incoming;
    if (!f.state || only_incoming) {
        for (const auto& [id, since] : incoming_) {
            if (out.size() >= f.limit)
                return out;
            if (!f.sender.empty() || !f.recipient.empty() || !f.reason.empty() || f.min_size > 0)
                continue;
            if (f.older_than && since >= to_unix_ms(*f.older_than))
                continue;
            if (f.newer_than && since <= to_unix_ms(*f.newer_than))
                continue;
            MessageSummary s;
            s.id = id;
            s.state = MessageState::incoming;
            s.received_at = from_unix_ms(since);
            take(std::move(s));
        }
        if (only_incoming)
            return out;
    }
    for (const auto& [id, mp] : messages_) {
        if (out.size() >= f.limit)
            break;
        const auto& m = *mp;
        const auto& r = m.rec;
        if (r.size < f.min_size || r.size > f.max_size)
            continue;
        if (f.older_than && r.received_at >= to_unix_ms(*f.older_than))
            continue;
        if (f.newer_than && r.received_at <= to_unix_ms(*f.newer_than))
            continue;
        if (!f.sender.empty()) {
            std::string_view sender =
                r.sender.empty() ? std::string_view("<>") : std::string_view(r.sender);
            if (!glob_match(f.sender, sender))
                continue;
        }
        auto state = state_of(m, now);
        if (f.state && state != *f.state)
            continue;
        if (!f.recipient.empty()) {
            bool any = false;
            for (const auto& rc : r.recipients)
                any = any || glob_match(f.recipient, rc.address);
            if (!any)
                continue;
        }
        if (!f.reason.empty()) {
            bool any = contains_nocase(r.hold_reason, f.reason) ||
                       contains_nocase(r.processing_error, f.reason);
            for (const auto& rc : r.recipients)
                any = any || (!rc.diagnostic.empty() && contains_nocase(rc.diagnostic, f.reason)) ||
                      (!rc.status.empty() && contains_nocase(rc.status, f.reason));
            if (!any)
                continue;
        }
        MessageSummary s;
        s.id = id;
        s.state = state;
        s.sender = r.sender;
        s.size = r.size;
        s.received_at = from_unix_ms(r.received_at);
        if (r.hold_until > now)
            s.hold_until = from_unix_ms(r.hold_until);
        UnixMs next = kNever;
        UnixMs last_time = -1;
        for (const auto& rc : r.recipients) {
            if (!is_final(rc.state)) {
                s.recipients.push_back(rc.address);
                if (rc.state == RecipientState::queued || rc.state == RecipientState::deferred)
                    next = std::min(next, rc.next_attempt);
            }
            s.attempts = std::max(s.attempts, rc.attempts);
            if (!rc.diagnostic.empty() && rc.last_attempt >= last_time) {
                last_time = rc.last_attempt;
                s.last_error = rc.diagnostic;
            }
        }
        if (s.recipients.empty())
            for (const auto& rc : r.recipients)
                s.recipients.push_back(rc.address);
        if (r.stage == Stage::received && !m.leased)
            next = std::max(r.next_processing, r.hold_until);
        if (s.last_error.empty())
            s.last_error = r.processing_error;
        if (next != kNever)
            s.next_attempt = from_unix_ms(std::max(next, r.hold_until));
        take(std::move(s));
    }
    return out;
}

Result<MessageDetail> Queue::show(const QueueId& id) const {
    std::lock_guard lock(mutex_);
    auto* m = find(id);
    if (!m) {
        if (incoming_.count(id))
            return fail(Errc::not_found, "message " + id.str() + " is still being received");
        return fail(Errc::not_found, "message " + id.str() + " is not in the queue");
    }
    MessageDetail d;
    d.record = m->rec;
    d.state = state_of(*m, to_unix_ms(now()));
    d.leased = m->leased;
    for (const auto& r : m->rec.recipients)
        d.pending_notices += (r.notices & notice::due_mask) != 0;
    d.body_path = spool_->body_path(m->bucket, id);
    d.status_path = spool_->status_path(m->bucket, id);
    return d;
}

QueueCounts Queue::counts() const {
    std::lock_guard lock(mutex_);
    const UnixMs now = to_unix_ms(this->now());
    QueueCounts c;
    c.by_state[static_cast<std::size_t>(MessageState::incoming)] = incoming_.size();
    for (const auto& h : heaps_)
        c.scheduled_entries += h.size();
    for (const auto& [id, m] : messages_) {
        ++c.by_state[static_cast<std::size_t>(state_of(*m, now))];
        ++c.messages;
        c.bytes += m->rec.size;
        for (const auto& r : m->rec.recipients)
            c.recipients += !is_final(r.state);
    }
    return c;
}

Status Queue::retry_now(const QueueId& id) {
    std::vector<Lane> wakes;
    {
        std::lock_guard lock(mutex_);
        auto* m = find(id);
        if (!m)
            return fail(Errc::not_found, "message " + id.str() + " is not in the queue");
        const UnixMs now = to_unix_ms(this->now());
        if (m->io_error)
            m->needs_rewrite = true;  // the next write replaces the whole file
        std::vector<std::uint32_t> changed;
        if (m->rec.stage == Stage::received && !m->leased) {
            m->rec.next_processing = now;
            mark_wake(Lane::processing);
        }
        for (std::uint32_t i = 0; i < m->rec.recipients.size(); ++i) {
            auto& r = m->rec.recipients[i];
            if (r.state != RecipientState::queued && r.state != RecipientState::deferred)
                continue;
            r.next_attempt = now;
            changed.push_back(i);
            // A destination marked unavailable is probed with this message right away.
            if (auto* d = find_destination(r.lane, r.destination); d && d->down && !d->probing)
                d->retry_at = now;
            mark_wake(r.lane);
        }
        msg_log(id).info("retry requested by the administrator");
        persist(*m, true, std::move(changed));
        after_change(*m, now);
        wakes = take_wakes();
    }
    wake(wakes);
    return ok();
}

Status Queue::remove(const QueueId& id) {
    std::lock_guard lock(mutex_);
    auto* m = find(id);
    if (!m)
        return fail(Errc::not_found, "message " + id.str() + " is not in the queue");
    const UnixMs now = to_unix_ms(this->now());
    std::vector<std::uint32_t> changed;
    for (std::uint32_t i = 0; i < m->rec.recipients.size(); ++i) {
        auto& r = m->rec.recipients[i];
        // Deleting means no notification either, also for ones already due.
        if (r.notices & notice::due_mask) {
            r.notices &= static_cast<std::uint8_t>(~notice::due_mask);
            changed.push_back(i);
        }
        if (is_final(r.state))
            continue;
        r.state = RecipientState::removed;
        r.diagnostic = "X-Postern; deleted by the administrator";
        if (std::find(changed.begin(), changed.end(), i) == changed.end())
            changed.push_back(i);
    }
    m->leased = false;
    msg_log(id).info("deleted by the administrator");
    persist(*m, false, std::move(changed));
    after_change(*m, now);
    return ok();
}

Status Queue::bounce(const QueueId& id, const std::string& reason) {
    std::lock_guard lock(mutex_);
    auto* m = find(id);
    if (!m)
        return fail(Errc::not_found, "message " + id.str() + " is not in the queue");
    const UnixMs now = to_unix_ms(this->now());
    std::vector<std::uint32_t> changed;
    for (std::uint32_t i = 0; i < m->rec.recipients.size(); ++i) {
        auto& r = m->rec.recipients[i];
        if (is_final(r.state))
            continue;
        r.state = RecipientState::removed;
        r.status = "5.0.0";
        r.diagnostic =
            "X-Postern; returned by the administrator" + (reason.empty() ? "" : ": " + reason);
        r.last_attempt = std::max(r.last_attempt, now);
        want_notice(*m, i, notify::failure);
        changed.push_back(i);
    }
    m->leased = false;
    msg_log(id).info("bounced by the administrator{}", reason.empty() ? "" : ": " + reason);
    persist(*m, false, std::move(changed));
    after_change(*m, now);
    return ok();
}

Status Queue::hold(const QueueId& id, std::optional<TimePoint> until, std::string reason) {
    std::lock_guard lock(mutex_);
    auto* m = find(id);
    if (!m)
        return fail(Errc::not_found, "message " + id.str() + " is not in the queue");
    const UnixMs now = to_unix_ms(this->now());
    m->rec.hold_until = until ? std::max<UnixMs>(to_unix_ms(*until), now + 1) : kNever;
    m->rec.hold_reason = std::move(reason);
    msg_log(id).info("held by the administrator{}",
                     until ? " until " + rfc5322_date(m->rec.hold_until) : "");
    persist(*m, true, {});
    after_change(*m, now);
    return ok();
}

Status Queue::release(const QueueId& id) {
    std::vector<Lane> wakes;
    {
        std::lock_guard lock(mutex_);
        auto* m = find(id);
        if (!m)
            return fail(Errc::not_found, "message " + id.str() + " is not in the queue");
        const UnixMs now = to_unix_ms(this->now());
        if (m->rec.hold_until == 0)
            return ok();
        m->rec.hold_until = 0;
        m->rec.hold_reason.clear();
        msg_log(id).info("released");
        persist(*m, true, {});
        after_change(*m, now);
        wakes = take_wakes();
    }
    wake(wakes);
    return ok();
}

Result<std::string> Queue::read_body(const QueueId& id) const {
    std::filesystem::path path;
    std::uint64_t size = 0;
    std::uint32_t crc = 0;
    {
        std::lock_guard lock(mutex_);
        auto* m = find(id);
        if (!m)
            return fail(Errc::not_found, "message " + id.str() + " is not in the queue");
        path = spool_->body_path(m->bucket, id);
        size = m->rec.size;
        crc = m->rec.body_crc;
    }
    auto body = read_file(path);
    if (!body)
        return fail(Errc::io_error, body.error().message);
    if (body->size() != size || crc32_of(*body) != crc) {
        msg_log(id).crit("body does not match its checksum ({} bytes read, {} expected)",
                         body->size(), size);
        std::lock_guard lock(mutex_);
        if (auto* m = find(id)) {
            m->io_error = true;
            note_state(*m, to_unix_ms(now()));
        }
        return fail(Errc::corrupt, "body of " + id.str() + " fails its checksum");
    }
    return body;
}

}  // namespace postern::queue
