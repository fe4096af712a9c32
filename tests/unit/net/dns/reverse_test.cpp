// Forward-confirmed reverse DNS (RFC 8601 §3) against the test server.
#include "net/dns/reverse.h"

#include <gtest/gtest.h>

#include "resolver_fixture.h"

namespace postern::net::dns::testing {
namespace {

using Strings = std::vector<std::string>;

class ReverseTest : public ResolverTest {
  protected:
    DnsResult<ConfirmedNames> confirm(const char* ip, std::size_t max_names = 10) {
        auto address = *IpAddress::parse(ip);
        return wait_result<ConfirmedNames>([&](Callback<ConfirmedNames> cb) {
            forward_confirmed_names(*resolver_, address, std::move(cb), max_names);
        });
    }
};

TEST_F(ReverseTest, ConfirmsOnlyNamesThatPointBack) {
    // PTR: example.test (A 192.0.2.1), mx2 (A 192.0.2.20), gone (NXDOMAIN).
    auto r = confirm("192.0.2.1");
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->ptr_names, (Strings{"example.test", "mx2.example.test", "gone.example.test"}));
    EXPECT_EQ(r->names, Strings{"example.test"});

    auto six = confirm("2001:db8::1");
    ASSERT_TRUE(six);
    EXPECT_EQ(six->names, Strings{"example.test"});
    EXPECT_EQ(server().count("example.test", "AAAA"), 1);

    auto limited = confirm("192.0.2.1", 1);
    ASSERT_TRUE(limited);
    EXPECT_EQ(limited->ptr_names.size(), 1u);
}

TEST_F(ReverseTest, NoReverseName) {
    auto r = confirm("192.0.2.99");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, DnsErrc::nxdomain);
    EXPECT_EQ(r.error().ttl, 120u);  // the in-addr.arpa test zone's SOA minimum
}

}  // namespace
}  // namespace postern::net::dns::testing
