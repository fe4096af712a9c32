// Hostile input for the IMAP receiver and parser: deep nesting, megabyte lines, huge numbers,
// NUL bytes, enormous sequence sets, malformed quoting, and random bytes. Each must give a BAD
// (or a closing error) in bounded time and memory, never a crash.
#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "proto/imap/parser.h"
#include "proto/imap/test_util.h"

namespace postern::proto::imap {
namespace {

using namespace std::string_literals;
using testing::parse;
using testing::reason_of;
using testing::receive_all_ways;
using testing::Transcript;

std::string repeat(std::string_view s, std::size_t n) {
    std::string out;
    out.reserve(s.size() * n);
    for (std::size_t i = 0; i < n; ++i)
        out += s;
    return out;
}

TEST(ImapHostile, TenThousandNestedParentheses) {
    const std::string input = "a SEARCH " + repeat("(", 10000) + "ALL" + repeat(")", 10000);
    auto r = parse(input);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ParseErrorKind::limit);
    EXPECT_EQ(r.error().tag, "a");
    EXPECT_EQ(r.error().reason, "Search keys nested too deeply");
    // Unbalanced: only opening parentheses.
    r = parse("a SEARCH " + repeat("(", 10000));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ParseErrorKind::limit);
}

TEST(ImapHostile, TenThousandNestedOrAndNot) {
    ReceiverOptions big;
    big.limits.max_line = 1 << 20;
    big.limits.max_command = 1 << 20;
    auto r = parse("a UID SEARCH " + repeat("OR ", 10000) + repeat("ALL ", 10000) + "ALL", {}, big);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().reason, "Search keys nested too deeply");
    r = parse("a SEARCH " + repeat("NOT ", 10000) + "ALL");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().reason, "Search keys nested too deeply");
    // Within the default depth an OR chain is fine (clients build them for address lists).
    r = parse("a SEARCH " + repeat("OR FROM a ", 90) + "FROM b");
    ASSERT_TRUE(r) << reason_of(r);
    EXPECT_EQ(std::get<Search>(r->args).program.keys.size(), 1u + 90 + 91);
}

TEST(ImapHostile, NestingElsewhereIsNotRecursive) {
    for (const std::string prefix : {"a FETCH 1 ", "a LIST ", "a STORE 1 FLAGS ", "a STATUS x ",
                                     "a NOTIFY SET ", "a ID ", "a SORT ", "a SELECT x "}) {
        auto r = parse(prefix + repeat("(", 10000));
        ASSERT_FALSE(r) << prefix;
        EXPECT_EQ(r.error().tag, "a");
    }
}

TEST(ImapHostile, MegabyteLine) {
    const std::string line = "a LOGIN " + std::string(1 << 20, 'u') + " p";
    auto r = parse_command_text(line);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().reason, "Command line too long");
    EXPECT_EQ(r.error().tag, "a");
    // With limits raised it parses, and a megabyte of search keys hits the key limit.
    ReceiverOptions big;
    big.limits.max_line = 4 << 20;
    big.limits.max_command = 4 << 20;
    r = parse_command_text(line, {}, big);
    ASSERT_TRUE(r) << reason_of(r);
    EXPECT_EQ(std::get<Login>(r->args).user.size(), 1u << 20);
    r = parse_command_text("a SEARCH " + repeat("ALL ", 1 << 18) + "ALL", {}, big);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().reason, "Too many search keys");
}

TEST(ImapHostile, HugeLiteralSizes) {
    for (const char* input :
         {"a LOGIN {99999999999999999999}\r\n", "a APPEND x {99999999999999999999+}\r\n",
          "a APPEND x ~{18446744073709551616}\r\n",
          "a LOGIN {"
          "99999999999999999999999999999999999999999999999999"
          "}\r\n"}) {
        Transcript t = receive_all_ways(input);
        ASSERT_EQ(t.errors.size(), 1u) << input;
        EXPECT_EQ(t.errors[0].kind, ReceiveErrorKind::bad_literal) << input;
        EXPECT_TRUE(t.commands.empty()) << input;
    }
}

