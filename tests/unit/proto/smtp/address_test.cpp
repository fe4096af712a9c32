// Envelope addresses: RFC 5321 §4.1.2 examples and corner cases, RFC 6531 UTF-8 addresses,
// address literals, length limits and hostile input.
#include "proto/smtp/address.h"

#include <gtest/gtest.h>

namespace postern::proto::smtp {
namespace {

struct PathCase {
    std::string text;
    PathKind kind;
    bool utf8;
    // Expected: a mailbox ("local", "domain"), the null path, or an error.
    std::optional<Mailbox> mailbox;
    bool null_path = false;
    std::optional<AddressError> error;
};

PathCase ok(std::string text, std::string local, std::string domain, bool utf8 = false) {
    return {std::move(text), PathKind::forward, utf8, Mailbox{std::move(local), std::move(domain)}};
}
PathCase bad(std::string text, AddressError e, bool utf8 = false) {
    return {std::move(text), PathKind::forward, utf8, std::nullopt, false, e};
}

TEST(Path, Table) {
    const PathCase cases[] = {
        ok("<user@example.org>", "user", "example.org"),
        ok("<User.Name@Example.ORG>", "User.Name", "example.org"),  // local case kept
        ok("<a!#$%&'*+-/=?^_`{|}~z@x.example>", "a!#$%&'*+-/=?^_`{|}~z", "x.example"),
        ok("<\"john doe\"@example.org>", "john doe", "example.org"),
        ok("<\"john\"@example.org>", "john", "example.org"),  // unneeded quotes dropped
        ok("<\"a\\\"b\\\\c\"@example.org>", "a\"b\\c", "example.org"),
        ok("<\"\"@example.org>", "", "example.org"),
        ok("<\"a>b\"@example.org>", "a>b", "example.org"),  // '>' inside quotes
        ok("<\"a.@b\"@example.org>", "a.@b", "example.org"),
        ok("<u@[192.0.2.1]>", "u", "[192.0.2.1]"),
        ok("<u@[IPv6:2001:DB8::1]>", "u", "[IPv6:2001:db8::1]"),
        ok("<u@[ipv6:::ffff:192.0.2.1]>", "u", "[IPv6:::ffff:192.0.2.1]"),
        ok("<u@[x-tag:anything.goes]>", "u", "[x-tag:anything.goes]"),
        ok("<u@localhost>", "u", "localhost"),
        ok("<u@xn--bcher-kva.example>", "u", "xn--bcher-kva.example"),
        ok("<u@1.2.3.4>", "u", "1.2.3.4"),  // digits are LDH: syntactically a Domain
        ok("<@a.example,@b.example:user@c.example>", "user", "c.example"),  // route dropped
        ok("<@a.example:user@c.example>", "user", "c.example"),
        ok("<Postmaster>", "postmaster", ""), ok("<POSTMASTER>", "postmaster", ""),
        ok("<postmaster@example.org>", "postmaster", "example.org"),
        // RFC 6531 with SMTPUTF8 offered.
        ok("<j\xC3\xB6rg@b\xC3\xBC"
           "cher.example>",
           "j\xC3\xB6rg",
           "b\xC3\xBC"
           "cher.example",
           true),
        ok("<\xE7\x94\xA8\xE6\x88\xB7@\xE4\xBE\x8B\xE5\xAD\x90.\xE5\xB9\xBF\xE5\x91\x8A>",
           "\xE7\x94\xA8\xE6\x88\xB7", "\xE4\xBE\x8B\xE5\xAD\x90.\xE5\xB9\xBF\xE5\x91\x8A", true),
        ok("<\"j\xC3\xB6 rg\"@example.org>", "j\xC3\xB6 rg", "example.org", true),
        ok("<USER@EXAMPLE.\xC3\x9C>", "USER", "example.\xC3\x9C", true),  // U-label kept as sent

        bad("<>", AddressError::syntax),  // null path only for MAIL
        bad("<user>", AddressError::syntax), bad("<user@>", AddressError::syntax),
        bad("<@example.org>", AddressError::syntax),
        bad("user@example.org", AddressError::syntax),  // brackets required by default
        bad("<user@example.org", AddressError::syntax),
        bad("<<user@example.org>>", AddressError::syntax),
        bad("<.user@example.org>", AddressError::syntax),
        bad("<user.@example.org>", AddressError::syntax),
        bad("<us..er@example.org>", AddressError::syntax),
        bad("<us er@example.org>", AddressError::syntax),
        bad("<us\"er@example.org>", AddressError::syntax),
        bad("<\"unterminated@example.org>", AddressError::syntax),
        bad("<\"a\x01\"@example.org>", AddressError::syntax),
        bad("<\"a\\\x01\"@example.org>", AddressError::syntax),
        bad(std::string("<a\0b@example.org>", 17), AddressError::syntax),
        bad("<user@example.org.>", AddressError::syntax),
        bad("<user@.example.org>", AddressError::syntax),
        bad("<user@exa..mple.org>", AddressError::syntax),
        bad("<user@-example.org>", AddressError::syntax),
        bad("<user@example-.org>", AddressError::syntax),
        bad("<user@exa_mple.org>", AddressError::syntax),
        bad("<user@example.org@x>", AddressError::syntax),
        bad("<u@[192.0.2.256]>", AddressError::syntax), bad("<u@[192.0.2]>", AddressError::syntax),
        bad("<u@[IPv6:1.2.3.4]>", AddressError::syntax),
        bad("<u@[IPv6:2001:db8::g]>", AddressError::syntax), bad("<u@[::1]>", AddressError::syntax),
        bad("<u@[192.0.2.1>", AddressError::syntax), bad("<u@192.0.2.1]>", AddressError::syntax),
        bad("<u@[x-tag:a[b]>", AddressError::syntax),
        bad("<@a.example,user@c.example>", AddressError::syntax),
        bad("<@[192.0.2.1]:user@c.example>", AddressError::syntax),
        bad("<@:user@c.example>", AddressError::syntax),
        bad("<j\xC3\xB6rg@example.org>", AddressError::non_ascii),  // no SMTPUTF8
        bad("<u@b\xC3\xBC"
            "cher.example>",
            AddressError::non_ascii),
        bad("<j\xC3rg@example.org>", AddressError::syntax, true),               // invalid UTF-8
        bad("<j\xC0\xAFrg@example.org>", AddressError::syntax, true),           // overlong
        bad("<u@" + std::string(64, 'a') + ".example>", AddressError::syntax),  // label > 63
    };
    const AddressPolicy policy;
    for (const auto& c : cases) {
        auto r = parse_path(c.text, c.kind, policy, c.utf8);
        if (c.error) {
            ASSERT_FALSE(r) << c.text;
            EXPECT_EQ(r.error(), *c.error) << c.text;
            continue;
        }
        ASSERT_TRUE(r) << c.text << " error " << static_cast<int>(r.error());
        EXPECT_EQ(r->length, c.text.size()) << c.text;
        ASSERT_TRUE(r->mailbox) << c.text;
        EXPECT_EQ(*r->mailbox, *c.mailbox) << c.text;
    }
}

TEST(Path, NullReversePathAndWhatFollows) {
    AddressPolicy policy;
    auto r = parse_path("<> SIZE=10", PathKind::reverse, policy, false);
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->mailbox);
    EXPECT_EQ(r->length, 2u);
    auto p = parse_path("<postmaster>", PathKind::reverse, policy, false);
    EXPECT_FALSE(p);  // "<postmaster>" without domain is only a forward path
    auto q = parse_path("<a@b.example> BODY=8BITMIME", PathKind::reverse, policy, false);
    ASSERT_TRUE(q);
    EXPECT_EQ(q->length, 13u);
}

TEST(Path, UnbracketedWhenAllowed) {
    AddressPolicy policy;
    policy.allow_unbracketed = true;
    auto r = parse_path("user@Example.org SIZE=1", PathKind::reverse, policy, false);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->mailbox->domain, "example.org");
    EXPECT_EQ(r->length, 16u);
    auto q = parse_path("\"a b\"@example.org", PathKind::forward, policy, false);
    ASSERT_TRUE(q);
    EXPECT_EQ(q->mailbox->local_part, "a b");
}

