// Modified UTF-7 mailbox names (RFC 3501 §5.1.3): examples, round trips and every class of
// invalid input the decoder must refuse.
#include "proto/imap/mutf7.h"

#include <gtest/gtest.h>

#include "base/utf8.h"

namespace postern::proto::imap {
namespace {

TEST(Mutf7, Examples) {
    struct Case {
        std::string utf8;
        std::string mutf7;
    };
    const Case cases[] = {
        {"", ""},
        {"INBOX", "INBOX"},
        {"&", "&-"},
        {"&&x&&", "&-&-x&-&-"},
        {"tiet\xc3\xa4j\xc3\xa4", "tiet&AOQ-j&AOQ-"},
        // RFC 3501 §5.1.3 example: ~peter/mail/台北/日本語
        {"~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
         "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
        {"p\xc3\xa4\xc3\xa4", "p&AOQA5A-"},
        {"Entw\xc3\xbc rfe", "Entw&APw- rfe"},
        // U+1F600 needs a surrogate pair.
        {"\xf0\x9f\x98\x80", "&2D3eAA-"},
        // Controls and DEL are not printable: they are shifted too.
        {"a\tb", "a&AAk-b"},
        {"\x7f", "&AH8-"},
        {"~!\"#$%'()*+,-./:;<=>?@[\\]^_`{|}", "~!\"#$%'()*+,-./:;<=>?@[\\]^_`{|}"},
    };
    for (const auto& c : cases) {
        auto enc = encode_mutf7(c.utf8);
        ASSERT_TRUE(enc) << c.mutf7;
        EXPECT_EQ(*enc, c.mutf7);
        auto dec = decode_mutf7(c.mutf7);
        ASSERT_TRUE(dec) << c.mutf7 << ": " << dec.error().message;
        EXPECT_EQ(*dec, c.utf8);
        EXPECT_TRUE(is_valid_mutf7(c.mutf7));
    }
}

TEST(Mutf7, EncodeRefusesInvalidUtf8AndNul) {
    for (std::string bad : {std::string("p\xe4\xe4"), std::string("\xc3"),
                            std::string("\xed\xa0\x80"), std::string("a\0b", 3)}) {
        auto r = encode_mutf7(bad);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, Errc::invalid_argument);
    }
}

TEST(Mutf7, DecodeRefusesInvalid) {
    const char* bad[] = {
        "&",                   // unterminated
        "&Jjo",                // unterminated
        "&Jjo!",               // "!" is not modified base64, and no "-"
        "&U,BTFw-&ZeVnLIqe-",  // two shifts back to back
        "&AOQ-&AOQ-",          // likewise
        "&AGE-",               // "a" shifted: printable ASCII must be direct
        "&ACY-",               // "&" shifted
        "&AOQ/-",              // "/" is not in the modified alphabet
        "&AOQ=-",              // no padding in modified base64
        "&A-",                 // 6 bits: not a UTF-16 unit
        "&AO-",                // 12 bits
        "&AOR-",               // U+00E4 with nonzero padding bits
        "&2D0-",               // lone high surrogate
        "&2D3YPQ-",            // high surrogate followed by another high one
        "&3gA-",               // lone low surrogate
        "&AAA-",               // U+0000
        "a\x01",               // raw control
        "a\x7f",               // raw DEL
        "caf\xc3\xa9",         // raw 8-bit
        "&AOQ-\n",             // raw LF
    };
    for (const char* b : bad) {
        auto r = decode_mutf7(b);
        EXPECT_FALSE(r) << b;
        if (!r) {
            EXPECT_EQ(r.error().code, Errc::invalid_argument);
        }
        EXPECT_FALSE(is_valid_mutf7(b)) << b;
    }
}

// Every 8-bit octet shifted on its own is an odd number of bytes; after U+00E4, a single octet
// likewise (Dovecot's non-UTF-16 cases).
TEST(Mutf7, DecodeRefusesOddOctets) {
    static constexpr char kB64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
    for (unsigned i = 0; i <= 255; ++i) {
        std::string one = {'&', kB64[i >> 2], kB64[(i & 3) << 4], '-'};
        EXPECT_FALSE(is_valid_mutf7(one)) << one;
        std::string three = {
            '&', kB64[0], kB64[0xe4 >> 4], kB64[((0xe4 & 0x0f) << 2) | (i >> 6)], kB64[i & 0x3f],
            '-'};
        EXPECT_FALSE(is_valid_mutf7(three)) << three;
    }
}

// Every printable character shifted is refused; every one direct is itself.
TEST(Mutf7, PrintableAsciiIsAlwaysDirect) {
    static constexpr char kB64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
    for (unsigned c = 0x20; c < 0x7f; ++c) {
        std::string shifted = {'&', kB64[0], kB64[c >> 4], kB64[(c & 0x0f) << 2], '-'};
        EXPECT_FALSE(is_valid_mutf7(shifted)) << shifted;
        if (c == '&')
            continue;
        std::string direct(1, static_cast<char>(c));
        EXPECT_EQ(encode_mutf7(direct).value_or("?"), direct);
        EXPECT_EQ(decode_mutf7(direct).value_or("?"), direct);
    }
}

// Code points around the BMP boundary, mixed with "x" and "&", survive the round trip.
TEST(Mutf7, RoundTripsAroundSurrogates) {
    for (char32_t cp = 0xFFF0; cp <= 0x10010; ++cp) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        for (int n = 1; n <= 4; ++n) {
            std::string src;
            for (int j = 0; j < n; ++j) {
                if (j % 3 == 0)
                    src += 'x';
                if (j % 2 == 0)
                    src += '&';
                append_utf8(src, cp);
            }
            auto enc = encode_mutf7(src);
            ASSERT_TRUE(enc);
            auto dec = decode_mutf7(*enc);
            ASSERT_TRUE(dec) << *enc;
            EXPECT_EQ(*dec, src);
        }
    }
}

}  // namespace
}  // namespace postern::proto::imap
