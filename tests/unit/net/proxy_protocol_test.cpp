#include "net/proxy_protocol.h"

#include <gtest/gtest.h>

namespace postern::net {
namespace {

TEST(ProxyProtocol, V1Tcp4) {
    std::string h = "PROXY TCP4 192.0.2.10 198.51.100.1 56324 25\r\nEHLO x\r\n";
    auto p = parse_proxy_header(h);
    ASSERT_EQ(p.kind, ProxyParse::Kind::done) << p.error;
    EXPECT_EQ(p.consumed, h.find("EHLO"));
    EXPECT_EQ(p.header.source.to_string(), "192.0.2.10");
    EXPECT_EQ(p.header.source_port, 56324);
    EXPECT_EQ(p.header.destination_port, 25);
    for (std::size_t i = 0; i < p.consumed; ++i) {
        EXPECT_EQ(parse_proxy_header(h.substr(0, i)).kind, ProxyParse::Kind::need_more) << i;
    }
}

TEST(ProxyProtocol, V1Tcp6AndUnknown) {
    auto p = parse_proxy_header("PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n");
    ASSERT_EQ(p.kind, ProxyParse::Kind::done) << p.error;
    EXPECT_EQ(p.header.source.to_string(), "2001:db8::1");
    auto u = parse_proxy_header("PROXY UNKNOWN\r\n");
    ASSERT_EQ(u.kind, ProxyParse::Kind::done);
    EXPECT_TRUE(u.header.local);
}

TEST(ProxyProtocol, V1Invalid) {
    for (const std::string& bad : std::vector<std::string>{
             "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "PROXY TCP4 ::1 5.6.7.8 1 2\r\n",
             "PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n", "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
             "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", "EHLO example\r\n",
             "PROXY " + std::string(200, 'x')}) {
        EXPECT_EQ(parse_proxy_header(bad).kind, ProxyParse::Kind::invalid) << bad;
    }
}

std::string v2(unsigned char ver_cmd, unsigned char fam, std::string payload) {
    std::string h("\r\n\r\n\0\r\nQUIT\n", 12);
    h += static_cast<char>(ver_cmd);
    h += static_cast<char>(fam);
    h += static_cast<char>(payload.size() >> 8);
    h += static_cast<char>(payload.size() & 0xff);
    return h + payload;
}

TEST(ProxyProtocol, V2Inet) {
    std::string addrs = {'\xc0', '\x00', '\x02', '\x0a', '\xc6', '\x33',
                         '\x64', '\x01', '\x01', '\xbb', '\x00', '\x19'};
    auto h = v2(0x21, 0x11,
                addrs + std::string("\x03\x00\x04"
                                    "abcd",
                                    7)) +
             "rest";  // with a TLV
    auto p = parse_proxy_header(h);
    ASSERT_EQ(p.kind, ProxyParse::Kind::done) << p.error;
    EXPECT_EQ(p.consumed, h.size() - 4);
    EXPECT_EQ(p.header.source.to_string(), "192.0.2.10");
    EXPECT_EQ(p.header.source_port, 443);
    EXPECT_EQ(p.header.destination_port, 25);
    for (std::size_t i = 0; i < p.consumed; ++i) {
        EXPECT_EQ(parse_proxy_header(h.substr(0, i)).kind, ProxyParse::Kind::need_more) << i;
    }
}

TEST(ProxyProtocol, V2Inet6AndLocal) {
    std::string addrs(36, '\0');
    addrs[15] = 1;  // ::1
    addrs[31] = 2;  // ::2
    addrs[33] = 80;
    auto p = parse_proxy_header(v2(0x21, 0x21, addrs));
    ASSERT_EQ(p.kind, ProxyParse::Kind::done) << p.error;
    EXPECT_EQ(p.header.source.to_string(), "::1");
    EXPECT_EQ(p.header.source_port, 80);
    auto local = parse_proxy_header(v2(0x20, 0x00, ""));
    ASSERT_EQ(local.kind, ProxyParse::Kind::done);
    EXPECT_TRUE(local.header.local);
}

TEST(ProxyProtocol, V2Invalid) {
    EXPECT_EQ(parse_proxy_header(v2(0x11, 0x11, std::string(12, 'a'))).kind,
              ProxyParse::Kind::invalid);
    EXPECT_EQ(parse_proxy_header(v2(0x23, 0x11, std::string(12, 'a'))).kind,
              ProxyParse::Kind::invalid);
    EXPECT_EQ(parse_proxy_header(v2(0x21, 0x11, std::string(4, 'a'))).kind,
              ProxyParse::Kind::invalid);
    EXPECT_EQ(parse_proxy_header(v2(0x21, 0x12, std::string(12, 'a'))).kind,
              ProxyParse::Kind::invalid);  // DGRAM
    EXPECT_EQ(parse_proxy_header(v2(0x21, 0x11, std::string(600, 'a'))).kind,
              ProxyParse::Kind::invalid);
}

}  // namespace
}  // namespace postern::net
