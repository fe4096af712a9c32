#include "base/ip_address.h"

#include <gtest/gtest.h>

namespace postern {
namespace {

TEST(IpAddress, ParsesBothFamilies) {
    auto v4 = IpAddress::parse("192.0.2.1");
    ASSERT_TRUE(v4);
    EXPECT_TRUE(v4->is_v4());
    EXPECT_EQ(v4->to_string(), "192.0.2.1");
    auto v6 = IpAddress::parse("2001:db8::1");
    ASSERT_TRUE(v6);
    EXPECT_FALSE(v6->is_v4());
    EXPECT_EQ(v6->to_string(), "2001:db8::1");
    EXPECT_EQ(IpAddress::parse("[::1]")->to_string(), "::1");
    EXPECT_FALSE(IpAddress::parse("300.1.1.1"));
    EXPECT_FALSE(IpAddress::parse("example.test"));
    EXPECT_FALSE(IpAddress::parse(""));
}

TEST(IpRange, Cidr) {
    auto r = IpRange::parse("10.1.0.0/16");
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->contains(*IpAddress::parse("10.1.255.255")));
    EXPECT_TRUE(r->contains(*IpAddress::parse("10.1.0.0")));
    EXPECT_FALSE(r->contains(*IpAddress::parse("10.2.0.0")));
    auto host = IpRange::parse("10.1.2.3/24");  // host bits are masked off
    ASSERT_TRUE(host);
    EXPECT_EQ(host->first.to_string(), "10.1.2.0");
    auto v6 = IpRange::parse("2001:db8::/32");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->contains(*IpAddress::parse("2001:db8:ffff::1")));
    EXPECT_FALSE(v6->contains(*IpAddress::parse("2001:db9::1")));
    EXPECT_FALSE(v6->contains(*IpAddress::parse("10.0.0.1")));
    EXPECT_TRUE(IpRange::parse("0.0.0.0/0")->contains(*IpAddress::parse("255.1.2.3")));
    EXPECT_FALSE(IpRange::parse("0.0.0.0/0")->contains(*IpAddress::parse("::1")));
    EXPECT_FALSE(IpRange::parse("10.0.0.0/33"));
    EXPECT_FALSE(IpRange::parse("::/129"));
}

TEST(IpRange, FirstLastAndSingle) {
    auto r = IpRange::parse("192.0.2.10 - 192.0.2.20");
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->contains(*IpAddress::parse("192.0.2.15")));
    EXPECT_FALSE(r->contains(*IpAddress::parse("192.0.2.21")));
    EXPECT_FALSE(IpRange::parse("192.0.2.20-192.0.2.10"));
    EXPECT_FALSE(IpRange::parse("192.0.2.1-::1"));
    auto single = IpRange::parse("::1");
    ASSERT_TRUE(single);
    EXPECT_TRUE(single->contains(*IpAddress::parse("::1")));
}

TEST(HostPort, Parse) {
    EXPECT_EQ(HostPort::parse("127.0.0.1:25")->port, 25);
    EXPECT_EQ(HostPort::parse("[::1]:143")->host, "::1");
    EXPECT_EQ(HostPort::parse("*:587")->host, "*");
    EXPECT_FALSE(HostPort::parse("::1:143"));
    EXPECT_FALSE(HostPort::parse("127.0.0.1:0"));
    EXPECT_FALSE(HostPort::parse("127.0.0.1:70000"));
    EXPECT_FALSE(HostPort::parse(":25"));
    EXPECT_EQ(HostPort::parse("[::1]:143")->to_string(), "[::1]:143");
}

}  // namespace
}  // namespace postern
