#include "directory/password_policy.h"

#include <set>

#include <gtest/gtest.h>

#include "base/utf8.h"

namespace postern::directory {
namespace {

TEST(PasswordPolicy, Check) {
    struct Case {
        std::string password;
        PasswordPolicy policy;
        bool accepted;
        std::vector<std::string> message_parts;
    };
    const Case cases[] = {
        {"abcdefghij", {10, 1}, true, {}},
        {"abcdefghi", {10, 1}, false, {"too short", "9 characters", "at least 10"}},
        {"abcdefghij", {10, 2}, false, {"at least 2", "lower-case letters only"}},
        {"abcdefghi1", {10, 2}, true, {}},
        {"ABCDEFGHI1", {10, 3}, false, {"at least 3", "upper-case letters and digits only"}},
        {"Abcdefgh1!", {10, 4}, true, {}},
        {"Abcdefgh12",
         {10, 4},
         false,
         {"at least 4", "lower-case letters, upper-case letters and digits only"}},
        {"abc", {10, 3}, false, {"too short", "at least 3 of"}},  // both problems reported
        {"", {1, 0}, false, {"too short", "0 characters"}},
        {"x", {1, 0}, true, {}},
        // Length is counted in characters: 10 two-byte characters are 20 bytes.
        {"\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9",
         {10, 1},
         true,
         {}},
        {"\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", {10, 1}, false, {"5 characters"}},
        // Non-ASCII characters count as symbols.
        {"abcdefghi\xC3\xA9", {10, 2}, true, {}},
        {"abc def ghi", {10, 2}, true, {}},  // space is a symbol
        {"abcdefghij\n", {1, 0}, false, {"control character"}},
        {"abcdefghij\x7f", {1, 0}, false, {"control character"}},
        {std::string("abc\0def", 7), {1, 0}, false, {"control character"}},
        {"abcdefghij\xFF", {1, 0}, false, {"not valid UTF-8"}},
        {std::string(kMaxPasswordBytes + 1, 'a'), {1, 0}, false, {"too long"}},
        {std::string(kMaxPasswordBytes, 'a'), {1, 0}, true, {}},
    };
    for (const auto& c : cases) {
        auto s = check_password(c.password, c.policy);
        EXPECT_EQ(s.has_value(), c.accepted) << c.password;
        if (!s) {
            EXPECT_EQ(s.error().code, Errc::invalid_argument);
            for (const auto& part : c.message_parts) {
                EXPECT_NE(s.error().message.find(part), std::string::npos)
                    << "'" << s.error().message << "' lacks '" << part << "'";
            }
        }
    }
}

TEST(PasswordPolicy, GeneratedPasswordsSatisfyTheirPolicy) {
    for (unsigned classes = 0; classes <= 4; ++classes) {
        for (unsigned min_length : {1u, 10u, 16u, 17u, 40u, 128u}) {
            PasswordPolicy policy{min_length, classes};
            for (int i = 0; i < 20; ++i) {
                auto p = generate_password(policy);
                EXPECT_TRUE(check_password(p, policy)) << p;
                EXPECT_EQ(p.size(), std::max<std::size_t>(min_length, 16));
                EXPECT_EQ(p.find_first_of("0O1lI"), std::string::npos) << p;
                if (classes < 4) {
                    EXPECT_EQ(p.find_first_of("-_.+=@%"), std::string::npos) << p;
                }
            }
        }
    }
}

TEST(PasswordPolicy, GeneratedPasswordsDiffer) {
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i)
        seen.insert(generate_password({}));
    EXPECT_EQ(seen.size(), 200u);
}

}  // namespace
}  // namespace postern::directory
