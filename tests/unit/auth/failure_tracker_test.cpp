#include "auth/failure_tracker.h"

#include <thread>

#include <gtest/gtest.h>

namespace postern::auth {
namespace {

using namespace std::chrono_literals;
using Clock = FailureTracker::Clock;

IpAddress ip(std::string_view text) {
    return IpAddress::parse(text).value();
}

FailureLimits limits(std::uint32_t ip_max, std::uint32_t account_max) {
    FailureLimits l;
    l.ip_max_failures = ip_max;
    l.account_max_failures = account_max;
    l.window = 10min;
    l.ban_time = 15min;
    return l;
}

const auto kT0 = Clock::time_point{} + 100h;

TEST(FailureTracker, IpIsBannedAfterLimitAndReleasedAfterBanTime) {
    FailureTracker t(limits(3, 0));
    auto a = ip("192.0.2.7");
    EXPECT_FALSE(t.record_failure(a, "", kT0).ip_banned);
    EXPECT_FALSE(t.record_failure(a, "", kT0 + 1s).ip_banned);
    EXPECT_FALSE(t.ip_banned_until(a, kT0 + 1s));
    EXPECT_TRUE(t.record_failure(a, "", kT0 + 2s).ip_banned);
    EXPECT_EQ(t.ip_banned_until(a, kT0 + 2s), kT0 + 2s + 15min);
    EXPECT_TRUE(t.ip_banned_until(a, kT0 + 2s + 15min - 1ms));
    EXPECT_FALSE(t.ip_banned_until(a, kT0 + 2s + 15min));
    EXPECT_FALSE(t.ip_banned_until(ip("192.0.2.8"), kT0 + 3s));  // neighbours are not affected
    // After the ban the count starts afresh.
    EXPECT_FALSE(t.record_failure(a, "", kT0 + 20min).ip_banned);
}

TEST(FailureTracker, WindowRestartsTheCount) {
    FailureTracker t(limits(3, 0));
    auto a = ip("192.0.2.7");
    t.record_failure(a, "", kT0);
    t.record_failure(a, "", kT0 + 9min);
    // The window opened at kT0 has closed: this failure starts a new one.
    EXPECT_FALSE(t.record_failure(a, "", kT0 + 10min).ip_banned);
    EXPECT_FALSE(t.record_failure(a, "", kT0 + 11min).ip_banned);
    EXPECT_TRUE(t.record_failure(a, "", kT0 + 12min).ip_banned);
}

TEST(FailureTracker, AccountIsLockedAcrossIps) {
    FailureTracker t(limits(0, 3));
    EXPECT_FALSE(t.record_failure(ip("192.0.2.1"), "tim@example.com", kT0).account_locked);
    EXPECT_FALSE(t.record_failure(ip("192.0.2.2"), "tim@example.com", kT0).account_locked);
    EXPECT_TRUE(t.record_failure(ip("2001:db8::1"), "tim@example.com", kT0).account_locked);
    EXPECT_TRUE(t.account_locked_until("tim@example.com", kT0 + 1min));
    EXPECT_FALSE(t.account_locked_until("ann@example.com", kT0 + 1min));
    EXPECT_FALSE(t.ip_banned_until(ip("192.0.2.1"), kT0));  // IP limit disabled
    EXPECT_FALSE(t.account_locked_until("tim@example.com", kT0 + 15min));
}

TEST(FailureTracker, ZeroDisablesBothAndTracksNothing) {
    FailureTracker t(limits(0, 0));
    for (int i = 0; i < 100; ++i) {
        auto r = t.record_failure(ip("192.0.2.1"), "tim", kT0);
        EXPECT_FALSE(r.ip_banned || r.account_locked);
    }
    EXPECT_EQ(t.entry_count(), 0u);
}

TEST(FailureTracker, ZeroBanTimeNeverBans) {
    auto l = limits(2, 2);
    l.ban_time = 0s;
    FailureTracker t(l);
    for (int i = 0; i < 5; ++i)
        t.record_failure(ip("192.0.2.1"), "tim", kT0);
    EXPECT_FALSE(t.ip_banned_until(ip("192.0.2.1"), kT0));
    EXPECT_FALSE(t.account_locked_until("tim", kT0));
}

TEST(FailureTracker, Ipv6CountsPerSlash64) {
    FailureTracker t(limits(2, 0));
    t.record_failure(ip("2001:db8:1:2::1"), "", kT0);
    EXPECT_TRUE(t.record_failure(ip("2001:db8:1:2:ffff::9"), "", kT0).ip_banned);
    EXPECT_TRUE(t.ip_banned_until(ip("2001:db8:1:2::abcd"), kT0));
    EXPECT_FALSE(t.ip_banned_until(ip("2001:db8:1:3::1"), kT0));
    auto bans = t.bans(kT0);
    ASSERT_EQ(bans.size(), 1u);
    EXPECT_EQ(bans[0].kind, Ban::Kind::ip);
    EXPECT_EQ(bans[0].subject, "2001:db8:1:2::/64");
}

TEST(FailureTracker, SuccessForgivesOnlyThatIpsFailuresOnThatAccount) {
    FailureTracker t(limits(3, 3));
    auto office = ip("192.0.2.1");
    t.record_failure(office, "tim", kT0);  // tim mistypes twice
    t.record_failure(office, "tim", kT0 + 1s);
    t.record_success(office, "tim", kT0 + 2s);  // then gets it right: both counters forgive 2
    EXPECT_FALSE(t.record_failure(office, "tim", kT0 + 3s).ip_banned);
    EXPECT_FALSE(t.record_failure(office, "tim", kT0 + 4s).account_locked);
    EXPECT_TRUE(t.record_failure(office, "tim", kT0 + 5s).ip_banned);
}

TEST(FailureTracker, OwnLoginDoesNotResetGuessesAgainstOthers) {
    FailureTracker t(limits(3, 0));
    auto attacker = ip("198.51.100.9");
    t.record_failure(attacker, "victim", kT0);
    t.record_failure(attacker, "victim", kT0 + 1s);
    t.record_success(attacker, "attacker", kT0 + 2s);
    EXPECT_TRUE(t.record_failure(attacker, "victim", kT0 + 3s).ip_banned);
}

TEST(FailureTracker, SuccessFromOtherIpDoesNotUnlock) {
    FailureTracker t(limits(0, 3));
    t.record_failure(ip("198.51.100.9"), "tim", kT0);
    t.record_failure(ip("198.51.100.9"), "tim", kT0 + 1s);
    t.record_success(ip("192.0.2.1"), "tim", kT0 + 2s);
    EXPECT_TRUE(t.record_failure(ip("198.51.100.9"), "tim", kT0 + 3s).account_locked);
}

TEST(FailureTracker, ListAndLiftBans) {
    FailureTracker t(limits(1, 1));
    t.record_failure(ip("192.0.2.7"), "tim@example.com", kT0);
    auto bans = t.bans(kT0);
    ASSERT_EQ(bans.size(), 2u);
    EXPECT_EQ(bans[0].kind, Ban::Kind::ip);
    EXPECT_EQ(bans[0].subject, "192.0.2.7");
    EXPECT_EQ(bans[0].until, kT0 + 15min);
    EXPECT_EQ(bans[1].kind, Ban::Kind::account);
    EXPECT_EQ(bans[1].subject, "tim@example.com");
    EXPECT_TRUE(t.unban_ip(ip("192.0.2.7")));
    EXPECT_FALSE(t.unban_ip(ip("192.0.2.7")));
    EXPECT_TRUE(t.unban_account("tim@example.com"));
    EXPECT_FALSE(t.unban_account("tim@example.com"));
    EXPECT_TRUE(t.bans(kT0).empty());
    EXPECT_FALSE(t.ip_banned_until(ip("192.0.2.7"), kT0));
    EXPECT_TRUE(t.bans(kT0 + 16min).empty());
}

TEST(FailureTracker, MemoryIsBoundedAndBansSurviveAFlood) {
    auto l = limits(2, 0);
    l.max_entries = 64;
    FailureTracker t(l);
    auto banned = ip("192.0.2.1");
    t.record_failure(banned, "", kT0);
    t.record_failure(banned, "", kT0);
    for (std::uint32_t i = 0; i < 10'000; ++i) {
        t.record_failure(IpAddress::from_v4(0x0a000000 + i), "",
                         kT0 + std::chrono::milliseconds(i));
        ASSERT_LE(t.entry_count(), 64u);
    }
    EXPECT_TRUE(t.ip_banned_until(banned, kT0 + 1min));  // counters were evicted, not the ban
}

TEST(FailureTracker, StaleEntriesArePurged) {
    auto l = limits(5, 5);
    FailureTracker t(l);
    for (std::uint32_t i = 0; i < 100; ++i)
        t.record_failure(IpAddress::from_v4(i), "u" + std::to_string(i), kT0);
    EXPECT_EQ(t.entry_count(), 300u);
    t.record_failure(ip("192.0.2.1"), "", kT0 + 11min);  // later, after every window closed
    EXPECT_EQ(t.entry_count(), 1u);
}

TEST(FailureTracker, ConcurrentUse) {
    FailureTracker t(limits(50, 50));
    std::vector<std::thread> threads;
    for (int n = 0; n < 4; ++n) {
        threads.emplace_back([&, n] {
            for (std::uint32_t i = 0; i < 2000; ++i) {
                auto a = IpAddress::from_v4(i % 37);
                auto account = "u" + std::to_string(i % 11);
                auto now = kT0 + std::chrono::milliseconds(i);
                if (i % 5 == 0) {
                    t.record_success(a, account, now);
                } else {
                    t.record_failure(a, account, now);
                }
                t.ip_banned_until(a, now);
                if (n == 0 && i % 100 == 0)
                    t.bans(now);
            }
        });
    }
    for (auto& th : threads)
        th.join();
    EXPECT_LE(t.entry_count(), 37u + 11u + 37u * 11u);
}

TEST(FailureTracker, ProtocolErrorsBanTheIpForConnectionsOnly) {
    FailureTracker t(limits(3, 0));
    ProtocolErrorLimits p;
    p.max_sessions = 3;
    p.window = 10min;
    p.ban_time = 30min;
    t.configure_protocol_errors(p);
    auto a = ip("192.0.2.7");
    EXPECT_FALSE(t.record_protocol_error(a, kT0));
    EXPECT_FALSE(t.record_protocol_error(a, kT0 + 1min));
    EXPECT_FALSE(t.ip_blocked_until(a, kT0 + 1min));
    EXPECT_TRUE(t.record_protocol_error(a, kT0 + 2min));
    EXPECT_TRUE(t.ip_blocked_until(a, kT0 + 3min));
    EXPECT_FALSE(t.record_protocol_error(a, kT0 + 4min));  // already banned: no second ban
    EXPECT_FALSE(t.ip_banned_until(a, kT0 + 3min));        // logins are a separate ban
    EXPECT_FALSE(t.ip_blocked_until(ip("192.0.2.8"), kT0 + 3min));
    auto bans = t.bans(kT0 + 3min);
    ASSERT_EQ(bans.size(), 1u);
    EXPECT_EQ(bans[0].kind, Ban::Kind::protocol);
    EXPECT_EQ(bans[0].subject, "192.0.2.7");
    EXPECT_FALSE(t.ip_blocked_until(a, kT0 + 2min + 30min));  // the ban runs out
    // The window restarts the count, and an admin lifts a ban.
    EXPECT_FALSE(t.record_protocol_error(a, kT0 + 40min));
    EXPECT_FALSE(t.record_protocol_error(a, kT0 + 51min));
    EXPECT_FALSE(t.record_protocol_error(a, kT0 + 52min));
    EXPECT_TRUE(t.record_protocol_error(a, kT0 + 53min));
    EXPECT_TRUE(t.unban_ip(a));
    EXPECT_FALSE(t.ip_blocked_until(a, kT0 + 54min));
}

TEST(FailureTracker, ProtocolErrorsOffByDefaultAndIpv6CountsPerSlash64) {
    FailureTracker t(limits(3, 0));
    EXPECT_FALSE(t.record_protocol_error(ip("192.0.2.7"), kT0));
    EXPECT_EQ(t.entry_count(), 0u);
    ProtocolErrorLimits p;
    p.max_sessions = 2;
    t.configure_protocol_errors(p);
    EXPECT_FALSE(t.record_protocol_error(ip("2001:db8:1:2::1"), kT0));
    EXPECT_TRUE(t.record_protocol_error(ip("2001:db8:1:2::ffff"), kT0 + 1s));
    EXPECT_TRUE(t.ip_blocked_until(ip("2001:db8:1:2::99"), kT0 + 2s));
    EXPECT_FALSE(t.ip_blocked_until(ip("2001:db8:1:3::1"), kT0 + 2s));
}

}  // namespace
}  // namespace postern::auth
