// queue.* commands: list, show, retry, delete, bounce, hold and release queued messages, plus
// counts and destinations (virtual queues). Thin: the queue library does the work.
#include <algorithm>
#include <cstdio>
#include <ctime>

#include "admin/command.h"
#include "base/strings.h"
#include "base/units.h"
#include "queue/queue.h"

namespace postern::admin {
namespace {

using namespace queue;

Result<Queue*> the_queue(Context& ctx) {
    if (!ctx.resources.queue)
        return fail(Errc::unavailable, "the queue is not open");
    return ctx.resources.queue;
}

// RFC 3339 UTC ("2025-01-31T12:00:00Z"): sortable, unambiguous in scripts.
std::string utc(TimePoint t) {
    std::time_t secs = Clock::to_time_t(t);
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// "45s", "12m", "3h05m", "2d04h": the two largest units, for people.
std::string short_age(std::chrono::seconds age) {
    auto n = std::max<std::int64_t>(age.count(), 0);
    char buf[32];
    if (n < 60) {
        std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(n));
    } else if (n < 3600) {
        std::snprintf(buf, sizeof buf, "%lldm", static_cast<long long>(n / 60));
    } else if (n < 86400) {
        std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(n / 3600),
                      static_cast<long long>(n % 3600 / 60));
    } else {
        std::snprintf(buf, sizeof buf, "%lldd%02lldh", static_cast<long long>(n / 86400),
                      static_cast<long long>(n % 86400 / 3600));
    }
    return buf;
}

// A time of 0 means "as soon as possible" (a received message waiting for PROCESSING).
json opt_time(const std::optional<TimePoint>& t) {
    if (!t)
        return json();
    return to_unix_ms(*t) == 0 ? json("now") : json(utc(*t));
}
json opt_time(UnixMs ms) {
    return ms == 0 ? json() : ms == kNever ? json("released by hand") : json(utc(from_unix_ms(ms)));
}

Result<QueueId> arg_id(const json& args) {
    auto text = arg_string(args, "id");
    if (!text)
        return fail(text.error());
    auto id = QueueId::parse(to_upper(trim(*text)));
    if (!id)
        return fail(Errc::invalid_argument, "not a queue id: " + *text);
    return *id;
}

// The queue and the message a per-message command works on.
struct Target {
    Queue* queue;
    QueueId id;
};
Result<Target> the_message(Context& ctx, const json& args) {
    auto q = the_queue(ctx);
    if (!q)
        return fail(q.error());
    auto id = arg_id(args);
    if (!id)
        return fail(id.error());
    return Target{*q, *id};
}

// A whole number >= 0 (JSON numbers arrive signed or unsigned).
Result<std::optional<std::size_t>> opt_count(const json& args, const char* name) {
    auto it = args.find(name);
    if (it == args.end() || it->is_null())
        return std::optional<std::size_t>{};
    if (it->is_number_integer() && it->get<std::int64_t>() >= 0)
        return std::optional{it->get<std::size_t>()};
    return fail(Errc::invalid_argument,
                std::string("argument \"") + name + "\" must be a whole number");
}

// A duration given as "1h"/"30m" or as a number of seconds.
Result<std::optional<std::chrono::milliseconds>> opt_duration(const json& args, const char* name) {
    auto it = args.find(name);
    if (it == args.end() || it->is_null())
        return std::optional<std::chrono::milliseconds>{};
    if (it->is_number_integer() && it->get<std::int64_t>() >= 0) {
        return std::optional{
            std::chrono::milliseconds(std::chrono::seconds(it->get<std::int64_t>()))};
    }
    if (it->is_string()) {
        if (auto d = parse_duration(it->get<std::string>()))
            return std::optional{*d};
    }
    return fail(Errc::invalid_argument, std::string("argument \"") + name +
                                            "\" must be a duration such as \"30m\" or \"2h\"");
}

// A size given as "10K"/"1M" or as a number of bytes.
Result<std::optional<std::uint64_t>> opt_size(const json& args, const char* name) {
    auto it = args.find(name);
    if (it == args.end() || it->is_null())
        return std::optional<std::uint64_t>{};
    if (it->is_number_integer() && it->get<std::int64_t>() >= 0)
        return std::optional{it->get<std::uint64_t>()};
    if (it->is_string()) {
        if (auto n = parse_size(it->get<std::string>()))
            return std::optional{*n};
    }
    return fail(Errc::invalid_argument,
                std::string("argument \"") + name + "\" must be a size such as 10240 or \"10K\"");
}

std::string state_names() {
    std::string out;
    for (std::size_t i = 0; i < kMessageStateCount; ++i) {
        if (!out.empty())
            out += ", ";
        out += message_state_name(static_cast<MessageState>(i));
    }
    return out;
}

json to_json(const MessageSummary& s, TimePoint now) {
    auto age = std::chrono::duration_cast<std::chrono::seconds>(now - s.received_at);
    return {{"id", s.id.str()},
            {"state", std::string(message_state_name(s.state))},
            {"sender", s.sender.empty() ? "<>" : s.sender},
            {"recipients", s.recipients},
            {"size", s.size},
            {"received", utc(s.received_at)},
            {"age_s", age.count()},
            {"age", short_age(age)},
            {"attempts", s.attempts},
            {"next_attempt", opt_time(s.next_attempt)},
            {"hold_until", opt_time(s.hold_until)},
            {"last_error", s.last_error.empty() ? json() : json(s.last_error)}};
}

json to_json(const RecipientRecord& r, std::uint32_t index) {
    auto text = [](const std::string& s) { return s.empty() ? json() : json(s); };
    json j = {{"index", index},
              {"address", r.address},
              {"state", std::string(recipient_state_name(r.state))},
              {"lane", std::string(lane_name(r.lane))},
              {"destination", text(r.destination)},
              {"attempts", r.attempts},
              {"last_attempt", opt_time(r.last_attempt)},
              {"next_attempt", is_final(r.state) ? json() : opt_time(r.next_attempt)},
              {"status", text(r.status)},
              {"last_error", text(r.diagnostic)},
              {"remote_mta", text(r.remote_mta)},
              {"notify", text(notify_text(r.notify))},
              {"orcpt", text(r.orcpt)}};
    if (r.parent != kNoParent)
        j["expanded_from"] = r.parent;
    return j;
}

json to_json(const MessageDetail& d) {
    const auto& r = d.record;
    auto text = [](const std::string& s) { return s.empty() ? json() : json(s); };
    json j = {
        {"id", r.id.str()},
        {"state", std::string(message_state_name(d.state))},
        {"sender", r.sender.empty() ? "<>" : r.sender},
        {"size", r.size},
        {"received", opt_time(r.received_at)},
        {"notification", (r.flags & message_flag::dsn) != 0},
        {"envid", text(r.envid)},
        {"ret", text(std::string(ret_name(r.ret)))},
        {"body", text(std::string(body_type_name(r.body_type)))},
        {"smtputf8", r.smtputf8},
        {"client_ip", text(r.client.ip)},
        {"helo", text(r.client.helo)},
        {"auth_user", text(r.client.auth_user)},
        {"tls", text(r.client.tls)},
        {"protocol", text(r.client.protocol)},
        {"session", text(r.client.session)},
        {"stage", r.stage == Stage::received ? "received" : "processed"},
        {"hold_until", opt_time(r.hold_until)},
        {"hold_reason", text(r.hold_reason)},
        {"processing_attempts", r.processing_attempts},
        {"next_processing", r.stage == Stage::received ? opt_time(r.next_processing) : json()},
        {"processing_error", text(r.processing_error)},
        {"leased", d.leased},
        {"pending_notices", d.pending_notices},
        {"body_path", d.body_path.string()},
        {"status_path", d.status_path.string()}};
    j["recipients"] = json::array();
    for (std::uint32_t i = 0; i < r.recipients.size(); ++i)
        j["recipients"].push_back(to_json(r.recipients[i], i));
    return j;
}

Result<json> queue_list(Context& ctx, const json& args) {
    auto q = the_queue(ctx);
    if (!q)
        return fail(q.error());
    ListFilter f;
    f.sender = opt_string(args, "sender").value_or("");
    f.recipient = opt_string(args, "recipient").value_or("");
    f.reason = opt_string(args, "reason").value_or("");
    auto min_size = opt_size(args, "min_size");
    auto max_size = opt_size(args, "max_size");
    auto older = opt_duration(args, "older_than");
    auto newer = opt_duration(args, "newer_than");
    for (auto* e : {&min_size, &max_size}) {
        if (!*e)
            return fail(e->error());
    }
    for (auto* e : {&older, &newer}) {
        if (!*e)
            return fail(e->error());
    }
    if (*min_size)
        f.min_size = **min_size;
    if (*max_size)
        f.max_size = **max_size;
    const auto now = Clock::now();
    if (*older)
        f.older_than = now - **older;
    if (*newer)
        f.newer_than = now - **newer;
    if (auto state = opt_string(args, "status"); state && !state->empty()) {
        auto s = parse_message_state(to_lower(*state));
        if (!s)
            return fail(Errc::invalid_argument,
                        "unknown status " + *state + " (one of " + state_names() + ")");
        f.state = *s;
    }
    auto limit = opt_count(args, "limit");
    auto offset = opt_count(args, "offset");
    if (!limit)
        return fail(limit.error());
    if (!offset)
        return fail(offset.error());
    if (*limit)
        f.limit = **limit;
    if (*offset)
        f.offset = **offset;
    if (f.limit == 0)
        return fail(Errc::invalid_argument, "limit must be at least 1");
    json out = json::array();
    for (auto& s : (*q)->list(f))
        out.push_back(to_json(s, now));
    return out;
}

Result<json> queue_show(Context& ctx, const json& args) {
    auto m = the_message(ctx, args);
    if (!m)
        return fail(m.error());
    auto [q, id] = *m;
    auto d = q->show(id);
    if (!d)
        return fail(d.error());
    return to_json(*d);
}

// One id, every message ("all": true), and/or a destination to flush.
Result<json> queue_retry(Context& ctx, const json& args) {
    auto q = the_queue(ctx);
    if (!q)
        return fail(q.error());
    bool all = opt_bool(args, "all");
    auto destination = opt_string(args, "destination").value_or("");
    json out = {{"retried", json::array()}};
    if (!destination.empty()) {
        (*q)->destination_up(Lane::remote, to_lower(destination));
        out["flushed"] = to_lower(destination);
    }
    if (all) {
        ListFilter f;
        f.limit = SIZE_MAX;
        for (auto& s : (*q)->list(f)) {
            if (is_final(s.state) || s.state == MessageState::incoming)
                continue;
            // A message that left meanwhile is not an error.
            if ((*q)->retry_now(s.id))
                out["retried"].push_back(s.id.str());
        }
    } else if (args.contains("id")) {
        auto id = arg_id(args);
        if (!id)
            return fail(id.error());
        auto st = (*q)->retry_now(*id);
        if (!st)
            return fail(st.error());
        out["retried"].push_back(id->str());
    } else if (destination.empty()) {
        return fail(Errc::invalid_argument, "give an id, \"all\": true, or a destination to flush");
    }
    return out;
}

// Delete and bounce finish their messages; running maintenance now queues the notification and
// removes the files at once (offline too, where no maintenance thread runs).
Result<json> queue_delete(Context& ctx, const json& args) {
    auto m = the_message(ctx, args);
    if (!m)
        return fail(m.error());
    auto [q, id] = *m;
    auto st = q->remove(id);
    if (!st)
        return fail(st.error());
    q->run_maintenance();
    return json{{"deleted", id.str()}};
}

Result<json> queue_bounce(Context& ctx, const json& args) {
    auto m = the_message(ctx, args);
    if (!m)
        return fail(m.error());
    auto [q, id] = *m;
    auto st = q->bounce(id, opt_string(args, "reason").value_or(""));
    if (!st)
        return fail(st.error());
    q->run_maintenance();
    return json{{"bounced", id.str()}};
}

Result<json> queue_hold(Context& ctx, const json& args) {
    auto m = the_message(ctx, args);
    if (!m)
        return fail(m.error());
    auto [q, id] = *m;
    auto hold_for = opt_duration(args, "for");
    if (!hold_for)
        return fail(hold_for.error());
    std::optional<TimePoint> until;
    if (*hold_for)
        until = Clock::now() + **hold_for;
    auto reason = opt_string(args, "reason").value_or("admin");
    if (reason.find_first_of("\r\n") != std::string::npos)
        return fail(Errc::invalid_argument, "reason must be one line");
    auto st = q->hold(id, until, reason);
    if (!st)
        return fail(st.error());
    return json{{"held", id.str()},
                {"until", until ? json(utc(*until)) : json("released by hand")}};
}

Result<json> queue_release(Context& ctx, const json& args) {
    auto m = the_message(ctx, args);
    if (!m)
        return fail(m.error());
    auto [q, id] = *m;
    auto st = q->release(id);
    if (!st)
        return fail(st.error());
    return json{{"released", id.str()}};
}

Result<json> queue_counts(Context& ctx, const json&) {
    auto q = the_queue(ctx);
    if (!q)
        return fail(q.error());
    auto c = (*q)->counts();
    json states = json::object();
    for (std::size_t i = 0; i < kMessageStateCount; ++i) {
        if (c.by_state[i])
            states[std::string(message_state_name(static_cast<MessageState>(i)))] = c.by_state[i];
    }
    return json{{"messages", c.messages},
                {"recipients", c.recipients},
                {"bytes", c.bytes},
                {"by_state", states}};
}

Result<json> queue_destinations(Context& ctx, const json&) {
    auto q = the_queue(ctx);
    if (!q)
        return fail(q.error());
    json out = json::array();
    for (auto& d : (*q)->destinations()) {
        out.push_back({{"lane", std::string(lane_name(d.lane))},
                       {"name", d.name.empty() ? "(store)" : d.name},
                       {"available", d.available},
                       {"failures", d.failures},
                       {"retry_at", opt_time(d.retry_at)},
                       {"waiting", d.waiting},
                       {"last_error", d.last_error.empty() ? json() : json(d.last_error)}});
    }
    return out;
}

}  // namespace

std::vector<Command> queue_commands() {
    return {
        {"queue.list", queue_list, false},
        {"queue.show", queue_show, false},
        {"queue.retry", queue_retry, false},
        {"queue.delete", queue_delete, false},
        {"queue.bounce", queue_bounce, false},
        {"queue.hold", queue_hold, false},
        {"queue.release", queue_release, false},
        {"queue.counts", queue_counts, false},
        {"queue.destinations", queue_destinations, false},
    };
}

}  // namespace postern::admin