TEST(Path, LengthLimits) {
    const std::string local64(64, 'l');
    const std::string local65(65, 'l');
    std::string long_domain;
    while (long_domain.size() < 250)
        long_domain += "abcdefghi.";
    long_domain += "example";  // > 255

    AddressPolicy strict;
    strict.limits = AddressLimits::rfc();
    EXPECT_TRUE(parse_path("<" + local64 + "@example.org>", PathKind::forward, strict, false));
    auto too_long = parse_path("<" + local65 + "@example.org>", PathKind::forward, strict, false);
    ASSERT_FALSE(too_long);
    EXPECT_EQ(too_long.error(), AddressError::too_long);

    AddressPolicy lenient;  // the default: real mail (VERP, SRS) has long local parts
    EXPECT_TRUE(parse_path("<" + local65 + "@example.org>", PathKind::forward, lenient, false));
    auto domain = parse_path("<u@" + long_domain + ">", PathKind::forward, lenient, false);
    ASSERT_FALSE(domain);
    EXPECT_EQ(domain.error(), AddressError::too_long);

    // A path just over 256 under rfc(): local 64 + domain 200 is within the parts' limits.
    std::string domain200;
    while (domain200.size() < 190)
        domain200 += "abcdefghi.";
    domain200 += "example";
    auto path = parse_path("<" + local64 + "@" + domain200 + ">", PathKind::forward, strict, false);
    ASSERT_FALSE(path);
    EXPECT_EQ(path.error(), AddressError::too_long);
}

