// The resolver against a real DNS server (tests/e2e/dns_server.py): every record type, TTL
// and negative caching on a manual clock, temporary failures, TCP fallback, hostile answers.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "resolver_fixture.h"

namespace postern::net::dns::testing {
namespace {

using std::chrono::seconds;
using Strings = std::vector<std::string>;

TEST_F(ResolverTest, AddressRecords) {
    auto r = a("example.test");
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(strings(r->records), Strings{"192.0.2.1"});
    EXPECT_EQ(r->ttl, 300u);
    EXPECT_EQ(r->name, "example.test");
    EXPECT_EQ(r->canonical_name, "example.test");

    auto v6 = aaaa("Example.Test.");
    ASSERT_TRUE(v6);
    EXPECT_EQ(strings(v6->records), Strings{"2001:db8::1"});

    auto multi = a("multi.example.test");
    ASSERT_TRUE(multi);
    EXPECT_EQ(strings(multi->records), (Strings{"192.0.2.51", "192.0.2.52", "192.0.2.53"}));
}

TEST_F(ResolverTest, MxTxtPtrCname) {
    auto m = mx("example.test");
    ASSERT_TRUE(m);
    ASSERT_EQ(m->records.size(), 2u);
    EXPECT_EQ(m->records[0], (MxRecord{10, "mx1.example.test"}));
    EXPECT_EQ(m->records[1], (MxRecord{20, "mx2.example.test"}));

    auto t = txt("example.test");
    ASSERT_TRUE(t);
    ASSERT_EQ(t->records.size(), 2u);
    EXPECT_EQ(t->records[0].strings, Strings{"v=spf1 ip4:192.0.2.0/24 -all"});
    EXPECT_EQ(t->records[1].strings, (Strings{"hello ", "world"}));  // separate strings
    EXPECT_EQ(t->records[1].joined(), "hello world");                // and joined

    auto p = wait_result<NameAnswer>([&](Callback<NameAnswer> cb) {
        resolver_->lookup_ptr(*IpAddress::parse("192.0.2.10"), std::move(cb));
    });
    ASSERT_TRUE(p);
    EXPECT_EQ(p->records, Strings{"mx1.example.test"});
    EXPECT_EQ(p->name, "10.2.0.192.in-addr.arpa");

    auto p6 = wait_result<NameAnswer>([&](Callback<NameAnswer> cb) {
        resolver_->lookup_ptr(*IpAddress::parse("2001:db8::1"), std::move(cb));
    });
    ASSERT_TRUE(p6);
    EXPECT_EQ(p6->records, Strings{"example.test"});

    auto c = wait_result<NameAnswer>([&](Callback<NameAnswer> cb) {
        resolver_->lookup_cname("www.example.test", std::move(cb));
    });
    ASSERT_TRUE(c);
    EXPECT_EQ(c->records, Strings{"example.test"});
}

TEST_F(ResolverTest, PositiveAnswersAreCachedForTheirTtl) {
    ASSERT_TRUE(a("example.test"));
    auto again = a("EXAMPLE.test.");  // the same key after normalisation
    ASSERT_TRUE(again);
    EXPECT_EQ(server().count("example.test"), 1);
    clock_.advance(seconds(100));
    auto later = a("example.test");
    ASSERT_TRUE(later);
    EXPECT_EQ(later->ttl, 200u);  // counts down
    clock_.advance(seconds(199));
    EXPECT_EQ(a("example.test")->ttl, 1u);
    EXPECT_EQ(server().count("example.test"), 1);
    clock_.advance(seconds(1));
    auto fresh = a("example.test");
    ASSERT_TRUE(fresh);
    EXPECT_EQ(fresh->ttl, 300u);
    EXPECT_EQ(server().count("example.test"), 2);

    auto s = resolver_->stats();
    EXPECT_EQ(s.hits, 3u);
    EXPECT_EQ(s.misses, 2u);
    EXPECT_EQ(s.upstream_queries, 2u);
}

TEST_F(ResolverTest, TtlCappedByMaxTtlAndZeroTtlNotCached) {
    make([](ResolverOptions& o) { o.max_ttl = seconds(3600); });
    auto r = a("capped.example.test");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->ttl, 3600u);
    clock_.advance(seconds(3600));
    ASSERT_TRUE(a("capped.example.test"));
    EXPECT_EQ(server().count("capped.example.test"), 2);

