// IP address parsing via inet_pton; ranges from CIDR or first-last notation.
#include "base/ip_address.h"

#include <cstring>

#include <arpa/inet.h>

#include "base/strings.h"

namespace postern {
namespace {
constexpr std::array<std::uint8_t, 12> kV4Prefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    if (text.size() > 64)
        return std::nullopt;
    std::string s(text);
    if (s.size() > 2 && s.front() == '[' && s.back() == ']')
        s = s.substr(1, s.size() - 2);
    std::array<std::uint8_t, 16> bytes{};
    in_addr v4{};
    if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
        std::memcpy(bytes.data(), kV4Prefix.data(), kV4Prefix.size());
        std::memcpy(bytes.data() + 12, &v4, 4);
        return IpAddress(bytes);
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
        std::memcpy(bytes.data(), &v6, 16);
        return IpAddress(bytes);
    }
    return std::nullopt;
}

IpAddress IpAddress::from_v4(std::uint32_t host_order) {
    std::array<std::uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), kV4Prefix.data(), kV4Prefix.size());
    bytes[12] = static_cast<std::uint8_t>(host_order >> 24);
    bytes[13] = static_cast<std::uint8_t>(host_order >> 16);
    bytes[14] = static_cast<std::uint8_t>(host_order >> 8);
    bytes[15] = static_cast<std::uint8_t>(host_order);
    return IpAddress(bytes);
}

bool IpAddress::is_v4() const {
    return std::memcmp(bytes_.data(), kV4Prefix.data(), kV4Prefix.size()) == 0;
}

std::string IpAddress::to_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (is_v4()) {
        inet_ntop(AF_INET, bytes_.data() + 12, buf, sizeof buf);
    } else {
        inet_ntop(AF_INET6, bytes_.data(), buf, sizeof buf);
    }
    return buf;
}

std::optional<IpRange> IpRange::parse(std::string_view raw) {
    auto text = trim(raw);
    if (auto slash = text.find('/'); slash != std::string_view::npos) {
        auto base = IpAddress::parse(text.substr(0, slash));
        auto bits = parse_uint(text.substr(slash + 1));
        if (!base || !bits)
            return std::nullopt;
        unsigned prefix = static_cast<unsigned>(*bits);
        if (base->is_v4()) {
            if (prefix > 32)
                return std::nullopt;
            prefix += 96;
        } else if (prefix > 128) {
            return std::nullopt;
        }
        auto first = base->bytes(), last = base->bytes();
        for (unsigned bit = prefix; bit < 128; ++bit) {
            auto mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
            first[bit / 8] &= static_cast<std::uint8_t>(~mask);
            last[bit / 8] |= mask;
        }
        return IpRange{IpAddress::from_bytes(first), IpAddress::from_bytes(last)};
    }
    if (auto dash = text.find('-'); dash != std::string_view::npos) {
        auto first = IpAddress::parse(trim(text.substr(0, dash)));
        auto last = IpAddress::parse(trim(text.substr(dash + 1)));
        if (!first || !last || first->is_v4() != last->is_v4() || *last < *first)
            return std::nullopt;
        return IpRange{*first, *last};
    }
    auto single = IpAddress::parse(text);
    if (!single)
        return std::nullopt;
    return IpRange{*single, *single};
}

std::string IpRange::to_string() const {
    if (first == last)
        return first.to_string();
    return first.to_string() + "-" + last.to_string();
}

std::optional<HostPort> HostPort::parse(std::string_view text) {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0)
        return std::nullopt;
    auto port = parse_uint(text.substr(colon + 1));
    if (!port || *port == 0 || *port > 65535)
        return std::nullopt;
    std::string host(text.substr(0, colon));
    if (host.front() == '[') {
        if (host.back() != ']')
            return std::nullopt;
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string::npos) {
        return std::nullopt;  // bare IPv6 needs brackets to separate the port
    }
    if (host.empty())
        return std::nullopt;
    return HostPort{host, static_cast<std::uint16_t>(*port)};
}

std::string HostPort::to_string() const {
    if (host.find(':') != std::string::npos)
        return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

}  // namespace postern
