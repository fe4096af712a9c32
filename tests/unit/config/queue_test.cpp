// The [queue] section: defaults, every key, sub-tables, delay rules and errors with file:line.
#include <gtest/gtest.h>

#include "config/load.h"

namespace postern::config {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

std::expected<ConfigPtr, LoadError> load(std::string_view text) {
    return load_string(text, "/etc/postern/postern.toml");
}

const Problem* problem_for(const LoadError& e, std::string_view key) {
    for (auto& p : e.problems) {
        if (p.key == key)
            return &p;
    }
    return nullptr;
}

TEST(ConfigLoadQueue, DefaultsFollowTheServerSection) {
    auto cfg = load("[server]\nhostname = \"mx.example.test\"\ndata_dir = \"/var/lib/postern\"\n");
    ASSERT_TRUE(cfg) << cfg.error().to_string();
    const auto& q = (*cfg)->queue;
    EXPECT_EQ(q.directory, "/var/lib/postern/queue");
    EXPECT_EQ(q.dsn.reporting_mta, "mx.example.test");
    EXPECT_EQ(q.subdirectories, 64u);
    EXPECT_TRUE(q.fsync);
    EXPECT_EQ(q.max_batch, 128u);
    EXPECT_EQ(q.lease_timeout, minutes(30));
    EXPECT_EQ(q.retry.first, minutes(5));
    EXPECT_EQ(q.retry.max_interval, hours(1));
    EXPECT_EQ(q.retry.max_attempts, 0u);
    EXPECT_EQ(q.retry.max_age, hours(24 * 5));
    EXPECT_EQ(q.processing_retry.first, minutes(1));
    EXPECT_EQ(q.processing_retry.max_interval, minutes(15));
    EXPECT_EQ(q.destination.failure_threshold, 3u);
    EXPECT_EQ(q.dsn.sender, "MAILER-DAEMON");
    EXPECT_EQ(q.dsn.attach, DsnAttach::headers);
    EXPECT_EQ(q.dsn.delay_after, hours(4));
    EXPECT_TRUE(q.delay_rules.empty());
}

TEST(ConfigLoadQueue, EveryKey) {
    auto cfg = load(R"(
[server]
hostname = "mx.example.test"

[queue]
directory = "spool"
subdirectories = 16
fsync = false
sync_threads = 4
max_batch = 64
buffer_bytes = "128K"
max_message_size = "200M"
compact_after = 10
lease_timeout = "10m"
maintenance_interval = "5s"

[queue.retry]
first = "2m"
max_interval = "2h"
max_attempts = 12
max_age = "3d"

[queue.processing_retry]
first = "30s"
max_interval = "10m"
max_attempts = 5
max_age = "1d"

[queue.destination]
failure_threshold = 0
first_retry = "2m"
max_retry_interval = "1h"

[queue.dsn]
enabled = false
reporting_mta = "relay.example.test"
sender = "postmaster"
from_name = "Postmaster"
failure_subject = "Returned mail"
delay_subject = "Still trying"
success_subject = "Delivered"
failure_text = """
Your message {queue_id} could not be delivered to {recipients}.
"""
delay_text = "later"
success_text = "done"
footer_text = "-- the postmaster"
attach = "full"
max_full_attach = "2M"
delay_after = "8h"
delay_by_default = false

[[queue.delay_rule]]
name = "undo send"
sender = "*@example.test"
hold_for = "2m"

[[queue.delay_rule]]
recipient = "list-*@example.org"
recipient_domain = "Example.ORG"
min_size = "1M"
until = "22:30"
)");
    ASSERT_TRUE(cfg) << cfg.error().to_string();
    const auto& q = (*cfg)->queue;
    EXPECT_EQ(q.directory, "/etc/postern/spool");
    EXPECT_EQ(q.subdirectories, 16u);
    EXPECT_FALSE(q.fsync);
    EXPECT_EQ(q.sync_threads, 4u);
    EXPECT_EQ(q.max_batch, 64u);
    EXPECT_EQ(q.buffer_bytes, 128u * 1024);
    EXPECT_EQ(q.max_message_size, 200ull << 20);
    EXPECT_EQ(q.compact_after, 10u);
    EXPECT_EQ(q.lease_timeout, minutes(10));
    EXPECT_EQ(q.maintenance_interval, Seconds(5));
    EXPECT_EQ(q.retry.first, minutes(2));
    EXPECT_EQ(q.retry.max_interval, hours(2));
    EXPECT_EQ(q.retry.max_attempts, 12u);
    EXPECT_EQ(q.retry.max_age, hours(72));
    EXPECT_EQ(q.processing_retry.first, Seconds(30));
    EXPECT_EQ(q.processing_retry.max_interval, minutes(10));
    EXPECT_EQ(q.processing_retry.max_attempts, 5u);
    EXPECT_EQ(q.processing_retry.max_age, hours(24));
    EXPECT_EQ(q.destination.failure_threshold, 0u);
    EXPECT_EQ(q.destination.first_retry, minutes(2));
    EXPECT_EQ(q.destination.max_retry_interval, hours(1));
    EXPECT_FALSE(q.dsn.enabled);
    EXPECT_EQ(q.dsn.reporting_mta, "relay.example.test");
    EXPECT_EQ(q.dsn.sender, "postmaster");
    EXPECT_EQ(q.dsn.from_name, "Postmaster");
    EXPECT_EQ(q.dsn.failure_subject, "Returned mail");
    EXPECT_EQ(q.dsn.delay_subject, "Still trying");
    EXPECT_EQ(q.dsn.success_subject, "Delivered");
    EXPECT_EQ(q.dsn.failure_text,
              "Your message {queue_id} could not be delivered to {recipients}.\n");
    EXPECT_EQ(q.dsn.delay_text, "later");
    EXPECT_EQ(q.dsn.success_text, "done");
    EXPECT_EQ(q.dsn.footer_text, "-- the postmaster");
    EXPECT_EQ(q.dsn.attach, DsnAttach::full);
    EXPECT_EQ(q.dsn.max_full_attach, 2ull << 20);
    EXPECT_EQ(q.dsn.delay_after, hours(8));
    EXPECT_FALSE(q.dsn.delay_by_default);
    ASSERT_EQ(q.delay_rules.size(), 2u);
    EXPECT_EQ(q.delay_rules[0].name, "undo send");
    EXPECT_EQ(q.delay_rules[0].sender, "*@example.test");
    EXPECT_EQ(q.delay_rules[0].hold_for, minutes(2));
    EXPECT_FALSE(q.delay_rules[0].until_minute);
    EXPECT_EQ(q.delay_rules[1].name, "rule 2");
    EXPECT_EQ(q.delay_rules[1].recipient, "list-*@example.org");
    EXPECT_EQ(q.delay_rules[1].recipient_domain, "example.org");
    EXPECT_EQ(q.delay_rules[1].min_size, 1ull << 20);
    EXPECT_EQ(q.delay_rules[1].hold_for, Seconds(0));
    EXPECT_EQ(q.delay_rules[1].until_minute.value_or(-1), 22 * 60 + 30);
}

TEST(ConfigLoadQueue, SubSecondDurationsRoundUp) {
    auto cfg = load("[queue.retry]\nfirst = \"1500ms\"\nmax_interval = 60\n");
    ASSERT_TRUE(cfg) << cfg.error().to_string();
    EXPECT_EQ((*cfg)->queue.retry.first, Seconds(2));
    EXPECT_EQ((*cfg)->queue.retry.max_interval, Seconds(60));
}

TEST(ConfigLoadQueue, ErrorsNameFileLineAndKey) {
    auto cfg = load(R"(
[queue]
subdirectories = 300
max_batch = 0
lease_timeout = "soon"
spool = "x"

[queue.retry]
first = "2h"
max_interval = "1h"

[queue.processing_retry]
max_attempts = 0
max_age = 0

[queue.destination]
first_retry = "0s"

[queue.dsn]
sender = "Mail Daemon <md@example.test>"
failure_subject = "two\nlines"
attach = "body"

[[queue.delay_rule]]
sender = "*@example.test"

[[queue.delay_rule]]
until = "25:00"
recipient_domain = "user@example.test"
)");
    ASSERT_FALSE(cfg);
    auto& e = cfg.error();
    for (auto key :
         {"queue.subdirectories", "queue.max_batch", "queue.lease_timeout", "queue.spool",
          "queue.retry.max_interval", "queue.processing_retry.max_age",
          "queue.destination.first_retry", "queue.dsn.sender", "queue.dsn.failure_subject",
          "queue.dsn.attach", "queue.delay_rule[0].hold_for", "queue.delay_rule[1].until",
          "queue.delay_rule[1].recipient_domain"}) {
        EXPECT_TRUE(problem_for(e, key)) << key << "\n" << e.to_string();
    }
    auto* p = problem_for(e, "queue.subdirectories");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->line, 3u);
    EXPECT_EQ(p->to_string().rfind("/etc/postern/postern.toml:3: queue.subdirectories: ", 0), 0u)
        << p->to_string();
    auto* unknown = problem_for(e, "queue.spool");
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->line, 6u);
    EXPECT_EQ(unknown->message, "unknown key");
    auto* until = problem_for(e, "queue.delay_rule[1].until");
    ASSERT_TRUE(until);
    EXPECT_EQ(until->line, 28u);
}

TEST(ConfigLoadQueue, UnknownSubTableKeys) {
    auto cfg = load("[queue.dsn]\nsubject = \"x\"\n[queue.retry]\nfirst_retry = \"1m\"\n");
    ASSERT_FALSE(cfg);
    EXPECT_TRUE(problem_for(cfg.error(), "queue.dsn.subject"));
    EXPECT_TRUE(problem_for(cfg.error(), "queue.retry.first_retry"));
}

}  // namespace
}  // namespace postern::config
