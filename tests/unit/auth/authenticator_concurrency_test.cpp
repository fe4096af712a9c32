// Many threads authenticating at once: results stay right, identical checks share one hash,
// and reloads, password changes and admin calls can happen meanwhile. Run under the sanitizer
// build to catch memory errors; counts here are exact, not timing-dependent.
#include <latch>
#include <thread>

#include <gtest/gtest.h>

#include "auth/authenticator.h"
#include "auth_fixture.h"

namespace postern::auth {
namespace {

using namespace std::string_literals;

class ConcurrencyTest : public testing::AuthFixture {};

TEST_F(ConcurrencyTest, LoginStormForOneAccountCostsOneHash) {
    constexpr int kClients = 64;
    auth();  // created before the threads share it
    std::latch done(kClients);
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kClients / 8; ++i) {
                auto addr = "192.0.2." + std::to_string(t * 8 + i + 1);
                auth().check_password({"tim@example.com", "tanstaaftanstaaf", client("imap", addr)},
                                      [&](AuthResult r) {
                                          if (r.ok())
                                              ++ok;
                                          done.count_down();
                                      });
            }
        });
    }
    for (auto& th : threads)
        th.join();
    done.wait();
    EXPECT_EQ(ok, kClients);
    auto stats = auth().stats();
    // Requests that arrive while the first is hashing wait for its verdict; later ones hit
    // the cache it filled. Either way the password is hashed once.
    EXPECT_EQ(stats.hash_verifications, 1u);
    EXPECT_EQ(stats.cache_hits + stats.coalesced, static_cast<std::uint64_t>(kClients - 1))
        << "hits " << stats.cache_hits << " coalesced " << stats.coalesced << " hashes "
        << stats.hash_verifications;
}

TEST_F(ConcurrencyTest, MixedTrafficWithReloadsAndAdminCalls) {
    cfg_.ip_max_failures = 0;  // many failures on purpose; keep results independent of order
    cfg_.account_max_failures = 0;
    auth();
    constexpr int kThreads = 6, kPerThread = 40;
    std::atomic<int> wrong_results{0}, callbacks{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                int kind = (t + i) % 4;
                auto addr = "198.51.100." + std::to_string(1 + (t * kPerThread + i) % 200);
                if (kind == 3) {
                    // A SASL exchange driven step by step from this thread.
                    auto exchange = auth().start_sasl({"PLAIN", client("imap", addr)});
                    ASSERT_TRUE(exchange);
                    auto reply = step(**exchange, "\0tim@example.com\0tanstaaftanstaaf"s);
                    if (!std::get<SaslOutcome>(reply).result.ok())
                        ++wrong_results;
                    ++callbacks;
                    continue;
                }
                std::string login = kind == 0   ? "tim@example.com"
                                    : kind == 1 ? "nobody@example.com"
                                                : "old@example.com";
                std::string password = kind == 0 ? "tanstaaftanstaaf" : kind == 1 ? "x" : "legacy";
                auto r = check(login, password, client("imap", addr));
                bool expected_ok = kind != 1;
                if (r.ok() != expected_ok)
                    ++wrong_results;
                ++callbacks;
            }
        });
    }
    // Meanwhile: reloads (pool size, cache size), cache invalidation and admin views.
    std::thread admin([&] {
        for (int i = 0; i < 20; ++i) {
            auto cfg = cfg_;
            cfg.hash_threads = 1 + i % 3;
            cfg.cache_size = i % 2 ? 10 : 10000;
            auth().update(cfg);
            auth().password_changed(kTim);
            auth().bans();
            auth().unban_ip(testing::ip("198.51.100.7"));
            std::this_thread::yield();
        }
    });
    for (auto& th : threads)
        th.join();
    admin.join();
    EXPECT_EQ(wrong_results, 0);
    EXPECT_EQ(callbacks, kThreads * kPerThread);
    // The imported hash was upgraded once, however many logins raced for it.
    ASSERT_TRUE(
        eventually([&] { return hash_scheme(directory_.get(kOld)->secrets.hash) == "ARGON2ID"; }));
    EXPECT_TRUE(eventually([&] { return auth().stats().upgrades >= 1; }));
}

TEST_F(ConcurrencyTest, DestroyingWithWorkInFlightAnswersEveryCallback) {
    cfg_.hash_threads = 1;
    std::atomic<int> answered{0};
    constexpr int kRequests = 50;
    {
        auth();
        for (int i = 0; i < kRequests; ++i) {
            auth().check_password({"tim@example.com", "pw" + std::to_string(i), client()},
                                  [&](AuthResult) { ++answered; });
        }
        auth_.reset();  // waits for the running job, answers queued ones with temporary_failure
    }
    EXPECT_EQ(answered, kRequests);
}

}  // namespace
}  // namespace postern::auth