TEST(ImapHostile, HugeNumbersInArguments) {
    EXPECT_EQ(reason_of(parse("a FETCH 99999999999999999999 FLAGS")),
              "Number too large for sequence set");
    EXPECT_EQ(reason_of(parse("a FETCH 4294967296 FLAGS")), "Number too large for sequence set");
    EXPECT_TRUE(parse("a FETCH 4294967295 FLAGS"));
    EXPECT_FALSE(parse("a UID FETCH 1 FLAGS (CHANGEDSINCE 99999999999999999999)"));
    EXPECT_FALSE(parse("a FETCH 1 BODY[" + repeat("1.", 5000) + "1]"));
    EXPECT_FALSE(parse("a SELECT x (QRESYNC (99999999999 1))"));
}

TEST(ImapHostile, NulBytes) {
    const std::string cases[] = {
        "a\0 NOOP"s,
        "a NO\0OP"s,
        "a NOOP\0"s,
        "a LOGIN u\0 p"s,
        "a LOGIN \"u\0\" p"s,
        "a LOGIN {3}\r\nu\0v p"s,
        "a SELECT \0"s,
        "a FETCH 1\0 FLAGS"s,
        "a SEARCH SUBJECT \"\0\""s,
        "a SEARCH \0"s,
        "\0"s,
        "a ID (\"\0\" NIL)"s,
    };
    for (const auto& input : cases) {
        auto r = parse(input);
        EXPECT_FALSE(r) << ::testing::PrintToString(input);
    }
    // literal8 may carry NUL where it is allowed (APPEND data), and nowhere else.
    EXPECT_TRUE(parse("a APPEND x ~{3}\r\n\0\0\0"s));
    EXPECT_FALSE(parse("a LOGIN ~{3}\r\n\0\0\0 p"s));
}

TEST(ImapHostile, HundredThousandRanges) {
    std::string set;
    for (std::uint32_t i = 0; i < 100000; ++i) {
        if (i)
            set += ',';
        set += std::to_string(2 * i + 1);
    }
    ReceiverOptions big;
    big.limits.max_line = 2 << 20;
    big.limits.max_command = 2 << 20;
    auto r = parse_command_text("a UID FETCH " + set + " FLAGS", {}, big);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ParseErrorKind::limit);
    EXPECT_EQ(r.error().reason, "Sequence set too large");
    EXPECT_EQ(r.error().tag, "a");
    ParserOptions many;
    many.limits.max_sequence_ranges = 100000;
    r = parse_command_text("a UID FETCH " + set + " FLAGS", many, big);
    ASSERT_TRUE(r) << reason_of(r);
    EXPECT_EQ(std::get<Fetch>(r->args).set.ranges.size(), 100000u);
    // The default line limit stops such a line before the parser sees it.
    r = parse_command_text("a UID FETCH " + set + " FLAGS");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().reason, "Command line too long");
    // A range covering everything stays one range.
    r = parse("a UID FETCH 1:4294967295 FLAGS");
    ASSERT_TRUE(r);
    EXPECT_EQ(std::get<Fetch>(r->args).set.ranges.size(), 1u);
}

TEST(ImapHostile, MalformedQuoting) {
    for (const char* input :
         {"a LOGIN \"", "a LOGIN \"\\", "a LOGIN \"\\\"", "a LOGIN \"a\"b c",
          "a LOGIN \"a\"\"b\" c", "a LOGIN a\"b c", "a LOGIN \"a\\x\" b", "a SELECT \"",
          "a SEARCH SUBJECT \"abc", "a LIST \"\" \"*", "a LOGIN \"a\" \"b", "a LOGIN \"\r\" b",
          "a \"LOGIN\" a b", "\"a\" NOOP", "a LOGIN {3}\r\nab", "a LOGIN {2}\r\nab\"c d"}) {
        std::string line = input;
        auto r = parse_command_text(line);
        EXPECT_FALSE(r) << ::testing::PrintToString(line);
    }
}

