// ENVELOPE, sort keys, BODYSTRUCTURE data, the structure blob, body lists and text decoding.
#include "mime/structure.h"

#include <random>

#include <gtest/gtest.h>

#include "mime/body_text.h"
#include "mime/envelope.h"
#include "mime/parser.h"
#include "mime/structure_codec.h"
#include "mime/test_util.h"

namespace postern::mime {
namespace {

EnvelopeAddress addr(std::optional<std::string> name, std::optional<std::string> mailbox,
                     std::optional<std::string> host, std::optional<std::string> adl = {}) {
    return EnvelopeAddress{std::move(name), std::move(adl), std::move(mailbox), std::move(host)};
}

TEST(Envelope, AllFieldsRawAndDefaults) {
    const std::string in =
        "Message-ID: <msg@id>\nIn-Reply-To: <reply@to.id>\nDate: Thu, 15 Feb 2007 01:02:03 "
        "+0200\nSubject: =?utf-8?q?caf=C3=A9?=\n folded\nFrom: \"From Real\" "
        "<fromuser@fromdomain.org>\nTo: To Real <touser@todomain.org>\nTo: second@to.org\nCc: "
        "group: g1@d1.org, (foo);, x\nBcc: <@route:user@domain>\n\nbody\n";
    Envelope e = build_envelope(parse_message(in));
    EXPECT_EQ(e.date, "Thu, 15 Feb 2007 01:02:03 +0200");
    EXPECT_EQ(e.subject, "=?utf-8?q?caf=C3=A9?= folded");  // raw: IMAP clients decode
    ASSERT_EQ(e.from.size(), 1u);
    EXPECT_EQ(e.from[0], addr("From Real", "fromuser", "fromdomain.org"));
    EXPECT_EQ(e.sender, e.from);    // RFC 3501: absent Sender is From
    EXPECT_EQ(e.reply_to, e.from);  // and so is Reply-To
    ASSERT_EQ(e.to.size(), 2u);     // both To fields
    EXPECT_EQ(e.to[1], addr(std::nullopt, "second", "to.org"));
    ASSERT_EQ(e.cc.size(), 4u);
    EXPECT_TRUE(e.cc[0].is_group_start());
    EXPECT_EQ(e.cc[0].mailbox, "group");
    EXPECT_EQ(e.cc[1], addr(std::nullopt, "g1", "d1.org"));
    EXPECT_TRUE(e.cc[2].is_group_end());
    EXPECT_EQ(e.cc[3], addr("x", "MISSING_MAILBOX", "MISSING_DOMAIN"));
    EXPECT_EQ(e.bcc[0], addr(std::nullopt, "user", "domain", "@route"));
    EXPECT_EQ(e.in_reply_to, "<reply@to.id>");
    EXPECT_EQ(e.message_id, "<msg@id>");
}

TEST(Envelope, EmptySenderFallsBackAndAbsentFieldsAreNil) {
    Envelope e = build_envelope(parse_message("From: user@domain (Real Name)\nSender: \n\n"));
    ASSERT_EQ(e.from.size(), 1u);
    EXPECT_EQ(e.from[0], addr("Real Name", "user", "domain"));
    EXPECT_EQ(e.sender, e.from);
    EXPECT_FALSE(e.date);
    EXPECT_FALSE(e.subject);
    EXPECT_TRUE(e.to.empty());
    EXPECT_FALSE(e.message_id);
}

TEST(SortKeys, FromHeaders) {
    const std::string in =
        "Subject: Re: [list] Fwd: Hello\nFrom: =?utf-8?q?J=C3=BCrgen?= <jm@x.org>\nTo: "
        "bob@y.org\nCc: Carol <carol@z.org>\nDate: Thu, 1 Jan 1970 01:00:00 +0100\nMessage-ID: "
        "<m1@x>\nIn-Reply-To: <m0@x>\n\n";
    SortKeys k = build_sort_keys(parse_message(in));
    EXPECT_EQ(k.base_subject, "Hello");
    EXPECT_TRUE(k.subject_is_reply_or_forward);
    EXPECT_EQ(k.from_mailbox, "jm");
    EXPECT_EQ(k.display_from, "J\xc3\xbcrgen");
    EXPECT_EQ(k.to_mailbox, "bob");
    EXPECT_EQ(k.display_to, "bob@y.org");
    EXPECT_EQ(k.cc_mailbox, "carol");
    EXPECT_EQ(k.sent_date, 0);
    EXPECT_EQ(k.message_id, "m1@x");
    EXPECT_EQ(k.references, std::vector<std::string>{"m0@x"});
    SortKeys none = build_sort_keys(parse_message("Date: never\n\n"));
    EXPECT_FALSE(none.sent_date);
}

TEST(SortKeys, GroupsAndBareNames) {
    // Groups sort by their name, a bare word ("From: d") displays as itself (imaptest
    // sort-addresses, sort-display-from, sort-display-to).
    SortKeys k = build_sort_keys(
        parse_message("From: d\nTo: a: xx@xx.org, yy@yy.org;\nCc: user2: blah@domain1.org;\n\n"));
    EXPECT_EQ(k.from_mailbox, "");
    EXPECT_EQ(k.display_from, "d");
    EXPECT_EQ(k.to_mailbox, "a");
    EXPECT_EQ(k.display_to, "a");
    EXPECT_EQ(k.cc_mailbox, "user2");
    SortKeys empty = build_sort_keys(parse_message("To: empty:;\n\n"));
    EXPECT_EQ(empty.display_to, "empty");
}

const std::string kStructured =
    "From: a@b\nSubject: outer\nContent-Type: multipart/mixed; boundary=\"b1\"\n\n"
    "--b1\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: "
    "quoted-printable\nContent-Language: en, de\n\ncaf=C3=A9\nline2\n"
    "--b1\nContent-Type: image/png; name=x.png\nContent-Transfer-Encoding: base64\n"
    "Content-Disposition: attachment; filename=\"x.png\"\nContent-ID: <img@x>\n"
    "Content-Description: a picture\nContent-Location: http://x/y.png\nContent-MD5: "
    "Q2hlY2sgSW50ZWdyaXR5IQ==\n\niVBORw0KGgo=\n"
    "--b1\nContent-Type: message/rfc822\n\nFrom: inner@x\nSubject: inner\n\ninner body\n"
    "--b1\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeA==\n"
    "--b1\n\ndefault typed\n"
    "--b1--\n";

TEST(Structure, FieldsKindsAndOffsets) {
    ParsedMessage m = parse_message(kStructured);
    MessageStructure s = build_structure(m);
    ASSERT_EQ(s.parts.size(), m.parts.size());
    ASSERT_EQ(s.parts.size(), 7u);
    const BodyPart& root = s.parts[0];
    EXPECT_EQ(root.kind, BodyPart::Kind::multipart);
    EXPECT_EQ(root.children, (std::vector<std::uint32_t>{1, 2, 3, 5, 6}));
    EXPECT_EQ(root.params[0].value, "b1");

    const BodyPart& text = s.parts[1];
    EXPECT_EQ(text.kind, BodyPart::Kind::text);
    EXPECT_EQ(text.encoding, "quoted-printable");
    EXPECT_EQ(text.lines, 1u);
    EXPECT_EQ(text.size, std::string("caf=C3=A9\nline2").size());
    EXPECT_EQ(text.languages, (std::vector<std::string>{"en", "de"}));
    EXPECT_EQ(kStructured.substr(text.body_start, text.size), "caf=C3=A9\nline2");

    const BodyPart& png = s.parts[2];
    EXPECT_EQ(png.kind, BodyPart::Kind::basic);
    EXPECT_EQ(png.type, "image");
    EXPECT_EQ(png.id, "<img@x>");
    EXPECT_EQ(png.description, "a picture");
    EXPECT_EQ(png.location, "http://x/y.png");
    EXPECT_EQ(png.md5, "Q2hlY2sgSW50ZWdyaXR5IQ==");
    EXPECT_EQ(png.disposition, "attachment");
    EXPECT_EQ(png.disposition_params[0].value, "x.png");
    EXPECT_EQ(png.transfer, TransferEncoding::base64);

    const BodyPart& msg = s.parts[3];
    EXPECT_EQ(msg.kind, BodyPart::Kind::message);
    ASSERT_EQ(msg.children.size(), 1u);
    EXPECT_EQ(msg.children[0], 4u);
    ASSERT_GE(msg.envelope, 1);
    EXPECT_EQ(s.envelopes[static_cast<std::size_t>(msg.envelope)].subject, "inner");
    EXPECT_EQ(msg.lines, 3u);
    EXPECT_EQ(s.parts[4].kind, BodyPart::Kind::text);

    // An encoded message/rfc822 cannot be a body-type-msg: shown as application/octet-stream.
    EXPECT_EQ(s.parts[5].type, "application");
    EXPECT_EQ(s.parts[5].subtype, "octet-stream");
    EXPECT_EQ(s.parts[5].kind, BodyPart::Kind::basic);

    const BodyPart& dflt = s.parts[6];
    EXPECT_EQ(dflt.type, "text");
    EXPECT_EQ(dflt.params, (std::vector<Param>{{"charset", "us-ascii", false}}));
    EXPECT_EQ(dflt.encoding, "7bit");
    EXPECT_EQ(s.envelopes[0].subject, "outer");
}

TEST(Structure, LeafMultipartIsShownAsText) {
    MessageStructure s =
        build_structure(parse_message("Content-Type: multipart/mixed; boundary=q\n\njust text\n"));
    ASSERT_EQ(s.parts.size(), 1u);
    EXPECT_EQ(s.parts[0].kind, BodyPart::Kind::text);
    EXPECT_EQ(s.parts[0].type, "text");
    EXPECT_TRUE(s.parts[0].params.empty());  // the boundary is meaningless now
    EXPECT_EQ(s.parts[0].lines, 1u);
}

TEST(StructureCodec, RoundTrip) {
    for (const std::string& in : {kStructured, std::string(), std::string("Subject: x\n\nbody"),
                                  testing::to_crlf(kStructured)}) {
        MessageStructure s = build_structure(parse_message(in));
        std::string blob = encode_structure(s);
        auto back = decode_structure(blob);
        ASSERT_TRUE(back) << back.error().to_string();
        EXPECT_EQ(*back, s);
        EXPECT_EQ(encode_structure(*back), blob);
    }
}

TEST(StructureCodec, RejectsDamage) {
    std::string blob = encode_structure(build_structure(parse_message(kStructured)));
    EXPECT_FALSE(decode_structure(""));
    EXPECT_FALSE(decode_structure("PMS"));
    std::string wrong_version = blob;
    wrong_version[3] = 99;
    EXPECT_EQ(decode_structure(wrong_version).error().code, Errc::corrupt);
    EXPECT_FALSE(decode_structure(blob + "x"));  // trailing bytes
    for (std::size_t cut = 0; cut < blob.size(); ++cut) {
        EXPECT_FALSE(decode_structure(blob.substr(0, cut))) << cut;
    }
    // Random corruption never crashes; what decodes is internally consistent.
    std::mt19937_64 rng(7);
    for (int i = 0; i < 3000; ++i) {
        std::string bad = blob;
        for (int k = 0; k < 3; ++k)
            bad[4 + rng() % (bad.size() - 4)] = static_cast<char>(rng());
        auto r = decode_structure(bad);
        if (!r)
            continue;
        for (std::size_t p = 0; p < r->parts.size(); ++p) {
            for (auto c : r->parts[p].children)
                EXPECT_LT(c, r->parts.size());
            EXPECT_LE(r->parts[p].body_end, r->size);
        }
    }
    // A huge count with no bytes behind it is refused before allocating.
    std::string huge = "PMS";
    huge += static_cast<char>(kStructureFormatVersion);
    huge += '\x00';
    huge += "\xff\xff\xff\xff\x0f";
    EXPECT_FALSE(decode_structure(huge));
}

TEST(BodyLists, Rfc8621Example) {
    // The example of RFC 8621 §4.1.4: textBody A B C D K, htmlBody A E K,
    // attachments C F G H J.
    const std::string in =
        "Content-Type: multipart/mixed; boundary=1\n\n"
        "--1\nContent-Type: text/plain\n\nA\n"
        "--1\nContent-Type: multipart/mixed; boundary=2\n\n"
        "--2\nContent-Type: multipart/alternative; boundary=3\n\n"
        "--3\nContent-Type: multipart/mixed; boundary=4\n\n"
        "--4\nContent-Type: text/plain\n\nB\n"
        "--4\nContent-Type: image/jpeg\nContent-Disposition: inline\n\nC\n"
        "--4\nContent-Type: text/plain\n\nD\n--4--\n"
        "--3\nContent-Type: multipart/related; boundary=5\n\n"
        "--5\nContent-Type: text/html\n\nE\n"
        "--5\nContent-Type: image/jpeg\n\nF\n--5--\n--3--\n"
        "--2\nContent-Type: image/jpeg\nContent-Disposition: attachment\n\nG\n"
        "--2\nContent-Type: application/x-excel\n\nH\n"
        "--2\nContent-Type: message/rfc822\n\nSubject: J\n\nJ\n--2--\n"
        "--1\nContent-Type: text/plain\n\nK\n--1--\n";
    ParsedMessage m = parse_message(in);
    auto name = [&](std::uint32_t p) {
        const Part& part = m.parts[p];
        if (part.kind == PartKind::message)
            return std::string("J");
        return in.substr(part.body_start, part.body_end - part.body_start);
    };
    auto names = [&](const std::vector<std::uint32_t>& v) {
        std::string out;
        for (auto p : v)
            out += name(p);
        return out;
    };
    BodyLists l = classify_bodies(m);
    EXPECT_EQ(names(l.text_body), "ABCDK");
    EXPECT_EQ(names(l.html_body), "AEK");
    EXPECT_EQ(names(l.attachments), "CFGHJ");
}

TEST(BodyText, DecodesTransferAndCharset) {
    const std::string in =
        "Content-Type: multipart/mixed; boundary=b\n\n"
        "--b\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: "
        "quoted-printable\n\ncaf=E9 =\nau lait\n"
        "--b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        "w6l0w6k=\n"
        "--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nAAEC\n"
        "--b--\n";
    TextCollector texts;
    MessageParser parser({}, &texts);
    for (char c : in)
        parser.feed(std::string_view(&c, 1));
    ParsedMessage m = parser.finish();
    EXPECT_EQ(decode_part_text(in, m.parts[1]), "caf\xc3\xa9 au lait");
    EXPECT_EQ(decode_part_text(in, m.parts[2]), "\xc3\xa9t\xc3\xa9");
    EXPECT_EQ(decode_part(in, m.parts[3]), std::string("\x00\x01\x02", 3));
    ASSERT_EQ(texts.texts().size(), 2u);  // only text parts are collected
    EXPECT_EQ(texts.texts()[0].part, 1u);
    EXPECT_EQ(texts.texts()[0].text, "caf\xc3\xa9 au lait");
    EXPECT_EQ(texts.texts()[1].text, "\xc3\xa9t\xc3\xa9");
    EXPECT_FALSE(texts.texts()[0].problem);

    TextCollector small(3);
    MessageParser p2({}, &small);
    p2.feed(in);
    p2.finish();
    EXPECT_EQ(small.texts()[0].text, "caf");
    EXPECT_TRUE(small.texts()[0].truncated);
}

}  // namespace
}  // namespace postern::mime
