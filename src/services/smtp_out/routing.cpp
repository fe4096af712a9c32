// Route selection by domain glob, and address-literal domains.
#include "services/smtp_out/routing.h"

#include "base/strings.h"

namespace postern::services::smtp_out {

namespace {

bool any_match(const std::vector<std::string>& globs, std::string_view text) {
    for (auto& glob : globs) {
        if (glob_match(glob, text)) return true;
    }
    return false;
}

}  // namespace

config::DeliveryRoute route_for(const config::DeliveryConfig& delivery, std::string_view domain,
                                std::string_view sender_domain) {
    for (auto& route : delivery.routes) {
        if (!any_match(route.domains, domain)) continue;
        if (!route.sender_domains.empty() && !any_match(route.sender_domains, sender_domain)) continue;
        return route;
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
