// Command lines -> typed commands or the exact reply, for every verb (RFC 5321 §4.1.1, RFC 2033,
// 3030, 3207, 4954, 6531). MAIL and RCPT parameters are in mail_params_test.cpp.
#include <gtest/gtest.h>

#include "proto/smtp/command.h"
#include "proto/smtp/test_util.h"

namespace postern::proto::smtp {
namespace {

using testing::code_of;
using testing::describe;

struct Case {
    std::string line;
    std::optional<Command> command;  // expected command, or
    const char* reply = nullptr;     // expected reply code ("501 5.5.4")
};

ParserOptions full_options() {
    ParserOptions o;
    o.extensions.auth_mechanisms = {"PLAIN", "LOGIN", "SCRAM-SHA-256"};
    o.extensions.starttls = true;
    o.extensions.vrfy = true;
    o.extensions.expn = true;
    return o;
}

void run(const std::vector<Case>& cases, const ParserOptions& options) {
    for (const auto& c : cases) {
        auto r = parse_command(c.line, options);
        if (c.command) {
            ASSERT_TRUE(r) << "'" << c.line << "' -> " << code_of(r.error().reply) << " "
                           << r.error().reply.text();
            EXPECT_EQ(*r, *c.command) << "'" << c.line << "' -> " << describe(*r);
        } else {
            ASSERT_FALSE(r) << "'" << c.line << "' -> " << describe(*r);
            EXPECT_EQ(code_of(r.error().reply), c.reply) << "'" << c.line << "'";
        }
    }
}

TEST(CommandParser, SimpleCommands) {
    const std::vector<Case> cases = {
        {"DATA", Data{}},
        {"data", Data{}},
        {"DaTa  ", Data{}},  // trailing spaces tolerated
        {"DATA x", {}, "501 5.5.4"},
        {"RSET", Rset{}},
        {"RSET now", {}, "501 5.5.4"},
        {"QUIT", Quit{}},
        {"quit\t", Quit{}},
        {"QUIT please", {}, "501 5.5.4"},
        {"NOOP", Noop{}},
        {"NOOP anything at all", Noop{}},
        {"STARTTLS", StartTls{}},
        {"starttls", StartTls{}},
        {"STARTTLS x", {}, "501 5.5.4"},  // RFC 3207 §4
        {"HELP", Help{}},
        {"HELP MAIL", Help{"MAIL"}},
        {"VRFY alice", Vrfy{"alice"}},
        {"VRFY <alice@example.org>", Vrfy{"<alice@example.org>"}},
        {"VRFY", {}, "501 5.5.4"},
        {"VRFY j\xC3\xB6rg SMTPUTF8", Vrfy{"j\xC3\xB6rg", true}},
        {"VRFY j\xC3\xB6rg", {}, "553 5.6.7"},
        {"EXPN staff", Expn{"staff"}},
        {"EXPN", {}, "501 5.5.4"},
        {"", {}, "500 5.5.2"},
        {"FOO", {}, "500 5.5.2"},
        {"MAILFROM:<a@b>", {}, "500 5.5.2"},
        {" MAIL FROM:<a@b.example>", {}, "500 5.5.2"},
        {"DATA\r", {}, "500 5.5.2"},  // the verb is "DATA\r": not a command
        {"QUIT\x01", {}, "500 5.5.2"},
        {std::string("DATA\0", 5), {}, "500 5.5.2"},
        {"DATA \r", {}, "501 5.5.4"},
        {std::string("RSET \0", 6), {}, "501 5.5.4"},
        {"LHLO client.example", {}, "500 5.5.2"},  // LHLO is LMTP only
        {"\xFF\xFE", {}, "500 5.5.2"},
        // A TLS ClientHello sent to a plaintext port (or after a failed STARTTLS).
        {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 MAIL", 16), {}, "500 5.5.2"},
    };
    run(cases, full_options());
}

TEST(CommandParser, Hello) {
    const std::vector<Case> cases = {
        {"EHLO client.example.net", Hello{Verb::ehlo, "client.example.net", HelloKind::domain}},
        {"ehlo Client.Example.NET", Hello{Verb::ehlo, "client.example.net", HelloKind::domain}},
        {"HELO client.example.net", Hello{Verb::helo, "client.example.net", HelloKind::domain}},
        {"EHLO [192.0.2.1]", Hello{Verb::ehlo, "[192.0.2.1]", HelloKind::address_literal}},
        {"EHLO [IPv6:2001:DB8::1]",
         Hello{Verb::ehlo, "[IPv6:2001:db8::1]", HelloKind::address_literal}},
        {"HELO [192.0.2.1]", Hello{Verb::helo, "[192.0.2.1]", HelloKind::address_literal}},
        // Invalid names are accepted and flagged (policy may reject them).
        {"EHLO my_pc", Hello{Verb::ehlo, "my_pc", HelloKind::invalid}},
        {"EHLO 192.0.2.1.", Hello{Verb::ehlo, "192.0.2.1.", HelloKind::invalid}},
        {"EHLO [192.0.2.300]", Hello{Verb::ehlo, "[192.0.2.300]", HelloKind::invalid}},
        {"EHLO two words", Hello{Verb::ehlo, "two words", HelloKind::invalid}},
        {"EHLO", {}, "501 5.5.4"},
        {"EHLO   ", {}, "501 5.5.4"},
        {"HELO", {}, "501 5.5.4"},
        {"EHLO " + std::string(2000, 'a'), {}, "501 5.5.4"},
        {"EHLO a\x01"
         "b",
         {},
         "501 5.5.4"},
    };
    run(cases, full_options());

    ParserOptions strict = full_options();
    strict.strict_hello = true;
    run({{"EHLO my_pc", {}, "501 5.5.4"},
         {"EHLO [192.0.2.1]", Hello{Verb::ehlo, "[192.0.2.1]", HelloKind::address_literal}}},
        strict);
}

TEST(CommandParser, Lmtp) {
    ParserOptions o = full_options();
    o.dialect = Dialect::lmtp;
    run({{"LHLO client.example", Hello{Verb::lhlo, "client.example", HelloKind::domain}},
         {"lhlo [192.0.2.1]", Hello{Verb::lhlo, "[192.0.2.1]", HelloKind::address_literal}},
         {"LHLO", {}, "501 5.5.4"},
         {"EHLO client.example", {}, "500 5.5.1"},
         {"HELO client.example", {}, "500 5.5.1"},
         {"MAIL FROM:<a@b.example>", MailFrom{Mailbox{"a", "b.example"}}}},
        o);
    EXPECT_EQ(identify_verb("LHLO x", Dialect::lmtp), Verb::lhlo);
    EXPECT_EQ(identify_verb("LHLO x", Dialect::smtp), Verb::unknown);
}

TEST(CommandParser, Bdat) {
    const std::vector<Case> cases = {
        {"BDAT 1000", Bdat{1000, false}},
        {"BDAT 0 LAST", Bdat{0, true}},
        {"bdat 42 last", Bdat{42, true}},
        {"BDAT 18446744073709551615", Bdat{18446744073709551615ULL, false}},
    };
    run(cases, full_options());
    struct Bad {
        std::string line;
        bool close;
        std::optional<std::uint64_t> discard;
    };
    const Bad bad[] = {
        {"BDAT", true, std::nullopt},
        {"BDAT x", true, std::nullopt},
        {"BDAT -1", true, std::nullopt},
        {"BDAT 18446744073709551616", true, std::nullopt},  // overflow
        {"BDAT 99999999999999999999999", true, std::nullopt},
        {"BDAT 10 FIRST", false, 10},  // size known: skip the chunk, keep the session
        {"BDAT 10 LAST extra", false, 10},
        {"BDAT 10\r", true, std::nullopt},
    };
    for (const auto& b : bad) {
        auto r = parse_command(b.line, full_options());
        ASSERT_FALSE(r) << b.line;
        EXPECT_EQ(code_of(r.error().reply), "501 5.5.4") << b.line;
        EXPECT_EQ(r.error().close_connection, b.close) << b.line;
        EXPECT_EQ(r.error().discard_octets, b.discard) << b.line;
        EXPECT_EQ(r.error().verb, Verb::bdat);
    }
}

TEST(CommandParser, Auth) {
    const std::vector<Case> cases = {
        {"AUTH PLAIN", Auth{"PLAIN", std::nullopt}},
        {"auth plain", Auth{"PLAIN", std::nullopt}},
        {"AUTH PLAIN AHVzZXIAcGFzcw==", Auth{"PLAIN", "AHVzZXIAcGFzcw=="}},
        {"AUTH PLAIN =", Auth{"PLAIN", "="}},
        {"AUTH scram-sha-256 biwsbj11c2VyLHI9cm9tZQ==",
         Auth{"SCRAM-SHA-256", "biwsbj11c2VyLHI9cm9tZQ=="}},
        {"AUTH", {}, "501 5.5.4"},
        {"AUTH PLAIN a b", {}, "501 5.5.4"},
        {"AUTH CRAM-MD5", {}, "504 5.5.4"},  // not offered
        {"AUTH P@AIN", {}, "504 5.5.4"},
        {"AUTH ABCDEFGHIJKLMNOPQRSTU", {}, "504 5.5.4"},  // 21 characters
        {"AUTH PLAIN !!!", {}, "501 5.5.2"},
    };
    run(cases, full_options());
}

TEST(CommandParser, ForeignProtocolsCloseTheConnection) {
    for (const char* line : {"GET / HTTP/1.1", "POST /cgi HTTP/1.0", "CONNECT mx:25 HTTP/1.1"}) {
        auto r = parse_command(line, full_options());
        ASSERT_FALSE(r);
        EXPECT_EQ(code_of(r.error().reply), "500 5.5.2");
        EXPECT_TRUE(r.error().close_connection) << line;
    }
    auto r = parse_command("XYZZY", full_options());
    ASSERT_FALSE(r);
    EXPECT_FALSE(r.error().close_connection);
    EXPECT_TRUE(r.error().is_error());
}

TEST(CommandParser, HostileLinesAreBounded) {
    const ParserOptions o = full_options();
    // A megabyte command line (the LineBuffer would normally stop it first).
    std::string huge(1 << 20, 'A');
    EXPECT_EQ(code_of(parse_command(huge, o).error().reply), "500 5.5.2");
    EXPECT_EQ(code_of(parse_command("VRFY " + huge, o).error().reply), "501 5.5.4");
    EXPECT_EQ(code_of(parse_command("HELP " + huge, o).error().reply), "501 5.5.4");
    EXPECT_TRUE(parse_command("NOOP " + huge, o));
    // NUL bytes anywhere.
    std::string nul_mail("MAIL FROM:<a\0@b.example>", 24);
    EXPECT_EQ(code_of(parse_command(nul_mail, o).error().reply), "501 5.5.4");
}

TEST(CommandParser, VerbNamesRoundTrip) {
    for (std::size_t i = 0; i + 1 < kVerbCount; ++i) {
        auto v = static_cast<Verb>(i);
        Dialect d = v == Verb::lhlo ? Dialect::lmtp : Dialect::smtp;
        EXPECT_EQ(identify_verb(std::string(verb_name(v)) + " x", d), v);
    }
    EXPECT_EQ(verb_name(Verb::unknown), "");
}

}  // namespace
}  // namespace postern::proto::smtp
