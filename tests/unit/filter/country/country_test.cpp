// Country lookups from a CSV import (limits and hostile input) and the allow/deny decision.
// MaxMind DB files are tested end to end (tests/e2e/test_smtp_protection.py writes one).
#include "filter/country/country.h"

#include <gtest/gtest.h>

namespace postern::filter::country {
namespace {

IpAddress ip(std::string_view text) {
    return IpAddress::parse(text).value();
}

TEST(CountryCsv, LooksUpRangesOfBothFamilies) {
    auto db = CountryDb::parse_csv(
        "first,last,country\n"
        "# comment\n"
        "192.0.2.0,192.0.2.255,de\n"
        "\"198.51.100.0\",\"198.51.100.127\",\"FR\"\r\n"
        "2001:db8::,2001:db8::ffff,JP\n");
    ASSERT_TRUE(db) << db.error().to_string();
    EXPECT_EQ((*db)->size(), 3u);
    EXPECT_EQ((*db)->lookup(ip("192.0.2.0")).value_or("-"), "DE");
    EXPECT_EQ((*db)->lookup(ip("192.0.2.255")).value_or("-"), "DE");
    EXPECT_EQ((*db)->lookup(ip("198.51.100.5")).value_or("-"), "FR");
    EXPECT_FALSE((*db)->lookup(ip("198.51.100.128")));
    EXPECT_FALSE((*db)->lookup(ip("10.0.0.1")));
    EXPECT_FALSE((*db)->lookup(ip("0.0.0.0")));
    EXPECT_EQ((*db)->lookup(ip("2001:db8::42")).value_or("-"), "JP");
    EXPECT_FALSE((*db)->lookup(ip("2001:db8::1:0")));
}

TEST(CountryCsv, RefusesBrokenInputWithALineNumber) {
    struct Case {
        const char* text;
        const char* message;
    };
    for (auto c :
         {Case{"1.2.3.4,1.2.3.5\n", "line 1: expected"},
          Case{"1.2.3.4,1.2.3.5,DE\n1.2.3.x,1.2.3.9,DE\n", "line 2: not an IP"},
          Case{"1.2.3.9,1.2.3.4,DE\n", "empty"}, Case{"1.2.3.4,::1,DE\n", "mixes"},
          Case{"1.2.3.4,1.2.3.5,DEU\n", "two-letter"}, Case{"1.2.3.4,1.2.3.5,1X\n", "two-letter"},
          Case{"1.2.3.0,1.2.3.9,DE\n1.2.3.5,1.2.3.20,FR\n", "overlap"}}) {
        auto db = CountryDb::parse_csv(c.text);
        ASSERT_FALSE(db) << c.text;
        EXPECT_NE(db.error().message.find(c.message), std::string::npos) << db.error().message;
    }
    std::string long_line(2000, 'x');
    auto db = CountryDb::parse_csv(long_line);
    ASSERT_FALSE(db);
    EXPECT_EQ(db.error().code, Errc::limit_exceeded);
}

TEST(CountryCsv, HostileBytesDoNotCrash) {
    std::string junk;
    for (int i = 0; i < 4096; ++i)
        junk.push_back(static_cast<char>((i * 131) & 0xff));
    auto db = CountryDb::parse_csv(junk);
    EXPECT_FALSE(db);
    EXPECT_TRUE(CountryDb::parse_csv("").has_value());
    EXPECT_FALSE(CountryDb::open_csv("/nonexistent/countries.csv"));
    EXPECT_FALSE(CountryDb::open_mmdb("/nonexistent/countries.mmdb"));
}

TEST(CountryDecision, AllowAndDenyLists) {
    std::optional<std::string> de = "DE", fr = "FR", none;
    EXPECT_TRUE(country_allowed(de, {}, {}, false));
    EXPECT_FALSE(country_allowed(de, {}, {"DE"}, false));
    EXPECT_TRUE(country_allowed(fr, {}, {"DE"}, false));
    EXPECT_TRUE(country_allowed(de, {"DE"}, {}, false));
    EXPECT_FALSE(country_allowed(fr, {"DE"}, {}, false));
    EXPECT_TRUE(country_allowed(none, {"DE"}, {}, false));
    EXPECT_FALSE(country_allowed(none, {"DE"}, {}, true));
}

}  // namespace
}  // namespace postern::filter::country
