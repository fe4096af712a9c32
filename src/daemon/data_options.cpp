#include "daemon/data_options.h"

#include <algorithm>

#include "store/api/store.h"
#include "store/engine/message_store.h"

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
        case config::DsnAttach::none:
            d.attach = queue::Attach::none;
            break;
        case config::DsnAttach::headers:
            d.attach = queue::Attach::headers;
            break;
        case config::DsnAttach::full:
            d.attach = queue::Attach::full;
            break;
    }
    d.max_full_attach = q.dsn.max_full_attach;
    d.delay_after = q.dsn.delay_after;
    d.delay_by_default = q.dsn.delay_by_default;
    return o;
}

store::StoreOptions store_options(const config::Config& config) {
    const auto& st = config.storage;
    store::StoreOptions o;
    o.data_root = st.data_root.empty() ? config.server.data_dir / "store" : st.data_root;
    for (const auto& ms : st.message_stores) {
        o.message_stores.push_back({ms.path, ms.domains, ms.max_file_size, ms.max_files});
    }
    // The default store (none configured) — and also when stores were configured later but the
    // default one already holds bodies: dropping it would hide every message stored there.
    auto default_store = o.data_root / "stores" / "default";
    bool listed = false;
    for (const auto& ms : o.message_stores)
        listed = listed || ms.path.lexically_normal() == default_store.lexically_normal();
    std::error_code ec;
    if (o.message_stores.empty() ||
        (!listed && std::filesystem::exists(default_store / "store.meta", ec))) {
        o.message_stores.push_back({default_store, {}, st.max_file_size, st.max_files});
    }
    o.compression = st.compression;
    o.compression_threshold = st.compression_threshold;
    o.compression_level = st.compression_level;
    o.fsync = st.fsync;
    o.view_grace = st.view_grace;
    o.compact_io_rate = st.compact_io_rate;
    o.max_message_size = st.max_message_size;
    o.orphan_grace = std::chrono::duration_cast<std::chrono::seconds>(st.orphan_grace);
    o.max_batch = st.max_batch;
    o.view_change_log = st.view_change_log;
    o.max_open_accounts = st.max_open_accounts;
    o.checkpoint_interval = st.checkpoint_interval;
    o.body_cache_bytes = st.body_cache;
    return o;
}

std::vector<std::string> add_new_message_stores(store::Store& store, const config::Config& config) {
    std::vector<std::string> out;
    std::vector<std::filesystem::path> open;
    for (auto* ms : store.message_stores())
        open.push_back(ms->path().lexically_normal());
    for (const auto& ms : store_options(config).message_stores) {
        if (std::find(open.begin(), open.end(), ms.path.lexically_normal()) != open.end())
            continue;
        if (auto s = store.add_message_store(ms); !s) {
            out.push_back("message store " + ms.path.string() +
                          " not added: " + s.error().to_string());
        } else {
            out.push_back("message store " + ms.path.string() + " added");
        }
    }
    return out;
}

}  // namespace postern::daemon
