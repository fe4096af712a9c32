// PROXY protocol v1 ("PROXY TCP4 src dst sport dport\r\n") and v2 (12-byte signature, version
// and command, family, length, addresses, TLVs) as specified in HAProxy's proxy-protocol.txt.
#include "net/proxy_protocol.h"

#include <array>
#include <cstring>

#include "base/strings.h"

namespace postern::net {
namespace {

constexpr std::string_view kV2Signature("\r\n\r\n\0\r\nQUIT\n", 12);
constexpr std::size_t kV1Max = 107;
constexpr std::size_t kV2MaxPayload = 520;

ProxyParse invalid(std::string why) {
    ProxyParse p;
    p.kind = ProxyParse::Kind::invalid;
    p.error = std::move(why);
    return p;
}

std::optional<std::uint16_t> parse_port(std::string_view s) {
    if (s.empty() || s.size() > 5 || (s.size() > 1 && s[0] == '0'))
        return std::nullopt;
    auto v = parse_uint(s);
    if (!v || *v > 65535)
        return std::nullopt;
    return static_cast<std::uint16_t>(*v);
}

ProxyParse parse_v1(std::string_view data) {
    auto end = data.find("\r\n");
    if (end == std::string_view::npos) {
        if (data.size() >= kV1Max)
            return invalid("v1 header longer than 107 bytes");
        return {};
    }
    if (end + 2 > kV1Max)
        return invalid("v1 header longer than 107 bytes");
    auto line = data.substr(0, end);
    auto fields = split(line, ' ');
    ProxyParse p;
    p.kind = ProxyParse::Kind::done;
    p.consumed = end + 2;
    if (fields.size() >= 2 && fields[1] == "UNKNOWN") {
        p.header.local = true;
        return p;
    }
    if (fields.size() != 6)
        return invalid("v1 header needs 6 fields");
    bool v4 = fields[1] == "TCP4";
    if (!v4 && fields[1] != "TCP6")
        return invalid("v1 protocol must be TCP4, TCP6 or UNKNOWN");
    auto src = IpAddress::parse(fields[2]);
    auto dst = IpAddress::parse(fields[3]);
    auto sport = parse_port(fields[4]);
    auto dport = parse_port(fields[5]);
    if (!src || !dst || src->is_v4() != v4 || dst->is_v4() != v4)
        return invalid("v1 bad address");
    if (!sport || !dport)
        return invalid("v1 bad port");
    p.header = ProxyHeader{false, *src, *sport, *dst, *dport};
    return p;
}

std::uint16_t be16(const unsigned char* p) {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

ProxyParse parse_v2(std::string_view data) {
    if (data.size() < 16)
        return {};
    auto* b = reinterpret_cast<const unsigned char*>(data.data());
    if ((b[12] >> 4) != 2)
        return invalid("v2 version must be 2");
    auto command = b[12] & 0x0f;
    if (command > 1)
        return invalid("v2 unknown command");
    std::size_t length = be16(b + 14);
    if (length > kV2MaxPayload)
        return invalid("v2 payload too long");
    if (data.size() < 16 + length)
        return {};
    ProxyParse p;
    p.kind = ProxyParse::Kind::done;
    p.consumed = 16 + length;
    auto family = b[13] >> 4;
    auto transport = b[13] & 0x0f;
    if (command == 0 || family == 0) {  // LOCAL (health check) or UNSPEC: use the real peer
        p.header.local = true;
        return p;
    }
    if (transport != 1)
        return invalid("v2 transport must be STREAM");
    const unsigned char* a = b + 16;
    if (family == 1) {
        if (length < 12)
            return invalid("v2 IPv4 payload too short");
        std::uint32_t src = (std::uint32_t{a[0]} << 24) | (std::uint32_t{a[1]} << 16) |
                            (std::uint32_t{a[2]} << 8) | a[3];
        std::uint32_t dst = (std::uint32_t{a[4]} << 24) | (std::uint32_t{a[5]} << 16) |
                            (std::uint32_t{a[6]} << 8) | a[7];
        p.header = ProxyHeader{false, IpAddress::from_v4(src), be16(a + 8), IpAddress::from_v4(dst),
                               be16(a + 10)};
        return p;
    }
    if (family == 2) {
        if (length < 36)
            return invalid("v2 IPv6 payload too short");
        std::array<std::uint8_t, 16> src{}, dst{};
        std::memcpy(src.data(), a, 16);
        std::memcpy(dst.data(), a + 16, 16);
        p.header = ProxyHeader{false, IpAddress::from_bytes(src), be16(a + 32),
                               IpAddress::from_bytes(dst), be16(a + 34)};
        return p;
    }
    return invalid("v2 address family not supported");
}

}  // namespace

ProxyParse parse_proxy_header(std::string_view data) {
    auto sig_len = std::min(data.size(), kV2Signature.size());
    if (data.substr(0, sig_len) == kV2Signature.substr(0, sig_len)) {
        if (data.size() < kV2Signature.size())
            return {};
        return parse_v2(data);
    }
    constexpr std::string_view kV1 = "PROXY ";
    auto v1_len = std::min(data.size(), kV1.size());
    if (data.substr(0, v1_len) == kV1.substr(0, v1_len)) {
        if (data.size() < kV1.size())
            return {};
        return parse_v1(data);
    }
    return invalid("not a PROXY protocol header");
}

}  // namespace postern::net
