// DATA receiver: dot-stuffing, the end of data, limits, and SMTP smuggling. Every case is fed
// whole, one byte at a time and in random pieces, and must give the same result.
#include "proto/smtp/data_receiver.h"

#include <gtest/gtest.h>

#include "proto/smtp/data_sender.h"
#include "proto/smtp/test_util.h"

namespace postern::proto::smtp {
namespace {

using namespace std::string_literals;
using testing::code_of_verdict;
using testing::receive_data;
using testing::receive_data_random;
using testing::Received;

ContentLimits limits(LineEndingPolicy p = LineEndingPolicy::reject, std::uint64_t max = 0) {
    ContentLimits l;
    l.line_endings = p;
    l.max_message_size = max;
    return l;
}

// Runs `input` through fresh receivers in three feeding patterns; checks they agree and
// returns the result of the whole feed.
Received receive_all_ways(std::string_view input, const ContentLimits& l,
                          ContentReport* report = nullptr, ContentVerdict* verdict = nullptr) {
    DataReceiver whole(l);
    Received w = receive_data(whole, input);
    DataReceiver bytes(l);
    Received b = receive_data(bytes, input, 1);
    DataReceiver random(l);
    Received r = receive_data_random(random, input, 42);
    EXPECT_EQ(b.out, w.out);
    EXPECT_EQ(b.consumed, w.consumed);
    EXPECT_EQ(b.complete, w.complete);
    EXPECT_EQ(r.out, w.out);
    EXPECT_EQ(r.consumed, w.consumed);
    EXPECT_EQ(r.complete, w.complete);
    EXPECT_EQ(bytes.verdict(), whole.verdict());
    EXPECT_EQ(bytes.report().bare_lf, whole.report().bare_lf);
    EXPECT_EQ(bytes.report().bare_cr, whole.report().bare_cr);
    EXPECT_EQ(bytes.report().size, whole.report().size);
    EXPECT_EQ(whole.report().received, w.consumed);
    if (report)
        *report = whole.report();
    if (verdict)
        *verdict = whole.verdict();
    return w;
}

struct Case {
    const char* name;
    std::string input;
    std::string output;    // canonical message (reject policy, no violation)
    std::size_t consumed;  // where the end of data is; npos = not complete
};

TEST(DataReceiver, Table) {
    const std::size_t npos = std::string::npos;
    const Case cases[] = {
        {"plain", "Subject: x\r\n\r\nbody\r\n.\r\n", "Subject: x\r\n\r\nbody\r\n", 23},
        {"empty message", ".\r\n", "", 3},
        {"empty lines", "\r\n\r\n.\r\n", "\r\n\r\n", 7},
        {"stuffed dot line", "a\r\n..\r\n.\r\n", "a\r\n.\r\n", 10},
        {"stuffed at start", "..hidden\r\n.\r\n", ".hidden\r\n", 13},
        {"three dots", "...\r\n.\r\n", "..\r\n", 8},
        {"unstuffed dot text", ".x\r\n.\r\n", "x\r\n", 7},  // RFC 5321 §4.5.2: drop the first
        {"dot inside a line", "a.b\r\n a.\r\n.\r\n", "a.b\r\n a.\r\n", 13},
        {"pipelined command after", "hi\r\n.\r\nQUIT\r\n", "hi\r\n", 7},
        {"second message after", "x\r\n.\r\ny\r\n.\r\n", "x\r\n", 6},
        {"no end yet", "a\r\nb\r\n", "a\r\nb\r\n", npos},
        {"dot without CRLF", "a\r\n.", "a\r\n", npos},
        {"dot CR without LF", "a\r\n.\r", "a\r\n", npos},
        {"space before dot", "a\r\n .\r\n.\r\n", "a\r\n .\r\n", 10},
        {"dot space", "a\r\n. \r\n.\r\n", "a\r\n \r\n", 10},
        {"eight bit", "caf\xC3\xA9\r\n.\r\n", "caf\xC3\xA9\r\n", 10},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        ContentVerdict verdict;
        Received r = receive_all_ways(c.input, limits(), nullptr, &verdict);
        EXPECT_EQ(r.out, c.output);
        EXPECT_EQ(r.complete, c.consumed != npos);
        if (c.consumed != npos) {
            EXPECT_EQ(r.consumed, c.consumed);
        }
        EXPECT_EQ(verdict, ContentVerdict::accept);
    }
}

TEST(DataReceiver, NothingIsConsumedAfterTheEnd) {
    DataReceiver rx(limits());
    std::string out;
    auto p = rx.feed("a\r\n.\r\nMAIL FROM:<x@y.example>\r\n", out);
    EXPECT_TRUE(p.complete);
    EXPECT_EQ(p.consumed, 6u);
    auto again = rx.feed("more", out);
    EXPECT_TRUE(again.complete);
    EXPECT_EQ(again.consumed, 0u);
    EXPECT_EQ(out, "a\r\n");
}

TEST(DataReceiver, BareLineEndings) {
    ContentReport report;
    ContentVerdict verdict;
    const std::string input = "a\nb\rc\r\r\nd\r\n.\r\n";
    Received n = receive_all_ways(input, limits(LineEndingPolicy::normalize), &report, &verdict);
    EXPECT_TRUE(n.complete);
    EXPECT_EQ(n.out, "a\r\nb\r\nc\r\n\r\nd\r\n");
    EXPECT_EQ(report.bare_lf, 1u);
    EXPECT_EQ(report.bare_cr, 2u);
    EXPECT_EQ(verdict, ContentVerdict::accept);

    Received r = receive_all_ways(input, limits(LineEndingPolicy::reject), &report, &verdict);
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(r.consumed, input.size());
    EXPECT_EQ(r.out, "a");  // nothing after the first violation is kept
    EXPECT_EQ(verdict, ContentVerdict::bad_line_ending);
    EXPECT_EQ(code_of_verdict(verdict), "550 5.6.0");
}

// Every ending the issue lists, and NUL next to the dot: none ends the data. Each is followed
// by a whole second transaction an attacker wants a downstream server to see.
const std::vector<std::string>& smuggling_variants() {
    static const std::vector<std::string> v = {
        "\n.\n",        "\r.\r",        "\r.\n",        "\n.\r",
        "\n.\r\n",      "\r\n.\n",      "\r.\r\n",      "\r\n.\r",
        "\r\n\0.\r\n"s, "\r\n.\0\r\n"s, "\r\n.\r\0\n"s, "\r\n\0.\0\r\n"s,
        "\r\n.\n.\r\n", "\n\n.\n\n",    "\r\r.\r\r",    "\n.\r\r\n",
    };
    return v;
}

std::string smuggling_message(const std::string& variant) {
    return "Subject: hi\r\n\r\nhello" + variant +
           "MAIL FROM:<attacker@evil.example>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\n"
           "From: ceo@example.org\r\n\r\nsmuggled\r\n.\r\n";
}

TEST(DataReceiver, SmugglingVariantsNeverEndTheData) {
    const std::string tail = "QUIT\r\n";
    for (const auto& variant : smuggling_variants()) {
        SCOPED_TRACE(::testing::PrintToString(variant));
        const std::string message = smuggling_message(variant);
        const std::string input = message + tail;
        const bool has_nul = variant.find('\0') != std::string::npos;

        // reject: the end is the real one, and the message is refused.
        ContentVerdict verdict;
        ContentReport report;
        Received r = receive_all_ways(input, limits(LineEndingPolicy::reject), &report, &verdict);
        ASSERT_TRUE(r.complete);
        EXPECT_EQ(r.consumed, message.size());
        EXPECT_NE(verdict, ContentVerdict::accept);
        EXPECT_EQ(r.out.find("MAIL FROM"), std::string::npos);

        // normalize: the end is the real one; the smuggled part stays inside the message and
        // the canonical output never holds an end-of-data line.
        Received n =
            receive_all_ways(input, limits(LineEndingPolicy::normalize), &report, &verdict);
        ASSERT_TRUE(n.complete);
        EXPECT_EQ(n.consumed, message.size());
        if (has_nul) {
            EXPECT_EQ(verdict, ContentVerdict::nul);
            continue;
        }
        EXPECT_EQ(verdict, ContentVerdict::accept);
        EXPECT_NE(n.out.find("MAIL FROM:<attacker@evil.example>\r\n"), std::string::npos);
        EXPECT_EQ(n.out.find("\r\n.\r\n"), std::string::npos) << ::testing::PrintToString(n.out);
        EXPECT_TRUE(n.out.ends_with("smuggled\r\n"));

        // Relaying it: the DATA sender's stream has exactly one end, at the end, and the next
        // server (a strict receiver) reads back exactly the same message.
        const std::string wire = encode_data(n.out);
        EXPECT_EQ(wire.find("\r\n.\r\n"), wire.size() - 5);
        DataReceiver next(limits(LineEndingPolicy::reject));
        Received again = receive_data(next, wire, 1);
        EXPECT_TRUE(again.complete);
        EXPECT_EQ(again.consumed, wire.size());
        EXPECT_EQ(again.out, n.out);
        EXPECT_EQ(next.verdict(), ContentVerdict::accept);
    }
}

TEST(DataReceiver, StuffedDotAfterBareLfIsContentAndRelaysSafely) {
    // "\n..\n" is a broken client's correctly stuffed "." line: it stays a "." line of the
    // message, and the DATA sender stuffs it again, so the next hop sees content, not an end.
    const std::string input = "a\n..\nb\r\n.\r\n";
    Received n = receive_all_ways(input, limits(LineEndingPolicy::normalize));
    ASSERT_TRUE(n.complete);
    EXPECT_EQ(n.out, "a\r\n.\r\nb\r\n");
    const std::string wire = encode_data(n.out);
    EXPECT_EQ(wire, "a\r\n..\r\nb\r\n.\r\n");
    EXPECT_EQ(wire.find("\r\n.\r\n"), wire.size() - 5);
}

TEST(DataReceiver, OnlyCrlfDotCrlfEnds) {
    // Exhaustive over short strings of CR, LF, '.', NUL and 'x' put between two lines: the
    // data ends inside the probe only where the probe itself holds a real CRLF.CRLF.
    const char alphabet[] = {'\r', '\n', '.', '\0', 'x'};
    std::string probe;
    std::size_t checked = 0;
    for (int len = 1; len <= 6; ++len) {
        std::size_t combos = 1;
        for (int i = 0; i < len; ++i)
            combos *= 5;
        for (std::size_t k = 0; k < combos; ++k) {
            probe.clear();
            std::size_t v = k;
            for (int i = 0; i < len; ++i, v /= 5)
                probe += alphabet[v % 5];
            const std::string input = "a\r\n" + probe + "\r\n.\r\n";
            // Reference: the first CRLF "." CRLF with the dot starting a line after CRLF (the
            // start counts as after CRLF, but "a\r\n" precedes the probe here).
            std::size_t expected = std::string::npos;
            for (std::size_t i = 0; i + 5 <= input.size(); ++i) {
                if (input.compare(i, 5, "\r\n.\r\n") == 0) {
                    expected = i + 5;
                    break;
                }
            }
            DataReceiver rx(limits(LineEndingPolicy::normalize));
            Received r = receive_data(rx, input, 1);
            ASSERT_TRUE(r.complete) << ::testing::PrintToString(input);
            ASSERT_EQ(r.consumed, expected) << ::testing::PrintToString(input);
            ++checked;
        }
    }
    EXPECT_GT(checked, 19000u);
}

TEST(DataReceiver, SizeLimitKeepsReadingToTheEnd) {
    std::string input;
    for (int i = 0; i < 100; ++i)
        input += "0123456789012345678901234567890123456789\r\n";
    input += ".\r\nQUIT\r\n";
    ContentReport report;
    ContentVerdict verdict;
    Received r = receive_all_ways(input, limits(LineEndingPolicy::reject, 1000), &report, &verdict);
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(r.consumed, input.size() - 6);
    EXPECT_LE(r.out.size(), 1000u);
    EXPECT_EQ(report.size, 4200u);  // the size it would have had
    EXPECT_TRUE(report.too_large);
    EXPECT_EQ(verdict, ContentVerdict::too_large);
    EXPECT_EQ(code_of_verdict(verdict), "552 5.3.4");
    // Exactly at the limit is fine.
    Received exact =
        receive_all_ways(input, limits(LineEndingPolicy::reject, 4200), &report, &verdict);
    EXPECT_EQ(verdict, ContentVerdict::accept);
    EXPECT_EQ(exact.out.size(), 4200u);
}

TEST(DataReceiver, LongLines) {
    std::string line(999, 'x');
    std::string input = "short\r\n" + line + "\r\n" + std::string(998, 'y') + "\r\n.\r\n";
    ContentReport report;
    ContentVerdict verdict;
    Received r = receive_all_ways(input, limits(), &report, &verdict);
    EXPECT_EQ(report.long_lines, 1u);
    EXPECT_EQ(report.longest_line, 999u);
    EXPECT_EQ(report.lines, 3u);
    EXPECT_EQ(verdict, ContentVerdict::accept);  // accepted and reported by default
    ContentLimits strict = limits();
    strict.long_lines = LongLinePolicy::reject;
    receive_all_ways(input, strict, &report, &verdict);
    EXPECT_EQ(verdict, ContentVerdict::long_line);
}

TEST(DataReceiver, HostileStreams) {
    // DATA that never ends: memory stays bounded by the size limit, nothing completes.
    DataReceiver endless(limits(LineEndingPolicy::reject, 1 << 20));
    std::string out;
    const std::string block(64 * 1024, 'z');
    for (int i = 0; i < 160; ++i) {  // 10 MiB
        auto p = endless.feed(block, out);
        ASSERT_FALSE(p.complete);
        ASSERT_EQ(p.consumed, block.size());
    }
    EXPECT_LE(out.size(), 1u << 20);
    EXPECT_EQ(endless.verdict(), ContentVerdict::too_large);

    // A 10 MB header line.
    std::string header = "X-Big: " + std::string(10 * 1024 * 1024, 'h') + "\r\n\r\nbody\r\n.\r\n";
    DataReceiver rx(limits(LineEndingPolicy::reject, 20 * 1024 * 1024));
    std::string big;
    auto p = rx.feed(header, big);
    EXPECT_TRUE(p.complete);
    EXPECT_EQ(rx.report().long_lines, 1u);
    EXPECT_EQ(rx.verdict(), ContentVerdict::accept);
    DataReceiver small(limits(LineEndingPolicy::reject, 5 * 1024 * 1024));
    big.clear();
    EXPECT_TRUE(small.feed(header, big).complete);
    EXPECT_EQ(small.verdict(), ContentVerdict::too_large);

    // NUL bytes everywhere.
    std::string nuls(1000, '\0');
    nuls += "\r\n.\r\n";
    ContentVerdict verdict;
    Received r = receive_all_ways(nuls, limits(LineEndingPolicy::normalize), nullptr, &verdict);
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(verdict, ContentVerdict::nul);
    EXPECT_EQ(r.out, "");

    // TLS garbage after 354: binary noise is just refused content, the end still works.
    std::string garbage =
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"s + std::string(300, '\xAA') + "\r\n.\r\n";
    r = receive_all_ways(garbage, limits(), nullptr, &verdict);
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(verdict, ContentVerdict::nul);
}

}  // namespace
}  // namespace postern::proto::smtp
