// xtext (RFC 3461 §4), DSN parameter values and ORCPT (RFC 3461 §4.2, RFC 6533 §3).
#include <random>

#include <gtest/gtest.h>

#include "proto/smtp/dsn.h"
#include "proto/smtp/xtext.h"

namespace postern::proto::smtp {
namespace {

TEST(Xtext, EncodesOnlyWhatMustBe) {
    EXPECT_EQ(xtext_encode("user@example.org"), "user@example.org");
    EXPECT_EQ(xtext_encode("a+b=c d"), "a+2Bb+3Dc+20d");
    EXPECT_EQ(xtext_encode(std::string("\0\x7f\xff", 3)), "+00+7F+FF");
    EXPECT_EQ(xtext_encode(""), "");
}

TEST(Xtext, DecodesAndRejects) {
    struct Case {
        const char* in;
        std::optional<std::string> out;
    };
    const Case cases[] = {
        {"user+40example.org", "user@example.org"},
        {"a+2Bb", "a+b"},
        {"+2b", "+"},  // lower-case hex accepted
        {"", ""},
        {"+", std::nullopt},
        {"+4", std::nullopt},
        {"+4G", std::nullopt},
        {"a=b", std::nullopt},
        {"a b", std::nullopt},
        {"caf\xC3\xA9", std::nullopt},  // UTF-8 only with allow_utf8
    };
    for (const auto& c : cases)
        EXPECT_EQ(xtext_decode(c.in), c.out) << c.in;
    EXPECT_EQ(xtext_decode("caf\xC3\xA9", true), "caf\xC3\xA9");
    EXPECT_EQ(xtext_decode("caf\xC3", true), std::nullopt);
}

TEST(Xtext, RoundTripsEveryByteString) {
    std::mt19937 rng(7);
    for (int i = 0; i < 2000; ++i) {
        std::string raw(rng() % 40, '\0');
        for (auto& c : raw)
            c = static_cast<char>(rng());
        auto back = xtext_decode(xtext_encode(raw));
        ASSERT_TRUE(back);
        EXPECT_EQ(*back, raw);
    }
}

TEST(Dsn, Notify) {
    EXPECT_EQ(parse_notify("NEVER"), notify::never);
    EXPECT_EQ(parse_notify("never"), notify::never);
    EXPECT_EQ(parse_notify("SUCCESS,FAILURE"), notify::success | notify::failure);
    EXPECT_EQ(parse_notify("delay,Success,FAILURE"),
              notify::success | notify::failure | notify::delay);
    for (const char* bad : {"", "NEVER,SUCCESS", "SUCCESS,,FAILURE", "SUCCESS,SUCCESS", "ALWAYS",
                            "SUCCESS,", " SUCCESS"}) {
        EXPECT_EQ(parse_notify(bad), std::nullopt) << bad;
    }
    EXPECT_EQ(format_notify(notify::delay | notify::success), "SUCCESS,DELAY");
    EXPECT_EQ(format_notify(notify::never), "NEVER");
    EXPECT_EQ(format_notify(0), "");
}

TEST(Dsn, RetAndBody) {
    EXPECT_EQ(parse_ret("hdrs"), Ret::headers);
    EXPECT_EQ(parse_ret("FULL"), Ret::full);
    EXPECT_EQ(parse_ret("HEADERS"), std::nullopt);
    EXPECT_EQ(parse_body("8bitmime"), Body::eight_bit_mime);
    EXPECT_EQ(parse_body("7BIT"), Body::seven_bit);
    EXPECT_EQ(parse_body("BINARYMIME"), Body::binary_mime);
    EXPECT_EQ(parse_body("8BIT"), std::nullopt);
    EXPECT_EQ(ret_name(Ret::headers), "HDRS");
    EXPECT_EQ(body_name(Body::binary_mime), "BINARYMIME");
}

TEST(Dsn, Orcpt) {
    auto o = parse_orcpt("rfc822;user+2Btag@example.org", false);
    ASSERT_TRUE(o);
    EXPECT_EQ(o->addr_type, "rfc822");
    EXPECT_EQ(o->address, "user+tag@example.org");
    EXPECT_EQ(o->value, "rfc822;user+2Btag@example.org");
    EXPECT_EQ(parse_orcpt("RFC822;a@b", false)->addr_type, "rfc822");
    // RFC 6533 utf-8 type: \x{HEX} escapes, raw UTF-8 only under SMTPUTF8.
    auto u = parse_orcpt("utf-8;j\\x{E9}r\\x{F4}me@example.org", false);
    ASSERT_TRUE(u);
    EXPECT_EQ(u->address, "j\xC3\xA9r\xC3\xB4me@example.org");
    EXPECT_TRUE(parse_orcpt("utf-8;j\xC3\xA9r@example.org", true));
    EXPECT_FALSE(parse_orcpt("utf-8;j\xC3\xA9r@example.org", false));
    for (const char* bad : {"rfc822", ";a@b", "rfc822;", "rf c822;a@b", "rfc822;a=b",
                            "utf-8;\\x{D800}", "utf-8;\\x{}", "utf-8;\\x{110000}"}) {
        EXPECT_FALSE(parse_orcpt(bad, true)) << bad;
    }
    EXPECT_FALSE(parse_orcpt("rfc822;" + std::string(600, 'a'), false));
}

TEST(Dsn, MakeOrcpt) {
    EXPECT_EQ(make_orcpt("a+b@example.org").value, "rfc822;a+2Bb@example.org");
    auto u = make_orcpt("j\xC3\xA9r\xC3\xB4me+x@example.org");
    EXPECT_EQ(u.value, "utf-8;j\xC3\xA9r\xC3\xB4me\\x{2B}x@example.org");
    auto back = parse_orcpt(u.value, true);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->address, u.address);
}

}  // namespace
}  // namespace postern::proto::smtp
