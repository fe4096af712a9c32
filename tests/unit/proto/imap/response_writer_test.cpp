// Low-level IMAP data encoding: string forms per session mode, literals and literal8, sets,
// flag lists, date-time and mailbox names.
#include "proto/imap/response_writer.h"

#include <gtest/gtest.h>

namespace postern::proto::imap {
namespace {

const SessionMode kRev1{};
const SessionMode kUtf8{.utf8_accept = true};
const SessionMode kRev2{.imap4rev2 = true};

template <class F>
std::string render(F&& f) {
    std::string out;
    f(out);
    return out;
}

std::string str(std::string_view s, const SessionMode& mode = kRev1) {
    return render([&](std::string& o) { append_string(o, s, mode); });
}

TEST(ResponseWriter, AtomChars) {
    EXPECT_TRUE(is_atom("INBOX"));
    EXPECT_TRUE(is_atom("AUTH=PLAIN"));
    EXPECT_TRUE(is_atom("LITERAL+"));
    EXPECT_TRUE(is_atom("$Forwarded"));
    EXPECT_FALSE(is_atom(""));
    for (char c : std::string_view("() {%*\"\\]\x01\x7f\x80", 12))
        EXPECT_FALSE(is_atom_char(c)) << int(c);
    EXPECT_TRUE(is_astring_char(']'));
    EXPECT_FALSE(is_astring_char('('));
}

TEST(ResponseWriter, QuotedWhenSafe) {
    EXPECT_EQ(str(""), "\"\"");
    EXPECT_EQ(str("hello world"), "\"hello world\"");
    EXPECT_EQ(str("say \"hi\" \\o/"), R"("say \"hi\" \\o/")");
    EXPECT_EQ(str("tab\there"), "\"tab\there\"");
}

TEST(ResponseWriter, LiteralForLineBreaksLengthAnd8Bit) {
    EXPECT_EQ(str("a\r\nb"), "{4}\r\na\r\nb");
    EXPECT_EQ(str("a\nb"), "{3}\r\na\nb");
    const std::string caf = "caf\xc3\xa9";
    EXPECT_EQ(str(caf, kRev1), "{5}\r\n" + caf);
    EXPECT_EQ(str(caf, kUtf8), "\"" + caf + "\"");
    EXPECT_EQ(str(caf, kRev2), "\"" + caf + "\"");
    // Ill-formed UTF-8 is never quoted, even in a UTF-8 session.
    EXPECT_EQ(str("caf\xe9", kUtf8), "{4}\r\ncaf\xe9");
    const std::string longest(kMaxQuotedLength, 'x');
    EXPECT_EQ(str(longest), "\"" + longest + "\"");
    EXPECT_EQ(str(longest + "x"), "{1025}\r\n" + longest + "x");
    EXPECT_EQ(choose_string_form(longest + "x", kRev1), StringChoice::literal);
    EXPECT_EQ(choose_string_form("x", kRev1), StringChoice::quoted);
}

TEST(ResponseWriter, NulIsDroppedFromStrings) {
    EXPECT_EQ(str(std::string("a\0b", 3)), "\"ab\"");
    EXPECT_EQ(str(std::string("a\0\nb", 4)), "{3}\r\na\nb");
}

TEST(ResponseWriter, NilNumberNstringAstring) {
    EXPECT_EQ(render([](std::string& o) { append_nil(o); }), "NIL");
    EXPECT_EQ(render([](std::string& o) { append_number(o, 0); }), "0");
    EXPECT_EQ(render([](std::string& o) { append_number(o, 18446744073709551615ull); }),
              "18446744073709551615");
    EXPECT_EQ(render([](std::string& o) { append_nstring(o, std::nullopt, kRev1); }), "NIL");
    EXPECT_EQ(render([](std::string& o) { append_nstring(o, "NIL", kRev1); }), "\"NIL\"");
    auto astr = [](std::string_view s) {
        return render([&](std::string& o) { append_astring(o, s, kRev1); });
    };
    EXPECT_EQ(astr("anyone"), "anyone");
    EXPECT_EQ(astr("a]b"), "a]b");
    EXPECT_EQ(astr("two words"), "\"two words\"");
    EXPECT_EQ(astr(""), "\"\"");
    EXPECT_EQ(astr("nil"), "\"nil\"");
    EXPECT_EQ(astr("/private/comment"), "/private/comment");
}

TEST(ResponseWriter, QuotedOnlyNeverBreaksTheLine) {
    auto q = [](std::string_view s, const SessionMode& m) {
        return render([&](std::string& o) { append_quoted_only(o, s, m); });
    };
    EXPECT_EQ(q("a\r\nb\"c", kRev1), R"("a  b\"c")");
    EXPECT_EQ(q("caf\xc3\xa9", kRev1), "\"caf??\"");
    EXPECT_EQ(q("caf\xc3\xa9", kUtf8), "\"caf\xc3\xa9\"");
}

TEST(ResponseWriter, Literals) {
    auto lit = [](std::string_view d, bool l8) {
        return render([&](std::string& o) { append_literal(o, d, l8); });
    };
    EXPECT_EQ(lit("", false), "{0}\r\n");
    EXPECT_EQ(lit("abc", false), "{3}\r\nabc");
    EXPECT_EQ(lit(std::string("a\0b", 3), false),
              "{3}\r\na\x80"
              "b");
    EXPECT_EQ(lit(std::string("a\0b", 3), true), std::string("~{3}\r\na\0b", 9));
    EXPECT_TRUE(contains_nul(std::string("\0", 1)));
    EXPECT_FALSE(contains_nul("abc"));
}

TEST(ResponseWriter, Text) {
    auto t = [](std::string_view s, const SessionMode& m) {
        return render([&](std::string& o) { append_text(o, s, m); });
    };
    EXPECT_EQ(t("Done\r\n* OK injected", kRev1), "Done  * OK injected");
    EXPECT_EQ(t(std::string("a\0b", 3), kRev1), "a b");
    EXPECT_EQ(t("Gr\xc3\xbc\xc3\x9f"
                "e",
                kRev1),
              "Gr????e");
    EXPECT_EQ(t("Gr\xc3\xbc\xc3\x9f"
                "e",
                kRev2),
              "Gr\xc3\xbc\xc3\x9f"
              "e");
    EXPECT_EQ(t("bad \xff byte", kRev2), "bad ? byte");
    EXPECT_EQ(t("Gr\xc3\xbc", kUtf8), "Gr??");
}

TEST(ResponseWriter, NumberSets) {
    auto set = [](std::vector<std::uint32_t> v) {
        return render([&](std::string& o) { append_number_set(o, v); });
    };
    EXPECT_EQ(set({}), "");
    EXPECT_EQ(set({7}), "7");
    EXPECT_EQ(set({5, 1, 2, 3}), "1:3,5");
    EXPECT_EQ(set({1, 1, 2, 2, 9, 10, 11, 20}), "1:2,9:11,20");
    EXPECT_EQ(set({0, 4}), "4");
    EXPECT_EQ(set({4294967295u, 4294967294u}), "4294967294:4294967295");
    auto ranges = [](std::vector<NumberRange> v) {
        return render([&](std::string& o) { append_range_set(o, v); });
    };
    EXPECT_EQ(ranges({{10, 12}, {1, 3}, {4, 4}, {11, 20}, {30, 25}}), "1:4,10:20,25:30");
    EXPECT_EQ(ranges({{0, 0}}), "");
    EXPECT_EQ(ranges({{0, 2}}), "1:2");
}

TEST(ResponseWriter, FlagLists) {
    std::vector<std::string> flags = {"\\Seen", "\\Answered", "$Forwarded", "bad flag", "\\*",
                                      "",       "\\",         "(x",         "Junk"};
    EXPECT_EQ(render([&](std::string& o) { append_flag_list(o, flags); }),
              R"((\Seen \Answered $Forwarded Junk))");
    EXPECT_EQ(render([&](std::string& o) { append_flag_list(o, flags, true); }),
              R"((\Seen \Answered $Forwarded \* Junk))");
    EXPECT_EQ(render([&](std::string& o) { append_flag_list(o, {}); }), "()");
    std::vector<std::string> atoms = {"IMAP4rev1", "AUTH=PLAIN", "not an atom"};
    EXPECT_EQ(render([&](std::string& o) { append_atom_list(o, atoms); }),
              "(IMAP4rev1 AUTH=PLAIN)");
}

TEST(ResponseWriter, DateTime) {
    auto dt = [](std::int64_t t, int zone) {
        return render([&](std::string& o) { append_date_time(o, t, zone); });
    };
    EXPECT_EQ(dt(0, 0), "\"01-Jan-1970 00:00:00 +0000\"");
    // RFC 3501 §8 example: 17-Jul-1996 02:44:25 -0700 is 09:44:25 UTC.
    EXPECT_EQ(dt(837596665, -420), "\"17-Jul-1996 02:44:25 -0700\"");
    EXPECT_EQ(dt(1171494123, 120), "\"15-Feb-2007 01:02:03 +0200\"");
    EXPECT_EQ(dt(951782400, 0), "\"29-Feb-2000 00:00:00 +0000\"");
    EXPECT_EQ(dt(1700000000, 330), "\"15-Nov-2023 03:43:20 +0530\"");
    EXPECT_EQ(dt(-1, 0), "\"31-Dec-1969 23:59:59 +0000\"");
    EXPECT_EQ(dt(INT64_MAX, 0), "\"31-Dec-9999 23:59:59 +0000\"");
    EXPECT_EQ(dt(INT64_MIN, 0), "\"01-Jan-0001 00:00:00 +0000\"");
    EXPECT_EQ(dt(0, 5000), "\"01-Jan-1970 23:59:00 +2359\"");
}

TEST(ResponseWriter, MailboxNames) {
    auto mbox = [](std::string_view n, const SessionMode& m) {
        return render([&](std::string& o) { append_mailbox(o, n, m); });
    };
    EXPECT_EQ(mbox("INBOX", kRev1), "\"INBOX\"");
    EXPECT_EQ(mbox("inbox", kRev1), "\"INBOX\"");
    EXPECT_EQ(mbox("Sent", kRev1), "\"Sent\"");
    EXPECT_EQ(mbox("", kRev1), "\"\"");
    EXPECT_EQ(mbox("p\xc3\xa4\xc3\xa4", kRev1), "\"p&AOQA5A-\"");
    EXPECT_EQ(mbox("A&B", kRev1), "\"A&-B\"");
    EXPECT_EQ(mbox("p\xc3\xa4\xc3\xa4", kUtf8), "\"p\xc3\xa4\xc3\xa4\"");
    EXPECT_EQ(mbox("A&B", kUtf8), "\"A&B\"");
    EXPECT_EQ(mbox("p\xc3\xa4\xc3\xa4", kRev2), "\"p\xc3\xa4\xc3\xa4\"");
    EXPECT_EQ(mbox("say \"x\"", kRev1), R"("say \"x\"")");
    // Not UTF-8 at all: the bytes, as a literal.
    EXPECT_EQ(mbox("p\xe4", kRev1), "{2}\r\np\xe4");
    EXPECT_EQ(mailbox_wire_name("Archiv/2023/M\xc3\xa4rz", kRev1), "Archiv/2023/M&AOQ-rz");
}

}  // namespace
}  // namespace postern::proto::imap
