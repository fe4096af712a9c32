// Tests of the log service datagram format: encoding, strict parsing of hostile input, and
// the round trip (whatever the encoder sends, the parser accepts unchanged).
#include "log/datagram.h"

#include <random>

#include <gtest/gtest.h>

#include "log_test_util.h"

namespace postern::log {
namespace {

using std::chrono::milliseconds;

Record rec(Level level, std::int64_t ms, std::string host, std::string module, std::string session,
           std::string text) {
    return Record{TimePoint(std::chrono::duration_cast<TimePoint::duration>(milliseconds(ms))),
                  level,
                  std::move(host),
                  std::move(module),
                  std::move(session),
                  std::move(text)};
}

TEST(EncodeDatagram, Table) {
    struct Case {
        Record record;
        std::string expected;
    };
    const Case cases[] = {
        {rec(kInfo, 1763812148123, "mx1.example.org", "SMTP-IN", "0000001A", "connection accepted"),
         "v1 8 1763812148123 mx1.example.org SMTP-IN:0000001A: connection accepted"},
        {rec(kProtocol, 0, "h", "IMAP", "", ""), "v1 16 0 h IMAP:: "},
        {rec(kCritical, 5, "2001:db8::1", "M", "s", "a:b: c"), "v1 1 5 2001:db8::1 M:s: a:b: c"},
        // Fields are sanitised so the datagram always parses.
        {rec(kError, 5, "bad host", "SMTP IN", "se:ss ion", "t"),
         "v1 2 5 bad_host SMTP_IN:se_ss_ion: t"},
        {rec(kError, 5, "", "", "", "t"), "v1 2 5 unknown UNKNOWN:: t"},
        // Text: C0 and DEL become spaces, C1 and broken UTF-8 become '?', valid UTF-8 stays.
        {rec(kInfo, 5, "h", "M", "1",
             "a\r\nb\x7f"
             "c\xc2\x9b"
             "d\xff"
             "e\xc3\xa9\xe2\x82\xac\tf"),
         "v1 8 5 h M:1: a  b c?d?e\xc3\xa9\xe2\x82\xac\tf"},
        // A mask is sent as its most severe level; nothing as info.
        {rec(static_cast<Level>(12), 5, "h", "M", "1", "t"), "v1 4 5 h M:1: t"},
        {rec(static_cast<Level>(0), 5, "h", "M", "1", "t"), "v1 8 5 h M:1: t"},
        // Times outside the accepted range are clamped.
        {rec(kInfo, -1000, "h", "M", "1", "t"), "v1 8 0 h M:1: t"},
    };
    for (const auto& c : cases)
        EXPECT_EQ(encode_datagram(c.record), c.expected);
}

TEST(EncodeDatagram, TruncatesTextAtCharacterBoundary) {
    std::string text;
    for (int i = 0; i < 1000; ++i)
        text += "\xe2\x82\xac";  // 3-byte euro signs
    bool cut = false;
    auto d = encode_datagram(rec(kInfo, 1, "h", "M", "1", text), 600, &cut);
    EXPECT_TRUE(cut);
    EXPECT_LE(d.size(), 600u);
    EXPECT_GT(d.size(), 597u);
    EXPECT_TRUE(decode_datagram(d, 600).has_value());
    cut = true;
    encode_datagram(rec(kInfo, 1, "h", "M", "1", "short"), 600, &cut);
    EXPECT_FALSE(cut);
    // Limits below the minimum are raised to it.
    EXPECT_EQ(encode_datagram(rec(kInfo, 1, "h", "M", "1", std::string(2000, 'x')), 10).size(),
              kMinDatagram);
}

TEST(DecodeDatagram, AcceptsWellFormed) {
    auto r =
        decode_datagram("v1 16 1763812148123 mx1.example.org SMTP-IN:0000001A: C: EHLO x").value();
    EXPECT_EQ(r.level, kProtocol);
    EXPECT_EQ(std::chrono::duration_cast<milliseconds>(r.when.time_since_epoch()).count(),
              1763812148123);
    EXPECT_EQ(r.host, "mx1.example.org");
    EXPECT_EQ(r.module, "SMTP-IN");
    EXPECT_EQ(r.session, "0000001A");
    EXPECT_EQ(r.text, "C: EHLO x");

    EXPECT_EQ(decode_datagram("v1 08 1 h M:: ").value().level, kInfo);
    EXPECT_EQ(decode_datagram("v1 8 1 h M:s: trailing newline\n").value().text, "trailing newline");
    EXPECT_EQ(decode_datagram("v1 8 1 h M:s: crlf\r\n").value().text, "crlf");
    EXPECT_EQ(decode_datagram("v1 8 1 h M:s: colons: in: text").value().text, "colons: in: text");
    EXPECT_EQ(decode_datagram("v1 8 1 h M:s:  leading space").value().text, " leading space");
    EXPECT_EQ(decode_datagram("v1 8 1 h M:s: tab\there").value().text, "tab\there");
    EXPECT_EQ(decode_datagram("v1 8 7258118400000 h M:s: t").value().text, "t");  // the latest time
}

TEST(DecodeDatagram, RejectsHostileInput) {
    struct Case {
        std::string datagram;
        DatagramError kind;
    };
    const std::string big(9000, 'a');
    const Case cases[] = {
        {"", DatagramError::malformed},
        {"v1", DatagramError::malformed},
        {"v2 8 1 h M:s: t", DatagramError::malformed},
        {"V1 8 1 h M:s: t", DatagramError::malformed},
        {"v1  8 1 h M:s: t", DatagramError::malformed},
        {"v1 3 1 h M:s: t", DatagramError::malformed},  // not a single level
        {"v1 0 1 h M:s: t", DatagramError::malformed},
        {"v1 32 1 h M:s: t", DatagramError::malformed},
        {"v1 008 1 h M:s: t", DatagramError::malformed},
        {"v1 +8 1 h M:s: t", DatagramError::malformed},
        {"v1 -8 1 h M:s: t", DatagramError::malformed},
        {"v1 x 1 h M:s: t", DatagramError::malformed},
        {"v1 8 -1 h M:s: t", DatagramError::malformed},
        {"v1 8 1e5 h M:s: t", DatagramError::malformed},
        {"v1 8 7258118400001 h M:s: t", DatagramError::malformed},  // past 2200
        {"v1 8 99999999999999999999999 h M:s: t", DatagramError::malformed},
        {"v1 8 1 h M:s:t", DatagramError::malformed},  // no space after the session colon
        {"v1 8 1 h M:s", DatagramError::malformed},
        {"v1 8 1 h Ms: t", DatagramError::malformed},  // no session field
        {"v1 8 1 h :s: t", DatagramError::malformed},  // empty module
        {"v1 8 1  M:s: t", DatagramError::malformed},  // empty host
        {"v1 8 1 h/x M:s: t", DatagramError::malformed},
        {"v1 8 1 h M M:s: t", DatagramError::malformed},  // space in module
        {"v1 8 1 h M:s s: t", DatagramError::malformed},
        {"v1 8 1 h M\xc3\xa9:s: t", DatagramError::malformed},
        {"v1 8 1 " + std::string(256, 'h') + " M:s: t", DatagramError::malformed},
        {"v1 8 1 h " + std::string(65, 'M') + ":s: t", DatagramError::malformed},
        {"v1 8 1 h M:" + std::string(65, 's') + ": t", DatagramError::malformed},
        {std::string("v1 8 1 h M:s: a\0b", 17), DatagramError::encoding},
        {"v1 8 1 h M:s: a\rb", DatagramError::encoding},
        {"v1 8 1 h M:s: a\nb", DatagramError::encoding},  // only one trailing newline is allowed
        {"v1 8 1 h M:s: t\n\n", DatagramError::encoding},
        {"v1 8 1 h M:s: \x1b[2J", DatagramError::encoding},
        {"v1 8 1 h M:s: \x7f", DatagramError::encoding},
        {"v1 8 1 h M:s: \xc2\x9b", DatagramError::encoding},  // C1 CSI
        {"v1 8 1 h M:s: \xff", DatagramError::encoding},
        {"v1 8 1 h M:s: \xc0\xaf", DatagramError::encoding},          // overlong '/'
        {"v1 8 1 h M:s: \xe0\x80\xaf", DatagramError::encoding},      // overlong
        {"v1 8 1 h M:s: \xed\xa0\x80", DatagramError::encoding},      // surrogate
        {"v1 8 1 h M:s: \xf4\x90\x80\x80", DatagramError::encoding},  // above U+10FFFF
        {"v1 8 1 h M:s: \xe2\x82", DatagramError::encoding},          // cut sequence
        {"v1 8 1 h M:s: " + big, DatagramError::oversize},
    };
    for (const auto& c : cases) {
        auto r = decode_datagram(c.datagram, kDefaultMaxDatagram);
        ASSERT_FALSE(r.has_value()) << c.datagram.substr(0, 60);
        EXPECT_EQ(r.error().kind, c.kind) << c.datagram.substr(0, 60) << " → " << r.error().reason;
        EXPECT_FALSE(r.error().reason.empty());
    }
}

TEST(DecodeDatagram, SizeLimitIsExact) {
    std::string d = "v1 8 1 h M:s: ";
    d += std::string(100 - d.size(), 'x');
    EXPECT_TRUE(decode_datagram(d, 100).has_value());
    EXPECT_EQ(decode_datagram(d + "x", 100).error().kind, DatagramError::oversize);
}

TEST(DecodeDatagram, EveryPrefixOfAValidDatagramIsHandled) {
    const std::string d =
        "v1 16 1763812148123 mx1.example.org SMTP-IN:0000001A: C: \xc3\xa9t\xc3\xa9";
    const std::size_t text_start = d.find(": C") + 2;
    for (std::size_t n = 0; n <= d.size(); ++n) {
        auto r = decode_datagram(d.substr(0, n));
        // Only prefixes that still hold the whole header (and cut no UTF-8 sequence) parse.
        bool cuts_utf8 = n > 0 && n < d.size() && (static_cast<unsigned char>(d[n]) & 0xC0) == 0x80;
        EXPECT_EQ(r.has_value(), n >= text_start && !cuts_utf8) << n;
    }
}

TEST(DatagramRoundTrip, RandomRecordsSurviveUnchangedWhenClean) {
    std::mt19937 rng(42);
    auto random_bytes = [&](std::size_t max) {
        std::string s(rng() % max, '\0');
        for (auto& c : s)
            c = static_cast<char>(rng());
        return s;
    };
    for (int i = 0; i < 5000; ++i) {
        auto r = rec(static_cast<Level>(1u << (rng() % 5)), rng(), random_bytes(20),
                     random_bytes(20), random_bytes(20), random_bytes(3000));
        auto d = encode_datagram(r, 1024);
        ASSERT_LE(d.size(), 1024u);
        auto back = decode_datagram(d, 1024);
        ASSERT_TRUE(back.has_value()) << back.error().reason;
        EXPECT_EQ(encode_datagram(*back, 1024), d);  // a fixed point after one pass
        EXPECT_EQ(back->level, r.level);
        EXPECT_EQ(back->when, r.when);
    }
    // Records that are already clean come back exactly.
    auto clean = rec(kWarning, 1763812148123, "mx1", "SMTP-OUT", "Q1A2",
                     "250 2.0.0 Ok: queued \xe2\x9c\x93");
    auto back = decode_datagram(encode_datagram(clean)).value();
    EXPECT_EQ(back.host, clean.host);
    EXPECT_EQ(back.module, clean.module);
    EXPECT_EQ(back.session, clean.session);
    EXPECT_EQ(back.text, clean.text);
    EXPECT_EQ(back.when, clean.when);
}

TEST(CleanText, Table) {
    struct Case {
        std::string in;
        std::size_t max;
        std::string out;
        bool whole;
    };
    const Case cases[] = {
        {"plain", 100, "plain", true},
        {"plain", 3, "pla", false},
        {"\xc3\xa9\xc3\xa9", 3, "\xc3\xa9", false},  // never half a character
        {"\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80", true},
        {"\xf0\x9f\x98", 10, "???", true},
        {"a\tb", 10, "a\tb", true},
        {std::string("\0", 1), 10, " ", true},
    };
    for (const auto& c : cases) {
        std::string out;
        EXPECT_EQ(clean_text(c.in, out, c.max), c.whole) << c.in;
        EXPECT_EQ(out, c.out) << c.in;
        EXPECT_TRUE(is_clean_text(out));
    }
}

}  // namespace
}  // namespace postern::log
