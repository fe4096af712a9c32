// MX resolution (RFC 5321 §5.1, RFC 7505) against the test server, and the ordering step alone.
#include "net/dns/mx.h"

#include <map>
#include <set>

#include <gtest/gtest.h>

#include "resolver_fixture.h"

namespace postern::net::dns::testing {
namespace {

using Strings = std::vector<std::string>;

class MxTest : public ResolverTest {
  protected:
    DnsResult<MxHosts> hosts(const std::string& domain, MxOptions options = {}) {
        return wait_result<MxHosts>([&](Callback<MxHosts> cb) {
            resolve_mx_hosts(*resolver_, domain, std::move(cb), options);
        });
    }
    static Strings names(const MxHosts& h) {
        Strings out;
        for (const auto& host : h.hosts)
            out.push_back(host.name);
        return out;
    }
};

TEST(MxOrder, SortsDropsNullAndDuplicatesAndCaps) {
    std::vector<MxRecord> records = {
        {20, "b.test"}, {0, ""}, {10, "a.test"}, {30, "a.test"}, {5, "c.test"}};
    auto ordered = order_mx(records, 10);
    ASSERT_EQ(ordered.size(), 3u);
    EXPECT_EQ(ordered[0], (MxRecord{5, "c.test"}));
    EXPECT_EQ(ordered[1], (MxRecord{10, "a.test"}));  // its lowest preference kept
    EXPECT_EQ(ordered[2], (MxRecord{20, "b.test"}));
    EXPECT_EQ(order_mx(records, 2).size(), 2u);
}

TEST(MxOrder, EqualPreferencesInEveryOrder) {
    std::vector<MxRecord> records = {{10, "a"}, {10, "b"}, {10, "c"}, {5, "first"}, {20, "last"}};
    std::map<std::string, int> seen;
    for (int i = 0; i < 600; ++i) {
        auto o = order_mx(records, 10);
        ASSERT_EQ(o.front().exchange, "first");
        ASSERT_EQ(o.back().exchange, "last");
        seen[o[1].exchange + o[2].exchange + o[3].exchange]++;
    }
    // All six orders of a, b, c show up, none overwhelmingly (each expected ~100 times).
    ASSERT_EQ(seen.size(), 6u);
    for (const auto& [order, n] : seen)
        EXPECT_GT(n, 40) << order;
}

TEST_F(MxTest, HostsWithAddressesInPreferenceOrder) {
    auto r = hosts("example.test");
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_FALSE(r->implicit);
    EXPECT_EQ(r->domain, "example.test");
    ASSERT_EQ(r->hosts.size(), 2u);
    EXPECT_EQ(r->hosts[0].name, "mx1.example.test");
    EXPECT_EQ(r->hosts[0].preference, 10);
    EXPECT_EQ(strings(r->hosts[0].addresses), (Strings{"192.0.2.10", "2001:db8::10"}));
    EXPECT_EQ(r->hosts[1].name, "mx2.example.test");
    EXPECT_EQ(strings(r->hosts[1].addresses), Strings{"192.0.2.20"});
    EXPECT_FALSE(r->hosts[1].error);
    EXPECT_EQ(r->ttl, 300u);
}

TEST_F(MxTest, EqualPreferencesRandomisedOnEveryCall) {
    std::set<Strings> orders;
    for (int i = 0; i < 200; ++i) {
        auto r = hosts("equal.example.test");
        ASSERT_TRUE(r) << r.error().to_string();
        auto n = names(*r);
        ASSERT_EQ(n.size(), 5u);
        EXPECT_EQ(n.front(), "first.mx.example.test");
        EXPECT_EQ(n.back(), "last.mx.example.test");  // a.mx at 30 was a duplicate
        orders.insert(n);
    }
    EXPECT_EQ(orders.size(), 6u);
    EXPECT_EQ(server().count("equal.example.test", "MX"), 1);  // reordered from the cache
}

TEST_F(MxTest, ImplicitMx) {
    auto r = hosts("implicit.example.test");
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_TRUE(r->implicit);
    ASSERT_EQ(r->hosts.size(), 1u);
    EXPECT_EQ(r->hosts[0].name, "implicit.example.test");
    EXPECT_EQ(r->hosts[0].preference, 0);
    EXPECT_EQ(strings(r->hosts[0].addresses), (Strings{"192.0.2.30", "2001:db8::30"}));

    auto none = hosts("nomail.example.test");  // exists, no MX, no address
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, DnsErrc::nodata);
}

TEST_F(MxTest, NullMx) {
    auto r = hosts("nullmx.example.test");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, DnsErrc::no_mail);
    EXPECT_FALSE(is_temporary(r.error().code));

    auto mixed = hosts("nullmx-mixed.example.test");
    ASSERT_TRUE(mixed);
    EXPECT_EQ(names(*mixed), Strings{"mx2.example.test"});
}

TEST_F(MxTest, MissingDomainAndCname) {
    auto nx = hosts("nx.example.test");
    ASSERT_FALSE(nx);
    EXPECT_EQ(nx.error().code, DnsErrc::nxdomain);

    auto viacname = hosts("cnamemx.example.test");
    ASSERT_TRUE(viacname);
    EXPECT_EQ(names(*viacname), (Strings{"mx1.example.test", "mx2.example.test"}));

    auto bad = hosts("bad..name");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, DnsErrc::invalid_name);
}

TEST_F(MxTest, HostsWithoutAddresses) {
    auto none = hosts("noaddr.example.test");
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, DnsErrc::nodata);

    auto partial = hosts("partial.example.test");  // first MX never answers, second works
    ASSERT_TRUE(partial) << partial.error().to_string();
    ASSERT_EQ(partial->hosts.size(), 2u);
    EXPECT_TRUE(partial->hosts[0].addresses.empty());
    ASSERT_TRUE(partial->hosts[0].error);
    EXPECT_EQ(partial->hosts[0].error->code, DnsErrc::timeout);
    EXPECT_EQ(strings(partial->hosts[1].addresses), Strings{"192.0.2.20"});

    auto temp = hosts("tempmx.example.test");
    ASSERT_FALSE(temp);
    EXPECT_EQ(temp.error().code, DnsErrc::timeout);
    EXPECT_TRUE(is_temporary(temp.error().code));
}

TEST_F(MxTest, AddressFamiliesAndHostLimit) {
    MxOptions v4only;
    v4only.ipv6 = false;
    auto r = hosts("example.test", v4only);
    ASSERT_TRUE(r);
    EXPECT_EQ(strings(r->hosts[0].addresses), Strings{"192.0.2.10"});
    EXPECT_EQ(server().count("mx1.example.test", "AAAA"), 0);

    MxOptions one;
    one.max_hosts = 1;
    auto first = hosts("example.test", one);
    ASSERT_TRUE(first);
    EXPECT_EQ(names(*first), Strings{"mx1.example.test"});

    MxOptions v6only;
    v6only.ipv4 = false;
    auto six = hosts("equal.example.test", v6only);
    ASSERT_TRUE(six);
    EXPECT_EQ(strings(six->hosts.front().addresses), Strings{"2001:db8::100"});
    EXPECT_TRUE(six->hosts[1].error);  // a/b/c.mx have no AAAA
}

}  // namespace
}  // namespace postern::net::dns::testing
