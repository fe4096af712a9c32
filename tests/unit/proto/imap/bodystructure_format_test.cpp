// BODY and BODYSTRUCTURE text: hand-derived expectations for parsed messages, the RFC 3501
// §7.4.2 example, imaptest's fetch-bodystructure case, damaged structures, and every message of
// the mail-parser corpus checked against the RFC 9051 §9 body grammar.
#include "proto/imap/bodystructure_format.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "imap_data_reader.h"
#include "mime/parser.h"
#include "mime/structure_codec.h"

namespace postern::proto::imap {
namespace {

namespace fs = std::filesystem;

const SessionMode kRev1{};
const SessionMode kUtf8{.utf8_accept = true};
const SessionMode kRev2{.imap4rev2 = true};

std::string body_of(std::string_view raw, bool ext, const SessionMode& mode = kRev1) {
    std::string out;
    append_body_structure(out, mime::build_structure(mime::parse_message(raw)), ext, mode);
    return out;
}

// imaptest tests/fetch-bodystructure: a folded quoted boundary, a text part of an unknown
// subtype. imaptest compares case-insensitively; we keep the MIME layer's lower case.
TEST(BodyStructureFormat, ImaptestFetchBodystructure) {
    const char* raw =
        "From: user@domain.org\r\n"
        "Date: Sat, 24 Mar 2007 23:00:00 +0200\r\n"
        "Mime-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"foo\r\n bar\"\r\n"
        "\r\n"
        "--foo bar\r\n"
        "Content-Type: text/x-myown; charset=us-ascii\r\n"
        "\r\n"
        "hello\r\n"
        "\r\n"
        "--foo bar--\r\n";
    const std::string body = body_of(raw, false);
    EXPECT_TRUE(testing::ieq(
        body, R"((("TEXT" "x-MYOWN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 7 1) "MIXED"))"))
        << body;
    EXPECT_EQ(body_of(raw, true),
              R"((("text" "x-myown" ("charset" "us-ascii") NIL NIL "7bit" 7 1 NIL NIL NIL NIL) )"
              R"("mixed" ("boundary" "foo bar") NIL NIL NIL))");
}

TEST(BodyStructureFormat, PlainMessageGetsDefaultCharset) {
    EXPECT_EQ(body_of("Subject: x\r\n\r\nline 1\r\nline 2\r\n", false),
              R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 16 2))");
    EXPECT_EQ(body_of("Subject: x\r\n\r\nline 1\r\nline 2\r\n", true),
              R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 16 2 NIL NIL NIL NIL))");
    // A text part with parameters but no charset gets one too (RFC 2046 §4.1.2; Dovecot).
    EXPECT_EQ(body_of("Content-Type: text/html; foo=bar\r\n\r\n<p>\r\n", false),
              R"(("text" "html" ("foo" "bar" "charset" "us-ascii") NIL NIL "7bit" 5 1))");
    // Non-text parts without parameters have NIL.
    EXPECT_EQ(
        body_of("Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\nAA==\r\n",
                true),
        R"(("image" "png" NIL NIL NIL "base64" 6 NIL NIL NIL NIL))");
}

TEST(BodyStructureFormat, MessageRfc822) {
    const char* raw =
        "From: user@domain.org\r\n"
        "Date: Sat, 24 Mar 2007 23:00:00 +0200\r\n"
        "Mime-Version: 1.0\r\n"
        "Content-Type: message/rfc822\r\n"
        "\r\n"
        "From: sub@domain.org\r\n"
        "Date: Sun, 12 Aug 2012 12:34:56 +0300\r\n"
        "Subject: submsg\r\n"
        "\r\n"
        "Hello world\r\n";
    const std::string env =
        R"(("Sun, 12 Aug 2012 12:34:56 +0300" "submsg" ((NIL NIL "sub" "domain.org")) )"
        R"(((NIL NIL "sub" "domain.org")) ((NIL NIL "sub" "domain.org")) NIL NIL NIL NIL NIL))";
    EXPECT_EQ(body_of(raw, false),
              R"(("message" "rfc822" NIL NIL NIL "7bit" 93 )" + env +
                  R"( ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 13 1) 5))");
    EXPECT_EQ(body_of(raw, true),
              R"(("message" "rfc822" NIL NIL NIL "7bit" 93 )" + env +
                  R"( ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 13 1 NIL NIL NIL NIL))"
                  R"( 5 NIL NIL NIL NIL))");
}

