// Which delivery rule applies to a destination domain (first match of [[delivery.route]]),
// and the order of hosts to try. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"

namespace postern::services::smtp_out {

// The first route whose domain globs match the recipient `domain` and, when the route has
// sender_domains, whose sender globs match `sender_domain` (virtual routing: a source address
// per sending domain); the MX default when none does.
config::DeliveryRoute route_for(const config::DeliveryConfig& delivery, std::string_view domain,
                                std::string_view sender_domain = {});

// "[192.0.2.1]" / "[IPv6:2001:db8::1]" domains (RFC 5321 §4.1.3 address literals) name the
// host to connect to directly.
std::optional<IpAddress> address_literal(std::string_view domain);

}  // namespace postern::services::smtp_out
