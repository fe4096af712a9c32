// Route selection by domain glob, and address-literal domains.
#include "services/smtp_out/routing.h"

#include "base/strings.h"

namespace postern::services::smtp_out {

config::DeliveryRoute route_for(const config::DeliveryConfig& delivery, std::string_view domain) {
    for (auto& route : delivery.routes) {
        for (auto& glob : route.domains) {
            if (glob_match(glob, domain)) return route;
        }
    }
    return config::DeliveryRoute{};
}

std::optional<IpAddress> address_literal(std::string_view domain) {
    if (domain.size() < 3 || domain.front() != '[' || domain.back() != ']') return std::nullopt;
    auto inner = domain.substr(1, domain.size() - 2);
    if (istarts_with(inner, "ipv6:")) inner.remove_prefix(5);
    return IpAddress::parse(inner);
}

}  // namespace postern::services::smtp_out
