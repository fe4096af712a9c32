// Client side: reply parsing (including broken and hostile servers), EHLO capabilities, command
// formatting and the DATA sender, with a round trip through the server's DATA receiver.
#include <random>

#include <gtest/gtest.h>

#include "proto/smtp/capabilities.h"
#include "proto/smtp/client_commands.h"
#include "proto/smtp/data_receiver.h"
#include "proto/smtp/data_sender.h"
#include "proto/smtp/reply_parser.h"
#include "proto/smtp/test_util.h"

namespace postern::proto::smtp {
namespace {

using Status = ReplyParser::Status;
using namespace std::string_literals;

// Splits on CRLF (a client reads lines with LineBuffer) and feeds each line.
std::vector<Reply> parse_replies(std::string_view wire, Status* last = nullptr,
                                 ReplyLimits limits = {}) {
    ReplyParser p(limits);
    std::vector<Reply> out;
    Status s = Status::need_more;
    while (!wire.empty()) {
        auto eol = wire.find("\r\n");
        std::string_view line = wire.substr(0, eol);
        wire.remove_prefix(eol == std::string_view::npos ? wire.size() : eol + 2);
        s = p.feed_line(line);
        if (s == Status::complete)
            out.push_back(p.take());
        if (s != Status::complete && s != Status::need_more)
            break;
    }
    if (last)
        *last = s;
    return out;
}

TEST(ReplyParser, SingleAndMultiLine) {
    auto r = parse_replies("250 2.1.0 Sender ok\r\n");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0], (Reply{250, EnhancedCode{2, 1, 0}, {"Sender ok"}}));

    r = parse_replies("550-5.7.1 first\r\n550-5.7.1 second\r\n550 5.7.1 third\r\n");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0], (Reply{550, EnhancedCode{5, 7, 1}, {"first", "second", "third"}}));

    r = parse_replies("354 End data with <CR><LF>.<CR><LF>\r\n");
    EXPECT_EQ(r[0], (Reply{354, std::nullopt, {"End data with <CR><LF>.<CR><LF>"}}));

    // A code of the wrong class is text, not an enhanced code.
    r = parse_replies("550 2.0.0 odd\r\n250\r\n250 \r\n");
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0], (Reply{550, std::nullopt, {"2.0.0 odd"}}));
    EXPECT_EQ(r[1], (Reply{250, std::nullopt, {""}}));
    EXPECT_EQ(r[2], (Reply{250, std::nullopt, {""}}));

    // What the server writes, the client reads back.
    Reply original{452, EnhancedCode{4, 5, 3}, {"Too many", "recipients"}};
    r = parse_replies(format_reply(original, true));
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0], original);
}

TEST(ReplyParser, BrokenServers) {
    struct Case {
        std::string wire;
        Status expected;
    };
    const Case cases[] = {
        {"25\r\n", Status::malformed},
        {"2500 x\r\n", Status::malformed},
        {"abc def\r\n", Status::malformed},
        {"250_x\r\n", Status::malformed},
        {"199 x\r\n", Status::malformed},
        {"600 x\r\n", Status::malformed},
        {"250-a\r\n251 b\r\n", Status::malformed},  // code changes
        {"250 a\0b\r\n"s, Status::malformed},
        {"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03"s, Status::malformed},  // TLS garbage
        {"250-" + std::string(5000, 'x') + "\r\n", Status::line_too_long},
        {"250-a\r\n250-b\r\n", Status::need_more},
    };
    for (const auto& c : cases) {
        Status s;
        parse_replies(c.wire, &s);
        EXPECT_EQ(s, c.expected) << ::testing::PrintToString(c.wire);
    }
    // An endless multi-line reply stops at max_lines.
    std::string endless;
    for (int i = 0; i < 10000; ++i)
        endless += "250-more\r\n";
    Status s;
    parse_replies(endless, &s, ReplyLimits{512, 100});
    EXPECT_EQ(s, Status::too_many_lines);

    // After an error the parser stays broken until reset().
    ReplyParser p;
    EXPECT_EQ(p.feed_line("xyz"), Status::malformed);
    EXPECT_EQ(p.feed_line("250 ok"), Status::malformed);
    p.reset();
    EXPECT_EQ(p.feed_line("250 ok"), Status::complete);
}

TEST(Capabilities, ParsesEhloReply) {
    auto r = parse_replies(
        "250-mx.example.net at your service\r\n250-SIZE 35882577\r\n250-8BITMIME\r\n"
        "250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250-CHUNKING\r\n"
        "250-SMTPUTF8\r\n250-DSN\r\n250-BINARYMIME\r\n250-AUTH LOGIN PLAIN xoauth2\r\n"
        "250-AUTH=LOGIN PLAIN\r\n250-X-CUSTOM thing\r\n250 HELP\r\n");
    ASSERT_EQ(r.size(), 1u);
    ServerCapabilities c = parse_capabilities(r[0]);
    EXPECT_EQ(c.greeting, "mx.example.net at your service");
    EXPECT_EQ(c.size, 35882577u);
    EXPECT_TRUE(c.eight_bit_mime && c.starttls && c.enhanced_status_codes && c.pipelining &&
                c.chunking && c.smtputf8 && c.dsn && c.binarymime);
    EXPECT_EQ(c.auth_mechanisms, (std::vector<std::string>{"LOGIN", "PLAIN", "XOAUTH2"}));
    EXPECT_TRUE(c.supports_auth("plain"));
    EXPECT_FALSE(c.supports_auth("CRAM-MD5"));
    EXPECT_EQ(c.other, (std::vector<std::string>{"X-CUSTOM", "HELP"}));
}

