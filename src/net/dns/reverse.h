// Forward-confirmed reverse DNS ("iprev", RFC 8601 §3): the PTR names of an address whose own
// A/AAAA records lead back to it.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "base/ip_address.h"
#include "net/dns/resolver.h"
#include "net/dns/types.h"

namespace postern::net::dns {

struct ConfirmedNames {
    std::vector<std::string> names;      // PTR names confirmed by a forward lookup; may be empty
    std::vector<std::string> ptr_names;  // every PTR name looked at (at most max_names)
};

// Success, with possibly no confirmed name ("iprev fail"). Errors: nxdomain/nodata for the PTR
// lookup (no reverse name: also "fail"), a temporary kind when the PTR lookup failed or when
// no name was confirmed and a forward lookup failed temporarily ("temperror"), cancelled.
// Only the first `max_names` PTR names are checked (RFC 7208 §5.5 uses 10).
void forward_confirmed_names(Resolver& resolver, const IpAddress& address,
                             Callback<ConfirmedNames> done, std::size_t max_names = 10);

}  // namespace postern::net::dns