TEST(BodyStructureFormat, AllExtensionFields) {
    // The line break before a delimiter belongs to the delimiter (RFC 2046 §5.1.1): the text
    // body is "caf=C3=A9", 9 octets and no line feed.
    const char* raw =
        "Content-Type: multipart/alternative; boundary=XX\r\n"
        "Content-Language: en, de\r\n"
        "\r\n"
        "--XX\r\n"
        "Content-Type: text/plain; charset=UTF-8; format=flowed\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "Content-ID: <part1@x>\r\n"
        "Content-Description: The text\r\n"
        "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
        "Content-Disposition: inline\r\n"
        "Content-Location: http://example.org/a.txt\r\n"
        "\r\n"
        "caf=C3=A9\r\n"
        "--XX\r\n"
        "Content-Type: application/pdf; name=\"a b.pdf\"\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "Content-Disposition: attachment; filename*=UTF-8''%E2%82%AC.pdf\r\n"
        "\r\n"
        "JVBERi0=\r\n"
        "--XX--\r\n";
    EXPECT_EQ(body_of(raw, true),
              R"((("text" "plain" ("charset" "UTF-8" "format" "flowed") "<part1@x>" "The text" )"
              R"("quoted-printable" 9 0 "Q2hlY2sgSW50ZWdyaXR5IQ==" ("inline" NIL) NIL )"
              R"("http://example.org/a.txt"))"
              R"(("application" "pdf" ("name" "a b.pdf") NIL NIL "base64" 8 NIL )"
              R"(("attachment" ("filename*" "UTF-8''%E2%82%AC.pdf")) NIL NIL) )"
              R"("alternative" ("boundary" "XX") NIL ("en" "de") NIL))");
    EXPECT_EQ(body_of(raw, false),
              R"((("text" "plain" ("charset" "UTF-8" "format" "flowed") "<part1@x>" "The text" )"
              R"("quoted-printable" 9 0))"
              R"(("application" "pdf" ("name" "a b.pdf") NIL NIL "base64" 8) "alternative"))");
}

TEST(BodyStructureFormat, EightBitParameterValues) {
    const std::string raw =
        "Content-Type: application/octet-stream; name=\"\xe2\x82\xac.bin\"\r\n\r\nxx\r\n";
    EXPECT_EQ(body_of(raw, false, kRev1),
              "(\"application\" \"octet-stream\" (\"name\" {7}\r\n\xe2\x82\xac.bin) NIL NIL "
              "\"7bit\" 4)");
    EXPECT_EQ(body_of(raw, false, kUtf8),
              "(\"application\" \"octet-stream\" (\"name\" \"\xe2\x82\xac.bin\") NIL NIL \"7bit\" "
              "4)");
}

// message/global is a body-type-msg only in the IMAP4rev2 grammar.
TEST(BodyStructureFormat, MessageGlobalByMode) {
    const char* raw = "Content-Type: message/global\r\n\r\nSubject: x\r\n\r\nhi\r\n";
    EXPECT_EQ(body_of(raw, false, kRev1), R"(("message" "global" NIL NIL NIL "7bit" 18))");
    EXPECT_EQ(body_of(raw, false, kUtf8), R"(("message" "global" NIL NIL NIL "7bit" 18))");
    EXPECT_EQ(body_of(raw, false, kRev2),
              R"(("message" "global" NIL NIL NIL "7bit" 18 (NIL "x" NIL NIL NIL NIL NIL NIL NIL )"
              R"(NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 4 1) 3))");
}

mime::BodyPart text_part(std::string subtype, std::vector<mime::Param> params, std::uint64_t size,
                         std::uint64_t lines) {
    mime::BodyPart p;
    p.kind = mime::BodyPart::Kind::text;
    p.type = "TEXT";
    p.subtype = std::move(subtype);
    p.params = std::move(params);
    p.encoding = "7BIT";
    p.size = size;
    p.lines = lines;
    return p;
}

// RFC 3501 §7.4.2 example, written from a structure that holds the example's own spelling.
TEST(BodyStructureFormat, Rfc3501Example) {
    mime::MessageStructure s;
    mime::BodyPart root;
    root.kind = mime::BodyPart::Kind::multipart;
    root.type = "MULTIPART";
    root.subtype = "MIXED";
    root.children = {1, 2};
    s.parts.push_back(root);
    s.parts.push_back(text_part("PLAIN", {{"CHARSET", "US-ASCII", false}}, 1152, 23));
    mime::BodyPart diff =
        text_part("PLAIN", {{"CHARSET", "US-ASCII", false}, {"NAME", "cc.diff", false}}, 4554, 73);
    diff.id = "<960723163407.20117h@cac.washington.edu>";
    diff.description = "Compiler diff";
    diff.encoding = "BASE64";
    s.parts.push_back(diff);
    s.envelopes.emplace_back();
    std::string out;
    append_body_structure(out, s, false, kRev1);
    EXPECT_EQ(out,
              R"((("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23)("TEXT" "PLAIN" )"
              R"(("CHARSET" "US-ASCII" "NAME" "cc.diff") )"
              R"("<960723163407.20117h@cac.washington.edu>" "Compiler diff" "BASE64" 4554 73) )"
              R"("MIXED"))");
    std::string blob_out;
    ASSERT_TRUE(append_body_structure_blob(blob_out, mime::encode_structure(s), false, kRev1));
    EXPECT_EQ(blob_out, out);
}

constexpr std::string_view kEmpty = R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0))";

