#include "directory/address.h"

#include <gtest/gtest.h>

#include "base/utf8.h"

namespace postern::directory {
namespace {

TEST(Utf8, CountsCodePointsAndRefusesMalformed) {
    struct Case {
        std::string text;
        std::optional<std::size_t> count;
    };
    const Case cases[] = {
        {"", 0},
        {"abc", 3},
        {"caf\xC3\xA9", 4},                  // é
        {"\xE2\x82\xAC", 1},                 // €
        {"\xF0\x9F\x98\x80", 1},             // U+1F600
        {"\xC0\xAF", std::nullopt},          // overlong '/'
        {"\xE0\x80\xAF", std::nullopt},      // overlong
        {"\xED\xA0\x80", std::nullopt},      // surrogate D800
        {"\xF4\x90\x80\x80", std::nullopt},  // above U+10FFFF
        {"\xC3", std::nullopt},              // truncated
        {"a\x80", std::nullopt},             // lone continuation byte
        {"\xFF", std::nullopt},
    };
    for (const auto& c : cases)
        EXPECT_EQ(utf8_code_points(c.text), c.count) << c.text;
}

TEST(Address, CanonicalDomain) {
    struct Case {
        std::string in;
        std::string out;  // empty: invalid
    };
    const Case cases[] = {
        {"Example.COM", "example.com"},
        {"example.com.", "example.com"},
        {"localhost", "localhost"},
        {"a-b.c0.de", "a-b.c0.de"},
        {"xn--bcher-kva.example", "xn--bcher-kva.example"},
        {"b\xC3\xBC"
         "cher.example",
         "b\xC3\xBC"
         "cher.example"},  // UTF-8 kept as given
        {"", ""},
        {".", ""},
        {"example..com", ""},
        {".example.com", ""},
        {"-a.com", ""},
        {"a-.com", ""},
        {"a_b.com", ""},
        {"a b.com", ""},
        {"a@b.com", ""},
        {"1.2.3.4", ""},
        {"[1.2.3.4]", ""},
        {"bad\xFF.com", ""},
        {std::string(64, 'a') + ".com", ""},
        {std::string(63, 'a') + ".com", std::string(63, 'a') + ".com"},
    };
    for (const auto& c : cases) {
        auto r = canonical_domain(c.in);
        if (c.out.empty()) {
            EXPECT_FALSE(r) << c.in;
            if (!r) {
                EXPECT_EQ(r.error().code, Errc::invalid_argument);
            }
        } else {
            ASSERT_TRUE(r) << c.in << ": " << r.error().message;
            EXPECT_EQ(*r, c.out);
        }
    }
    // 253 octets is the limit.
    std::string long_name;
    while (long_name.size() < 260)
        long_name += "abcdefghi.";
    long_name.resize(253);
    ASSERT_NE(long_name.back(), '.');
    EXPECT_TRUE(canonical_domain(long_name)) << long_name.size();
    EXPECT_FALSE(canonical_domain(long_name + "x"));
}

TEST(Address, CanonicalLocalPart) {
    struct Case {
        std::string in;
        std::string out;  // empty: invalid
    };
    const Case cases[] = {
        {"John.Smith", "john.smith"},
        {"user+tag", "user+tag"},
        {"a!#$%&'*+-/=?^_`{|}~z", "a!#$%&'*+-/=?^_`{|}~z"},
        {"J\xC3\xBCRGEN", "j\xC3\xBCrgen"},  // only ASCII letters fold
        {std::string(64, 'x'), std::string(64, 'x')},
        {std::string(65, 'x'), ""},
        {"", ""},
        {".a", ""},
        {"a.", ""},
        {"a..b", ""},
        {"a b", ""},
        {"\"quoted\"", ""},
        {"a@b", ""},
        {"a,b", ""},
        {"a\tb", ""},
        {"a\rb", ""},
        {"a\xFF", ""},
    };
    for (const auto& c : cases) {
        auto r = canonical_local_part(c.in);
        if (c.out.empty()) {
            EXPECT_FALSE(r) << c.in;
        } else {
            ASSERT_TRUE(r) << c.in << ": " << r.error().message;
            EXPECT_EQ(*r, c.out);
        }
    }
}

TEST(Address, Parse) {
    auto a = parse_address("  <John.Doe@Example.ORG>  ");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->local_part, "john.doe");
    EXPECT_EQ(a->domain, "example.org");
    EXPECT_EQ(a->to_string(), "john.doe@example.org");

    for (auto bad :
         {"", "@", "user", "user@", "@example.com", "a@b@c.com", "<a@b.com", "user@-x.com"}) {
        auto r = parse_address(bad);
        EXPECT_FALSE(r) << bad;
        if (!r) {
            EXPECT_EQ(r.error().code, Errc::invalid_argument);
        }
    }
    // Error messages name the problem and stay bounded for hostile input.
    auto huge = parse_address(std::string(100000, 'a') + "@example.com");
    ASSERT_FALSE(huge);
    EXPECT_LT(huge.error().message.size(), 600u);
    EXPECT_NE(huge.error().message.find("longer than 64"), std::string::npos);
}

}  // namespace
}  // namespace postern::directory