    ASSERT_TRUE(a("zero.example.test"));
    ASSERT_TRUE(a("zero.example.test"));
    EXPECT_EQ(server().count("zero.example.test"), 2);
}

TEST_F(ResolverTest, NxdomainAndNodataAreCachedByTheSoa) {
    auto nx = a("nx.example.test");
    ASSERT_FALSE(nx);
    EXPECT_EQ(nx.error().code, DnsErrc::nxdomain);
    EXPECT_EQ(nx.error().ttl, 60u);  // min(SOA TTL 3600, MINIMUM 60)
    EXPECT_FALSE(is_temporary(nx.error().code));

    auto nodata = mx("mx1.example.test");
    ASSERT_FALSE(nodata);
    EXPECT_EQ(nodata.error().code, DnsErrc::nodata);
    auto empty = a("empty.example.test");
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.error().code, DnsErrc::nodata);
    // An ancestor of existing names exists (RFC 8020): NODATA, not NXDOMAIN.
    auto ent = a("mx.example.test");
    ASSERT_FALSE(ent);
    EXPECT_EQ(ent.error().code, DnsErrc::nodata);

    clock_.advance(seconds(59));
    EXPECT_EQ(a("nx.example.test").error().code, DnsErrc::nxdomain);
    EXPECT_EQ(mx("mx1.example.test").error().code, DnsErrc::nodata);
    EXPECT_EQ(server().count("nx.example.test"), 1);
    EXPECT_EQ(server().count("mx1.example.test", "MX"), 1);
    EXPECT_GE(resolver_->stats().negative_hits, 2u);

    clock_.advance(seconds(1));
    EXPECT_EQ(a("nx.example.test").error().code, DnsErrc::nxdomain);
    EXPECT_EQ(server().count("nx.example.test"), 2);
}

TEST_F(ResolverTest, NegativeTtlCapAndNoSoa) {
    make([](ResolverOptions& o) { o.negative_ttl_max = seconds(10); });
    EXPECT_EQ(a("nx.example.test").error().ttl, 10u);
    clock_.advance(seconds(10));
    EXPECT_EQ(a("nx.example.test").error().code, DnsErrc::nxdomain);
    EXPECT_EQ(server().count("nx.example.test"), 2);

    // Without an SOA in the answer there is nothing to bound it: not cached (RFC 2308 §5).
    auto nosoa = a("y.nosoa.test");
    ASSERT_FALSE(nosoa);
    EXPECT_EQ(nosoa.error().code, DnsErrc::nxdomain);
    EXPECT_EQ(nosoa.error().ttl, 0u);
    ASSERT_FALSE(a("y.nosoa.test"));
    EXPECT_EQ(server().count("y.nosoa.test"), 2);
}

TEST_F(ResolverTest, CnameChains) {
    auto www = a("www.example.test");
    ASSERT_TRUE(www);
    EXPECT_EQ(strings(www->records), Strings{"192.0.2.1"});
    EXPECT_EQ(www->canonical_name, "example.test");
    EXPECT_EQ(www->ttl, 100u);

    auto chain = a("chain1.example.test");
    ASSERT_TRUE(chain);
    EXPECT_EQ(chain->ttl, 50u);

    auto dangling = a("dangling.example.test");
    ASSERT_FALSE(dangling);
    EXPECT_EQ(dangling.error().code, DnsErrc::nxdomain);
    EXPECT_NE(dangling.error().message.find("missing.example.test"), std::string::npos);

    auto nodata = a("cname-nodata.example.test");
    ASSERT_FALSE(nodata);
    EXPECT_EQ(nodata.error().code, DnsErrc::nodata);

    auto loop = a("loop1.example.test");
    ASSERT_FALSE(loop);
    EXPECT_EQ(loop.error().code, DnsErrc::malformed);

    auto long_chain = a("c0.long.example.test");  // ten CNAMEs, limit eight
    ASSERT_FALSE(long_chain);
    EXPECT_EQ(long_chain.error().code, DnsErrc::limit_exceeded);
    make([](ResolverOptions& o) { o.max_cname_chain = 10; });
    EXPECT_TRUE(a("c0.long.example.test"));
}