TEST(Capabilities, MinimalAndHostile) {
    ServerCapabilities c = parse_capabilities(Reply{250, std::nullopt, {"mx"}});
    EXPECT_FALSE(c.size);
    EXPECT_FALSE(c.pipelining);
    EXPECT_TRUE(c.auth_mechanisms.empty());
    c = parse_capabilities(Reply{250, std::nullopt, {"mx", "SIZE", "size junk"}});
    EXPECT_EQ(c.size, 0u);
    Reply many{250, std::nullopt, {"mx"}};
    std::string auth = "AUTH";
    for (int i = 0; i < 1000; ++i)
        auth += " M" + std::to_string(i);
    auth += " " + std::string(100, 'L');
    many.lines.push_back(auth);
    for (int i = 0; i < 1000; ++i)
        many.lines.push_back("X" + std::to_string(i));
    c = parse_capabilities(many);
    EXPECT_EQ(c.auth_mechanisms.size(), 32u);
    EXPECT_EQ(c.other.size(), 32u);
}

ServerCapabilities everything() {
    ServerCapabilities c;
    c.size = 1000000;
    c.pipelining = c.starttls = c.eight_bit_mime = c.smtputf8 = c.dsn = c.chunking = true;
    c.binarymime = c.enhanced_status_codes = true;
    c.auth_mechanisms = {"PLAIN"};
    return c;
}

TEST(ClientCommands, MailFrom) {
    MailFrom m;
    m.sender = Mailbox{"a b", "example.org"};
    m.size = 1234;
    m.body = Body::eight_bit_mime;
    m.ret = Ret::headers;
    m.envid = "id 1+";
    m.auth = "user@example.org";
    EXPECT_EQ(*format_mail_from(m, everything()),
              "MAIL FROM:<\"a b\"@example.org> SIZE=1234 BODY=8BITMIME RET=HDRS ENVID=id+201+2B "
              "AUTH=user@example.org\r\n");
    // Optional parameters are dropped for a server that does not know them.
    ServerCapabilities plain;
    plain.eight_bit_mime = true;
    EXPECT_EQ(*format_mail_from(m, plain), "MAIL FROM:<\"a b\"@example.org> BODY=8BITMIME\r\n");
    // Required ones make the formatter fail with the missing keyword.
    EXPECT_EQ(format_mail_from(m, ServerCapabilities{}).error(), "8BITMIME");
    MailFrom u;
    u.sender = Mailbox{"j\xC3\xB6rg", "example.org"};
    EXPECT_EQ(format_mail_from(u, plain).error(), "SMTPUTF8");
    EXPECT_EQ(*format_mail_from(u, everything()),
              "MAIL FROM:<j\xC3\xB6rg@example.org> SMTPUTF8\r\n");
    MailFrom bin;
    bin.body = Body::binary_mime;
    EXPECT_EQ(format_mail_from(bin, plain).error(), "CHUNKING");
    EXPECT_EQ(*format_mail_from(bin, everything()), "MAIL FROM:<> BODY=BINARYMIME\r\n");
    MailFrom null_auth;
    null_auth.auth = "";
    EXPECT_EQ(*format_mail_from(null_auth, everything()), "MAIL FROM:<> AUTH=<>\r\n");
}

TEST(ClientCommands, NoCommandInjection) {
    MailFrom m;
    m.sender = Mailbox{"a\r\nRCPT TO:<x@evil.example>", "example.org"};
    EXPECT_EQ(format_mail_from(m, everything()).error(), "syntax");
    RcptTo r{Mailbox{"b", "example.net\r\nDATA"}};
    EXPECT_EQ(format_rcpt_to(r, everything()).error(), "syntax");
    // A damaged stored ORCPT is rebuilt from its address instead of passed on.
    RcptTo o{Mailbox{"b", "example.net"}, 0,
             OriginalRecipient{"rfc822", "b@example.net", "rfc822;b@x NOTIFY=NEVER"}};
    EXPECT_EQ(*format_rcpt_to(o, everything()),
              "RCPT TO:<b@example.net> ORCPT=rfc822;b@example.net\r\n");
}

