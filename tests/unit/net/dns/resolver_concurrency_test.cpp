// Concurrency: identical questions coalesced into one upstream query, many threads at once,
// callbacks that start lookups, and shutdown with queries in flight.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "net/dns/mx.h"
#include "resolver_fixture.h"

namespace postern::net::dns::testing {
namespace {

// Polls `condition` until true (bounded, so a bug fails instead of hanging).
template <class F>
bool eventually(F condition) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::yield();
    }
    return true;
}

// Counts callbacks and remembers their results.
class Collector {
  public:
    template <class T>
    Callback<T> callback(std::function<void(DnsResult<T>&)> check = {}) {
        return [this, check = std::move(check)](DnsResult<T> r) mutable {
            if (check)
                check(r);
            std::lock_guard lock(mutex_);
            ++calls_;
            if (!r)
                errors_.push_back(r.error().code);
            done_.notify_all();
        };
    }
    bool wait_for(int n) {
        std::unique_lock lock(mutex_);
        return done_.wait_for(lock, std::chrono::seconds(60), [&] { return calls_ >= n; });
    }
    int calls() {
        std::lock_guard lock(mutex_);
        return calls_;
    }
    std::vector<DnsErrc> errors() {
        std::lock_guard lock(mutex_);
        return errors_;
    }

  private:
    std::mutex mutex_;
    std::condition_variable done_;
    int calls_ = 0;
    std::vector<DnsErrc> errors_;
};

TEST_F(ResolverTest, IdenticalConcurrentQueriesMakeOneUpstreamQuery) {
    // A long timeout: the held answer must not make c-ares retry while the test waits.
    make([](ResolverOptions& o) { o.timeout = std::chrono::seconds(20); });
    constexpr int kThreads = 16;
    Collector collector;
    std::atomic<int> right{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&] {
            resolver_->lookup_a(
                "hold.example.test",
                collector.callback<AddressAnswer>([&](DnsResult<AddressAnswer>& r) {
                    if (r && r->records.size() == 1 && r->records[0].to_string() == "192.0.2.40")
                        ++right;
                }));
        });
    }
    for (auto& t : threads)
        t.join();
    // Every lookup has registered (lookup() returns after that); the server holds the answer.
    auto s = resolver_->stats();
    EXPECT_EQ(s.misses, static_cast<std::uint64_t>(kThreads));
    EXPECT_EQ(s.coalesced, static_cast<std::uint64_t>(kThreads - 1));
    EXPECT_EQ(s.upstream_queries, 1u);
    EXPECT_EQ(s.in_flight, 1u);
    ASSERT_TRUE(eventually([] { return server().count("hold.example.test") >= 1; }));
    EXPECT_EQ(collector.calls(), 0);
    server().release("hold.example.test");
    ASSERT_TRUE(collector.wait_for(kThreads));
    EXPECT_EQ(right.load(), kThreads);
    EXPECT_EQ(server().count("hold.example.test"), 1);
    EXPECT_EQ(resolver_->stats().in_flight, 0u);
}

TEST_F(ResolverTest, ManyThreadsAtOnce) {
    struct Expect {
        const char* name;
        RecordType type;
        std::size_t records;  // 0: an error is expected
    };
    const Expect cases[] = {
        {"example.test", RecordType::a, 1},       {"example.test", RecordType::mx, 2},
        {"example.test", RecordType::txt, 2},     {"multi.example.test", RecordType::a, 3},
        {"www.example.test", RecordType::a, 1},   {"mx1.example.test", RecordType::aaaa, 1},
        {"nx.example.test", RecordType::a, 0},    {"empty.example.test", RecordType::txt, 0},
        {"short.example.test", RecordType::a, 1}, {"fail.example.test", RecordType::a, 0},
    };
    constexpr int kThreads = 8;
    constexpr int kPerThread = 1500;
    std::atomic<int> wrong{0};
    Collector collector;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                const auto& c = cases[static_cast<std::size_t>(t + i) % std::size(cases)];
                resolver_->lookup(
                    c.name, c.type, collector.callback<RecordSet>([&, c](DnsResult<RecordSet>& r) {
                        std::size_t n = 0;
                        if (r)
                            n = std::visit([](const auto& v) { return v.size(); }, r->records);
                        if (n != c.records)
                            ++wrong;
                    }));
                if (i % 300 == 0)
                    clock_.advance(std::chrono::seconds(1));  // let short TTLs expire
            }
        });
    }
    for (auto& t : threads)
        t.join();
    ASSERT_TRUE(collector.wait_for(kThreads * kPerThread));
    EXPECT_EQ(wrong.load(), 0);
    auto s = resolver_->stats();
    EXPECT_EQ(s.hits + s.misses, static_cast<std::uint64_t>(kThreads * kPerThread));
    EXPECT_LT(s.upstream_queries, 200u);  // the cache and coalescing answered almost all
}