TEST(ImapHostile, ManyLiterals) {
    std::string input = "a SEARCH";
    for (int i = 0; i < 1500; ++i)
        input += " TEXT {1+}\r\nx";
    auto r = parse_command_text(input);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().reason, "Too many literals");
    ReceiverOptions o;
    o.limits.max_literals = 2000;
    r = parse_command_text(input, {}, o);
    ASSERT_TRUE(r) << reason_of(r);
}

TEST(ImapHostile, RandomBytes) {
    // Random inputs built from IMAP-ish pieces: every way of feeding must agree (checked by
    // receive_all_ways) and parsing must not crash.
    const char* pieces[] = {"a ",  "UID ", "FETCH ",  "SEARCH ",  "APPEND ",    "(",      ")",
                            "\"",  "\\",   "{3}\r\n", "{2+}\r\n", "~{1}\r\n",   "\r\n",   "\n",
                            "\r",  " ",    "1:*",     "$",        "BODY[",      "]",      "<1.2>",
                            "OR ", "NOT ", "INBOX",   "\0",       "\xFF",       "LOGIN ", "x",
                            "*",   "%",    "NIL",     "LIST ",    "NOTIFY SET "};
    std::mt19937 rng(1234);
    for (int round = 0; round < 500; ++round) {
        std::string input;
        const int n = 1 + static_cast<int>(rng() % 40);
        for (int i = 0; i < n; ++i) {
            const char* p = pieces[rng() % std::size(pieces)];
            input += p[0] == '\0' ? std::string(1, '\0') : std::string(p);
        }
        Transcript t = receive_all_ways(input);
        for (const auto& c : t.commands)
            (void)parse_command(c);
    }
}

}  // namespace
}  // namespace postern::proto::imap

namespace postern::proto::imap {
namespace {

// NOTIFY (RFC 5465): every list is bounded (groups, events, mailbox names, fetch attributes),
// and malformed or truncated groups are BAD, never a crash.
TEST(ImapHostile, NotifyListsAreBounded) {
    auto many = [](std::string_view item, std::size_t n) {
        std::string out;
        for (std::size_t i = 0; i < n; ++i) {
            if (i)
                out += ' ';
            out += item;
        }
        return out;
    };
    auto r = testing::parse("a NOTIFY SET " + many("(personal (MessageNew MessageExpunge))", 1001));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ParseErrorKind::limit);
    EXPECT_TRUE(testing::parse("a NOTIFY SET " + many("(personal NONE)", 1000)));
    r = testing::parse("a NOTIFY SET (personal (" + many("MessageNew", 1001) + "))");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ParseErrorKind::limit);
    r = testing::parse("a NOTIFY SET (mailboxes (" + many("x", 1001) + ") (MessageNew))");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ParseErrorKind::limit);
    r = testing::parse("a NOTIFY SET (selected (MessageNew (" + many("UID", 1001) + ")))");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ParseErrorKind::limit);
    // Truncated at every byte of a valid command: BAD whenever a group is left open (a cut
    // right after a whole group is a valid, shorter command).
    const std::string good =
        "a NOTIFY SET STATUS (selected (MessageNew (UID BODY.PEEK[HEADER]) MessageExpunge "
        "FlagChange)) (subtree (\"A\" B) (MailboxName)) (personal NONE)";
    ASSERT_TRUE(testing::parse(good));
    for (std::size_t n = 9; n < good.size(); ++n) {
        const std::string cut = good.substr(0, n);
        const auto open = std::count(cut.begin(), cut.end(), '(');
        const auto close = std::count(cut.begin(), cut.end(), ')');
        auto parsed = testing::parse(cut);
        if (open != close) {
            EXPECT_FALSE(parsed) << n;
        }
    }
    // Random bytes after NOTIFY SET.
    std::mt19937 rng(5465);
    const std::string alphabet = "() \"\\[]<>.*%SETNONEselectedMessageNew0123456789";
    for (int i = 0; i < 2000; ++i) {
        std::string junk = "a NOTIFY SET ";
        const std::size_t len = rng() % 80;
        for (std::size_t k = 0; k < len; ++k)
            junk += alphabet[rng() % alphabet.size()];
        (void)testing::parse(junk);  // must return, BAD or not
    }
}

}  // namespace
}  // namespace postern::proto::imap
