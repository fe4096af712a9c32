// SMTP-OUT route selection: recipient domain globs, sender domain globs, first match wins.
#include <gtest/gtest.h>

#include "services/smtp_out/routing.h"

namespace postern::services::smtp_out {
namespace {

config::DeliveryRoute route(std::vector<std::string> domains, std::vector<std::string> senders, const char* ip) {
    config::DeliveryRoute r;
    r.domains = std::move(domains);
    r.sender_domains = std::move(senders);
    r.source_ip = IpAddress::parse(ip);
    return r;
}

TEST(RouteFor, FirstMatchingRecipientAndSenderDomainWins) {
    config::DeliveryConfig d;
    d.routes.push_back(route({"remote.test"}, {"a.test"}, "192.0.2.1"));
    d.routes.push_back(route({"*.test"}, {}, "192.0.2.2"));
    EXPECT_EQ(route_for(d, "remote.test", "a.test").source_ip->to_string(), "192.0.2.1");
    EXPECT_EQ(route_for(d, "remote.test", "b.test").source_ip->to_string(), "192.0.2.2");
    EXPECT_EQ(route_for(d, "remote.test", "").source_ip->to_string(), "192.0.2.2");  // null sender
    EXPECT_EQ(route_for(d, "other.test", "a.test").source_ip->to_string(), "192.0.2.2");
    EXPECT_FALSE(route_for(d, "example.org", "a.test").source_ip);  // MX default
}

TEST(RouteFor, AddressLiterals) {
    EXPECT_EQ(address_literal("[192.0.2.7]")->to_string(), "192.0.2.7");
    EXPECT_EQ(address_literal("[IPv6:2001:db8::1]")->to_string(), "2001:db8::1");
    EXPECT_FALSE(address_literal("example.test"));
}

}  // namespace
}  // namespace postern::services::smtp_out
