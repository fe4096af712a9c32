// Reply wire form, enhanced codes, the reply catalogue and the EHLO reply builder.
#include "proto/smtp/reply.h"

#include <gtest/gtest.h>

#include "proto/smtp/extensions.h"
#include "proto/smtp/replies.h"

namespace postern::proto::smtp {
namespace {

using namespace std::string_literals;

TEST(EnhancedCode, ParsesWellFormedCodesOnly) {
    struct Case {
        const char* text;
        std::optional<EnhancedCode> expected;
    };
    const Case cases[] = {
        {"2.0.0", EnhancedCode{2, 0, 0}},
        {"5.1.3", EnhancedCode{5, 1, 3}},
        {"4.7.11", EnhancedCode{4, 7, 11}},
        {"5.999.999", EnhancedCode{5, 999, 999}},
        {"3.0.0", std::nullopt},
        {"5.1", std::nullopt},
        {"5.1.3.4", std::nullopt},
        {"5.01.3", std::nullopt},
        {"5.1000.3", std::nullopt},
        {"5..3", std::nullopt},
        {"x.1.3", std::nullopt},
        {"", std::nullopt},
        {"55.1.3", std::nullopt},
        {"5.1.-3", std::nullopt},
    };
    for (const auto& c : cases)
        EXPECT_EQ(EnhancedCode::parse(c.text), c.expected) << c.text;
    EXPECT_EQ((EnhancedCode{5, 7, 11}).to_string(), "5.7.11");
}

TEST(ReplyWriter, SingleAndMultiLine) {
    Reply r = make_reply(250, EnhancedCode{2, 1, 0}, "Sender ok");
    EXPECT_EQ(format_reply(r, true), "250 2.1.0 Sender ok\r\n");
    EXPECT_EQ(format_reply(r, false), "250 Sender ok\r\n");

    Reply multi{550, EnhancedCode{5, 7, 1}, {"first", "second", "third"}};
    EXPECT_EQ(format_reply(multi, true),
              "550-5.7.1 first\r\n550-5.7.1 second\r\n550 5.7.1 third\r\n");
    EXPECT_EQ(format_reply(multi, false), "550-first\r\n550-second\r\n550 third\r\n");
}

TEST(ReplyWriter, NoEnhancedCodeOnThreeHundredsOrWhenAbsent) {
    EXPECT_EQ(format_reply(replies::start_data(), true), "354 End data with <CR><LF>.<CR><LF>\r\n");
    EXPECT_EQ(format_reply(replies::auth_challenge(""), true), "334\r\n");
    EXPECT_EQ(format_reply(replies::greeting("mx.example.org", false), true),
              "220 mx.example.org ESMTP ready\r\n");
    EXPECT_EQ(format_reply(Reply{250, EnhancedCode{2, 0, 0}, {""}}, true), "250 2.0.0\r\n");
    EXPECT_EQ(format_reply(Reply{250, std::nullopt, {}}, true), "250\r\n");
    EXPECT_EQ(format_reply(Reply{250, std::nullopt, {"a", ""}}, true), "250-a\r\n250\r\n");
}

TEST(ReplyWriter, NeutralisesControlsSoTextCannotInjectLines) {
    Reply r = make_reply(250, EnhancedCode{2, 0, 0}, "hello\r\n250 fake\0x"s);
    EXPECT_EQ(format_reply(r, true), "250 2.0.0 hello??250 fake?x\r\n");
}

TEST(ReplyWriter, CutsLinesToFiveHundredTwelveOctets) {
    Reply r = make_reply(550, EnhancedCode{5, 0, 0}, std::string(2000, 'a'));
    std::string wire = format_reply(r, true);
    EXPECT_EQ(wire.size(), kMaxReplyLine);
    EXPECT_TRUE(wire.ends_with("aa\r\n"));
    // A cut never leaves half a UTF-8 character.
    std::string utf8;
    while (utf8.size() < 1000)
        utf8 += "\xC3\xA9";
    std::string cut = format_reply(make_reply(550, EnhancedCode{5, 0, 0}, utf8), true);
    EXPECT_LE(cut.size(), kMaxReplyLine);
    std::string text = cut.substr(10, cut.size() - 12);
    EXPECT_EQ(text.size() % 2, 0u);
}

TEST(ReplyCatalogue, CodesMatchTheRfcs) {
    struct Case {
        Reply reply;
        const char* code;
    };
    auto code = [](const Reply& r) {
        std::string s = std::to_string(r.code);
        if (r.enhanced)
            s += " " + r.enhanced->to_string();
        return s;
    };
    const Case cases[] = {
        {replies::unknown_command(), "500 5.5.2"},
        {replies::syntax("x"), "501 5.5.4"},
        {replies::unsupported_parameter("X"), "555 5.5.4"},
        {replies::bad_recipient_address(), "553 5.1.3"},
        {replies::bad_sender_address(), "553 5.1.7"},
        {replies::non_ascii_address(), "553 5.6.7"},
        {replies::bad_sequence("x"), "503 5.5.1"},
        {replies::tls_required(), "530 5.7.0"},
        {replies::auth_required(), "530 5.7.0"},
        {replies::message_too_large(), "552 5.3.4"},
        {replies::bad_line_endings(), "550 5.6.0"},
        {replies::too_many_recipients(), "452 4.5.3"},
        {replies::auth_failed(), "535 5.7.8"},
        {replies::auth_encryption_required(), "538 5.7.11"},
        {replies::vrfy_disabled(), "252 2.0.0"},
        {replies::start_data(), "354"},
        {replies::sync_error(), "554 5.5.0"},
    };
    for (const auto& c : cases)
        EXPECT_EQ(code(c.reply), c.code) << c.reply.text();
}

TEST(EhloReply, ListsOfferedExtensions) {
    Extensions ext;
    ext.size_limit = 52428800;
    ext.starttls = true;
    ext.auth_mechanisms = {"plain", "LOGIN"};
    ext.binarymime = true;
    Reply r = ehlo_reply("mx.example.org", "Hello client.example.net", ext);
    EXPECT_FALSE(r.enhanced);
    EXPECT_EQ(format_reply(r, true),
              "250-mx.example.org Hello client.example.net\r\n"
              "250-PIPELINING\r\n250-SIZE 52428800\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n"
              "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n"
              "250-CHUNKING\r\n250-BINARYMIME\r\n250 HELP\r\n");
}

TEST(EhloReply, BasicSetAndLmtp) {
    Extensions none = Extensions::basic();
    none.help = false;
    EXPECT_EQ(format_reply(ehlo_reply("mx", "", none), true), "250 mx\r\n");
    // LMTP requires PIPELINING and ENHANCEDSTATUSCODES (RFC 2033 §5).
    EXPECT_EQ(format_reply(ehlo_reply("lmtp", "", none, Dialect::lmtp), true),
              "250-lmtp\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n");
    // SIZE without a limit; BINARYMIME never without CHUNKING.
    Extensions e = Extensions::basic();
    e.help = false;
    e.size = true;
    e.binarymime = true;
    EXPECT_EQ(format_reply(ehlo_reply("mx", "", e), false), "250-mx\r\n250 SIZE\r\n");
}

}  // namespace
}  // namespace postern::proto::smtp
