// Milter v6 codec: framing fed whole and byte by byte, commands, replies, hostile packets.
#include "filter/milter/codec.h"

#include <gtest/gtest.h>

namespace postern::filter::milter {
namespace {

using namespace std::string_literals;

TEST(MilterCodec, EncodesCommands) {
    EXPECT_EQ(optneg(6, action::all, 0x1fffff), "\0\0\0\x0dO\0\0\0\x06\0\0\x01\xff\0\x1f\xff\xff"s);
    EXPECT_EQ(helo("mx.example"), "\0\0\0\x0cHmx.example\0"s);
    EXPECT_EQ(connect("[192.0.2.1]", '4', 25, "192.0.2.1"),
              "\0\0\0\x1a"
              "C[192.0.2.1]\0"
              "4\0\x19"
              "192.0.2.1\0"s);
    EXPECT_EQ(connect("localhost", 'U', 0, ""),
              "\0\0\0\x0c"
              "Clocalhost\0U"s);
    EXPECT_EQ(mail({"<a@b>", "SIZE=10"}), "\0\0\0\x0fM<a@b>\0SIZE=10\0"s);
    EXPECT_EQ(header("Subject", "hi"), "\0\0\0\x0cLSubject\0hi\0"s);
    EXPECT_EQ(macros('M', {{"i", "Q1"}}),
              "\0\0\0\x07"
              "DMi\0Q1\0"s);
    EXPECT_EQ(simple(cmd::eoh), "\0\0\0\x01N"s);
    EXPECT_EQ(body(std::string(70000, 'x')).size(), 5u + kMaxBodyChunk);
    // A NUL inside a value cannot end the field early.
    EXPECT_EQ(helo("a\0b"s), "\0\0\0\x04Hab\0"s);
}

TEST(MilterCodec, ReaderSplitsPacketsWholeAndByteByByte) {
    std::string stream =
        encode('h', "X-A\0v\0"s) + encode('c', "") + encode('y', "550 5.7.1 no\0"s);
    for (bool bytewise : {false, true}) {
        PacketReader reader;
        std::vector<Packet> got;
        if (bytewise) {
            for (char c : stream) {
                ASSERT_TRUE(reader.feed(std::string_view(&c, 1)));
                while (auto p = reader.next())
                    got.push_back(*p);
            }
        } else {
            ASSERT_TRUE(reader.feed(stream));
            while (auto p = reader.next())
                got.push_back(*p);
        }
        ASSERT_EQ(got.size(), 3u) << bytewise;
        EXPECT_EQ(got[0].command, 'h');
        EXPECT_EQ(got[0].data, "X-A\0v\0"s);
        EXPECT_EQ(got[1].command, 'c');
        EXPECT_EQ(got[2].command, 'y');
    }
}

TEST(MilterCodec, ReaderRejectsHostileLengths) {
    PacketReader reader(1024);
    EXPECT_EQ(reader.feed("\0\0\0\0"s).error().code, Errc::invalid_argument);
    PacketReader big(1024);
    EXPECT_EQ(big.feed("\x7f\xff\xff\xff"
                       "a"s)
                  .error()
                  .code,
              Errc::limit_exceeded);
    PacketReader exact(4);
    EXPECT_TRUE(
        exact.feed("\0\0\0\x04"
                   "abcd"s));
    EXPECT_TRUE(exact.next());
    EXPECT_EQ(exact.feed("\0\0\0\x05"s).error().code, Errc::limit_exceeded);
    PacketReader partial;
    ASSERT_TRUE(
        partial.feed("\0\0\0\x05"
                     "ab"s));
    EXPECT_FALSE(partial.next());  // waits for the rest
}

TEST(MilterCodec, ParsesNegotiation) {
    auto n = parse_optneg("\0\0\0\x06\0\0\0\x01\0\0\0\x7f"s);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->version, 6u);
    EXPECT_EQ(n->actions, 1u);
    EXPECT_EQ(n->protocol, 0x7fu);
    // v6 filters may append macro lists: ignored.
    EXPECT_TRUE(parse_optneg("\0\0\0\x06\0\0\0\x01\0\0\0\x7f\0\0\0\x01{i}\0"s));
    EXPECT_FALSE(parse_optneg("\0\0\0\x06"s));
    EXPECT_FALSE(parse_optneg("\0\0\0\x01\0\0\0\x01\0\0\0\x7f"s));  // version 1
    EXPECT_FALSE(parse_optneg("\xff\0\0\x06\0\0\0\x01\0\0\0\x7f"s));
}

TEST(MilterCodec, ParsesReplies) {
    auto add = parse_response({'h', "X-Virus-Status\0Clean\0"s});
    ASSERT_TRUE(add);
    EXPECT_EQ(add->name, "X-Virus-Status");
    EXPECT_EQ(add->value, "Clean");
    auto chg = parse_response({'m', "\0\0\0\x01Subject\0new\n\tline\0"s});
    ASSERT_TRUE(chg);
    EXPECT_EQ(chg->index, 1u);
    EXPECT_EQ(chg->value, "new\n\tline");
    auto ins = parse_response({'i', "\0\0\0\0X-First\0v\0"s});
    ASSERT_TRUE(ins);
    EXPECT_EQ(ins->index, 0u);
    auto code = parse_response({'y', "554 5.7.1 Virus found\0"s});
    ASSERT_TRUE(code);
    EXPECT_EQ(code->smtp_code, "554");
    EXPECT_EQ(code->status, "5.7.1");
    EXPECT_EQ(code->value, "Virus found");
    auto bare = parse_response({'y', "451 try later\0"s});
    ASSERT_TRUE(bare);
    EXPECT_EQ(bare->status, "");
    EXPECT_EQ(bare->value, "try later");
    auto from = parse_response({'e', "<x@y>\0SIZE=1\0"s});
    ASSERT_TRUE(from);
    EXPECT_EQ(from->name, "<x@y>");
    EXPECT_EQ(from->value, "SIZE=1");
    EXPECT_TRUE(parse_response({'e', "<x@y>\0"s}));
    EXPECT_TRUE(parse_response({'q', "infected\0"s}));
    EXPECT_TRUE(parse_response({'b', "new body"}));
    for (char c : {'a', 'c', 'd', 'r', 't', 'p', 's'})
        EXPECT_TRUE(parse_response({c, ""})) << c;
}

TEST(MilterCodec, RejectsHostileReplies) {
    std::vector<Packet> bad = {
        {'h', "X-A\0no terminator"s},
        {'h', "X-A"s},
        {'h', "\0v\0"s},          // empty name
        {'h', "Bad Name\0v\0"s},  // space in the name
        {'h', "X-A:\0v\0"s},      // colon in the name
        {'h', "X-A\0"s + std::string(20000, 'v') + "\0"s},
        {'m', "\0\0"s},           // index cut short
        {'m', "\0\0\0\x01X\0"s},  // no value
        {'y', "250 ok\0"s},       // not 4xx/5xx
        {'y', "55\0"s},
        {'y', "550 5.7.1 text"s},  // no NUL
        {'y', "5a0 x\0"s},
        {'y', "550x\0"s},
        {'+', "<a@b>"s},
        {'-', "<a@b>\r\n\0"s},
        {'e', "<a@b>\0SIZE=1"s},
        {'Z', ""},
        {'\0', ""},
        {'i', "\0\0\0"s},               // INSHEADER index cut short
        {'i', "\0\0\0\0X-A\0"s},        // INSHEADER without a value
        {'2', "<a@b>"s},                // ADDRCPT_PAR without NUL
        {'2', "<a@b>\0NOTIFY=NEVER"s},  // its arguments without NUL
        {'2', "<a\nb>\0"s},             // a line break in the address
        {'-', "<a@b>"s},                // DELRCPT without NUL
        {'q', "reason"s},               // QUARANTINE without NUL
        {'e', "<a@b>\r\0"s},            // CHGFROM with a CR
        {'O', ""},                      // OPTNEG where a reply is due
    };
    for (std::size_t i = 0; i < bad.size(); ++i)
        EXPECT_FALSE(parse_response(bad[i])) << i;
}

}  // namespace
}  // namespace postern::filter::milter
