#include "base/strings.h"

#include <gtest/gtest.h>

namespace postern {
namespace {

TEST(Strings, CaseAndTrim) {
    EXPECT_EQ(to_lower("EHLO Mx.Example"), "ehlo mx.example");
    EXPECT_TRUE(iequals("StartTLS", "STARTTLS"));
    EXPECT_FALSE(iequals("STARTTLS", "STARTTL"));
    EXPECT_TRUE(istarts_with("AUTH PLAIN", "auth "));
    EXPECT_EQ(trim("  a b \r\n"), "a b");
    EXPECT_EQ(trim(" \t "), "");
}

TEST(Strings, Split) {
    auto parts = split("a,,b", ',');
    ASSERT_EQ(parts.size(), 3u);
    EXPECT_EQ(parts[1], "");
    EXPECT_EQ(parts[2], "b");
}

TEST(Strings, ParseUint) {
    EXPECT_EQ(parse_uint("42"), 42u);
    EXPECT_FALSE(parse_uint(""));
    EXPECT_FALSE(parse_uint("-1"));
    EXPECT_FALSE(parse_uint("12a"));
    EXPECT_FALSE(parse_uint("99999999999999999999999"));
}

TEST(Strings, Glob) {
    EXPECT_TRUE(glob_match("*", ""));
    EXPECT_TRUE(glob_match("SMTP*", "smtp-in"));
    EXPECT_TRUE(glob_match("*.example.test", "mx.example.test"));
    EXPECT_FALSE(glob_match("*.example.test", "example.test"));
    EXPECT_TRUE(glob_match("a?c", "abc"));
    EXPECT_FALSE(glob_match("a?c", "ac"));
    // Many stars against a long non-matching text must stay fast (no exponential backtracking).
    EXPECT_FALSE(glob_match("*a*a*a*a*a*a*a*b", std::string(5000, 'a')));
}

}  // namespace
}  // namespace postern
