// Header field removal: folded fields, case, the body untouched, any chunking, long lines.
#include "mime/header_filter.h"

#include <gtest/gtest.h>

namespace postern::mime {
namespace {

const std::vector<std::string> kNames = {"X-Postern-Spam-Level", "subject"};

TEST(HeaderFilter, RemovesNamedFieldsWithTheirContinuations) {
    std::string raw =
        "Received: a\r\n b\r\nSUBJECT: forged\r\n\tmore\r\nX-Postern-Spam-Level : 1\r\n"
        "From: x\r\n\r\nSubject: in the body stays\r\nX-Postern-Spam-Level: 1\r\n";
    EXPECT_EQ(strip_header_fields(raw, kNames),
              "Received: a\r\n b\r\nFrom: x\r\n\r\nSubject: in the body stays\r\n"
              "X-Postern-Spam-Level: 1\r\n");
    EXPECT_EQ(strip_header_fields("Subject: x\r\n", kNames), "");
    EXPECT_EQ(strip_header_fields("Subject: x", kNames), "");
    EXPECT_EQ(strip_header_fields("", kNames), "");
    EXPECT_EQ(strip_header_fields("A: 1\n\nB", {}), "A: 1\n\nB");
    EXPECT_EQ(strip_header_fields("A: 1\nSubject: 2\n\nB", kNames), "A: 1\n\nB");
    EXPECT_EQ(strip_header_fields("Subjectx: keep\r\n\r\n", kNames), "Subjectx: keep\r\n\r\n");
}

TEST(HeaderFilter, PresentFieldsOnlyFromTheHeader) {
    std::string raw =
        "subject: a\r\n x-postern-spam-level: folded, not a field\r\n\r\n"
        "X-Postern-Spam-Level: 1\r\n";
    EXPECT_EQ(present_header_fields(raw, kNames), std::vector<std::string>{"subject"});
    EXPECT_EQ(present_header_fields("X-Postern-Spam-Level: 1\nSubject: s", kNames), kNames);
    EXPECT_TRUE(present_header_fields("", kNames).empty());
}

TEST(HeaderFilter, SameResultForEveryChunking) {
    std::string raw =
        "Subject: s\r\n folded\r\nKeep: k\r\nx-postern-spam-level: 9\r\n\r\nbody\r\nSubject: b\r\n";
    auto whole = strip_header_fields(raw, kNames);
    EXPECT_EQ(whole, "Keep: k\r\n\r\nbody\r\nSubject: b\r\n");
    for (std::size_t size = 1; size <= raw.size(); ++size) {
        HeaderFieldFilter f(kNames);
        std::string out;
        for (std::size_t i = 0; i < raw.size(); i += size)
            f.feed(std::string_view(raw).substr(i, size), out);
        f.finish(out);
        EXPECT_EQ(out, whole) << size;
    }
}

TEST(HeaderFilter, OverlongLineStopsFilteringWithoutLosingBytes) {
    std::string raw = "Subject: " + std::string(100, 'x') + "\r\nSubject: y\r\n\r\nb";
    HeaderFieldFilter f(kNames, 50);
    std::string out;
    for (char c : raw)
        f.feed(std::string_view(&c, 1), out);
    f.finish(out);
    EXPECT_EQ(out, raw);
    EXPECT_FALSE(f.in_header());
}

TEST(HeaderFilter, WithBodyKeepsTheHeaderSection) {
    EXPECT_EQ(with_body("A: 1\r\nB: 2\r\n\r\nold\r\n\r\nmore", "new\r\n"),
              "A: 1\r\nB: 2\r\n\r\nnew\r\n");
    EXPECT_EQ(with_body("A: 1\r\n", "new"), "A: 1\r\n\r\nnew");  // header only
    EXPECT_EQ(with_body("A: 1", "new"), "A: 1\r\n\r\nnew");      // unterminated line
    EXPECT_EQ(with_body("\r\nbody only", "new"), "\r\nnew");     // no header fields
    EXPECT_EQ(with_body("", ""), "\r\n");
}

}  // namespace
}  // namespace postern::mime
