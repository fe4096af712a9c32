// MessageParser: part trees and offsets for well-formed and malformed messages, fed whole,
// one byte at a time and in random chunks, in LF and CRLF form.
#include "mime/parser.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "mime/test_util.h"

namespace postern::mime {
namespace {

using testing::parse_in_chunks;
using testing::parse_random_chunks;
using testing::RecordingSink;
using testing::to_crlf;
using testing::tree;

struct TreeCase {
    const char* name;
    std::string input;  // LF form; the CRLF form is derived
    const char* tree;
    std::uint32_t root_flags_any = 0;  // at least these flags somewhere in the tree
};

std::uint32_t all_flags(const ParsedMessage& m) {
    std::uint32_t f = 0;
    for (const auto& p : m.parts)
        f |= p.flags;
    return f;
}

const std::vector<TreeCase>& tree_cases() {
    static const std::vector<TreeCase> cases = {
        {"plain", "Subject: hi\n\nbody\n", "text/plain"},
        {"empty", "", "text/plain", part_flag::no_header_end},
        {"header only", "Subject: hi\n", "text/plain", part_flag::no_header_end},
        {"body only", "\nbody", "text/plain"},
        {"multipart",
         "Content-Type: multipart/mixed; boundary=b\n\npre\n--b\n\none\n--b\nContent-Type: "
         "text/html\n\n<p>two</p>\n--b--\nepilogue\n",
         "multipart/mixed(text/plain,text/html)"},
        {"nested",
         "Content-Type: multipart/mixed; boundary=outer\n\n--outer\nContent-Type: "
         "multipart/alternative; boundary=inner\n\n--inner\n\na\n--inner\nContent-Type: "
         "text/html\n\nb\n--inner--\n--outer\nContent-Type: message/rfc822\n\nSubject: "
         "x\nContent-Type: multipart/mixed; boundary=deep\n\n--deep\n\nc\n--deep--\n--outer--\n",
         "multipart/mixed(multipart/alternative(text/plain,text/html),message/rfc822(multipart/"
         "mixed(text/plain)))"},
        {"digest default",
         "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\n1\n--d\n\nSubject: "
         "two\n\n2\n--d--\n",
         "multipart/digest(message/rfc822(text/plain),message/rfc822(text/plain))"},
        {"message/global", "Content-Type: message/global\n\nSubject: =?utf-8?q?x?=\n\nbody\n",
         "message/global(text/plain)"},
        {"trailing whitespace on delimiter",
         "Content-Type: multipart/mixed; boundary=b\n\n--b  \t\n\none\n--b-- \n",
         "multipart/mixed(text/plain)"},
        {"inner boundary extends outer",
         "Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; "
         "boundary=ab\n\n--ab\n\nx\n--ab\n\ny\n--ab--\n--a\n\nz\n--a--\n",
         "multipart/mixed(multipart/mixed(text/plain,text/plain),text/plain)"},
        {"outer delimiter closes inner",
         "Content-Type: multipart/mixed; boundary=1\n\n--1\nContent-Type: multipart/mixed; "
         "boundary=2\n\n--2\n\na\n--1\n\nb\n--1--\n",
         "multipart/mixed(multipart/mixed(text/plain),text/plain)",
         part_flag::missing_end_boundary},
        {"missing close delimiter", "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n",
         "multipart/mixed(text/plain)", part_flag::missing_end_boundary},
        {"missing blank line", "Subject: hi\nHello Bob,\nbody\n", "text/plain",
         part_flag::missing_blank_line},
        {"broken fold", "Subject: a long subject\nthat lost its indentation\nFrom: a@b\n\nbody\n",
         "text/plain", part_flag::unindented_continuation},
        {"boundary inside a part header",
         "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n--b\n\nx\n"
         "--b--\n",
         "multipart/mixed(text/plain,text/plain)", part_flag::header_cut_by_boundary},
        {"encoded message/rfc822",
         "Content-Type: message/rfc822\nContent-Transfer-Encoding: "
         "base64\n\nU3ViamVjdDogeAoKYgo=\n",
         "message/rfc822", part_flag::encoded_message},
        {"multipart without boundary", "Content-Type: multipart/mixed\n\nbody\n", "multipart/mixed",
         part_flag::no_boundary},
        {"multipart without delimiters",
         "Content-Type: multipart/mixed; boundary=zz\n\nno parts here\n", "multipart/mixed",
         part_flag::empty_multipart},
        {"first content-type wins",
         "Content-Type: text/html\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n",
         "text/html"},
        {"invalid content-type falls back", "Content-Type: text\n\nbody\n", "text/plain",
         part_flag::invalid_content_type},
        {"8-bit and NUL in header",
         "Subject: caf\xc3\xa9\nX-Nul: a" + std::string(1, '\0') + "b\n\nbody\n", "text/plain",
         part_flag::eight_bit_header | part_flag::nul_in_header},
        {"bare CR is not a line break",
         "Subject: a\rb\nContent-Type: multipart/mixed; boundary=b\n\n\r--b\n--b\n\nx\r\n--b--\n",
         "multipart/mixed(text/plain)"},
        {"continuation with nothing to continue", " leading\nSubject: x\n\nbody\n", "text/plain",
         part_flag::junk_header_line},
        {"delimiter at end opens nothing",
         "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b\n",
         "multipart/mixed(text/plain)", part_flag::missing_end_boundary},
    };
    return cases;
}

TEST(MessageParser, TreesInEveryFeedingAndLineEnding) {
    for (const auto& c : tree_cases()) {
        for (bool crlf : {false, true}) {
            std::string input = crlf ? to_crlf(c.input) : c.input;
            SCOPED_TRACE(std::string(c.name) + (crlf ? " [crlf]" : " [lf]"));
            RecordingSink whole_sink, byte_sink, random_sink;
            ParsedMessage whole = parse_in_chunks(input, input.size() + 1, {}, &whole_sink);
            EXPECT_EQ(tree(whole), c.tree);
            EXPECT_EQ(whole.size, input.size());
            if (c.root_flags_any) {
                EXPECT_EQ(all_flags(whole) & c.root_flags_any, c.root_flags_any);
            }
            ParsedMessage bytewise = parse_in_chunks(input, 1, {}, &byte_sink);
            EXPECT_EQ(bytewise, whole);
            EXPECT_EQ(byte_sink.bodies, whole_sink.bodies);
            for (std::uint64_t seed = 1; seed <= 5; ++seed) {
                RecordingSink s;
                EXPECT_EQ(parse_random_chunks(input, seed, {}, &s), whole);
                EXPECT_EQ(s.bodies, whole_sink.bodies);
            }
            // The sink sees exactly each leaf's body range, and every started body ends.
            EXPECT_EQ(whole_sink.starts, whole_sink.ends);
            for (const auto& [index, bytes] : whole_sink.bodies) {
                const Part& p = whole.parts[index];
                EXPECT_EQ(bytes, input.substr(p.body_start, p.body_end - p.body_start)) << index;
            }
            // Offsets are ordered and nested inside the parent.
            for (const auto& p : whole.parts) {
                EXPECT_LE(p.header_start, p.body_start);
                EXPECT_LE(p.body_start, p.body_end);
                EXPECT_LE(p.body_end, whole.size);
                if (p.parent != kNoPart) {
                    const Part& parent = whole.parts[p.parent];
                    EXPECT_GE(p.header_start, parent.body_start);
                    EXPECT_LE(p.body_end, parent.body_end);
                }
            }
        }
    }
}

TEST(MessageParser, MultipartOffsetsInLfAndCrlf) {
    const std::string lf =
        "Content-Type: multipart/mixed; boundary=b\n\npreamble\n--b\nContent-Type: "
        "text/plain\n\nline one\nline two\n--b\n\nsecond\n--b--\nepilogue\n";
    for (bool crlf : {false, true}) {
        std::string in = crlf ? to_crlf(lf) : lf;
        const std::string nl = crlf ? "\r\n" : "\n";
        ParsedMessage m = parse_message(in);
        ASSERT_EQ(tree(m), "multipart/mixed(text/plain,text/plain)");
        const Part& root = m.parts[0];
        EXPECT_EQ(root.body_start, in.find("preamble"));
        EXPECT_EQ(root.body_end, in.size());
        EXPECT_EQ(root.preamble_end, in.find(nl + "--b"));
        EXPECT_EQ(root.epilogue_start, in.find("epilogue"));

        const Part& one = m.parts[1];
        EXPECT_EQ(one.header_start, in.find("Content-Type: text/plain"));
        EXPECT_EQ(one.body_start, in.find("line one"));
        // The line break before "--b" belongs to the delimiter (RFC 2046 §5.1.1).
        EXPECT_EQ(one.body_end, in.find("line two") + 8);
        EXPECT_EQ(one.body_lines, 1u);
        EXPECT_EQ(one.header_size(), ("Content-Type: text/plain" + nl + nl).size());

        const Part& two = m.parts[2];
        EXPECT_EQ(two.header_start, in.find(nl + nl + "second") + nl.size());
        EXPECT_EQ(two.body_start, in.find("second"));
        EXPECT_EQ(two.body_end, in.find("second") + 6);
        EXPECT_EQ(two.body_lines, 0u);

        auto headers = m.headers_of(1);
        ASSERT_EQ(headers.size(), 1u);
        EXPECT_EQ(headers[0].name, "Content-Type");
        EXPECT_EQ(headers[0].raw_value, " text/plain");
        EXPECT_EQ(headers[0].offset, one.header_start);
        EXPECT_EQ(headers[0].value_offset, one.header_start + 13);
        EXPECT_EQ(headers[0].end, one.header_start + 24 + nl.size());
    }
}

TEST(MessageParser, HeaderFieldsKeepFoldsAndObsoleteSpaceBeforeColon) {
    const std::string in = "Subject : one\n two\n\tthree\nX-Empty:\nTo: a@b\n\nbody";
    ParsedMessage m = parse_message(in);
    auto h = m.headers_of(0);
    ASSERT_EQ(h.size(), 3u);
    EXPECT_EQ(h[0].name, "Subject");
    EXPECT_EQ(h[0].raw_value, " one\n two\n\tthree");
    EXPECT_EQ(h[0].value_offset, in.find(':') + 1);
    EXPECT_EQ(h[0].end, in.find("X-Empty"));
    EXPECT_EQ(h[1].raw_value, "");
    EXPECT_TRUE(h[2].is("to"));
    EXPECT_EQ(m.find_header(0, "SUBJECT"), &h[0]);
    EXPECT_EQ(m.find_header(0, "Cc"), nullptr);
}

TEST(MessageParser, BrokenFoldJoinsTheFieldButMissingBlankLineStartsTheBody) {
    ParsedMessage fold = parse_message("Subject: long\nwrapped\nFrom: a@b\n\nbody\n");
    ASSERT_EQ(fold.headers_of(0).size(), 2u);
    EXPECT_EQ(fold.headers_of(0)[0].raw_value, " long\nwrapped");
    const std::string body_first = "Subject: hi\nHello Bob\n\nHow are you\n";
    ParsedMessage m = parse_message(body_first);
    EXPECT_EQ(m.headers_of(0).size(), 1u);
    EXPECT_EQ(m.root().body_start, body_first.find("Hello"));
}

TEST(MessageParser, CountsReceivedAndLongestLine) {
    std::string in = "Received: a\nReceived: b\nreceived: c\nSubject: x\n\n" +
                     std::string(3000, 'x') + "\nshort\n";
    ParsedMessage m = parse_message(in);
    EXPECT_EQ(m.count_headers(0, "Received"), 3u);
    EXPECT_EQ(m.longest_line, 3001u);
    EXPECT_EQ(m.root().body_lines, 2u);
}

TEST(MessageParser, MessageRfc822ChildSharesTheBodyRange) {
    const std::string in =
        "Content-Type: message/rfc822\n\nSubject: inner\nContent-Type: text/plain\n\ninner body\n";
    ParsedMessage m = parse_message(in);
    ASSERT_EQ(m.parts.size(), 2u);
    EXPECT_EQ(m.parts[0].kind, PartKind::message);
    const Part& inner = m.parts[1];
    EXPECT_EQ(inner.header_start, m.parts[0].body_start);
    EXPECT_EQ(inner.body_end, m.parts[0].body_end);
    EXPECT_EQ(inner.body_start, in.find("inner body"));
    EXPECT_EQ(m.parts[0].body_lines, 4u);
    EXPECT_EQ(inner.depth, 1u);
    EXPECT_EQ(m.find_header(1, "Subject")->raw_value, " inner");
}

TEST(MessageParser, SameBoundaryNestedGoesToTheInnermost) {
    const std::string in =
        "Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; "
        "boundary=a\n\n--a\n\nbody\n";
    ParsedMessage m = parse_message(in);
    EXPECT_EQ(tree(m), "multipart/mixed(multipart/mixed(text/plain))");
}

TEST(MessageParser, GarbageAfterBoundaryBelongsToTheDelimiterLine) {
    const std::string in =
        "Content-Type: multipart/mixed; boundary=a\n\n--a junk here\nX: 1\n\nbody\n--a--\n";
    ParsedMessage m = parse_message(in);
    ASSERT_EQ(tree(m), "multipart/mixed(text/plain)");
    EXPECT_EQ(m.parts[1].header_start, in.find("X: 1"));
}

}  // namespace
}  // namespace postern::mime

namespace postern::mime {
namespace {

// Every corpus message, LF and CRLF: one byte at a time and random splits agree with whole.
TEST(MessageParser, CorpusIsSplitInvariant) {
    namespace fs = std::filesystem;
    const fs::path root = fs::path(POSTERN_CONFORMANCE_DIR) / "mail-parser" / "eml";
    int files = 0;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (e.path().extension() != ".eml")
            continue;
        std::ifstream f(e.path(), std::ios::binary);
        std::string raw((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        for (const std::string& in : {raw, to_crlf(raw)}) {
            SCOPED_TRACE(e.path().string());
            RecordingSink a, b;
            ParsedMessage whole = parse_in_chunks(in, in.size() + 1, {}, &a);
            EXPECT_EQ(parse_in_chunks(in, 1, {}, &b), whole);
            EXPECT_EQ(b.bodies, a.bodies);
            EXPECT_EQ(parse_random_chunks(in, 7), whole);
        }
        ++files;
    }
    EXPECT_EQ(files, 53);
}

}  // namespace
}  // namespace postern::mime
