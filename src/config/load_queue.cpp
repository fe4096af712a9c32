// The [queue] section of postern.toml: spool, group commit, retry policies, virtual queues,
// delay rules and delivery status notifications (RFC 3464). docs/queue.md lists the keys.
#include "config/load_queue.h"

#include <chrono>
#include <string_view>

#include "base/strings.h"

namespace postern::config {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// The queue works in whole seconds; sub-second values round up so "500ms" is not 0.
Seconds read_seconds(Reader& r, std::string_view key, Seconds fallback, Seconds min) {
    auto ms = r.get_duration(key, milliseconds(fallback));
    auto s = std::chrono::ceil<Seconds>(ms);
    if (r.has(key) && s < min) {
        r.error(key, "must be at least " + std::to_string(min.count()) + "s");
        return fallback;
    }
    return s;
}

std::uint32_t read_u32(Reader& r, std::string_view key, std::uint32_t fallback, std::int64_t min,
                       std::int64_t max) {
    return static_cast<std::uint32_t>(r.get_int(key, fallback, min, max));
}

bool one_line(std::string_view s) {
    return s.find_first_of("\r\n") == std::string_view::npos;
}

// "HH:MM", 24-hour clock → minute of the day.
std::optional<int> time_of_day(std::string_view text) {
    auto colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 2 || text.size() != colon + 3) {
        return std::nullopt;
    }
    auto h = parse_uint(text.substr(0, colon));
    auto m = parse_uint(text.substr(colon + 1));
    if (!h || !m || *h > 23 || *m > 59)
        return std::nullopt;
    return static_cast<int>(*h * 60 + *m);
}

