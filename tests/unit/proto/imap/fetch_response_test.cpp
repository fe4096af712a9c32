// FETCH responses item by item, section texts, literals and literal8, streamed bodies and the
// store's blobs.
#include "proto/imap/fetch_response.h"

#include <gtest/gtest.h>

#include "imap_data_reader.h"
#include "mime/parser.h"
#include "mime/structure_codec.h"

namespace postern::proto::imap {
namespace {

const SessionMode kRev1{};
const SessionMode kUtf8{.utf8_accept = true};

using V = std::vector<std::string>;

TEST(FetchResponse, SectionTexts) {
    EXPECT_EQ(section_spec(Section{}), "");
    EXPECT_EQ(section_spec(Section{.part = {1, 2}}), "1.2");
    EXPECT_EQ(section_spec(Section{.text = SectionText::header}), "HEADER");
    EXPECT_EQ(section_spec(Section{.part = {3}, .text = SectionText::mime}), "3.MIME");
    EXPECT_EQ(section_spec(Section{.part = {4, 1}, .text = SectionText::text}), "4.1.TEXT");
    EXPECT_EQ(
        section_spec(Section{.text = SectionText::header_fields, .fields = {"FROM", "SUBJECT"}}),
        "HEADER.FIELDS (FROM SUBJECT)");
    EXPECT_EQ(section_spec(Section{
                  .part = {1}, .text = SectionText::header_fields_not, .fields = {"X-FOO"}}),
              "1.HEADER.FIELDS.NOT (X-FOO)");
    EXPECT_EQ(section_part(std::vector<std::uint32_t>{}), "");
    EXPECT_EQ(section_part(std::vector<std::uint32_t>{1, 2, 3}), "1.2.3");
}

// RFC 9051 §7.5.2-style response with every simple item.
TEST(FetchResponse, SimpleItems) {
    std::string out;
    FetchResponseWriter w(out, 12, kRev1);
    w.uid(4827);
    w.flags(V{"\\Seen", "$Forwarded"});
    w.internal_date(837596665, -420);
    w.rfc822_size(4286);
    w.modseq(12121231000ull);
    w.email_id("M6d99ac3275bb4e");
    w.thread_id("T64b478a75b7ea9");
    w.save_date(std::nullopt, 0);
    w.preview("Hello there");
    w.finish();
    EXPECT_TRUE(w.finished());
    EXPECT_EQ(out,
              "* 12 FETCH (UID 4827 FLAGS (\\Seen $Forwarded) INTERNALDATE \"17-Jul-1996 02:44:25 "
              "-0700\" RFC822.SIZE 4286 MODSEQ (12121231000) EMAILID (M6d99ac3275bb4e) THREADID "
              "(T64b478a75b7ea9) SAVEDATE NIL PREVIEW \"Hello there\")\r\n");
}

TEST(FetchResponse, NilAndDates) {
    std::string out;
    FetchResponseWriter w(out, 1, kRev1);
    w.thread_id(std::nullopt);
    w.save_date(1171494123, 120);
    w.preview(std::nullopt);
    w.flags({});
    w.finish();
    EXPECT_EQ(out,
              "* 1 FETCH (THREADID NIL SAVEDATE \"15-Feb-2007 01:02:03 +0200\" PREVIEW NIL FLAGS "
              "())\r\n");
}

TEST(FetchResponse, PreviewWithUtf8) {
    const std::string text =
        "Gr\xc3\xbc\xc3\x9f"
        "e";
    std::string rev1;
    FetchResponseWriter a(rev1, 2, kRev1);
    a.preview(text);
    a.finish();
    EXPECT_EQ(rev1, "* 2 FETCH (PREVIEW {7}\r\n" + text + ")\r\n");
    std::string utf8;
    FetchResponseWriter b(utf8, 2, kUtf8);
    b.preview(text);
    b.finish();
    EXPECT_EQ(utf8, "* 2 FETCH (PREVIEW \"" + text + "\")\r\n");
}

TEST(FetchResponse, BodySections) {
    std::string out;
    FetchResponseWriter w(out, 7, kRev1);
    w.body_section("", std::nullopt, "Subject: x\r\n\r\nhi\r\n");
    w.body_section("1.2", 0, "abc");
    w.body_section("HEADER.FIELDS (FROM)", std::nullopt, "From: a@b\r\n\r\n");
    w.body_section("9", std::nullopt, std::nullopt);
    w.body_section("TEXT", 100, "");
    w.finish();
    EXPECT_EQ(out,
              "* 7 FETCH (BODY[] {18}\r\nSubject: x\r\n\r\nhi\r\n BODY[1.2]<0> {3}\r\nabc "
              "BODY[HEADER.FIELDS (FROM)] {13}\r\nFrom: a@b\r\n\r\n BODY[9] NIL BODY[TEXT]<100> "
              "{0}\r\n)\r\n");
}

TEST(FetchResponse, NulInBodyAndBinary) {
    const std::string data("a\0b", 3);
    std::string out;
    FetchResponseWriter w(out, 3, kRev1);
    w.body_section("1", std::nullopt, data);
    w.binary_section("1", std::nullopt, data);
    w.binary_section("2", 5, "plain");
    w.binary_section("3", std::nullopt, std::nullopt);
    w.binary_size("1", 3);
    w.binary_size("", 812);
    w.finish();
    EXPECT_EQ(out,
              "* 3 FETCH (BODY[1] {3}\r\na\x80"
              "b BINARY[1] ~{3}\r\na" +
                  std::string(1, '\0') +
                  "b BINARY[2]<5> {5}\r\nplain BINARY[3] NIL BINARY.SIZE[1] 3 "
                  "BINARY.SIZE[] 812)\r\n");
}

TEST(FetchResponse, Rfc822Items) {
    std::string out;
    FetchResponseWriter w(out, 4, kRev1);
    w.rfc822_header("A: b\r\n\r\n");
    w.rfc822_text("t\r\n");
    w.rfc822("A: b\r\n\r\nt\r\n");
    w.finish();
    EXPECT_EQ(out,
              "* 4 FETCH (RFC822.HEADER {8}\r\nA: b\r\n\r\n RFC822.TEXT {3}\r\nt\r\n RFC822 "
              "{11}\r\nA: b\r\n\r\nt\r\n)\r\n");
}

// The body is delivered in pieces through the writer, or sent by the caller around it.
TEST(FetchResponse, StreamedLiterals) {
    const std::string body = "Subject: big\r\n\r\n" + std::string(100000, 'x');
    std::string out;
    FetchResponseWriter w(out, 9, kRev1);
    w.uid(77);
    w.begin_body_section("", std::nullopt, body.size());
    EXPECT_EQ(w.literal_remaining(), body.size());
    for (std::size_t i = 0; i < body.size(); i += 4096)
        w.literal_data(std::string_view(body).substr(i, 4096));
    EXPECT_EQ(w.literal_remaining(), 0u);
    w.rfc822_size(body.size());
    w.finish();
    EXPECT_EQ(out, "* 9 FETCH (UID 77 BODY[] {100016}\r\n" + body + " RFC822.SIZE 100016)\r\n");

    // Zero copy: the caller sends `out`, then the body itself, then the rest.
    std::string wire;
    std::string buffer;
    FetchResponseWriter z(buffer, 10, kRev1);
    z.begin_binary_section("1", std::nullopt, 5, true);
    wire += buffer;
    buffer.clear();
    wire += std::string("a\0b\0c", 5);
    z.literal_data_sent(5);
    z.uid(5);
    z.finish();
    wire += buffer;
    const std::string nul_byte(1, '\0');
    EXPECT_EQ(wire, "* 10 FETCH (BINARY[1] ~{5}\r\na" + nul_byte + "b" + nul_byte + "c UID 5)\r\n");

    // Through the writer, NUL becomes 0x80 in a plain literal but stays in literal8.
    std::string nul;
    FetchResponseWriter n(nul, 11, kRev1);
    n.begin_body_section("1", std::nullopt, 2);
    n.literal_data(std::string("\0", 1));
    n.literal_data("z");
    n.begin_binary_section("1", std::nullopt, 1, true);
    n.literal_data(std::string("\0", 1));
    n.finish();
    EXPECT_EQ(nul, "* 11 FETCH (BODY[1] {2}\r\n\x80z BINARY[1] ~{1}\r\n" + std::string(1, '\0') +
                       ")\r\n");
}

TEST(FetchResponse, EnvelopeAndBodyStructure) {
    const std::string raw =
        "Date: Thu, 15 Feb 2007 01:02:03 +0200\r\nSubject: s\r\nFrom: a@b\r\n\r\nhi\r\n";
    const mime::MessageStructure s = mime::build_structure(mime::parse_message(raw));
    std::string out;
    FetchResponseWriter w(out, 1, kRev1);
    w.envelope(s.envelopes.front());
    w.body_structure(s, false);
    w.body_structure(s, true);
    w.finish();
    const std::string env =
        R"(("Thu, 15 Feb 2007 01:02:03 +0200" "s" ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) )"
        R"(((NIL NIL "a" "b")) NIL NIL NIL NIL NIL))";
    const std::string body = R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 4 1)";
    EXPECT_EQ(out, "* 1 FETCH (ENVELOPE " + env + " BODY " + body + ") BODYSTRUCTURE " + body +
                       " NIL NIL NIL NIL))\r\n");

