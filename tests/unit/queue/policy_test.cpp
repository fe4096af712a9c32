// Retry back-off, NOTIFY decisions and delay rules.
#include <cstdlib>
#include <ctime>

#include <gtest/gtest.h>

#include "queue/delay_rules.h"
#include "queue/retry.h"

namespace postern::queue {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(Retry, DoublesFromFirstDelayUpToTheCap) {
    RetryPolicy p;
    p.first_retry = seconds(300);
    p.max_retry_interval = seconds(3600);
    EXPECT_EQ(retry_delay(p, 1), seconds(300));
    EXPECT_EQ(retry_delay(p, 2), seconds(600));
    EXPECT_EQ(retry_delay(p, 3), seconds(1200));
    EXPECT_EQ(retry_delay(p, 4), seconds(2400));
    EXPECT_EQ(retry_delay(p, 5), seconds(3600));
    EXPECT_EQ(retry_delay(p, 1000), seconds(3600));
    p.max_retry_interval = seconds(10);  // a cap below the first delay means "fixed"
    EXPECT_EQ(retry_delay(p, 3), seconds(300));
}

TEST(Retry, AttemptAndAgeLimits) {
    RetryPolicy p;
    p.max_attempts = 3;
    p.max_age = seconds(3600);
    const UnixMs t0 = 1'000'000;
    EXPECT_FALSE(retries_exhausted(p, 2, t0, t0 + 1000));
    EXPECT_TRUE(retries_exhausted(p, 3, t0, t0 + 1000));
    EXPECT_TRUE(retries_exhausted(p, 1, t0, t0 + 3'600'000));
    p.max_attempts = 0;
    EXPECT_FALSE(retries_exhausted(p, 500, t0, t0 + 1000));
    p.max_age = seconds(0);
    EXPECT_EQ(expires_at(p, t0), kNever);
}

TEST(Retry, NotifyDecisions) {
    using namespace notify;
    EXPECT_TRUE(wants_notice(unspecified, failure, true));
    EXPECT_TRUE(wants_notice(unspecified, delay, true));
    EXPECT_FALSE(wants_notice(unspecified, delay, false));
    EXPECT_FALSE(wants_notice(unspecified, success, true));
    EXPECT_FALSE(wants_notice(never, failure, true));
    EXPECT_TRUE(wants_notice(success, success, true));
    EXPECT_FALSE(wants_notice(success, failure, true));
    EXPECT_TRUE(wants_notice(success | delay, delay, false));
}

TEST(Retry, DestinationBackoff) {
    DestinationPolicy p;
    p.first_retry = seconds(60);
    p.max_retry_interval = seconds(300);
    auto b = next_destination_backoff(p, milliseconds(0));
    EXPECT_EQ(b, seconds(60));
    b = next_destination_backoff(p, b);
    EXPECT_EQ(b, seconds(120));
    b = next_destination_backoff(p, b);
    b = next_destination_backoff(p, b);
    EXPECT_EQ(b, seconds(300));
}

class DelayRules : public ::testing::Test {
  protected:
    void SetUp() override {
        const char* tz = std::getenv("TZ");
        saved_ = tz ? tz : "";
        had_ = tz != nullptr;
        ::setenv("TZ", "UTC", 1);
        ::tzset();
    }
    void TearDown() override {
        if (had_) {
            ::setenv("TZ", saved_.c_str(), 1);
        } else {
            ::unsetenv("TZ");
        }
        ::tzset();
    }
    std::string saved_;
    bool had_ = false;
};

TEST_F(DelayRules, MatchEveryCriterion) {
    std::vector<NewRecipient> rcpts = {{"bob@Example.NET", {}, 0}, {"carol@other.org", {}, 0}};
    DelayRule r;
    EXPECT_TRUE(rule_matches(r, "a@sales.example.org", rcpts, 10));
    r.sender = "*@sales.example.org";
    EXPECT_TRUE(rule_matches(r, "A@SALES.example.org", rcpts, 10));
    EXPECT_FALSE(rule_matches(r, "a@example.org", rcpts, 10));
    r.recipient_domain = "example.net";
    EXPECT_TRUE(rule_matches(r, "a@sales.example.org", rcpts, 10));
    r.recipient_domain = "nowhere.test";
    EXPECT_FALSE(rule_matches(r, "a@sales.example.org", rcpts, 10));
    r.recipient_domain.clear();
    r.recipient = "carol@*";
    EXPECT_TRUE(rule_matches(r, "a@sales.example.org", rcpts, 10));
    r.min_size = 11;
    EXPECT_FALSE(rule_matches(r, "a@sales.example.org", rcpts, 10));
    DelayRule null_only;
    null_only.sender = "<>";
    EXPECT_TRUE(rule_matches(null_only, "", rcpts, 1));
    EXPECT_FALSE(rule_matches(null_only, "a@b", rcpts, 1));
}

TEST_F(DelayRules, HoldForAndHoldUntilTimeOfDay) {
    // 2027-01-15 10:00:00 UTC
    const UnixMs now = 1'800'000'000'000 - (1'800'000'000'000 % 86'400'000) + 10 * 3'600'000;
    std::vector<NewRecipient> rcpts = {{"bob@example.net", {}, 0}};
    DelayRule undo;
    undo.name = "undo";
    undo.hold_for = seconds(120);
    DelayRule night;
    night.name = "night";
    night.min_size = 1000;
    night.until_minute = parse_time_of_day("22:30");
    std::vector<DelayRule> rules = {undo, night};

    auto small = apply_delay_rules(rules, "a@x", rcpts, 10, now);
    EXPECT_EQ(small.until, now + 120'000);
    EXPECT_EQ(small.rule, "undo");
    auto big = apply_delay_rules(rules, "a@x", rcpts, 5000, now);
    EXPECT_EQ(big.until, now + 12 * 3'600'000 + 30 * 60'000);
    EXPECT_EQ(big.rule, "night");
    // After 22:30 the hold runs to 22:30 the next day.
    auto late = apply_delay_rules(rules, "a@x", rcpts, 5000, now + 13 * 3'600'000);
    EXPECT_EQ(late.until, now + 36 * 3'600'000 + 30 * 60'000);
    EXPECT_EQ(apply_delay_rules({}, "a@x", rcpts, 5000, now).until, 0);

    EXPECT_EQ(parse_time_of_day("00:00"), 0);
    EXPECT_EQ(parse_time_of_day("23:59"), 1439);
    EXPECT_FALSE(parse_time_of_day("24:00"));
    EXPECT_FALSE(parse_time_of_day("7:5"));
    EXPECT_FALSE(parse_time_of_day("noon"));
}

}  // namespace
}  // namespace postern::queue
