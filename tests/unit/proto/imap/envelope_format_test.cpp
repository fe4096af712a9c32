// ENVELOPE text from parsed messages. The expectations are those of imaptest's fetch-envelope
// script (tests/fetch-envelope in the imaptest conformance data), for equivalent messages.
#include "proto/imap/envelope_format.h"

#include <gtest/gtest.h>

#include "imap_data_reader.h"
#include "mime/parser.h"
#include "mime/structure.h"
#include "mime/structure_codec.h"

namespace postern::proto::imap {
namespace {

const SessionMode kRev1{};
const SessionMode kUtf8{.utf8_accept = true};

std::string envelope_of(std::string_view raw, const SessionMode& mode = kRev1) {
    std::string out;
    append_envelope(out, mime::build_envelope(mime::parse_message(raw)), mode);
    return out;
}

TEST(EnvelopeFormat, AllFields) {
    const char* msg =
        "Message-ID: <msg@id>\r\n"
        "In-Reply-To: <reply@to.id>\r\n"
        "Date: Thu, 15 Feb 2007 01:02:03 +0200\r\n"
        "Subject: subject header\r\n"
        "From: From Real <fromuser@fromdomain.org>\r\n"
        "To: To Real <touser@todomain.org>\r\n"
        "Cc: Cc Real <ccuser@ccdomain.org>\r\n"
        "Bcc: Bcc Real <bccuser@bccdomain.org>\r\n"
        "Sender: Sender Real <senderuser@senderdomain.org>\r\n"
        "Reply-To: ReplyTo Real <replytouser@replytodomain.org>\r\n"
        "\r\nbody\r\n";
    EXPECT_EQ(envelope_of(msg),
              R"(("Thu, 15 Feb 2007 01:02:03 +0200" "subject header" )"
              R"((("From Real" NIL "fromuser" "fromdomain.org")) )"
              R"((("Sender Real" NIL "senderuser" "senderdomain.org")) )"
              R"((("ReplyTo Real" NIL "replytouser" "replytodomain.org")) )"
              R"((("To Real" NIL "touser" "todomain.org")) )"
              R"((("Cc Real" NIL "ccuser" "ccdomain.org")) )"
              R"((("Bcc Real" NIL "bccuser" "bccdomain.org")) "<reply@to.id>" "<msg@id>"))");
}

TEST(EnvelopeFormat, SenderAndReplyToDefaultToFrom) {
    EXPECT_EQ(envelope_of("Date: Thu, 15 Feb 2007 01:02:03 +0200\r\nFrom: user@domain\r\n\r\n"),
              R"(("Thu, 15 Feb 2007 01:02:03 +0200" NIL ((NIL NIL "user" "domain")) )"
              R"(((NIL NIL "user" "domain")) ((NIL NIL "user" "domain")) NIL NIL NIL NIL NIL))");
    EXPECT_EQ(envelope_of("Date: Thu, 15 Feb 2007 01:02:03 +0200\r\nFrom: user@domain (Real "
                          "Name)\r\nSender: \r\nReply-To: \r\n\r\nbody\r\n"),
              R"(("Thu, 15 Feb 2007 01:02:03 +0200" NIL (("Real Name" NIL "user" "domain")) )"
              R"((("Real Name" NIL "user" "domain")) (("Real Name" NIL "user" "domain")) )"
              R"(NIL NIL NIL NIL NIL))");
}

TEST(EnvelopeFormat, Groups) {
    EXPECT_EQ(envelope_of("Date: Thu, 15 Feb 2007 01:02:03 +0200\r\n"
                          "From: user@domain (Real Name)\r\n"
                          "To: group: g1@d1.org, g2@d2.org;, group2: g3@d3.org;\r\n"
                          "Cc: group:;, group2: (foo) ;\r\n\r\nbody\r\n"),
              R"(("Thu, 15 Feb 2007 01:02:03 +0200" NIL (("Real Name" NIL "user" "domain")) )"
              R"((("Real Name" NIL "user" "domain")) (("Real Name" NIL "user" "domain")) )"
              R"(((NIL NIL "group" NIL)(NIL NIL "g1" "d1.org")(NIL NIL "g2" "d2.org"))"
              R"((NIL NIL NIL NIL)(NIL NIL "group2" NIL)(NIL NIL "g3" "d3.org")(NIL NIL NIL NIL)) )"
              R"(((NIL NIL "group" NIL)(NIL NIL NIL NIL)(NIL NIL "group2" NIL)(NIL NIL NIL NIL)) )"
              R"(NIL NIL NIL))");
}

TEST(EnvelopeFormat, SourceRoute) {
    EXPECT_EQ(envelope_of("Date: Thu, 15 Feb 2007 01:02:03 +0200\r\n"
                          "From: <@route:user@domain>\r\n\r\nbody\r\n"),
              R"(("Thu, 15 Feb 2007 01:02:03 +0200" NIL ((NIL "@route" "user" "domain")) )"
              R"(((NIL "@route" "user" "domain")) ((NIL "@route" "user" "domain")) )"
              R"(NIL NIL NIL NIL NIL))");
}

TEST(EnvelopeFormat, EmptyHeader) {
    EXPECT_EQ(envelope_of("\r\nbody\r\n"), "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
}

TEST(EnvelopeFormat, QuotingAndEightBit) {
    const std::string raw =
        "Subject: say \"hi\" \\ to caf\xc3\xa9\r\n"
        "From: \"J\xc3\xb6rg\" <j@example.org>\r\n\r\n";
    std::string rev1 = envelope_of(raw, kRev1);
    EXPECT_EQ(rev1,
              "(NIL {19}\r\nsay \"hi\" \\ to caf\xc3\xa9 (({5}\r\nJ\xc3\xb6rg NIL \"j\" "
              "\"example.org\")) (({5}\r\nJ\xc3\xb6rg NIL \"j\" \"example.org\")) (({5}\r\nJ"
              "\xc3\xb6rg NIL \"j\" \"example.org\")) NIL NIL NIL NIL NIL)");
    std::string utf8 = envelope_of(raw, kUtf8);
    EXPECT_TRUE(
        utf8.starts_with("(NIL \"say \\\"hi\\\" \\\\ to caf\xc3\xa9\" ((\"J\xc3\xb6rg\" NIL"))
        << utf8;
    auto v = testing::read_all(rev1);
    ASSERT_TRUE(v);
    EXPECT_TRUE(testing::check_envelope(*v));
    EXPECT_EQ(v->items[1].text, "say \"hi\" \\ to caf\xc3\xa9");
    auto u = testing::read_all(utf8);
    ASSERT_TRUE(u);
    EXPECT_EQ(u->items[1].text, v->items[1].text);
}

TEST(EnvelopeFormat, FromTheStoreBlob) {
    const std::string raw =
        "Date: Thu, 15 Feb 2007 01:02:03 +0200\r\nSubject: s\r\nFrom: a@b\r\n\r\nx\r\n";
    mime::ParsedMessage msg = mime::parse_message(raw);
    mime::MessageStructure full = mime::build_structure(msg);
    // What the store's analyzer keeps: a blob with no parts and envelopes[0].
    mime::MessageStructure env_only;
    env_only.size = full.size;
    env_only.envelopes.push_back(full.envelopes.front());
    std::string out;
    ASSERT_TRUE(append_envelope_blob(out, mime::encode_structure(env_only), kRev1));
    EXPECT_EQ(out, envelope_of(raw));

    std::string bad = "(";
    auto st = append_envelope_blob(bad, "not a blob", kRev1);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, Errc::corrupt);
    EXPECT_EQ(bad, "(");
    mime::MessageStructure none;
    st = append_envelope_blob(bad, mime::encode_structure(none), kRev1);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, Errc::corrupt);
}

TEST(EnvelopeFormat, AddressListAlone) {
    std::vector<mime::EnvelopeAddress> none;
    std::string out;
    append_address_list(out, none, kRev1);
    EXPECT_EQ(out, "NIL");
    std::vector<mime::EnvelopeAddress> one = {{"N", std::nullopt, "m", "h"}};
    out.clear();
    append_address_list(out, one, kRev1);
    EXPECT_EQ(out, R"((("N" NIL "m" "h")))");
}

}  // namespace
}  // namespace postern::proto::imap