    // The same from the store's blobs.
    mime::MessageStructure env_only;
    env_only.envelopes.push_back(s.envelopes.front());
    std::string from_blobs;
    FetchResponseWriter b(from_blobs, 1, kRev1);
    ASSERT_TRUE(b.envelope_blob(mime::encode_structure(env_only)));
    ASSERT_TRUE(b.body_structure_blob(mime::encode_structure(s), false));
    ASSERT_TRUE(b.body_structure_blob(mime::encode_structure(s), true));
    b.finish();
    EXPECT_EQ(from_blobs, out);

    // A damaged blob writes no item at all.
    std::string damaged;
    FetchResponseWriter d(damaged, 2, kRev1);
    d.uid(8);
    EXPECT_FALSE(d.envelope_blob("junk"));
    EXPECT_FALSE(d.body_structure_blob("junk", true));
    d.finish();
    EXPECT_EQ(damaged, "* 2 FETCH (UID 8)\r\n");
}

// Whatever is written reads back as msg-att data.
TEST(FetchResponse, ReadsBackAsIMAPData) {
    std::string out;
    FetchResponseWriter w(out, 5, kRev1);
    w.uid(1);
    w.body_section("HEADER", std::nullopt, "X: \"(\r\n\r\n");
    w.preview("line\r\nbreak");
    w.finish();
    ASSERT_TRUE(out.starts_with("* 5 FETCH ") && out.ends_with("\r\n"));
    std::string list = out.substr(10, out.size() - 12);
    // BODY[HEADER] is not an atom our reader knows; replace the section label for reading.
    auto pos = list.find("BODY[HEADER]");
    list.replace(pos, 12, "BODYHEADER");
    auto v = testing::read_all(list);
    ASSERT_TRUE(v) << list;
    ASSERT_EQ(v->items.size(), 6u);
    EXPECT_EQ(v->items[3].text, "X: \"(\r\n\r\n");
    EXPECT_EQ(v->items[5].text, "line\r\nbreak");
}

}  // namespace
}  // namespace postern::proto::imap