TEST(Path, HostileInputIsBoundedAndRejected) {
    AddressPolicy policy;
    // A megabyte address: refused as too long without scanning it all.
    std::string huge = "<" + std::string(1 << 20, 'a') + "@example.org>";
    auto r = parse_path(huge, PathKind::forward, policy, true);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), AddressError::too_long);
    // Unbalanced quotes and brackets.
    for (const char* s : {"<\"", "<\"\\", "<\"a\\\"@b>", "<[", "<u@[", "<u@[1.2.3.4", "<", ">",
                          "<<>", "<\"a\"\"b\"@x>"}) {
        EXPECT_FALSE(parse_path(s, PathKind::forward, policy, true)) << s;
    }
    // 10,000 route hops.
    std::string route = "<";
    for (int i = 0; i < 10000; ++i)
        route += "@a.example,";
    route += "@b.example:u@c.example>";
    EXPECT_FALSE(parse_path(route, PathKind::forward, policy, false));
}

TEST(Mailbox, NormalFormAndQuoting) {
    EXPECT_EQ((Mailbox{"user", "example.org"}).to_string(), "user@example.org");
    EXPECT_EQ((Mailbox{"john doe", "example.org"}).to_string(), "\"john doe\"@example.org");
    EXPECT_EQ((Mailbox{"a\"b\\c", "x"}).to_string(), "\"a\\\"b\\\\c\"@x");
    EXPECT_EQ((Mailbox{"a..b", "x"}).to_string(), "\"a..b\"@x");
    EXPECT_EQ((Mailbox{"", "x"}).to_string(), "\"\"@x");
    EXPECT_EQ((Mailbox{"postmaster", ""}).to_string(), "postmaster");
    EXPECT_TRUE((Mailbox{"PostMaster", "x"}).is_postmaster());
    EXPECT_TRUE((Mailbox{"u", "[192.0.2.1]"}).has_address_literal());
    EXPECT_TRUE((Mailbox{"j\xC3\xB6rg", "x"}).is_utf8());
    EXPECT_FALSE((Mailbox{"jorg", "x"}).is_utf8());

    // to_string() parses back to the same mailbox.
    AddressPolicy policy;
    for (const Mailbox& m : {Mailbox{"a b", "x.example"}, Mailbox{"a\"b", "x.example"},
                             Mailbox{"a.b", "[IPv6:2001:db8::1]"}, Mailbox{"", "x.example"}}) {
        auto back = parse_mailbox(m.to_string(), policy, false);
        ASSERT_TRUE(back) << m.to_string();
        EXPECT_EQ(*back, m);
    }
}

TEST(AddressLiteral, IpExtraction) {
    EXPECT_EQ(address_literal_ip("[192.0.2.1]")->to_string(), "192.0.2.1");
    EXPECT_EQ(address_literal_ip("[IPv6:2001:db8::1]")->to_string(), "2001:db8::1");
    EXPECT_FALSE(address_literal_ip("[x-tag:1.2.3.4]"));
    EXPECT_FALSE(address_literal_ip("192.0.2.1"));
    EXPECT_EQ(normalize_address_literal("[IPV6:2001:DB8::A]"), "[IPv6:2001:db8::a]");
}

TEST(Domain, Validation) {
    EXPECT_TRUE(is_valid_domain("example.org", false));
    EXPECT_TRUE(is_valid_domain("a", false));
    EXPECT_TRUE(is_valid_domain("a-b.c0", false));
    EXPECT_TRUE(is_valid_domain(std::string(63, 'a') + ".org", false));
    EXPECT_FALSE(is_valid_domain(std::string(64, 'a') + ".org", false));
    EXPECT_FALSE(is_valid_domain("", false));
    EXPECT_FALSE(is_valid_domain("example.org.", false));
    EXPECT_FALSE(
        is_valid_domain("b\xC3\xBC"
                        "cher.example",
                        false));
    EXPECT_TRUE(
        is_valid_domain("b\xC3\xBC"
                        "cher.example",
                        true));
    EXPECT_FALSE(
        is_valid_domain("b\xC3"
                        "cher.example",
                        true));
}

}  // namespace
}  // namespace postern::proto::smtp
