// POP3 command parsing (RFC 1939, RFC 2449, RFC 2595, RFC 5034): every command, argument
// counts, message numbers (huge ones name no message rather than failing the syntax), states.
#include "proto/pop3/command.h"

#include <gtest/gtest.h>

namespace postern::proto::pop3 {
namespace {

Command parse_ok(std::string_view line) {
    auto c = parse_command(line);
    EXPECT_TRUE(c.has_value()) << line << ": " << (c ? "" : c.error().reason);
    return c ? *c : Command{};
}

bool fails(std::string_view line) {
    return !parse_command(line).has_value();
}

TEST(Pop3Command, KeywordsAreCaseInsensitive) {
    EXPECT_EQ(parse_ok("stat").name, CommandName::stat);
    EXPECT_EQ(parse_ok("StAt").name, CommandName::stat);
    EXPECT_EQ(parse_ok("CAPA").name, CommandName::capa);
    EXPECT_EQ(parse_ok("stls").name, CommandName::stls);
    EXPECT_EQ(parse_ok("QUIT").name, CommandName::quit);
    EXPECT_EQ(parse_ok("NOOP").name, CommandName::noop);
    EXPECT_EQ(parse_ok("RSET").name, CommandName::rset);
}

TEST(Pop3Command, UnknownCommands) {
    auto c = parse_command("XYZZY");
    ASSERT_FALSE(c);
    EXPECT_TRUE(c.error().unknown);
    EXPECT_TRUE(parse_command("").error().unknown);
    EXPECT_TRUE(parse_command("STATS").error().unknown);
    EXPECT_FALSE(parse_command("STAT 1").error().unknown);  // known, bad syntax
}

TEST(Pop3Command, UserAndPass) {
    EXPECT_EQ(parse_ok("USER alice@example.test").text, "alice@example.test");
    EXPECT_TRUE(fails("USER"));
    EXPECT_TRUE(fails("USER a b"));
    // The password is the rest of the line, spaces included.
    EXPECT_EQ(parse_ok("PASS secret with  spaces ").text, "secret with  spaces ");
    EXPECT_TRUE(fails("PASS"));
    EXPECT_TRUE(
        fails("PASS a\x01"
              "b"));
}

TEST(Pop3Command, Apop) {
    auto c = parse_ok("APOP mrose c4c9334bac560ecc979e58001b3e22fb");
    EXPECT_EQ(c.text, "mrose");
    EXPECT_EQ(c.digest, "c4c9334bac560ecc979e58001b3e22fb");
    EXPECT_EQ(parse_ok("APOP mrose C4C9334BAC560ECC979E58001B3E22FB").digest,
              "c4c9334bac560ecc979e58001b3e22fb");
    EXPECT_TRUE(fails("APOP mrose"));
    EXPECT_TRUE(fails("APOP mrose c4c9334bac560ecc979e58001b3e22f"));
    EXPECT_TRUE(fails("APOP mrose c4c9334bac560ecc979e58001b3e22fz"));
}

TEST(Pop3Command, Auth) {
    auto c = parse_ok("AUTH plain dGVzdAB0ZXN0AHRlc3Q=");
    EXPECT_EQ(c.text, "PLAIN");
    ASSERT_TRUE(c.initial);
    EXPECT_EQ(*c.initial, "dGVzdAB0ZXN0AHRlc3Q=");
    c = parse_ok("AUTH SCRAM-SHA-256");
    EXPECT_EQ(c.text, "SCRAM-SHA-256");
    EXPECT_FALSE(c.initial);
    c = parse_ok("AUTH");
    EXPECT_TRUE(c.text.empty());  // RFC 1734 listing
    EXPECT_TRUE(fails("AUTH PLAIN a b"));
}

TEST(Pop3Command, MessageNumbers) {
    EXPECT_EQ(parse_ok("RETR 1").message->number, 1u);
    EXPECT_EQ(parse_ok("DELE 42").message->number, 42u);
    EXPECT_FALSE(parse_ok("LIST").message);
    EXPECT_EQ(parse_ok("LIST 7").message->number, 7u);
    EXPECT_FALSE(parse_ok("UIDL").message);
    EXPECT_EQ(parse_ok("UIDL 3").message->number, 3u);
    // Too big for any maildrop: number 0, which names no message.
    EXPECT_EQ(parse_ok("RETR 4294967296").message->number, 0u);
    EXPECT_EQ(parse_ok("RETR 99999999999999999999999999999").message->number, 0u);
    EXPECT_EQ(parse_ok("RETR 4294967295").message->number, 4294967295u);
    EXPECT_TRUE(fails("RETR"));
    EXPECT_TRUE(fails("RETR -1"));
    EXPECT_TRUE(fails("RETR 1x"));
    EXPECT_TRUE(fails("RETR 1 2"));
    EXPECT_TRUE(fails("LIST 1 2"));
    EXPECT_TRUE(fails("DELE"));
}

TEST(Pop3Command, Top) {
    auto c = parse_ok("TOP 2 10");
    EXPECT_EQ(c.message->number, 2u);
    EXPECT_EQ(c.lines, 10u);
    EXPECT_EQ(parse_ok("TOP 1 0").lines, 0u);
    EXPECT_EQ(parse_ok("TOP 1 99999999999999999999999").lines, UINT64_MAX);
    EXPECT_TRUE(fails("TOP 1"));
    EXPECT_TRUE(fails("TOP 1 x"));
}

TEST(Pop3Command, ToleratesRepeatedSpaces) {
    EXPECT_EQ(parse_ok("RETR  5").message->number, 5u);
    EXPECT_EQ(parse_ok("TOP 1  2").lines, 2u);
}

TEST(Pop3Command, States) {
    using namespace state;
    EXPECT_EQ(allowed_states(CommandName::user), authorization);
    EXPECT_EQ(allowed_states(CommandName::stls), authorization);
    EXPECT_EQ(allowed_states(CommandName::retr), transaction);
    EXPECT_EQ(allowed_states(CommandName::quit), authorization | transaction);
    EXPECT_EQ(allowed_states(CommandName::capa), authorization | transaction);
    EXPECT_EQ(command_keyword(CommandName::uidl), "UIDL");
}

}  // namespace
}  // namespace postern::proto::pop3