TEST_F(ResolverTest, FollowsChainsTheServerDidNotChase) {
    auto r = a("nochase.example.test");
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(strings(r->records), Strings{"192.0.2.20"});
    EXPECT_EQ(r->name, "nochase.example.test");
    EXPECT_EQ(r->canonical_name, "mx2.example.test");
    EXPECT_EQ(r->ttl, 40u);
    EXPECT_EQ(server().count("mx2.example.test"), 1);
    EXPECT_EQ(resolver_->stats().upstream_queries, 2u);
}

TEST_F(ResolverTest, ServerFailuresAreTemporaryAndCachedBriefly) {
    auto fail = a("fail.example.test");
    ASSERT_FALSE(fail);
    EXPECT_EQ(fail.error().code, DnsErrc::server_failure);
    EXPECT_TRUE(is_temporary(fail.error().code));
    EXPECT_EQ(fail.error().ttl, 5u);
    int asked = server().count("fail.example.test");
    EXPECT_GE(asked, 1);

    EXPECT_EQ(a("fail.example.test").error().code, DnsErrc::server_failure);
    EXPECT_EQ(server().count("fail.example.test"), asked);  // the cache answered
    clock_.advance(seconds(5));
    EXPECT_EQ(a("fail.example.test").error().code, DnsErrc::server_failure);
    EXPECT_GT(server().count("fail.example.test"), asked);

    EXPECT_EQ(a("refused.example.test").error().code, DnsErrc::server_failure);
    EXPECT_GE(resolver_->stats().failures, 2u);
}

TEST_F(ResolverTest, TimeoutWhenTheServerNeverAnswers) {
    auto dead = a("dead.example.test");
    ASSERT_FALSE(dead);
    EXPECT_EQ(dead.error().code, DnsErrc::timeout);
    EXPECT_TRUE(is_temporary(dead.error().code));
    EXPECT_EQ(a("dead.example.test").error().code, DnsErrc::timeout);  // cached: no second wait
    EXPECT_EQ(server().count("dead.example.test"), 1);
}

TEST_F(ResolverTest, MalformedAnswers) {
    auto bad = a("malformed.example.test");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, DnsErrc::malformed);
    auto loop = a("pointer-loop.example.test");
    ASSERT_FALSE(loop);
    EXPECT_EQ(loop.error().code, DnsErrc::malformed);
}

TEST_F(ResolverTest, TcpAfterTruncation) {
    auto big = txt("big.example.test");  // larger than the EDNS size: TC over UDP
    ASSERT_TRUE(big) << big.error().to_string();
    ASSERT_EQ(big->records.size(), 2u);
    EXPECT_EQ(big->records[0].joined(), std::string(3000, 'a'));
    EXPECT_EQ(big->records[0].strings.size(), 12u);  // 255-byte character-strings
    EXPECT_EQ(big->records[1].joined(), "v=spf1 -all");
    EXPECT_EQ(server().tcp_count("big.example.test", "TXT"), 1);

    auto tc = a("tc.example.test");  // always TC over UDP
    ASSERT_TRUE(tc);
    EXPECT_EQ(strings(tc->records), Strings{"192.0.2.7"});
    EXPECT_EQ(server().tcp_count("tc.example.test"), 1);
}

