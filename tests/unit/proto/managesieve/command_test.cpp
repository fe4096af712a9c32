// ManageSieve receiver and parser: a table of inputs fed whole and one byte at a time, limits
// (line, literal, literal count, quoted length) and hostile input.
#include "proto/managesieve/command.h"

#include <gtest/gtest.h>

namespace postern::proto::managesieve {
namespace {

struct Fed {
    std::vector<FramedCommand> commands;
    std::vector<ReceiveError> errors;
    bool closed = false;
};

// Feeds `input` in pieces of `step` octets (0 = whole), collecting commands and errors until
// a closing error.
Fed feed(std::string_view input, std::size_t step, ReceiverLimits limits = {}) {
    Receiver r(limits);
    Fed out;
    std::size_t pos = 0;
    while (pos < input.size() && !out.closed) {
        std::size_t n = step == 0 ? input.size() - pos : std::min(step, input.size() - pos);
        std::string_view piece = input.substr(pos, n);
        while (!piece.empty()) {
            auto p = r.feed(piece);
            piece.remove_prefix(p.consumed);
            pos += p.consumed;
            if (p.event == Receiver::Event::command) {
                out.commands.push_back(r.take_command());
            } else if (p.event == Receiver::Event::error) {
                out.errors.push_back(r.take_error());
                if (out.errors.back().close) {
                    out.closed = true;
                    break;
                }
            } else {
                break;
            }
        }
    }
    return out;
}

Command parse_one(std::string_view input) {
    auto fed = feed(input, 0);
    EXPECT_EQ(fed.commands.size(), 1u) << input;
    if (fed.commands.empty())
        return {};
    auto c = parse_command(fed.commands[0]);
    EXPECT_TRUE(c.has_value()) << input << ": " << (c ? "" : c.error().reason);
    return c ? *c : Command{};
}

struct Case {
    std::string input;
    CommandName name;
    std::vector<std::string> strings;
    std::uint64_t number = 0;
};

TEST(ManageSieveReceiver, ParsesEveryCommandWholeAndByteByByte) {
    const std::vector<Case> cases = {
        {"CAPABILITY\r\n", CommandName::capability, {}},
        {"capability\r\n", CommandName::capability, {}},
        {"STARTTLS\r\n", CommandName::starttls, {}},
        {"LOGOUT\n", CommandName::logout, {}},
        {"AUTHENTICATE \"PLAIN\"\r\n", CommandName::authenticate, {"PLAIN"}},
        {"Authenticate \"PLAIN\" \"AGFsaWNlAHNlY3JldA==\"\r\n",
         CommandName::authenticate,
         {"PLAIN", "AGFsaWNlAHNlY3JldA=="}},
        {"AUTHENTICATE \"PLAIN\" {20+}\r\nAGFsaWNlAHNlY3JldA==\r\n",
         CommandName::authenticate,
         {"PLAIN", "AGFsaWNlAHNlY3JldA=="}},
        {"HAVESPACE \"myscript\" 999999\r\n", CommandName::havespace, {"myscript"}, 999999},
        {"PUTSCRIPT \"foo\" {31+}\r\n#comment\r\nInvalidSieveCommand\r\n\r\n",
         CommandName::putscript,
         {"foo", "#comment\r\nInvalidSieveCommand\r\n"}},
        {"PUTSCRIPT {3+}\r\nfoo {4}\r\nkeep\r\n", CommandName::putscript, {"foo", "keep"}},
        {"PUTSCRIPT \"a \\\"b\\\" \\\\c\" {0+}\r\n\r\n",
         CommandName::putscript,
         {"a \"b\" \\c", ""}},
        {"LISTSCRIPTS\r\n", CommandName::listscripts, {}},
        {"SETACTIVE \"\"\r\n", CommandName::setactive, {""}},
        {"GETSCRIPT \"x\"\r\n", CommandName::getscript, {"x"}},
        {"DELETESCRIPT \"x\"\r\n", CommandName::deletescript, {"x"}},
        {"RENAMESCRIPT \"a\" \"b\"\r\n", CommandName::renamescript, {"a", "b"}},
        {"CHECKSCRIPT {5+}\r\nkeep;\r\n", CommandName::checkscript, {"keep;"}},
        {"NOOP\r\n", CommandName::noop, {}},
        {"NOOP \"STARTTLS-SYNC-42\"\r\n", CommandName::noop, {"STARTTLS-SYNC-42"}},
        {"UNAUTHENTICATE\r\n", CommandName::unauthenticate, {}},
    };
    for (const auto& c : cases) {
        for (std::size_t step : {std::size_t{0}, std::size_t{1}, std::size_t{3}}) {
            auto fed = feed(c.input, step);
            ASSERT_EQ(fed.commands.size(), 1u) << c.input << " step " << step;
            ASSERT_TRUE(fed.errors.empty()) << c.input;
            auto parsed = parse_command(fed.commands[0]);
            ASSERT_TRUE(parsed) << c.input << ": " << parsed.error().reason;
            EXPECT_EQ(parsed->name, c.name) << c.input;
            EXPECT_EQ(parsed->strings, c.strings) << c.input;
            EXPECT_EQ(parsed->number, c.number) << c.input;
        }
    }
}

TEST(ManageSieveReceiver, PipelinedCommandsComeOneAtATime) {
    std::string in = "NOOP\r\nPUTSCRIPT \"a\" {5+}\r\nkeep;\r\nLISTSCRIPTS\r\nLOGOUT\r\n";
    for (std::size_t step : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
        auto fed = feed(in, step);
        ASSERT_EQ(fed.commands.size(), 4u);
        EXPECT_EQ(parse_command(fed.commands[1])->strings[1], "keep;");
        EXPECT_EQ(parse_command(fed.commands[3])->name, CommandName::logout);
    }
}

TEST(ManageSieveReceiver, LiteralDataIsNotParsedAsCommands) {
    // A literal whose data looks like a literal marker and a command.
    auto c = parse_one("PUTSCRIPT \"x\" {13+}\r\nLOGOUT {5+}\r\n\r\n");
    EXPECT_EQ(c.strings[1], "LOGOUT {5+}\r\n");
}

TEST(ManageSieveReceiver, SyntaxErrors) {
    const std::vector<std::pair<std::string, bool>> bad = {
        {"\r\n", true},
        {"FROBNICATE\r\n", true},
        {"CAPABILITYX\r\n", true},
        {"\"PUTSCRIPT\"\r\n", true},
        {"CAPABILITY \"x\"\r\n", false},
        {"PUTSCRIPT \"x\"\r\n", false},
        {"PUTSCRIPT \"x\" 12\r\n", false},
        {"HAVESPACE \"x\" \"12\"\r\n", false},
        {"HAVESPACE \"x\" 99999999999999999999\r\n", false},
        {"GETSCRIPT \"x\r\n", false},
        {"GETSCRIPT \"x\\n\"\r\n", false},
        {"GETSCRIPT  \"x\"\r\n", false},
        {"GETSCRIPT x\r\n", false},
        {"GETSCRIPT \"a\" \"b\"\r\n", false},
        {"NOOP \"a\" \"b\" \"c\" \"d\" \"e\" \"f\" \"g\" \"h\" \"i\"\r\n", false},
    };
    for (const auto& [input, unknown] : bad) {
        auto fed = feed(input, 0);
        ASSERT_EQ(fed.commands.size(), 1u) << input;
        auto c = parse_command(fed.commands[0]);
        ASSERT_FALSE(c) << input;
        EXPECT_EQ(c.error().unknown, unknown) << input;
        EXPECT_FALSE(c.error().reason.empty());
    }
}

TEST(ManageSieveReceiver, QuotedStringsAreLimited) {
    std::string ok = "GETSCRIPT \"" + std::string(1024, 'a') + "\"\r\n";
    EXPECT_EQ(parse_one(ok).strings[0].size(), 1024u);
    auto fed = feed("GETSCRIPT \"" + std::string(1025, 'a') + "\"\r\n", 0);
    ASSERT_EQ(fed.commands.size(), 1u);
    auto c = parse_command(fed.commands[0]);
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().reason.find("too long"), std::string::npos);
}

TEST(ManageSieveReceiver, OverlongLineCloses) {
    ReceiverLimits limits;
    limits.max_line = 64;
    std::string in = "NOOP \"" + std::string(100, 'x') + "\"\r\nNOOP\r\n";
    for (std::size_t step : {std::size_t{0}, std::size_t{1}}) {
        auto fed = feed(in, step, limits);
        EXPECT_TRUE(fed.commands.empty());
        ASSERT_EQ(fed.errors.size(), 1u);
        EXPECT_EQ(fed.errors[0].kind, ReceiveErrorKind::line_too_long);
        EXPECT_TRUE(fed.errors[0].close);
    }
    // Exactly the limit is fine, with or without CR.
    std::string exact = "NOOP \"" + std::string(64 - 7, 'x') + "\"";
    ASSERT_EQ(exact.size(), 64u);
    EXPECT_EQ(feed(exact + "\r\n", 1, limits).commands.size(), 1u);
    EXPECT_EQ(feed(exact + "\n", 1, limits).commands.size(), 1u);
}

TEST(ManageSieveReceiver, TooLargeLiteralIsSkippedAndTheNextCommandRead) {
    ReceiverLimits limits;
    limits.max_literal = 10;
    std::string in = "PUTSCRIPT \"a\" {20+}\r\n01234567890123456789\r\nNOOP\r\n";
    for (std::size_t step : {std::size_t{0}, std::size_t{1}, std::size_t{5}}) {
        auto fed = feed(in, step, limits);
        ASSERT_EQ(fed.errors.size(), 1u) << step;
        EXPECT_EQ(fed.errors[0].kind, ReceiveErrorKind::literal_too_large);
        EXPECT_EQ(fed.errors[0].literal_size, 20u);
        EXPECT_FALSE(fed.errors[0].close);
        ASSERT_EQ(fed.commands.size(), 1u);
        EXPECT_EQ(parse_command(fed.commands[0])->name, CommandName::noop);
    }
    // A literal after the big one (RENAMESCRIPT-like shapes) is skipped as well.
    auto fed = feed("PUTSCRIPT {20+}\r\n01234567890123456789 {3+}\r\nabc\r\nNOOP\r\n", 1, limits);
    ASSERT_EQ(fed.errors.size(), 1u);
    ASSERT_EQ(fed.commands.size(), 1u);
    EXPECT_EQ(parse_command(fed.commands[0])->name, CommandName::noop);
}

TEST(ManageSieveReceiver, HugeOrInvalidLiteralCloses) {
    ReceiverLimits limits;
    limits.max_literal = 10;
    limits.max_skip = 1000;
    auto fed = feed("PUTSCRIPT \"a\" {4294967296+}\r\nxx", 0, limits);
    ASSERT_EQ(fed.errors.size(), 1u);
    EXPECT_TRUE(fed.errors[0].close);
    for (std::string in :
         {"PUTSCRIPT \"a\" {99999999999999999999999+}\r\n", "PUTSCRIPT \"a\" {x+}\r\n",
          "PUTSCRIPT \"a\" {}\r\n", "PUTSCRIPT \"a\" {-1}\r\n", "NOOP }\r\n"}) {
        auto f = feed(in, 1, limits);
        ASSERT_EQ(f.errors.size(), 1u) << in;
        EXPECT_EQ(f.errors[0].kind, ReceiveErrorKind::bad_literal) << in;
        EXPECT_TRUE(f.errors[0].close);
    }
}

TEST(ManageSieveReceiver, TooManyLiterals) {
    ReceiverLimits limits;
    limits.max_literals = 2;
    auto fed = feed("NOOP {1+}\r\na {1+}\r\nb {1+}\r\nc\r\nNOOP\r\n", 1, limits);
    ASSERT_EQ(fed.errors.size(), 1u);
    EXPECT_EQ(fed.errors[0].kind, ReceiveErrorKind::too_many_literals);
    EXPECT_FALSE(fed.errors[0].close);
    ASSERT_EQ(fed.commands.size(), 1u);
}

TEST(ManageSieveReceiver, HostileBytesNeverCrash) {
    // Every byte value, markers in odd places, NULs: the receiver frames or refuses.
    std::string junk;
    for (int i = 0; i < 4096; ++i)
        junk += static_cast<char>((i * 131 + 7) % 256);
    junk += "{3+}\r\n\0\0\0\r\n{0}\r\n\r\n";
    auto fed = feed(junk, 1);
    for (const auto& c : fed.commands)
        (void)parse_command(c);
    SUCCEED();
}

TEST(ManageSieveSasl, ResponsesAreOneString) {
    auto fed = feed("\"dGVzdA==\"\r\n{4+}\r\nabcd\r\n\"*\"\r\n\"a\" \"b\"\r\nplain\r\n", 0);
    ASSERT_EQ(fed.commands.size(), 5u);
    EXPECT_EQ(*parse_sasl_response(fed.commands[0]), "dGVzdA==");
    EXPECT_EQ(*parse_sasl_response(fed.commands[1]), "abcd");
    EXPECT_EQ(*parse_sasl_response(fed.commands[2]), "*");
    EXPECT_FALSE(parse_sasl_response(fed.commands[3]));
    EXPECT_FALSE(parse_sasl_response(fed.commands[4]));
}

TEST(ManageSieveNames, ScriptNames) {
    EXPECT_TRUE(valid_script_name("vacation"));
    EXPECT_TRUE(valid_script_name("mein Skript ä"));
    EXPECT_TRUE(valid_script_name(std::string(128, 'a')));
    EXPECT_FALSE(valid_script_name(std::string(129, 'a')));
    EXPECT_FALSE(valid_script_name(""));
    EXPECT_FALSE(valid_script_name(".hidden"));
    EXPECT_FALSE(valid_script_name(".."));
    EXPECT_FALSE(valid_script_name("a/b"));
    EXPECT_FALSE(valid_script_name("a\tb"));
    EXPECT_FALSE(valid_script_name(std::string("a\0b", 3)));
    EXPECT_FALSE(valid_script_name("a\x7f"));
    EXPECT_FALSE(valid_script_name("a\xc2\x85"));      // U+0085
    EXPECT_FALSE(valid_script_name("a\xe2\x80\xa8"));  // U+2028
    EXPECT_FALSE(valid_script_name("\xff\xfe"));
}

}  // namespace
}  // namespace postern::proto::managesieve
