// Name normalisation and reverse names (RFC 1035 §2.3.4, §3.5; RFC 3596 §2.5; RFC 5782 §2).
#include "net/dns/name.h"

#include <gtest/gtest.h>

#include "net/dns/options.h"

namespace postern::net::dns {
namespace {

TEST(DnsName, NormalisesCaseAndTrailingDot) {
    EXPECT_EQ(normalize_name("Example.TEST.").value(), "example.test");
    EXPECT_EQ(normalize_name("_dmarc.example.test").value(), "_dmarc.example.test");
    EXPECT_EQ(normalize_name("sel._domainkey.Example.test").value(), "sel._domainkey.example.test");
    EXPECT_EQ(normalize_name("localhost").value(), "localhost");
}

TEST(DnsName, RejectsInvalidNames) {
    const char* bad[] = {
        "",      ".",   "..", "a..b", ".a", "a b", "a\\b", "exa\tmple", "caf\xc3\xa9.test",
        "a.b..", "\x7f"};
    for (const char* name : bad) {
        auto r = normalize_name(name);
        ASSERT_FALSE(r) << name;
        EXPECT_EQ(r.error().code, DnsErrc::invalid_name) << name;
    }
}

TEST(DnsName, LengthLimits) {
    std::string label63(63, 'a');
    std::string label64(64, 'a');
    EXPECT_TRUE(normalize_name(label63 + ".test"));
    EXPECT_FALSE(normalize_name(label64 + ".test"));

    // 253 octets is the longest text form (255 on the wire).
    std::string name;
    while (name.size() + 64 <= 253)
        name += label63 + ".";
    name += std::string(253 - name.size(), 'b');
    ASSERT_EQ(name.size(), 253u);
    EXPECT_TRUE(normalize_name(name));
    EXPECT_TRUE(normalize_name(name + "."));  // the trailing dot does not count
    EXPECT_FALSE(normalize_name(name + "b"));

    EXPECT_TRUE(normalize_name("abc.test", 8));
    EXPECT_FALSE(normalize_name("abcd.test", 8));
    EXPECT_FALSE(normalize_name(name + "b", 1000));  // a configured limit cannot raise the RFC's
}

TEST(DnsName, ReverseNames) {
    EXPECT_EQ(reverse_name(*IpAddress::parse("192.0.2.1")), "1.2.0.192.in-addr.arpa");
    EXPECT_EQ(reverse_name(*IpAddress::parse("2001:db8::567:89ab")),
              "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
    EXPECT_EQ(dnsbl_name(*IpAddress::parse("192.0.2.99"), "bl.example."), "99.2.0.192.bl.example");
    EXPECT_EQ(dnsbl_name(*IpAddress::parse("2001:db8:1:2:3:4:567:89ab"), "bl.example"),
              "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.bl.example");
}

TEST(DnsName, Subdomains) {
    EXPECT_TRUE(is_subdomain("a.example.test", "example.test"));
    EXPECT_TRUE(is_subdomain("example.test", "example.test"));
    EXPECT_TRUE(is_subdomain("example.test", ""));
    EXPECT_FALSE(is_subdomain("badexample.test", "example.test"));
    EXPECT_FALSE(is_subdomain("test", "example.test"));
}

TEST(DnsNameserver, Parses) {
    auto a = parse_nameserver("192.0.2.53");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->to_string(), "192.0.2.53:53");
    auto b = parse_nameserver("192.0.2.53:5353");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->port, 5353);
    auto c = parse_nameserver("2001:db8::53");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->to_string(), "[2001:db8::53]:53");
    auto d = parse_nameserver("[2001:db8::53]:5353");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->port, 5353);
    EXPECT_FALSE(parse_nameserver(""));
    EXPECT_FALSE(parse_nameserver("dns.example"));
    EXPECT_FALSE(parse_nameserver("192.0.2.53:0"));
    EXPECT_FALSE(parse_nameserver("192.0.2.53:70000"));
}

TEST(DnsOptions, Validate) {
    EXPECT_TRUE(validate(ResolverOptions{}));
    auto bad = [](auto change) {
        ResolverOptions o;
        change(o);
        auto r = validate(o);
        return !r && r.error().code == Errc::invalid_argument;
    };
    EXPECT_TRUE(bad([](ResolverOptions& o) { o.timeout = std::chrono::milliseconds(0); }));
    EXPECT_TRUE(bad([](ResolverOptions& o) { o.tries = 0; }));
    EXPECT_TRUE(bad([](ResolverOptions& o) { o.edns_udp_size = 100; }));
    EXPECT_TRUE(bad([](ResolverOptions& o) { o.max_ttl = std::chrono::seconds(-1); }));
    EXPECT_TRUE(bad([](ResolverOptions& o) { o.max_answers = 0; }));
    EXPECT_TRUE(bad([](ResolverOptions& o) { o.max_txt_size = 10; }));
    EXPECT_TRUE(bad([](ResolverOptions& o) { o.max_name_length = 300; }));
    EXPECT_TRUE(bad([](ResolverOptions& o) { o.max_cname_chain = 100; }));
}

}  // namespace
}  // namespace postern::net::dns