TEST(ClientCommands, RcptAndOthers) {
    RcptTo r{Mailbox{"b", "example.net"}, notify::success | notify::failure,
             OriginalRecipient{"rfc822", "b+x@example.net", "rfc822;b+2Bx@example.net"}};
    EXPECT_EQ(*format_rcpt_to(r, everything()),
              "RCPT TO:<b@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b+2Bx@example.net\r\n");
    EXPECT_EQ(*format_rcpt_to(r, ServerCapabilities{}), "RCPT TO:<b@example.net>\r\n");
    EXPECT_EQ(
        format_rcpt_to(RcptTo{Mailbox{"j\xC3\xB6rg", "x.example"}}, ServerCapabilities{}).error(),
        "SMTPUTF8");
    EXPECT_EQ(format_hello(Verb::ehlo, "mx.example.org"), "EHLO mx.example.org\r\n");
    EXPECT_EQ(format_hello(Verb::lhlo, "[192.0.2.1]"), "LHLO [192.0.2.1]\r\n");
    EXPECT_EQ(format_bdat(100, false), "BDAT 100\r\n");
    EXPECT_EQ(format_bdat(0, true), "BDAT 0 LAST\r\n");
    EXPECT_EQ(format_auth("PLAIN", "AGEAYg=="), "AUTH PLAIN AGEAYg==\r\n");
    EXPECT_EQ(format_auth("LOGIN", std::nullopt), "AUTH LOGIN\r\n");
    EXPECT_EQ(format_path(std::nullopt), "<>");
}

TEST(ClientCommands, WhatWeFormatOurParserAccepts) {
    ParserOptions o;
    o.extensions.auth_mechanisms = {"PLAIN"};
    MailFrom m;
    m.sender = Mailbox{"a.b", "example.org"};
    m.size = 5;
    m.body = Body::eight_bit_mime;
    m.ret = Ret::full;
    m.envid = "x y";
    m.auth = "a@example.org";
    std::string line = *format_mail_from(m, everything());
    auto parsed = parse_command(line.substr(0, line.size() - 2), o);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(std::get<MailFrom>(*parsed), m);
    RcptTo r{Mailbox{"\"quoted\" one", "example.net"}, notify::delay, make_orcpt("q@example.net")};
    line = *format_rcpt_to(r, everything());
    parsed = parse_command(line.substr(0, line.size() - 2), o);
    ASSERT_TRUE(parsed) << line;
    EXPECT_EQ(std::get<RcptTo>(*parsed), r);
}

TEST(DataEncoder, CanonicalAndStuffed) {
    struct Case {
        std::string message;
        std::string wire;
    };
    const Case cases[] = {
        {"", ".\r\n"},
        {"a\r\n", "a\r\n.\r\n"},
        {"a", "a\r\n.\r\n"},
        {".", "..\r\n.\r\n"},
        {"a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n"},
        {"a\n.\nb", "a\r\n..\r\nb\r\n.\r\n"},
        {"a\r.\rb\r", "a\r\n..\r\nb\r\n.\r\n"},
        {"a\r\r\n.\n\r..\r\n", "a\r\n\r\n..\r\n\r\n...\r\n.\r\n"},
        {"\n", "\r\n.\r\n"},
        {"x\0y"s, "x\0y\r\n.\r\n"s},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(encode_data(c.message), c.wire) << ::testing::PrintToString(c.message);
        // Split anywhere, including between CR and LF: same bytes.
        for (std::size_t cut = 0; cut <= c.message.size(); ++cut) {
            DataEncoder e;
            std::string out;
            e.encode(std::string_view(c.message).substr(0, cut), out);
            e.encode(std::string_view(c.message).substr(cut), out);
            e.finish(out);
            EXPECT_EQ(out, c.wire) << cut;
        }
    }
    EXPECT_EQ(encode_data("a\n.\rb", DataEncoder::Mode::canonical), "a\r\n.\r\nb\r\n");
}

TEST(DataEncoder, RandomMessagesRoundTripThroughTheReceiver) {
    // Whatever the stored bytes, the wire has one end of data, at the end, and the receiver
    // gives back the canonical form of the message.
    std::mt19937 rng(99);
    const char alphabet[] = {'\r', '\n', '.', 'x', ' ', '\0'};
    for (int i = 0; i < 3000; ++i) {
        std::string message(rng() % 40, 'x');
        for (auto& c : message)
            c = alphabet[rng() % (i % 2 ? 5 : 6)];
        std::string wire = encode_data(message);
        // The start of the data counts as following a CRLF.
        ASSERT_EQ(("\r\n" + wire).find("\r\n.\r\n"), wire.size() - 3)
            << ::testing::PrintToString(message);
        std::string canonical = encode_data(message, DataEncoder::Mode::canonical);
        if (message.empty())
            canonical.clear();
        DataReceiver rx(ContentLimits{});
        std::string out;
        auto p = rx.feed(wire, out);
        ASSERT_TRUE(p.complete) << ::testing::PrintToString(message);
        ASSERT_EQ(p.consumed, wire.size());
        if (rx.verdict() == ContentVerdict::accept) {
            EXPECT_EQ(out, canonical) << ::testing::PrintToString(message);
        } else {
            EXPECT_EQ(rx.verdict(), ContentVerdict::nul);
        }
    }
}

}  // namespace
}  // namespace postern::proto::smtp
