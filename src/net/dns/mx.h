// Where mail for a domain goes: MX records in preference order with equal preferences
// shuffled, each host with its addresses (RFC 5321 §5.1), the implicit MX when there is none,
// and null MX (RFC 7505).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.h"
#include "net/dns/resolver.h"
#include "net/dns/types.h"

namespace postern::net::dns {

struct MxHost {
    std::string name;
    std::uint16_t preference = 0;
    std::vector<IpAddress> addresses;  // IPv4 first, then IPv6, each in the server's order
    // Why `addresses` is empty: NXDOMAIN/NODATA for the host, or a temporary failure.
    std::optional<DnsError> error;
};

struct MxHosts {
    std::string domain;     // normalised
    bool implicit = false;  // no MX records: the domain itself at preference 0
    std::uint32_t ttl = 0;  // the smallest TTL of everything used
    // Ascending preference; equal preferences in random order (new on every call, also from
    // cache); one entry per host name (its lowest preference). Hosts without addresses stay in
    // the list with their error, for the delivery log; at least one host has addresses.
    std::vector<MxHost> hosts;
};

struct MxOptions {
    bool ipv4 = true;
    bool ipv6 = true;
    std::size_t max_hosts = 10;  // more MX hosts than this are ignored (the least preferred)
};

// Errors: nxdomain (the domain does not exist), no_mail (null MX: the domain accepts no
// mail, RFC 7505 §3 — bounce at once), nodata (no MX and no address, or no MX host has an
// address and none failed temporarily), a temporary kind (the MX lookup failed, or no host has
// an address and at least one host lookup failed temporarily — retry later), cancelled,
// invalid_name. `done` follows the Resolver contract (any of its threads, exactly once).
// Loop prevention (RFC 5321 §5.1: drop MX hosts at or above our own preference) and address
// literals ("[192.0.2.1]") are the caller's.
void resolve_mx_hosts(Resolver& resolver, std::string_view domain, Callback<MxHosts> done,
                      MxOptions options = {});

// The ordering step alone (sort, shuffle equal preferences, drop null MX and duplicates,
// keep `max_hosts`), exposed for tests.
std::vector<MxRecord> order_mx(std::vector<MxRecord> records, std::size_t max_hosts);

}  // namespace postern::net::dns
