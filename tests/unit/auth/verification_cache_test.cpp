#include "auth/verification_cache.h"

#include <thread>

#include <gtest/gtest.h>

namespace postern::auth {
namespace {

using namespace std::chrono_literals;
using Clock = VerificationCache::Clock;

TEST(VerificationCache, KeysDependOnLoginAndPasswordAndInstance) {
    VerificationCache cache(10, 60s);
    auto k = cache.key_for("tim@example.com", "pw");
    EXPECT_EQ(cache.key_for("tim@example.com", "pw"), k);
    EXPECT_NE(cache.key_for("tim@example.com", "pW"), k);
    EXPECT_NE(cache.key_for("tim@example.co", "mpw"), k);  // the NUL separator matters
    VerificationCache other(10, 60s);
    EXPECT_NE(other.key_for("tim@example.com", "pw"), k);  // per-instance random key
}

TEST(VerificationCache, HitWhileAccountGenerationAndTtlMatch) {
    VerificationCache cache(10, 60s);
    auto t0 = Clock::time_point{} + 1h;
    auto k = cache.key_for("tim", "pw");
    EXPECT_FALSE(cache.contains(k, 1, 7, t0));
    cache.insert(k, 1, 7, t0);
    EXPECT_TRUE(cache.contains(k, 1, 7, t0));
    EXPECT_TRUE(cache.contains(k, 1, 7, t0 + 59s));
    EXPECT_FALSE(cache.contains(k, 1, 7, t0 + 60s));  // expired, and dropped
    EXPECT_EQ(cache.size(), 0u);
}

TEST(VerificationCache, GenerationOrAccountMismatchDropsTheEntry) {
    VerificationCache cache(10, 60s);
    auto t0 = Clock::time_point{} + 1h;
    auto k = cache.key_for("tim", "pw");
    cache.insert(k, 1, 7, t0);
    EXPECT_FALSE(cache.contains(k, 1, 8, t0));  // password changed since
    EXPECT_FALSE(cache.contains(k, 1, 7, t0));  // and the stale entry is gone
    cache.insert(k, 1, 7, t0);
    EXPECT_FALSE(cache.contains(k, 2, 7, t0));  // the login now names another account
}

TEST(VerificationCache, InvalidateDropsOnlyThatAccount) {
    VerificationCache cache(10, 60s);
    auto t0 = Clock::time_point{} + 1h;
    auto a1 = cache.key_for("tim", "pw"), a2 = cache.key_for("tim-alias", "pw");
    auto b = cache.key_for("ann", "pw");
    cache.insert(a1, 1, 1, t0);
    cache.insert(a2, 1, 1, t0);
    cache.insert(b, 2, 1, t0);
    cache.invalidate(1);
    EXPECT_FALSE(cache.contains(a1, 1, 1, t0));
    EXPECT_FALSE(cache.contains(a2, 1, 1, t0));
    EXPECT_TRUE(cache.contains(b, 2, 1, t0));
}

TEST(VerificationCache, EvictsLeastRecentlyUsed) {
    VerificationCache cache(3, 60s);
    auto t0 = Clock::time_point{} + 1h;
    std::vector<VerificationCache::Key> keys;
    for (int i = 0; i < 4; ++i)
        keys.push_back(cache.key_for("user" + std::to_string(i), "pw"));
    for (int i = 0; i < 3; ++i)
        cache.insert(keys[i], i, 0, t0);
    EXPECT_TRUE(cache.contains(keys[0], 0, 0, t0));  // 0 is now the most recent; 1 the least
    cache.insert(keys[3], 3, 0, t0);
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_FALSE(cache.contains(keys[1], 1, 0, t0));
    EXPECT_TRUE(cache.contains(keys[0], 0, 0, t0));
    EXPECT_TRUE(cache.contains(keys[2], 2, 0, t0));
    EXPECT_TRUE(cache.contains(keys[3], 3, 0, t0));
}

TEST(VerificationCache, ReinsertRefreshes) {
    VerificationCache cache(2, 60s);
    auto t0 = Clock::time_point{} + 1h;
    auto k = cache.key_for("tim", "pw");
    cache.insert(k, 1, 1, t0);
    cache.insert(k, 1, 2, t0 + 30s);
    EXPECT_EQ(cache.size(), 1u);
    EXPECT_TRUE(cache.contains(k, 1, 2, t0 + 80s));
}

TEST(VerificationCache, ConfigureShrinksAndDisables) {
    VerificationCache cache(10, 60s);
    auto t0 = Clock::time_point{} + 1h;
    for (int i = 0; i < 10; ++i)
        cache.insert(cache.key_for(std::to_string(i), "pw"), i, 0, t0);
    cache.configure(4, 60s);
    EXPECT_EQ(cache.size(), 4u);
    EXPECT_TRUE(cache.contains(cache.key_for("9", "pw"), 9, 0, t0));  // the most recent stay
    EXPECT_FALSE(cache.contains(cache.key_for("0", "pw"), 0, 0, t0));
    cache.configure(4, 10s);  // a shorter TTL applies to existing entries too
    EXPECT_FALSE(cache.contains(cache.key_for("9", "pw"), 9, 0, t0 + 10s));
    cache.configure(0, 60s);
    EXPECT_EQ(cache.size(), 0u);
    cache.insert(cache.key_for("x", "pw"), 1, 0, t0);
    EXPECT_EQ(cache.size(), 0u);
    VerificationCache no_ttl(10, 0s);
    no_ttl.insert(no_ttl.key_for("x", "pw"), 1, 0, t0);
    EXPECT_FALSE(no_ttl.contains(no_ttl.key_for("x", "pw"), 1, 0, t0));
}

TEST(VerificationCache, ConcurrentUseStaysBounded) {
    VerificationCache cache(64, 60s);
    auto t0 = Clock::time_point{} + 1h;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 2000; ++i) {
                auto k = cache.key_for("u" + std::to_string((i * 7 + t) % 100), "pw");
                if (!cache.contains(k, i % 100, 0, t0))
                    cache.insert(k, i % 100, 0, t0);
                if (i % 500 == 0)
                    cache.invalidate(t);
            }
        });
    }
    for (auto& th : threads)
        th.join();
    EXPECT_LE(cache.size(), 64u);
}

}  // namespace
}  // namespace postern::auth
