// The [protection] section: defaults (everything off but the auto-ban), every sub-table, and
// errors with their key.
#include <gtest/gtest.h>

#include "config/load.h"

namespace postern::config {
namespace {

std::expected<ConfigPtr, LoadError> load(std::string_view text) {
    return load_string(text, "/etc/postern/postern.toml");
}

bool has_problem(const LoadError& e, std::string_view key) {
    for (auto& p : e.problems) {
        if (p.key.find(key) != std::string::npos)
            return true;
    }
    return false;
}

TEST(ConfigLoadProtection, DefaultsAreOff) {
    auto cfg = load("[server]\ndata_dir = \"/var/lib/postern\"\n");
    ASSERT_TRUE(cfg) << cfg.error().to_string();
    const auto& p = (*cfg)->protection;
    EXPECT_FALSE(p.dnsbl.enabled);
    EXPECT_FALSE(p.greylist.enabled);
    EXPECT_FALSE(p.country.enabled);
    EXPECT_FALSE(p.lists.enabled);
    EXPECT_EQ(p.dns_checks.reverse_dns, CheckAction::ignore);
    EXPECT_TRUE(p.auto_ban.enabled);
    EXPECT_EQ(p.auto_ban.max_protocol_errors, 5u);
    EXPECT_EQ(p.greylist.database, "/var/lib/postern/greylist.db");
    EXPECT_EQ(p.lists.database, "/var/lib/postern/address_lists.db");
}

TEST(ConfigLoadProtection, EveryTable) {
    auto cfg = load(R"(
[protection.dnsbl]
timeout = "2s"
reject_score = 4
exclude = ["10.0.0.0/8"]
[[protection.dnsbl.zone]]
zone = "Zen.Example.ORG"
codes = ["127.0.0.2-127.0.0.11"]
[[protection.dnsbl.zone]]
zone = "wl.example"
allow = true
[[protection.dnsbl.zone]]
zone = "score.example"
action = "score"
weight = 3
[protection.greylist]
delay = "1s"
retry_window = "1h"
auto_whitelist = 0
exclude_domains = ["Example.COM"]
[protection.dns_checks]
reverse_dns = "reject"
sender_domain = "tempfail"
[protection.country]
csv = "countries.csv"
deny = ["xx", "YY"]
[protection.lists]
blacklist = ["@spam.example"]
[protection.auto_ban]
max_protocol_errors = 2
ban_time = "1h"
)");
    ASSERT_TRUE(cfg) << cfg.error().to_string();
    const auto& p = (*cfg)->protection;
    ASSERT_TRUE(p.dnsbl.enabled);
    ASSERT_EQ(p.dnsbl.zones.size(), 3u);
    EXPECT_EQ(p.dnsbl.zones[0].zone, "zen.example.org");
    EXPECT_EQ(p.dnsbl.zones[0].codes.size(), 1u);
    EXPECT_TRUE(p.dnsbl.zones[1].allow);
    EXPECT_EQ(p.dnsbl.zones[2].action, DnsblAction::score);
    EXPECT_EQ(p.dnsbl.zones[2].weight, 3);
    EXPECT_EQ(p.dnsbl.reject_score, 4);
    EXPECT_EQ(p.dnsbl.timeout, std::chrono::seconds(2));
    EXPECT_TRUE(p.greylist.enabled);
    EXPECT_EQ(p.greylist.delay.count(), 1);
    EXPECT_EQ(p.greylist.auto_whitelist, 0u);
    EXPECT_EQ(p.greylist.exclude_domains, std::vector<std::string>{"example.com"});
    EXPECT_EQ(p.dns_checks.reverse_dns, CheckAction::reject);
    EXPECT_EQ(p.dns_checks.sender_domain, CheckAction::tempfail);
    EXPECT_EQ(p.country.csv, "/etc/postern/countries.csv");
    EXPECT_EQ(p.country.deny, (std::vector<std::string>{"XX", "YY"}));
    EXPECT_TRUE(p.lists.enabled);
    EXPECT_EQ(p.auto_ban.max_protocol_errors, 2u);
}

TEST(ConfigLoadProtection, ErrorsNameTheirKey) {
    struct Case {
        const char* text;
        const char* key;
    };
    for (auto c :
         {Case{"[protection.dnsbl]\n[[protection.dnsbl.zone]]\nzone = \"bad zone\"\n", "zone"},
          Case{"[protection.dnsbl]\n[[protection.dnsbl.zone]]\nzone = \"a.b\"\ncodes = [\"::1\"]\n",
               "codes"},
          Case{"[protection.dnsbl]\n[[protection.dnsbl.zone]]\nzone = \"a.b\"\naction = \"drop\"\n",
               "action"},
          Case{"[protection.greylist]\ndelay = \"2h\"\nretry_window = \"1h\"\n", "retry_window"},
          Case{"[protection.dns_checks]\nreverse_dns = \"maybe\"\n", "reverse_dns"},
          Case{"[protection.country]\ndeny = [\"DEU\"]\ncsv = \"x\"\n", "deny"},
          Case{"[protection.country]\ndeny = [\"DE\"]\n", "database"},
          Case{"[protection.country]\ncsv = \"x\"\nallow = [\"DE\"]\ndeny = [\"FR\"]\n", "deny"},
          Case{"[protection.auto_ban]\nwindow = \"10ms\"\n", "window"},
          Case{"[protection]\nunknown = 1\n", "unknown"}}) {
        auto cfg = load(c.text);
        ASSERT_FALSE(cfg) << c.text;
        EXPECT_TRUE(has_problem(cfg.error(), c.key)) << c.text << "\n" << cfg.error().to_string();
    }
}

}  // namespace
}  // namespace postern::config