TEST_F(ResolverTest, CallbacksMayStartLookups) {
    Collector collector;
    resolver_->lookup_mx("example.test", [&](DnsResult<MxAnswer> r) {
        ASSERT_TRUE(r);
        for (const auto& m : r->records)
            resolver_->lookup_a(m.exchange, collector.callback<AddressAnswer>());
    });
    ASSERT_TRUE(collector.wait_for(2));
    EXPECT_TRUE(collector.errors().empty());
}

TEST_F(ResolverTest, ShutdownCancelsQueriesInFlightExactlyOnce) {
    make([](ResolverOptions& o) { o.timeout = std::chrono::seconds(20); });
    std::vector<std::unique_ptr<std::atomic<int>>> calls;
    std::vector<std::unique_ptr<std::atomic<int>>> cancelled;
    auto track = [&]() {
        calls.push_back(std::make_unique<std::atomic<int>>(0));
        cancelled.push_back(std::make_unique<std::atomic<int>>(0));
        return std::pair{calls.back().get(), cancelled.back().get()};
    };
    for (int i = 0; i < 5; ++i) {
        auto [n, c] = track();
        resolver_->lookup_a("hold2.example.test", [n, c](DnsResult<AddressAnswer> r) {
            ++*n;
            if (!r && r.error().code == DnsErrc::cancelled)
                ++*c;
        });
        auto [n2, c2] = track();
        resolver_->lookup_a("dead.example.test", [n2, c2](DnsResult<AddressAnswer> r) {
            ++*n2;
            if (!r && r.error().code == DnsErrc::cancelled)
                ++*c2;
        });
    }
    {
        // A composite lookup whose second step would start during the shutdown.
        auto [n, c] = track();
        resolve_mx_hosts(*resolver_, "tempmx.example.test", [n, c](DnsResult<MxHosts> r) {
            ++*n;
            if (!r && r.error().code == DnsErrc::cancelled)
                ++*c;
        });
    }
    ASSERT_TRUE(eventually([] { return server().count("hold2.example.test") >= 1; }));
    resolver_->shutdown();
    // shutdown() returns after every cancellation callback has run.
    for (std::size_t i = 0; i < calls.size(); ++i) {
        EXPECT_EQ(calls[i]->load(), 1) << i;
        EXPECT_EQ(cancelled[i]->load(), 1) << i;
    }
    auto after = a("example.test");
    ASSERT_FALSE(after);
    EXPECT_EQ(after.error().code, DnsErrc::cancelled);
    resolver_->shutdown();  // idempotent
    resolver_.reset();
    for (std::size_t i = 0; i < calls.size(); ++i)
        EXPECT_EQ(calls[i]->load(), 1) << i;
    server().release("hold2.example.test");
}

TEST_F(ResolverTest, DestroyingTheResolverCancelsToo) {
    make([](ResolverOptions& o) { o.timeout = std::chrono::seconds(20); });
    std::atomic<int> calls{0};
    DnsErrc code = DnsErrc::nxdomain;
    resolver_->lookup_a("dead.example.test", [&](DnsResult<AddressAnswer> r) {
        ++calls;
        if (!r)
            code = r.error().code;
    });
    resolver_.reset();
    EXPECT_EQ(calls.load(), 1);
    EXPECT_EQ(code, DnsErrc::cancelled);
}

}  // namespace
}  // namespace postern::net::dns::testing
