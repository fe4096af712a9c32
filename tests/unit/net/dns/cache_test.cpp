// Cache tests with explicit time: expiry, counting-down TTLs, negative entries, LRU by size.
#include "net/dns/cache.h"

#include <gtest/gtest.h>

namespace postern::net::dns {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const SteadyTime kStart{seconds(1000)};

RecordSet addresses(std::string name, int n = 1) {
    RecordSet set;
    set.name = name;
    set.canonical_name = name;
    std::vector<IpAddress> v;
    for (int i = 0; i < n; ++i)
        v.push_back(IpAddress::from_v4(0xC0000200u + static_cast<unsigned>(i)));
    set.records = std::move(v);
    return set;
}

TEST(DnsCache, HitUntilExpiryWithCountingDownTtl) {
    Cache cache(1 << 20);
    cache.insert("example.test", RecordType::a, addresses("example.test"), seconds(300), kStart);
    auto hit = cache.find("example.test", RecordType::a, kStart);
    ASSERT_TRUE(hit && hit->has_value());
    EXPECT_EQ((*hit)->ttl, 300u);
    EXPECT_EQ((*cache.find("example.test", RecordType::a, kStart + milliseconds(100500)))->ttl,
              200u);  // rounded up
    EXPECT_EQ((*cache.find("example.test", RecordType::a, kStart + milliseconds(299999)))->ttl, 1u);
    EXPECT_FALSE(cache.find("example.test", RecordType::a, kStart + seconds(300)));
    EXPECT_EQ(cache.entries(), 0u);  // the expired entry went on lookup
}

TEST(DnsCache, KeyedByNameAndType) {
    Cache cache(1 << 20);
    cache.insert("example.test", RecordType::a, addresses("example.test"), seconds(60), kStart);
    EXPECT_FALSE(cache.find("example.test", RecordType::aaaa, kStart));
    EXPECT_FALSE(cache.find("other.test", RecordType::a, kStart));
    EXPECT_TRUE(cache.find("example.test", RecordType::a, kStart));
}

TEST(DnsCache, ZeroTtlIsNotStoredAndReplaces) {
    Cache cache(1 << 20);
    cache.insert("example.test", RecordType::a, addresses("example.test"), seconds(60), kStart);
    cache.insert("example.test", RecordType::a, addresses("example.test", 2), seconds(0), kStart);
    EXPECT_FALSE(cache.find("example.test", RecordType::a, kStart));
    EXPECT_EQ(cache.bytes(), 0u);
}

TEST(DnsCache, NegativeEntriesKeepTheirKind) {
    Cache cache(1 << 20);
    cache.insert("nx.test", RecordType::a, dns_fail(DnsErrc::nxdomain, "gone", 60), seconds(60),
                 kStart);
    auto hit = cache.find("nx.test", RecordType::a, kStart + seconds(10));
    ASSERT_TRUE(hit);
    ASSERT_FALSE(hit->has_value());
    EXPECT_EQ(hit->error().code, DnsErrc::nxdomain);
    EXPECT_EQ(hit->error().ttl, 50u);
}

TEST(DnsCache, EvictsLeastRecentlyUsedToStayWithinBudget) {
    auto one = approximate_size(addresses("n00.test")) + 200;  // generous per-entry estimate
    Cache cache(one * 4);
    for (int i = 0; i < 4; ++i) {
        std::string name = "n0" + std::to_string(i) + ".test";
        cache.insert(name, RecordType::a, addresses(name), seconds(60), kStart);
    }
    ASSERT_GE(cache.entries(), 3u);
    std::size_t before = cache.entries();
    // Touch the oldest so that the second oldest is the one to go.
    ASSERT_TRUE(cache.find("n00.test", RecordType::a, kStart));
    cache.insert("n99.test", RecordType::a, addresses("n99.test"), seconds(60), kStart);
    EXPECT_LE(cache.bytes(), one * 4);
    EXPECT_GE(cache.evictions(), 1u);
    EXPECT_TRUE(cache.find("n00.test", RecordType::a, kStart));
    EXPECT_FALSE(cache.find("n01.test", RecordType::a, kStart));
    EXPECT_TRUE(cache.find("n99.test", RecordType::a, kStart));
    EXPECT_LE(cache.entries(), before);
}

TEST(DnsCache, EntryLargerThanTheBudgetIsNotStored) {
    Cache cache(1024);
    cache.insert("big.test", RecordType::a, addresses("big.test", 500), seconds(60), kStart);
    EXPECT_EQ(cache.entries(), 0u);
    cache.insert("small.test", RecordType::a, addresses("small.test"), seconds(60), kStart);
    EXPECT_EQ(cache.entries(), 1u);
}

TEST(DnsCache, Clear) {
    Cache cache(1 << 20);
    cache.insert("example.test", RecordType::a, addresses("example.test"), seconds(60), kStart);
    cache.clear();
    EXPECT_EQ(cache.entries(), 0u);
    EXPECT_EQ(cache.bytes(), 0u);
    EXPECT_FALSE(cache.find("example.test", RecordType::a, kStart));
}

}  // namespace
}  // namespace postern::net::dns