TEST(BodyStructureFormat, DamagedStructuresStillParse) {
    std::string out;
    append_body_structure(out, mime::MessageStructure{}, false, kRev1);
    EXPECT_EQ(out, kEmpty);
    out.clear();
    append_body_structure(out, mime::MessageStructure{}, true, kRev1);
    EXPECT_EQ(out, R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL))");

    // A multipart without parts gets one empty part; a missing subtype is x-unknown.
    mime::MessageStructure s;
    mime::BodyPart mp;
    mp.kind = mime::BodyPart::Kind::multipart;
    mp.type = "multipart";
    s.parts.push_back(mp);
    out.clear();
    append_body_structure(out, s, false, kRev1);
    EXPECT_EQ(out, "(" + std::string(kEmpty) + " \"x-unknown\")");

    // A child index out of range, and one child listed twice.
    s.parts[0].subtype = "mixed";
    s.parts[0].children = {1, 1, 9};
    s.parts.push_back(text_part("plain", {}, 3, 1));
    out.clear();
    append_body_structure(out, s, false, kRev1);
    EXPECT_EQ(out, R"((("TEXT" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 3 1))" +
                       std::string(kEmpty) + std::string(kEmpty) + R"( "mixed"))");

    // A message part with no enclosed message or envelope is opaque data.
    mime::MessageStructure m;
    mime::BodyPart msg;
    msg.kind = mime::BodyPart::Kind::message;
    msg.type = "message";
    msg.subtype = "rfc822";
    msg.size = 5;
    msg.children = {1};
    msg.envelope = 3;  // no such envelope
    m.parts.push_back(msg);
    m.parts.push_back(text_part("plain", {}, 5, 1));
    out.clear();
    append_body_structure(out, m, false, kRev1);
    EXPECT_EQ(out, R"(("application" "octet-stream" NIL NIL NIL "7bit" 5))");

    auto st = append_body_structure_blob(out, "garbage", true, kRev1);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, Errc::corrupt);
}

TEST(BodyStructureFormat, NestingBeyondTheLimitIsCut) {
    mime::MessageStructure s;
    const int levels = kMaxBodyDepth + 10;
    for (int i = 0; i < levels; ++i) {
        mime::BodyPart mp;
        mp.kind = mime::BodyPart::Kind::multipart;
        mp.type = "multipart";
        mp.subtype = "mixed";
        mp.children = {static_cast<std::uint32_t>(i + 1)};
        s.parts.push_back(mp);
    }
    s.parts.push_back(text_part("plain", {}, 1, 0));
    std::string out;
    append_body_structure(out, s, true, kRev1);
    auto v = testing::read_all(out);
    ASSERT_TRUE(v);
    int parts = 0;
    EXPECT_TRUE(testing::check_body(*v, true, parts));
    EXPECT_EQ(parts, kMaxBodyDepth + 2);  // levels 0..kMaxBodyDepth, then the placeholder
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string to_crlf(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '\r')
            continue;
        if (c == '\n')
            out += '\r';
        out += c;
    }
    return out;
}

std::string to_lf(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c != '\r')
            out += c;
    }
    return out;
}

// Every corpus message, LF and CRLF, in both forms and all session modes: the text reads back
// as RFC 9051 body data with one body per MIME part, and the store's blob gives the same text.
TEST(BodyStructureFormat, MailParserCorpusIsWellFormed) {
    const fs::path root = fs::path(POSTERN_CONFORMANCE_DIR) / "mail-parser" / "eml";
    ASSERT_TRUE(fs::exists(root)) << root;
    int messages = 0;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
        if (entry.path().extension() != ".eml")
            continue;
        ++messages;
        const std::string raw = read_file(entry.path());
        for (const std::string& input : {to_lf(raw), to_crlf(raw)}) {
            const mime::MessageStructure s = mime::build_structure(mime::parse_message(input));
            const std::string blob = mime::encode_structure(s);
            for (bool ext : {false, true}) {
                for (const SessionMode& mode : {kRev1, kUtf8, kRev2}) {
                    std::string out;
                    append_body_structure(out, s, ext, mode);
                    auto v = testing::read_all(out);
                    ASSERT_TRUE(v) << entry.path() << "\n" << out;
                    int parts = 0;
                    EXPECT_TRUE(testing::check_body(*v, ext, parts, mode.imap4rev2))
                        << entry.path() << "\n"
                        << out;
                    // message/global is one part fewer in IMAP4rev1 (its message is not shown).
                    if (mode.imap4rev2)
                        EXPECT_EQ(parts, static_cast<int>(s.parts.size())) << entry.path();
                    else
                        EXPECT_LE(parts, static_cast<int>(s.parts.size())) << entry.path();
                    std::string from_blob;
                    ASSERT_TRUE(append_body_structure_blob(from_blob, blob, ext, mode));
                    EXPECT_EQ(from_blob, out) << entry.path();
                }
            }
        }
    }
    EXPECT_GE(messages, 50);
}

}  // namespace
}  // namespace postern::proto::imap
