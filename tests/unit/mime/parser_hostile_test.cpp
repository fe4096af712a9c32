// MessageParser against hostile input: deep nesting, huge lines, huge header counts, NUL and
// bare CR, part floods, random garbage. The parser must stay within its limits and agree
// with itself however the input is split.
#include <random>

#include <gtest/gtest.h>

#include "mime/parser.h"
#include "mime/test_util.h"

namespace postern::mime {
namespace {

using testing::parse_in_chunks;
using testing::parse_random_chunks;
using testing::RecordingSink;
using testing::tree;

void expect_sane(const ParsedMessage& m, std::string_view input) {
    EXPECT_EQ(m.size, input.size());
    ASSERT_FALSE(m.parts.empty());
    std::size_t headers = 0;
    for (std::uint32_t i = 0; i < m.parts.size(); ++i) {
        const Part& p = m.parts[i];
        EXPECT_LE(p.header_start, p.body_start);
        EXPECT_LE(p.body_start, p.body_end);
        EXPECT_LE(p.body_end, m.size);
        EXPECT_EQ(p.first_header, headers);
        headers += p.header_count;
        for (auto c : p.children) {
            ASSERT_LT(c, m.parts.size());
            EXPECT_GT(c, i);
            EXPECT_EQ(m.parts[c].parent, i);
        }
    }
    EXPECT_EQ(headers, m.headers.size());
}

std::uint32_t max_depth(const ParsedMessage& m) {
    std::uint32_t d = 0;
    for (const auto& p : m.parts)
        d = std::max(d, p.depth);
    return d;
}

TEST(MessageParserHostile, HundredThousandNestedMultiparts) {
    std::string in;
    constexpr int kLevels = 100000;
    for (int i = 0; i < kLevels; ++i) {
        // "b7x" is no prefix of "b77x": every level has a distinct delimiter.
        in += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "x\n\n--b" +
              std::to_string(i) + "x\n";
    }
    in += "\nthe innermost body\n";
    for (int i = kLevels; i-- > 0;)
        in += "--b" + std::to_string(i) + "x--\n";
    Limits limits;
    ParsedMessage m = parse_in_chunks(in, 4093, limits);
    expect_sane(m, in);
    EXPECT_LE(max_depth(m), limits.max_depth);
    EXPECT_LE(m.parts.size(), limits.max_depth + 1);
    bool depth_flag = false;
    for (const auto& p : m.parts)
        depth_flag |= (p.flags & part_flag::depth_limit) != 0;
    EXPECT_TRUE(depth_flag);
    EXPECT_EQ(parse_in_chunks(in, 977, limits), m);
}

TEST(MessageParserHostile, HundredThousandNestedMessages) {
    std::string in;
    for (int i = 0; i < 100000; ++i)
        in += "Content-Type: message/rfc822\n\n";
    in += "Subject: bottom\n\nbody\n";
    ParsedMessage m = parse_in_chunks(in, 65536);
    expect_sane(m, in);
    EXPECT_EQ(m.parts.size(), Limits{}.max_depth + 1);
    EXPECT_EQ(max_depth(m), Limits{}.max_depth);
    EXPECT_NE(m.parts.back().flags & part_flag::depth_limit, 0u);
}

TEST(MessageParserHostile, TenMegabyteHeaderLineIsCutAtTheLimit) {
    std::string in = "Subject: " + std::string(10 * 1024 * 1024, 'a') + "\nX-After: 1\n\nbody\n";
    Limits limits;
    RecordingSink sink;
    ParsedMessage m = parse_in_chunks(in, 64 * 1024, limits, &sink);
    expect_sane(m, in);
    ASSERT_GE(m.headers.size(), 1u);
    EXPECT_LE(m.headers[0].raw_value.size(), limits.max_line_length);
    EXPECT_NE(m.root().flags & part_flag::field_truncated, 0u);
    EXPECT_EQ(m.headers.back().name, "X-After");  // later fields are still read
    EXPECT_EQ(m.root().body_start, in.find("body"));
    EXPECT_EQ(sink.bodies[0], "body\n");
    EXPECT_EQ(m.longest_line, 10u * 1024 * 1024 + 10);
}

TEST(MessageParserHostile, TenMegabyteLineWithoutColonIsBody) {
    std::string in = std::string(10 * 1024 * 1024, 'x') + "\n";
    ParsedMessage m = parse_in_chunks(in, 100000);
    expect_sane(m, in);
    EXPECT_EQ(m.root().body_start, 0u);
    EXPECT_EQ(m.root().body_lines, 1u);
    EXPECT_NE(m.root().flags & part_flag::missing_blank_line, 0u);
}

TEST(MessageParserHostile, HugeFieldNameIsNotAField) {
    std::string in = std::string(5000, 'N') + ": value\n\nbody\n";
    ParsedMessage m = parse_in_chunks(in, 1);
    expect_sane(m, in);
    EXPECT_TRUE(m.headers.empty());
    EXPECT_EQ(m.root().body_start, 0u);
}

// Found by fuzz_mime: a colon right at the edge of the field-name window must give the same
// answer however much input is buffered.
TEST(MessageParserHostile, FieldNameAtTheWindowEdge) {
    for (std::size_t len = 994; len <= 1002; ++len) {
        std::string in = std::string(len, 'N') + ": v\nX: y\n\nbody\n";
        ParsedMessage whole = parse_message(in);
        EXPECT_EQ(parse_in_chunks(in, 1), whole) << len;
        EXPECT_EQ(parse_in_chunks(in, 997), whole) << len;
        EXPECT_EQ(parse_in_chunks(in, 998), whole) << len;
        EXPECT_EQ(whole.headers.empty(), len >= 998) << len;
    }
}

TEST(MessageParserHostile, HundredThousandHeaderFields) {
    std::string in;
    for (int i = 0; i < 100000; ++i)
        in += "X-Field-" + std::to_string(i) + ": value\n";
    in += "\nbody\n";
    Limits limits;
    ParsedMessage m = parse_in_chunks(in, 8191, limits);
    expect_sane(m, in);
    EXPECT_EQ(m.headers.size(), limits.max_header_count);
    EXPECT_NE(m.root().flags & part_flag::header_limit, 0u);
    EXPECT_EQ(m.root().body_start, in.find("\nbody") + 1);
}

TEST(MessageParserHostile, HeaderByteBudget) {
    Limits limits;
    limits.max_header_bytes = 64;
    std::string in =
        "A: 0123456789012345678901234567890\nB: 0123456789012345678901234567890\nC: x\n\n";
    ParsedMessage m = parse_message(in, limits);
    std::size_t recorded = 0;
    for (const auto& h : m.headers)
        recorded += h.name.size() + 1 + h.raw_value.size();
    EXPECT_LE(recorded, limits.max_header_bytes);
    EXPECT_NE(m.root().flags & (part_flag::header_limit | part_flag::field_truncated), 0u);
}

TEST(MessageParserHostile, PartFlood) {
    std::string in = "Content-Type: multipart/mixed; boundary=p\n\n";
    for (int i = 0; i < 30000; ++i)
        in += "--p\n\nx\n";
    in += "--p--\n";
    Limits limits;
    limits.max_parts = 10000;
    ParsedMessage m = parse_in_chunks(in, 1000, limits);
    expect_sane(m, in);
    EXPECT_EQ(m.parts.size(), limits.max_parts);
    EXPECT_NE(m.flags & message_flag::part_limit, 0u);
    // What follows the last allowed part is opaque body of the multipart.
    EXPECT_EQ(m.parts[0].body_end, in.size());
    EXPECT_LT(m.parts.back().body_end, in.size());
    EXPECT_NE(m.parts[0].flags & part_flag::part_limit, 0u);
}

TEST(MessageParserHostile, BoundaryThatIsAPrefixOfAnother) {
    // RFC 2046 §5.1.2: "--ab" belongs to the inner "ab", "--a" to the outer "a", even though
    // "--a" is a prefix of "--ab".
    const std::string in =
        "Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; "
        "boundary=ab\n\n--ab\n\none\n--ab\n\ntwo\n--a\n\nthree\n--a--\n";
    ParsedMessage m = parse_message(in);
    EXPECT_EQ(tree(m), "multipart/mixed(multipart/mixed(text/plain,text/plain),text/plain)");
    EXPECT_NE(m.parts[1].flags & part_flag::missing_end_boundary, 0u);
    // And the reverse: the inner boundary is the shorter one.
    const std::string rev =
        "Content-Type: multipart/mixed; boundary=ab\n\n--ab\nContent-Type: multipart/mixed; "
        "boundary=a\n\n--a\n\none\n--ab\n\ntwo\n--ab--\n";
    EXPECT_EQ(tree(parse_message(rev)), "multipart/mixed(multipart/mixed(text/plain),text/plain)");
}

TEST(MessageParserHostile, LongBoundaries) {
    std::string b(900, 'q');
    std::string in = "Content-Type: multipart/mixed; boundary=\"" + b + "\"\n\n--" + b +
                     "\n\nx\n--" + b + "--\n";
    ParsedMessage m = parse_in_chunks(in, 1);
    EXPECT_EQ(tree(m), "multipart/mixed(text/plain)");
    EXPECT_EQ(m.parts[0].flags & part_flag::missing_end_boundary, 0u);
    // Too long for any line: unusable, so the multipart is a leaf.
    std::string too_long(2000, 'q');
    std::string in2 =
        "Content-Type: multipart/mixed; boundary=\"" + too_long + "\"\n\n--" + too_long + "\n\nx\n";
    ParsedMessage m2 = parse_in_chunks(in2, 1);
    EXPECT_EQ(m2.parts.size(), 1u);
    EXPECT_NE(m2.parts[0].flags & part_flag::no_boundary, 0u);
}

TEST(MessageParserHostile, NulBytesAndBareCarriageReturns) {
    std::string in = "Content-Type: multipart/mixed; boundary=b\n\n--b";
    in += std::string("\0\n\na\0b\rc\r\r\n--b--\n", 17);
    RecordingSink sink;
    ParsedMessage m = parse_in_chunks(in, 1, {}, &sink);
    expect_sane(m, in);
    ASSERT_EQ(tree(m), "multipart/mixed(text/plain)");
    const Part& p = m.parts[1];
    EXPECT_EQ(sink.bodies[1], in.substr(p.body_start, p.body_end - p.body_start));
    EXPECT_NE(sink.bodies[1].find('\0'), std::string::npos);

    std::string cr_only = "Subject: a\rb\rc\r\rbody\r";
    ParsedMessage c = parse_in_chunks(cr_only, 1);
    expect_sane(c, cr_only);
    EXPECT_EQ(c.headers.size(), 1u);  // no LF at all: one field that never ends
}

// Random bytes drawn from a mail-ish alphabet: whatever comes in, feeding it whole or one
// byte at a time gives the same result and the same body bytes.
TEST(MessageParserHostile, RandomInputIsSplitInvariant) {
    const std::string_view atoms[] = {"\n",
                                      "\r\n",
                                      "\r",
                                      "--b",
                                      "--b--",
                                      "--a",
                                      "--ab",
                                      "Content-Type: multipart/mixed; boundary=b\n",
                                      "Content-Type: multipart/mixed; boundary=a\n",
                                      "Content-Type: message/rfc822\n",
                                      ": ",
                                      " ",
                                      "\t",
                                      "X",
                                      "Subject: s\n",
                                      "\n\n",
                                      std::string_view("\0", 1),
                                      "\xff"};
    std::mt19937_64 rng(2024);
    Limits limits;
    limits.max_parts = 50;
    limits.max_depth = 8;
    limits.max_header_bytes = 300;
    for (int iter = 0; iter < 1500; ++iter) {
        std::string in;
        int n = 1 + static_cast<int>(rng() % 80);
        for (int k = 0; k < n; ++k)
            in += atoms[rng() % std::size(atoms)];
        RecordingSink a, b;
        ParsedMessage whole = parse_in_chunks(in, in.size() + 1, limits, &a);
        expect_sane(whole, in);
        ParsedMessage bytes = parse_in_chunks(in, 1, limits, &b);
        ASSERT_EQ(bytes, whole) << testing::tree(whole) << " input: " << in;
        ASSERT_EQ(b.bodies, a.bodies);
        ASSERT_EQ(parse_random_chunks(in, static_cast<std::uint64_t>(iter), limits), whole);
        EXPECT_LE(whole.parts.size(), limits.max_parts);
    }
}

}  // namespace
}  // namespace postern::mime
