// Domain names as the resolver takes them: normalisation and length rules (RFC 1035 §2.3.4,
// RFC 2181 §11), reverse-lookup names (RFC 1035 §3.5, RFC 3596 §2.5) and DNSBL query names
// (RFC 5782 §2.1, §2.4).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/ip_address.h"
#include "net/dns/types.h"

namespace postern::net::dns {

// The longest name in text form without the trailing dot (255 octets on the wire).
inline constexpr std::size_t kMaxNameLength = 253;
inline constexpr std::size_t kMaxLabelLength = 63;

// Lower-cases `name` and drops one trailing dot. Fails with invalid_name when it is empty,
// has an empty label, a label over 63 octets, is longer than `max_length` (at most 253), or
// holds a byte that is not printable ASCII, a space or a backslash (internationalised names
// must arrive as A-labels, RFC 5890). Underscores are allowed (_dmarc, _domainkey, RFC 8552).
DnsResult<std::string> normalize_name(std::string_view name,
                                      std::size_t max_length = kMaxNameLength);

// "4.3.2.1.in-addr.arpa" for 1.2.3.4; 32 nibbles under "ip6.arpa" for IPv6.
std::string reverse_name(const IpAddress& address);

// The name to query in a DNS blocklist `zone`: the reversed address, then the zone
// ("4.3.2.1.zen.example" for 1.2.3.4); IPv6 as nibbles (RFC 5782 §2.4).
std::string dnsbl_name(const IpAddress& address, std::string_view zone);

// True when `name` equals `ancestor` or lies below it (both normalised).
bool is_subdomain(std::string_view name, std::string_view ancestor);

}  // namespace postern::net::dns
