#include "daemon/data_options.h"

namespace postern::daemon {

namespace {

queue::RetryPolicy retry_policy(const config::QueueRetryConfig& c) {
    return queue::RetryPolicy{c.first, c.max_interval, c.max_attempts, c.max_age};
}

}  // namespace

queue::QueueOptions queue_options(const config::Config& config) {
    const auto& q = config.queue;
    queue::QueueOptions o;
    o.directory = q.directory.empty() ? config.server.data_dir / "queue" : q.directory;
    o.subdirectories = q.subdirectories;
    o.fsync = q.fsync;
    o.sync_threads = q.sync_threads;
    o.max_batch = q.max_batch;
    o.buffer_bytes = q.buffer_bytes;
    o.max_message_size = q.max_message_size;
    o.compact_after = q.compact_after;
    o.delivery_retry = retry_policy(q.retry);
    o.processing_retry = retry_policy(q.processing_retry);
    o.destinations = {q.destination.failure_threshold, q.destination.first_retry,
                      q.destination.max_retry_interval};
    o.lease_timeout = q.lease_timeout;
    o.maintenance_interval = q.maintenance_interval;
    for (const auto& r : q.delay_rules) {
        o.delay_rules.push_back({r.name, r.sender, r.recipient, r.recipient_domain, r.min_size,
                                 r.hold_for, r.until_minute});
    }
    auto& d = o.dsn;
    d.enabled = q.dsn.enabled;
    d.reporting_mta = q.dsn.reporting_mta.empty() ? config.server.hostname : q.dsn.reporting_mta;
    d.sender = q.dsn.sender;
    d.from_name = q.dsn.from_name;
    d.failure_subject = q.dsn.failure_subject;
    d.delay_subject = q.dsn.delay_subject;
    d.success_subject = q.dsn.success_subject;
    d.failure_text = q.dsn.failure_text;
    d.delay_text = q.dsn.delay_text;
    d.success_text = q.dsn.success_text;
    d.footer_text = q.dsn.footer_text;
    switch (q.dsn.attach) {
        case config::DsnAttach::none: d.attach = queue::Attach::none; break;
        case config::DsnAttach::headers: d.attach = queue::Attach::headers; break;
        case config::DsnAttach::full: d.attach = queue::Attach::full; break;
    }
    d.max_full_attach = q.dsn.max_full_attach;
    d.delay_after = q.dsn.delay_after;
    d.delay_by_default = q.dsn.delay_by_default;
    return o;
}

store::StoreOptions store_options(const config::Config& config) {
    store::StoreOptions o;
    o.data_root = config.server.data_dir / "store";
    return o;
}

}  // namespace postern::daemon
