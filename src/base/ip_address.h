// IP addresses and address sets (single address, CIDR, range) for rules and limits.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace postern {

// An IPv4 or IPv6 address. IPv4 is kept as an IPv4-mapped IPv6 address (::ffff:a.b.c.d) so
// that one ordering and one range type cover both families.
class IpAddress {
  public:
    IpAddress() = default;
    static std::optional<IpAddress> parse(std::string_view text);
    static IpAddress from_v4(std::uint32_t host_order);
    static IpAddress from_bytes(const std::array<std::uint8_t, 16>& bytes) {
        return IpAddress(bytes);
    }

    bool is_v4() const;
    const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
    std::string to_string() const;

    auto operator<=>(const IpAddress&) const = default;

  private:
    explicit IpAddress(const std::array<std::uint8_t, 16>& b) : bytes_(b) {}
    std::array<std::uint8_t, 16> bytes_{};
};

// An inclusive range of addresses. Parsed from "1.2.3.4", "10.0.0.0/8", "2001:db8::/32",
// or "10.0.0.5-10.0.0.9". Ranges never mix families.
struct IpRange {
    IpAddress first;
    IpAddress last;

    static std::optional<IpRange> parse(std::string_view text);
    bool contains(const IpAddress& a) const { return first <= a && a <= last; }
    std::string to_string() const;
};

// "host:port", "[v6]:port" or "*:port" (any address). Returns address text and port.
struct HostPort {
    std::string host;
    std::uint16_t port = 0;
    static std::optional<HostPort> parse(std::string_view text);
    std::string to_string() const;
};

}  // namespace postern
