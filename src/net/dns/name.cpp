// Domain name normalisation and reverse names (RFC 1035 §2.3.4, §3.5; RFC 3596 §2.5; RFC 5782 §2).
#include "net/dns/name.h"

#include <algorithm>

#include "base/strings.h"

namespace postern::net::dns {

DnsResult<std::string> normalize_name(std::string_view name, std::size_t max_length) {
    std::string_view original = name;
    if (!name.empty() && name.back() == '.')
        name.remove_suffix(1);
    if (name.empty())
        return dns_fail(DnsErrc::invalid_name, "empty domain name");
    max_length = std::min(max_length, kMaxNameLength);
    if (name.size() > max_length) {
        return dns_fail(DnsErrc::invalid_name,
                        "domain name longer than " + std::to_string(max_length) + " octets");
    }
    std::string out;
    out.reserve(name.size());
    std::size_t label = 0;
    for (char c : name) {
        auto byte = static_cast<unsigned char>(c);
        if (c == '.') {
            if (label == 0) {
                return dns_fail(DnsErrc::invalid_name,
                                "empty label in domain name '" + std::string(original) + "'");
            }
            label = 0;
        } else {
            // Backslash and space would need escaping in c-ares' presentation format; no mail
            // name needs them, so refusing is simpler than escaping.
            if (byte <= 0x20 || byte >= 0x7f || c == '\\') {
                return dns_fail(DnsErrc::invalid_name,
                                "domain name holds a byte that is not printable ASCII (use "
                                "A-labels for internationalised names)");
            }
            if (++label > kMaxLabelLength) {
                return dns_fail(DnsErrc::invalid_name, "label longer than 63 octets");
            }
        }
        out.push_back(ascii_lower(c));
    }
    if (label == 0) {
        return dns_fail(DnsErrc::invalid_name,
                        "empty label in domain name '" + std::string(original) + "'");
    }
    return out;
}

namespace {

std::string reversed_labels(const IpAddress& address) {
    const auto& b = address.bytes();
    std::string out;
    if (address.is_v4()) {
        for (int i = 15; i >= 12; --i) {
            out += std::to_string(b[static_cast<std::size_t>(i)]);
            out += '.';
        }
        return out;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; --i) {
        auto byte = b[static_cast<std::size_t>(i)];
        out += kHex[byte & 0x0f];
        out += '.';
        out += kHex[byte >> 4];
        out += '.';
    }
    return out;
}

}  // namespace

std::string reverse_name(const IpAddress& address) {
    return reversed_labels(address) + (address.is_v4() ? "in-addr.arpa" : "ip6.arpa");
}

std::string dnsbl_name(const IpAddress& address, std::string_view zone) {
    if (!zone.empty() && zone.back() == '.')
        zone.remove_suffix(1);
    return reversed_labels(address) + std::string(zone);
}

bool is_subdomain(std::string_view name, std::string_view ancestor) {
    if (ancestor.empty())
        return true;  // the root is everyone's ancestor
    if (name.size() == ancestor.size())
        return name == ancestor;
    return name.size() > ancestor.size() && name.ends_with(ancestor) &&
           name[name.size() - ancestor.size() - 1] == '.';
}

}  // namespace postern::net::dns
