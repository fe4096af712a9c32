// The [scan] section: defaults, every key of [[scan.scanner]], and the errors it reports.
#include <gtest/gtest.h>

#include "config/load.h"

namespace postern::config {
namespace {

std::expected<ConfigPtr, LoadError> load(std::string_view text) {
    return load_string(text, "/etc/postern/postern.toml");
}

bool has_problem(const LoadError& e, std::string_view key) {
    for (const auto& p : e.problems) {
        if (p.key.find(key) != std::string::npos)
            return true;
    }
    return false;
}

TEST(ConfigLoadScan, NoSectionMeansNoScanners) {
    auto cfg = load("");
    ASSERT_TRUE(cfg) << cfg.error().to_string();
    EXPECT_TRUE((*cfg)->scan.scanners.empty());
    EXPECT_EQ((*cfg)->scan.ping_interval, std::chrono::seconds(5));
}

TEST(ConfigLoadScan, EveryKey) {
    auto cfg = load(R"([scan]
ping_interval = "250ms"

[[scan.scanner]]
name = "sa"
type = "spamd"
address = "127.0.0.1:783"
priority = 5
connect_timeout = "2s"
timeout = "20s"
max_size = "512K"
max_concurrent = 3
on_failure = "pass"
spamd_command = "report"
spamd_user = "filter"
spam_action = "junk"
reject_score = 15
discard_score = 30.5
subject_prefix = "[SPAM] "
junk_folder = "Spam"
quarantine_folder = "Held"

[[scan.scanner]]
name = "av"
type = "clamd"
address = "unix:/run/clamav/clamd.ctl"
level = "domain"
scope = "Example.COM"
virus_action = "quarantine"
chunk_size = "8K"
enabled = false

[[scan.scanner]]
name = "m"
type = "milter"
address = "[::1]:7357"
level = "account"
scope = "bob@example.com"
)");
    ASSERT_TRUE(cfg) << cfg.error().to_string();
    const auto& s = (*cfg)->scan;
    EXPECT_EQ(s.ping_interval, std::chrono::milliseconds(250));
    ASSERT_EQ(s.scanners.size(), 3u);
    const auto& a = s.scanners[0];
    EXPECT_EQ(a.name, "sa");
    EXPECT_EQ(a.type, "spamd");
    EXPECT_EQ(a.level, "server");
    EXPECT_EQ(a.priority, 5);
    EXPECT_EQ(a.connect_timeout, std::chrono::seconds(2));
    EXPECT_EQ(a.timeout, std::chrono::seconds(20));
    EXPECT_EQ(a.max_size, 512u << 10);
    EXPECT_EQ(a.max_concurrent, 3u);
    EXPECT_EQ(a.on_failure, "pass");
    EXPECT_EQ(a.spamd_command, "report");
    EXPECT_EQ(a.spamd_user, "filter");
    EXPECT_EQ(a.spam_action, "junk");
    EXPECT_DOUBLE_EQ(a.reject_score, 15);
    EXPECT_DOUBLE_EQ(a.discard_score, 30.5);
    EXPECT_EQ(a.subject_prefix, "[SPAM] ");
    EXPECT_EQ(a.junk_folder, "Spam");
    EXPECT_EQ(a.quarantine_folder, "Held");
    const auto& b = s.scanners[1];
    EXPECT_EQ(b.level, "domain");
    EXPECT_EQ(b.scope, "example.com");
    EXPECT_EQ(b.virus_action, "quarantine");
    EXPECT_EQ(b.chunk_size, 8u << 10);
    EXPECT_FALSE(b.enabled);
    EXPECT_EQ(b.on_failure, "tempfail");
    EXPECT_EQ(s.scanners[2].level, "account");
    EXPECT_EQ(s.scanners[2].stage, "processing");
}

TEST(ConfigLoadScan, MilterAtSmtpTime) {
    auto cfg = load(R"([[scan.scanner]]
name = "clamav-milter"
type = "milter"
address = "127.0.0.1:7357"
stage = "smtp"
on_failure = "pass"
)");
    ASSERT_TRUE(cfg) << cfg.error().to_string();
    EXPECT_EQ((*cfg)->scan.scanners[0].stage, "smtp");
    EXPECT_EQ((*cfg)->scan.scanners[0].on_failure, "pass");
    // Only milters, and only at server level, run during the SMTP dialogue.
    for (auto bad :
         {"type = \"clamd\"\nstage = \"smtp\"",
          "type = \"milter\"\nstage = \"smtp\"\nlevel = \"domain\"\nscope = \"a.example\"",
          "type = \"milter\"\nstage = \"data\""}) {
        auto c = load(std::string("[[scan.scanner]]\nname = \"x\"\naddress = \"127.0.0.1:1\"\n") +
                      bad + "\n");
        ASSERT_FALSE(c) << bad;
        EXPECT_TRUE(has_problem(c.error(), "stage")) << c.error().to_string();
    }
}

TEST(ConfigLoadScan, ReportsBadScanners) {
    auto cfg = load(R"([[scan.scanner]]
name = "a b"
type = "virusbuster"
address = "nowhere"
level = "domain"
on_failure = "maybe"
subject_prefix = "x\ny"
reject_score = -1
max_concurrent = 0
bogus = 1

[[scan.scanner]]
name = "dup"
type = "clamd"
address = "127.0.0.1:3310"
level = "account"
scope = "example.com"

[[scan.scanner]]
name = "DUP"
address = "127.0.0.1:3310"
)");
    ASSERT_FALSE(cfg);
    for (auto key : {"name", "type", "address", "scope", "on_failure", "subject_prefix",
                     "reject_score", "max_concurrent", "bogus"}) {
        EXPECT_TRUE(has_problem(cfg.error(), key)) << key << "\n" << cfg.error().to_string();
    }
}

}  // namespace
}  // namespace postern::config