void read_retry(Reader& parent, std::string_view name, QueueRetryConfig& out) {
    auto r = parent.table(name);
    if (!r)
        return;
    out.first = read_seconds(*r, "first", out.first, Seconds(1));
    out.max_interval = read_seconds(*r, "max_interval", out.max_interval, Seconds(1));
    if (out.max_interval < out.first)
        r->error("max_interval", "must be at least first");
    out.max_attempts = read_u32(*r, "max_attempts", out.max_attempts, 0, 100'000);
    out.max_age = read_seconds(*r, "max_age", out.max_age, Seconds(0));
    if (out.max_age.count() == 0 && out.max_attempts == 0) {
        r->error("max_age",
                 "with max_attempts = 0 a message would be retried forever: set one of them");
    }
    r->finish();
}

void read_destination(Reader& parent, QueueDestinationConfig& out) {
    auto r = parent.table("destination");
    if (!r)
        return;
    out.failure_threshold = read_u32(*r, "failure_threshold", out.failure_threshold, 0, 100'000);
    out.first_retry = read_seconds(*r, "first_retry", out.first_retry, Seconds(1));
    out.max_retry_interval =
        read_seconds(*r, "max_retry_interval", out.max_retry_interval, Seconds(1));
    if (out.max_retry_interval < out.first_retry) {
        r->error("max_retry_interval", "must be at least first_retry");
    }
    r->finish();
}

void read_dsn(Reader& parent, QueueDsnConfig& out) {
    auto r = parent.table("dsn");
    if (!r)
        return;
    out.enabled = r->get_bool("enabled", out.enabled);
    out.sender = r->get_string("sender", out.sender);
    if (out.sender.empty() || !one_line(out.sender) ||
        out.sender.find_first_of(" <>\"") != std::string::npos) {
        r->error("sender", "expected an address (\"postmaster\" or \"postmaster@example.org\")");
    }
    for (auto [key, field] : {std::pair{"from_name", &out.from_name},
                              std::pair{"failure_subject", &out.failure_subject},
                              std::pair{"delay_subject", &out.delay_subject},
                              std::pair{"success_subject", &out.success_subject},
                              std::pair{"reporting_mta", &out.reporting_mta}}) {
        *field = r->get_string(key, *field);
        if (!one_line(*field))
            r->error(key, "must be one line");
    }
    out.failure_text = r->get_string("failure_text", out.failure_text);
    out.delay_text = r->get_string("delay_text", out.delay_text);
    out.success_text = r->get_string("success_text", out.success_text);
    out.footer_text = r->get_string("footer_text", out.footer_text);
    out.attach = static_cast<DsnAttach>(
        r->get_choice("attach", static_cast<std::size_t>(out.attach), {"none", "headers", "full"}));
    out.max_full_attach = r->get_size("max_full_attach", out.max_full_attach);
    out.delay_after = read_seconds(*r, "delay_after", out.delay_after, Seconds(0));
    out.delay_by_default = r->get_bool("delay_by_default", out.delay_by_default);
    r->finish();
}

void read_delay_rules(Reader& parent, std::vector<QueueDelayRule>& out) {
    std::size_t i = 0;
    for (auto& t : parent.tables("delay_rule")) {
        QueueDelayRule rule;
        rule.name = t.get_string("name", "rule " + std::to_string(++i));
        rule.sender = t.get_string("sender", "");
        rule.recipient = t.get_string("recipient", "");
        rule.recipient_domain = to_lower(t.get_string("recipient_domain", ""));
        if (rule.recipient_domain.find('@') != std::string::npos) {
            t.error("recipient_domain",
                    "expected a domain without @ (use recipient for addresses)");
        }
        rule.min_size = t.get_size("min_size", 0);
        rule.hold_for = read_seconds(t, "hold_for", Seconds(0), Seconds(0));
        if (t.has("until")) {
            auto text = t.get_string("until", "");
            rule.until_minute = time_of_day(text);
            if (!rule.until_minute)
                t.error("until", "expected a local time \"HH:MM\" (00:00 to 23:59)");
        }
        if (rule.hold_for.count() == 0 && !rule.until_minute && !t.has("until")) {
            t.error("hold_for", "a delay rule needs hold_for, until, or both");
        }
        t.finish();
        out.push_back(std::move(rule));
    }
}

}  // namespace

void read_queue(Reader& root, Config& cfg, const fs::path& base) {
    auto& q = cfg.queue;
    q.directory = cfg.server.data_dir / "queue";
    q.dsn.reporting_mta = cfg.server.hostname;
    auto r = root.table("queue");
    if (!r)
        return;
    q.directory = r->get_path("directory", q.directory, base);
    if (q.directory.empty())
        r->error("directory", "must not be empty");
    q.subdirectories = read_u32(*r, "subdirectories", q.subdirectories, 1, 256);
    q.fsync = r->get_bool("fsync", q.fsync);
    q.sync_threads = read_u32(*r, "sync_threads", q.sync_threads, 1, 256);
    q.max_batch = read_u32(*r, "max_batch", q.max_batch, 1, 100'000);
    q.buffer_bytes = r->get_size("buffer_bytes", q.buffer_bytes);
    q.max_message_size = r->get_size("max_message_size", q.max_message_size);
    if (q.max_message_size < 1024)
        r->error("max_message_size", "must be at least 1K");
    if (q.buffer_bytes > (1ull << 30))
        r->error("buffer_bytes", "must be at most 1G (it is held in memory)");
    q.compact_after = read_u32(*r, "compact_after", q.compact_after, 1, 100'000);
    q.lease_timeout = read_seconds(*r, "lease_timeout", q.lease_timeout, Seconds(1));
    q.maintenance_interval =
        read_seconds(*r, "maintenance_interval", q.maintenance_interval, Seconds(1));
    read_retry(*r, "retry", q.retry);
    read_retry(*r, "processing_retry", q.processing_retry);
    read_destination(*r, q.destination);
    read_dsn(*r, q.dsn);
    if (q.dsn.reporting_mta.empty())
        q.dsn.reporting_mta = cfg.server.hostname;
    read_delay_rules(*r, q.delay_rules);
    r->finish();
}

}  // namespace postern::config