TEST_F(ResolverTest, TcpModes) {
    make([](ResolverOptions& o) { o.tcp = TcpMode::never; });
    auto tc = a("tc.example.test");
    ASSERT_FALSE(tc);
    EXPECT_EQ(tc.error().code, DnsErrc::server_failure);
    EXPECT_EQ(server().tcp_count("tc.example.test"), 0);

    server().reset();
    make([](ResolverOptions& o) { o.tcp = TcpMode::always; });
    ASSERT_TRUE(a("example.test"));
    EXPECT_EQ(server().tcp_count("example.test"), 1);

    server().reset();
    make([](ResolverOptions& o) { o.edns = false; });
    auto t = txt("example.test");  // small: fits 512 bytes
    ASSERT_TRUE(t);
    EXPECT_EQ(server().tcp_count("example.test", "TXT"), 0);
    ASSERT_TRUE(txt("big.example.test"));
    EXPECT_EQ(server().tcp_count("big.example.test", "TXT"), 1);
}

TEST_F(ResolverTest, HostileAnswers) {
    // The test server builds 3000-record answers slowly on a loaded machine: this test is
    // about limits, not timeouts, so it waits longer than the fixture's 500 ms.
    const auto patient = [](ResolverOptions& o) { o.timeout = std::chrono::seconds(10); };
    make(patient);
    auto many = a("many.example.test");  // 3000 A records, over TCP
    ASSERT_FALSE(many);
    EXPECT_EQ(many.error().code, DnsErrc::limit_exceeded);

    auto huge = txt("huge-txt.example.test");  // a 20000-byte TXT next to a normal one
    ASSERT_TRUE(huge) << huge.error().to_string();
    ASSERT_EQ(huge->records.size(), 1u);
    EXPECT_EQ(huge->records[0].joined(), "v=spf1 -all");

    auto only = txt("only-huge.example.test");
    ASSERT_FALSE(only);
    EXPECT_EQ(only.error().code, DnsErrc::limit_exceeded);

    make([&](ResolverOptions& o) {
        patient(o);
        o.max_answers = 5000;
        o.max_txt_size = 65535;
    });
    auto all = a("many.example.test");
    ASSERT_TRUE(all) << all.error().to_string();
    EXPECT_EQ(all->records.size(), 3000u);
    EXPECT_EQ(all->records.back().to_string(), "10.0.11.184");
    EXPECT_TRUE(txt("only-huge.example.test"));
}

TEST_F(ResolverTest, InvalidNamesFailAtOnce) {
    for (const char* name : {"", "a..b", "bad name.test", "caf\xc3\xa9.test"}) {
        auto r = a(name);
        ASSERT_FALSE(r) << name;
        EXPECT_EQ(r.error().code, DnsErrc::invalid_name);
    }
    make([](ResolverOptions& o) { o.max_name_length = 12; });
    EXPECT_EQ(a("long.example.test").error().code, DnsErrc::invalid_name);
    EXPECT_EQ(resolver_->stats().upstream_queries, 0u);
}

TEST_F(ResolverTest, FlushForgetsEverything) {
    ASSERT_TRUE(a("example.test"));
    ASSERT_FALSE(a("nx.example.test"));
    EXPECT_EQ(resolver_->stats().entries, 2u);
    resolver_->flush();
    EXPECT_EQ(resolver_->stats().entries, 0u);
    ASSERT_TRUE(a("example.test"));
    ASSERT_FALSE(a("nx.example.test"));
    EXPECT_EQ(server().count("example.test"), 2);
    EXPECT_EQ(server().count("nx.example.test"), 2);
}

TEST_F(ResolverTest, NextNameserverWhenTheFirstIsDown) {
    // A port with nothing behind it: the datagram is refused (ICMP), c-ares moves on.
    int s = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(s);
    auto closed = Nameserver{*IpAddress::parse("127.0.0.1"), ntohs(addr.sin_port)};
    make([&](ResolverOptions& o) {
        o.nameservers = {closed, server().nameserver()};
        o.timeout = std::chrono::milliseconds(1000);
    });
    auto r = a("example.test");
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(strings(r->records), Strings{"192.0.2.1"});

    make([&](ResolverOptions& o) { o.nameservers = {closed}; });
    auto down = a("example.test");
    ASSERT_FALSE(down);
    EXPECT_TRUE(is_temporary(down.error().code)) << down.error().to_string();
}

}  // namespace
}  // namespace postern::net::dns::testing
