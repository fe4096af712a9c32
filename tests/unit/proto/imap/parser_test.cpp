// IMAP parser: tags, command words, UID prefix, and the commands of the not-authenticated and
// authenticated states (RFC 9051 §6.1-§6.3 and extensions), with RFC examples. Every input is
// framed whole, one byte at a time and in random pieces before it is parsed.
#include "proto/imap/parser.h"

#include <gtest/gtest.h>

#include "proto/imap/command_table.h"
#include "proto/imap/test_util.h"

namespace postern::proto::imap {
namespace {

using namespace std::string_literals;
using testing::args_of;
using testing::parse;
using testing::reason_of;

TEST(ImapParser, TagCommandAndCase) {
    auto r = parse("a001 capability");
    ASSERT_TRUE(r) << reason_of(r);
    EXPECT_EQ(r->tag, "a001");
    EXPECT_EQ(r->name, CommandName::capability);
    EXPECT_FALSE(r->uid);
    EXPECT_NE(args_of<Capability>(r), nullptr);
    r = parse("x]y NoOp");  // "]" is an ASTRING-CHAR, so a tag character
    ASSERT_TRUE(r) << reason_of(r);
    EXPECT_EQ(r->tag, "x]y");
}

TEST(ImapParser, MissingOrInvalidTag) {
    for (std::string_view input :
         {" NOOP", "a+b NOOP", "a*b NOOP", "(a NOOP", "\"a\" NOOP", "{3}\r\nabc NOOP"}) {
        std::string line(input);
        auto r = parse_command_text(line);
        ASSERT_FALSE(r) << input;
        EXPECT_EQ(r.error().kind, ParseErrorKind::no_tag) << input;
        EXPECT_EQ(r.error().tag, "") << input;
    }
    // An empty line is not a command at all: the receiver skips it.
    EXPECT_EQ(parse_command_text("").error().reason, "Not exactly one command");
}

TEST(ImapParser, MissingCommand) {
    for (std::string_view input : {"a", "a ", "a  NOOP", "a (NOOP)"}) {
        auto r = parse(input);
        ASSERT_FALSE(r) << input;
        EXPECT_EQ(r.error().kind, ParseErrorKind::syntax) << input;
        EXPECT_EQ(r.error().tag, "a") << input;
    }
}

TEST(ImapParser, UnknownCommand) {
    auto r = parse("t1 XYZZY foo bar");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ParseErrorKind::unknown_command);
    EXPECT_EQ(r.error().tag, "t1");
    EXPECT_EQ(r.error().keyword, "XYZZY");
    EXPECT_EQ(r.error().name, CommandName::unknown);
    EXPECT_EQ(r.error().reason, "Unknown command XYZZY");
    r = parse("t2 UID XYZZY 1");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ParseErrorKind::unknown_command);
    EXPECT_EQ(r.error().tag, "t2");
}

TEST(ImapParser, UidPrefix) {
    auto r = parse("a uid fetch 1:* flags");
    ASSERT_TRUE(r) << reason_of(r);
    EXPECT_TRUE(r->uid);
    EXPECT_EQ(r->name, CommandName::fetch);
    r = parse("a UID NOOP");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().reason, "UID NOOP is not a command");
    EXPECT_EQ(r.error().name, CommandName::noop);
    r = parse("a UID");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().tag, "a");
}

TEST(ImapParser, CommandsWithoutArguments) {
    const std::pair<std::string_view, CommandName> cases[] = {
        {"CAPABILITY", CommandName::capability},
        {"NOOP", CommandName::noop},
        {"LOGOUT", CommandName::logout},
        {"STARTTLS", CommandName::starttls},
        {"NAMESPACE", CommandName::namespace_},
        {"IDLE", CommandName::idle},
        {"CHECK", CommandName::check},
        {"CLOSE", CommandName::close},
        {"UNSELECT", CommandName::unselect},
        {"EXPUNGE", CommandName::expunge},
        {"UNAUTHENTICATE", CommandName::unauthenticate},
    };
    for (const auto& [word, name] : cases) {
        auto r = parse("a " + std::string(word));
        ASSERT_TRUE(r) << word << ": " << reason_of(r);
        EXPECT_EQ(r->name, name);
        auto bad = parse("a " + std::string(word) + " extra");
        ASSERT_FALSE(bad) << word;
        EXPECT_EQ(bad.error().name, name);
        EXPECT_EQ(bad.error().kind, ParseErrorKind::syntax);
    }
    // A trailing space is not an empty argument list.
    EXPECT_FALSE(parse("a NOOP "));
}

TEST(ImapParser, ExpungeAndUidExpunge) {
    auto r = parse("a EXPUNGE");
    auto* e = args_of<Expunge>(r);
    ASSERT_NE(e, nullptr);
    EXPECT_FALSE(e->uids);
    r = parse("A202 UID EXPUNGE 3000:3002");  // RFC 4315 §2.1
    e = args_of<Expunge>(r);
    ASSERT_NE(e, nullptr);
    ASSERT_TRUE(e->uids);
    EXPECT_EQ(e->uids->ranges, (std::vector<SeqRange>{{3000, 3002}}));
    EXPECT_FALSE(parse("a UID EXPUNGE"));
    EXPECT_FALSE(parse("a UID EXPUNGE 0"));
}

TEST(ImapParser, Authenticate) {
    auto r = parse("A001 AUTHENTICATE plain");
    auto* a = args_of<Authenticate>(r);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->mechanism, "PLAIN");
    EXPECT_FALSE(a->initial_response);
    r = parse("a AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=");  // RFC 4959 §3
    a = args_of<Authenticate>(r);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->initial_response, "dGVzdAB0ZXN0AHRlc3Q=");
    r = parse("a AUTHENTICATE EXTERNAL =");
    a = args_of<Authenticate>(r);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->initial_response, "=");
    r = parse("a AUTHENTICATE SCRAM-SHA-256");
    ASSERT_TRUE(r);
    EXPECT_FALSE(parse("a AUTHENTICATE"));
    EXPECT_FALSE(parse("a AUTHENTICATE PLAIN abc def"));
    EXPECT_FALSE(parse("a AUTHENTICATE PLAIN a!b"));
    EXPECT_FALSE(parse("a AUTHENTICATE ABCDEFGHIJKLMNOPQRSTU"));  // 21 characters
    EXPECT_FALSE(parse("a AUTHENTICATE \"PLAIN\""));
}

TEST(ImapParser, SaslLines) {
    auto l = parse_sasl_line("dGVzdA==");
    ASSERT_TRUE(l);
    EXPECT_FALSE(l->cancel);
    EXPECT_EQ(l->response, "dGVzdA==");
    l = parse_sasl_line("*");
    ASSERT_TRUE(l);
    EXPECT_TRUE(l->cancel);
    l = parse_sasl_line("");
    ASSERT_TRUE(l);
    EXPECT_EQ(l->response, "");
    EXPECT_FALSE(parse_sasl_line("dGVz dA=="));
    EXPECT_FALSE(parse_sasl_line("**"));
    EXPECT_FALSE(parse_sasl_line("abc\0"s));
}

TEST(ImapParser, IdleDone) {
    EXPECT_TRUE(is_idle_done("DONE"));
    EXPECT_TRUE(is_idle_done("done"));
    EXPECT_FALSE(is_idle_done("DONE "));
    EXPECT_FALSE(is_idle_done("a DONE"));
    EXPECT_FALSE(is_idle_done(""));
}

TEST(ImapParser, Login) {
    auto r = parse("a001 LOGIN SMITH SESAME");  // RFC 9051 §6.2.3
    auto* l = args_of<Login>(r);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->user, "SMITH");
    EXPECT_EQ(l->password, "SESAME");
    r = parse("a LOGIN \"fred foobar\" \"fat\\\"cat\\\\\"");
    l = args_of<Login>(r);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->user, "fred foobar");
    EXPECT_EQ(l->password, "fat\"cat\\");
    r = parse("a LOGIN {4}\r\nuser {8+}\r\np a\"s{}w\r\n");
    l = args_of<Login>(r);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->user, "user");
    EXPECT_EQ(l->password, "p a\"s{}w");
    r = parse("a LOGIN user]x pa]ss");  // "]" is an ASTRING-CHAR
    ASSERT_TRUE(r) << reason_of(r);
    r = parse("a LOGIN \"\" \"\"");
    l = args_of<Login>(r);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->user, "");
    for (std::string_view bad : {"a LOGIN", "a LOGIN user", "a LOGIN user ", "a LOGIN user a b",
                                 "a LOGIN (user) pw", "a LOGIN us%r pw", "a LOGIN user \"pw",
                                 "a LOGIN user \"p\\w\"", "a LOGIN ~{2}\r\nab pw"}) {
        EXPECT_FALSE(parse(bad)) << bad;
    }
}

TEST(ImapParser, QuotedStringRules) {
    ParserOptions strict;
    strict.utf8_quoted = false;
    auto r = parse("a LOGIN \"j\xC3\xB6rg\" pw");
    auto* l = args_of<Login>(r);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->user, "j\xC3\xB6rg");
    EXPECT_EQ(reason_of(parse("a LOGIN \"j\xC3\xB6rg\" pw", strict)),
              "8-bit character in quoted string");
    EXPECT_EQ(reason_of(parse("a LOGIN \"j\xC3rg\" pw")), "Invalid UTF-8 in quoted string");
    EXPECT_EQ(reason_of(parse("a LOGIN \"a\0b\" pw"s)), "Invalid character in quoted string");
    EXPECT_EQ(reason_of(parse("a LOGIN \"ab pw")), "Unterminated quoted string");
    EXPECT_EQ(reason_of(parse("a LOGIN \"a\\nb\" pw")), "Invalid escape in quoted string");
    EXPECT_EQ(reason_of(parse("a LOGIN \"ab\\")), "Invalid escape in quoted string");
    // 8-bit in an atom is never allowed; in a literal it is (CHAR8), NUL is not.
    EXPECT_FALSE(parse("a LOGIN j\xC3\xB6rg pw"));
    r = parse("a LOGIN {5}\r\nj\xC3\xB6rg pw", strict);
    ASSERT_TRUE(r) << reason_of(r);
    EXPECT_EQ(reason_of(parse("a LOGIN {3}\r\na\0b pw"s)), "NUL in literal");
}

TEST(ImapParser, Enable) {
    auto r = parse("t ENABLE CONDSTORE qresync X-GOOD-IDEA");  // RFC 5161 §4
    auto* e = args_of<Enable>(r);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->capabilities, (std::vector<std::string>{"CONDSTORE", "QRESYNC", "X-GOOD-IDEA"}));
    EXPECT_FALSE(parse("t ENABLE"));
    EXPECT_FALSE(parse("t ENABLE (CONDSTORE)"));
    EXPECT_FALSE(parse("t ENABLE CONDSTORE "));
}

TEST(ImapParser, Compress) {
    auto r = parse("a COMPRESS deflate");
    auto* c = args_of<Compress>(r);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->mechanism, "DEFLATE");
    EXPECT_FALSE(parse("a COMPRESS"));
    EXPECT_FALSE(parse("a COMPRESS DEFLATE X"));
}

TEST(ImapParser, Id) {
    auto r = parse("a023 ID (\"name\" \"sodr\" \"version\" \"19.34\" \"vendor\" NIL)");
    auto* id = args_of<Id>(r);
    ASSERT_NE(id, nullptr);
    ASSERT_TRUE(id->fields);
    ASSERT_EQ(id->fields->size(), 3u);
    EXPECT_EQ((*id->fields)[0].first, "name");
    EXPECT_EQ((*id->fields)[0].second, "sodr");
    EXPECT_EQ((*id->fields)[2].second, std::nullopt);
    r = parse("a ID NIL");
    id = args_of<Id>(r);
    ASSERT_NE(id, nullptr);
    EXPECT_FALSE(id->fields);
    r = parse("a ID ()");
    id = args_of<Id>(r);
    ASSERT_NE(id, nullptr);
    ASSERT_TRUE(id->fields);
    EXPECT_TRUE(id->fields->empty());
    for (std::string_view bad : {"a ID", "a ID (\"name\")", "a ID (name \"x\")",
                                 "a ID (\"name\" x)", "a ID (\"a\" \"b\"", "a ID nil2"}) {
        EXPECT_FALSE(parse(bad)) << bad;
    }
}

TEST(ImapParser, SelectAndExamine) {
    auto r = parse("A142 SELECT INBOX");
    auto* s = args_of<Select>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->mailbox.raw, "INBOX");
    EXPECT_EQ(s->mailbox.form, StringForm::atom);
    EXPECT_TRUE(s->mailbox.is_inbox());
    EXPECT_FALSE(s->read_only);
    EXPECT_FALSE(s->condstore);
    r = parse("A932 EXAMINE blurdybloop");
    s = args_of<Select>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(r->name, CommandName::examine);
    EXPECT_TRUE(s->read_only);
    EXPECT_FALSE(s->mailbox.is_inbox());
    r = parse("a SELECT \"inbox\" (CONDSTORE)");
    s = args_of<Select>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_TRUE(s->condstore);
    EXPECT_TRUE(s->mailbox.is_inbox());
    EXPECT_EQ(s->mailbox.form, StringForm::quoted);
    r = parse("a SELECT {4}\r\nb\xC3\xA4r");
    s = args_of<Select>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->mailbox.raw, "b\xC3\xA4r");
    EXPECT_EQ(s->mailbox.form, StringForm::literal);
}

TEST(ImapParser, SelectQresync) {
    // RFC 7162 §3.2.5.2 example.
    auto r = parse(
        "A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541 "
        "(1,3:5 41,43:45)))");
    auto* s = args_of<Select>(r);
    ASSERT_NE(s, nullptr);
    ASSERT_TRUE(s->qresync);
    EXPECT_EQ(s->qresync->uidvalidity, 67890007u);
    EXPECT_EQ(s->qresync->modseq, 20050715194045000ull);
    ASSERT_TRUE(s->qresync->known_uids);
    EXPECT_EQ(s->qresync->known_uids->ranges,
              (std::vector<SeqRange>{{41, 41}, {43, 211}, {214, 541}}));
    ASSERT_TRUE(s->qresync->seq_match);
    EXPECT_EQ(s->qresync->seq_match->first.ranges, (std::vector<SeqRange>{{1, 1}, {3, 5}}));
    EXPECT_EQ(s->qresync->seq_match->second.ranges, (std::vector<SeqRange>{{41, 41}, {43, 45}}));

    r = parse("a SELECT INBOX (QRESYNC (1 2))");
    s = args_of<Select>(r);
    ASSERT_NE(s, nullptr);
    ASSERT_TRUE(s->qresync);
    EXPECT_FALSE(s->qresync->known_uids);
    EXPECT_FALSE(s->qresync->seq_match);
    r = parse("a SELECT INBOX (QRESYNC (1 2 (1 5)) CONDSTORE)");
    s = args_of<Select>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_TRUE(s->condstore);
    ASSERT_TRUE(s->qresync->seq_match);
    EXPECT_FALSE(s->qresync->known_uids);

    for (std::string_view bad :
         {"a SELECT INBOX (QRESYNC)", "a SELECT INBOX (QRESYNC ())",
          "a SELECT INBOX (QRESYNC (0 1))", "a SELECT INBOX (QRESYNC (1))",
          "a SELECT INBOX (QRESYNC (1 2 1:*))", "a SELECT INBOX (QRESYNC (1 2 $))",
          "a SELECT INBOX (QRESYNC (1 2 3 (1)))", "a SELECT INBOX (QRESYNC (1 2) QRESYNC (1 2))",
          "a SELECT INBOX (QRESYNC (1 2 3)", "a SELECT INBOX (QRESYNC (1 2 3 ))"}) {
        EXPECT_FALSE(parse(bad)) << bad;
    }
}

TEST(ImapParser, SelectErrors) {
    EXPECT_EQ(reason_of(parse("a SELECT INBOX (FOO)")), "Unknown SELECT parameter FOO");
    for (std::string_view bad : {"a SELECT", "a SELECT ", "a SELECT INBOX ()", "a SELECT a b",
                                 "a SELECT INBOX (CONDSTORE", "a SELECT in*box"}) {
        EXPECT_FALSE(parse(bad)) << bad;
    }
}

TEST(ImapParser, Create) {
    auto r = parse("A003 CREATE owatagusiam/");
    auto* c = args_of<Create>(r);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->mailbox.raw, "owatagusiam/");
    EXPECT_TRUE(c->special_use.empty());
    r = parse("t1 CREATE \"Important Messages\" (USE (\\Important \\Flagged))");  // RFC 6154
    c = args_of<Create>(r);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->special_use, (std::vector<std::string>{"\\Important", "\\Flagged"}));
    r = parse("t1 CREATE x (USE ())");
    ASSERT_TRUE(r) << reason_of(r);
    EXPECT_EQ(reason_of(parse("t1 CREATE x (FOO (\\Sent))")), "Unknown CREATE parameter FOO");
    for (std::string_view bad : {"a CREATE", "a CREATE x ()", "a CREATE x (USE (Sent))",
                                 "a CREATE x (USE \\Sent)", "a CREATE x y"}) {
        EXPECT_FALSE(parse(bad)) << bad;
    }
}

TEST(ImapParser, DeleteRenameSubscribe) {
    auto r = parse("A683 DELETE blurdybloop");
    auto* d = args_of<Delete>(r);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->mailbox.raw, "blurdybloop");
    r = parse("A683 RENAME blurdybloop sarasoop");
    auto* rn = args_of<Rename>(r);
    ASSERT_NE(rn, nullptr);
    EXPECT_EQ(rn->from.raw, "blurdybloop");
    EXPECT_EQ(rn->to.raw, "sarasoop");
    r = parse("A002 SUBSCRIBE #news.comp.mail.mime");
    auto* s = args_of<Subscribe>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->mailbox.raw, "#news.comp.mail.mime");
    r = parse("A002 UNSUBSCRIBE \"a b\"");
    auto* u = args_of<Unsubscribe>(r);
    ASSERT_NE(u, nullptr);
    EXPECT_EQ(u->mailbox.raw, "a b");
    for (std::string_view bad : {"a DELETE", "a DELETE a b", "a RENAME a", "a RENAME a b c",
                                 "a SUBSCRIBE", "a UNSUBSCRIBE (a)"}) {
        EXPECT_FALSE(parse(bad)) << bad;
    }
}

TEST(ImapParser, Status) {
    auto r = parse("A042 STATUS blurdybloop (UIDNEXT MESSAGES)");
    auto* s = args_of<Status>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->mailbox.raw, "blurdybloop");
    EXPECT_EQ(s->items, (std::vector<StatusItem>{StatusItem::uidnext, StatusItem::messages}));
    r = parse(
        "a STATUS x (messages uidnext uidvalidity unseen deleted size recent highestmodseq "
        "appendlimit mailboxid)");
    s = args_of<Status>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->items.size(), 10u);
    EXPECT_EQ(s->items.back(), StatusItem::mailboxid);
    EXPECT_EQ(reason_of(parse("a STATUS x (MESSAGES FOO)")), "Unknown STATUS item FOO");
    for (std::string_view bad : {"a STATUS x", "a STATUS x ()", "a STATUS x MESSAGES",
                                 "a STATUS (MESSAGES)", "a STATUS x (MESSAGES"}) {
        EXPECT_FALSE(parse(bad)) << bad;
    }
}

TEST(ImapParser, ListBasic) {
    auto r = parse("A101 LIST \"\" \"\"");
    auto* l = args_of<List>(r);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->reference.raw, "");
    ASSERT_EQ(l->patterns.size(), 1u);
    EXPECT_EQ(l->patterns[0].raw, "");
    EXPECT_FALSE(l->extended);
    r = parse("A202 LIST ~/Mail/ %");
    l = args_of<List>(r);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->reference.raw, "~/Mail/");
    EXPECT_EQ(l->patterns[0].raw, "%");
    r = parse("a LIST \"\" INBOX.*]x");
    l = args_of<List>(r);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->patterns[0].raw, "INBOX.*]x");
}

TEST(ImapParser, ListExtended) {
    // RFC 5258 §5 examples.
    auto r = parse("A02 LIST (SUBSCRIBED) \"\" \"*\"");
    auto* l = args_of<List>(r);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->selection, list_select::subscribed);
    EXPECT_TRUE(l->extended);
    r = parse("A03 LIST () \"\" \"%\" RETURN (CHILDREN)");
    l = args_of<List>(r);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->selection, 0);
    EXPECT_EQ(l->returns, list_return::children);
    r = parse("A04 LIST (REMOTE) \"\" \"%\" RETURN (CHILDREN)");
    ASSERT_TRUE(r) << reason_of(r);
    r = parse("A05 LIST (REMOTE SUBSCRIBED) \"\" \"*\"");
    l = args_of<List>(r);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->selection, list_select::remote | list_select::subscribed);
    r = parse("A06 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"%\" RETURN (CHILDREN)");
    l = args_of<List>(r);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->selection, list_select::subscribed | list_select::recursive_match);
    r = parse("A07 LIST \"\" (\"foo\" \"foo/*\" %x)");
    l = args_of<List>(r);
    ASSERT_NE(l, nullptr);
    ASSERT_EQ(l->patterns.size(), 3u);
    EXPECT_EQ(l->patterns[1].raw, "foo/*");
    EXPECT_EQ(l->patterns[2].form, StringForm::atom);
    EXPECT_TRUE(l->extended);
    // RFC 6154 §5.3 and RFC 5819 §2.
    r = parse("t1 LIST (SPECIAL-USE) \"\" \"*\" RETURN (SPECIAL-USE SUBSCRIBED)");
    l = args_of<List>(r);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->selection, list_select::special_use);
    EXPECT_EQ(l->returns, list_return::special_use | list_return::subscribed);
    r = parse("A01 LIST \"\" % RETURN (STATUS (MESSAGES UNSEEN) MYRIGHTS)");
    l = args_of<List>(r);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->returns, list_return::status | list_return::myrights);
    EXPECT_EQ(l->status_items, (std::vector<StatusItem>{StatusItem::messages, StatusItem::unseen}));
    r = parse("A01 LIST \"\" % RETURN ()");
    l = args_of<List>(r);
    ASSERT_NE(l, nullptr);
    EXPECT_TRUE(l->extended);
    EXPECT_EQ(l->returns, 0);
}

TEST(ImapParser, ListErrors) {
    EXPECT_EQ(reason_of(parse("a LIST (RECURSIVEMATCH) \"\" *")),
              "RECURSIVEMATCH needs another selection option");
    EXPECT_EQ(reason_of(parse("a LIST (RECURSIVEMATCH REMOTE) \"\" *")),
              "RECURSIVEMATCH needs another selection option");
    EXPECT_EQ(reason_of(parse("a LIST (FOO) \"\" *")), "Unknown LIST selection option FOO");
    EXPECT_EQ(reason_of(parse("a LIST \"\" * RETURN (FOO)")), "Unknown LIST return option FOO");
    for (std::string_view bad :
         {"a LIST", "a LIST \"\"", "a LIST \"\" ()", "a LIST \"\" * FOO", "a LIST \"\" * RETURN",
          "a LIST \"\" * RETURN (STATUS)", "a LIST \"\" * RETURN (STATUS ())",
          "a LIST \"\" * RETURN (STATUS (MESSAGES) STATUS (UNSEEN))", "a LIST * *",
          "a LIST \"\" a(b"}) {
        EXPECT_FALSE(parse(bad)) << bad;
    }
}

TEST(ImapParser, Lsub) {
    auto r = parse("A002 LSUB \"#news.\" \"comp.mail.*\"");
    auto* l = args_of<Lsub>(r);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->reference.raw, "#news.");
    EXPECT_EQ(l->pattern.raw, "comp.mail.*");
    EXPECT_FALSE(parse("a LSUB \"\""));
    EXPECT_FALSE(parse("a LSUB \"\" (a b)"));
}

TEST(ImapParser, Append) {
    // RFC 9051 §6.3.12 example.
    const std::string message =
        "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\nFrom: Fred Foobar "
        "<foobar@Blurdybloop.example>\r\nSubject: afternoon meeting\r\n\r\nHello Joe\r\n";
    auto r = parse("A003 APPEND saved-messages (\\Seen) {" + std::to_string(message.size()) +
                   "}\r\n" + message + "\r\n");
    auto* a = args_of<Append>(r);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->mailbox.raw, "saved-messages");
    ASSERT_EQ(a->messages.size(), 1u);
    EXPECT_EQ(a->messages[0].flags, (std::vector<std::string>{"\\Seen"}));
    EXPECT_FALSE(a->messages[0].internal_date);
    EXPECT_EQ(a->messages[0].data, message);
    EXPECT_EQ(a->messages[0].size, message.size());
    EXPECT_FALSE(a->messages[0].binary);
    EXPECT_FALSE(a->messages[0].streamed_literal);

    r = parse("a APPEND INBOX \"05-Feb-2020 13:04:05 -0130\" {3+}\r\nabc");
    a = args_of<Append>(r);
    ASSERT_NE(a, nullptr);
    ASSERT_TRUE(a->messages[0].internal_date);
    const DateTime& d = *a->messages[0].internal_date;
    EXPECT_EQ(d.date, (Date{2020, 2, 5}));
    EXPECT_EQ(d.hour, 13);
    EXPECT_EQ(d.minute, 4);
    EXPECT_EQ(d.second, 5);
    EXPECT_EQ(d.zone_minutes, -90);
    EXPECT_TRUE(a->messages[0].flags.empty());

    r = parse(
        "a APPEND INBOX (\\seen $Forwarded \\X-Custom) \" 5-feb-2020 13:04:05 +0000\" {1}\r\nx");
    a = args_of<Append>(r);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->messages[0].flags,
              (std::vector<std::string>{"\\Seen", "$Forwarded", "\\X-Custom"}));
    EXPECT_EQ(a->messages[0].internal_date->date.day, 5);
    r = parse("a APPEND INBOX () {0}\r\n\r\n");
    a = args_of<Append>(r);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->messages[0].size, 0u);
    EXPECT_EQ(a->messages[0].data, "");
}

TEST(ImapParser, MultiAppendAndBinary) {
    // RFC 3502 §6-style: several messages, each with its own options; literal8 and UTF8.
    auto r = parse(
        "A003 APPEND {7}\r\nSaved\xC3\xA4 (\\Seen) {5}\r\nhello \"01-Jan-2021 00:00:00 +0100\" "
        "~{3}\r\na\0b UTF8 (~{2+}\r\n\xC3\xA9)"s);
    auto* a = args_of<Append>(r);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->mailbox.raw, "Saved\xC3\xA4");
    EXPECT_EQ(a->mailbox.form, StringForm::literal);
    ASSERT_EQ(a->messages.size(), 3u);
    EXPECT_EQ(a->messages[0].data, "hello");
    EXPECT_EQ(a->messages[0].flags.size(), 1u);
    EXPECT_EQ(a->messages[1].data, "a\0b"s);
    EXPECT_TRUE(a->messages[1].binary);
    EXPECT_TRUE(a->messages[1].internal_date);
    EXPECT_TRUE(a->messages[1].flags.empty());
    EXPECT_EQ(a->messages[2].data, "\xC3\xA9");
    EXPECT_TRUE(a->messages[2].utf8);
    EXPECT_TRUE(a->messages[2].binary);
}

TEST(ImapParser, AppendStreamed) {
    ReceiverOptions ro;
    ro.stream_message_literals = true;
    auto r = parse("a APPEND INBOX {5}\r\nhello {2}\r\nhi", {}, ro);
    auto* a = args_of<Append>(r);
    ASSERT_NE(a, nullptr);
    ASSERT_EQ(a->messages.size(), 2u);
    EXPECT_EQ(a->messages[0].streamed_literal, 0u);
    EXPECT_EQ(a->messages[0].size, 5u);
    EXPECT_EQ(a->messages[0].data, "");
    EXPECT_EQ(a->messages[1].streamed_literal, 1u);
}

TEST(ImapParser, AppendErrors) {
    for (std::string_view bad :
         {"a APPEND", "a APPEND INBOX", "a APPEND INBOX (\\Seen)", "a APPEND INBOX \"msg\"",
          "a APPEND INBOX abc", "a APPEND INBOX (\\Seen) (\\Seen) {1}\r\nx",
          "a APPEND INBOX \"32-Jan-2020 00:00:00 +0000\" {1}\r\nx",
          "a APPEND INBOX \"01-Foo-2020 00:00:00 +0000\" {1}\r\nx",
          "a APPEND INBOX \"01-Jan-2020 24:00:00 +0000\" {1}\r\nx",
          "a APPEND INBOX \"01-Jan-2020 00:00:00 0000\" {1}\r\nx",
          "a APPEND INBOX \"01-Jan-2020 00:00:00 +00000\" {1}\r\nx",
          "a APPEND INBOX \"29-Feb-2021 00:00:00 +0000\" {1}\r\nx", "a APPEND INBOX {1}\r\nx ",
          "a APPEND INBOX {1}\r\nxy", "a APPEND INBOX UTF8 ({1}\r\nx)",
          "a APPEND INBOX UTF8 (~{1}\r\nx", "a APPEND INBOX (\\*) {1}\r\nx",
          "a APPEND ~{5}\r\nINBOX {1}\r\nx"}) {
        EXPECT_FALSE(parse(bad)) << bad;
    }
    EXPECT_TRUE(parse("a APPEND INBOX \"29-Feb-2020 23:59:60 +1400\" {1}\r\nx"));
}

TEST(ImapParser, Replace) {
    // RFC 8508 §3 example.
    auto r = parse("C01 REPLACE 4 Drafts (\\Seen \\Draft) {5}\r\nhello");
    auto* rp = args_of<Replace>(r);
    ASSERT_NE(rp, nullptr);
    EXPECT_FALSE(r->uid);
    EXPECT_EQ(rp->number, 4u);
    EXPECT_EQ(rp->mailbox.raw, "Drafts");
    EXPECT_EQ(rp->message.flags.size(), 2u);
    EXPECT_EQ(rp->message.data, "hello");
    r = parse("C01 UID REPLACE 2000 Drafts ~{3+}\r\na\0b"s);
    rp = args_of<Replace>(r);
    ASSERT_NE(rp, nullptr);
    EXPECT_TRUE(r->uid);
    EXPECT_TRUE(rp->message.binary);
    for (std::string_view bad : {"a REPLACE 0 Drafts {1}\r\nx", "a REPLACE * Drafts {1}\r\nx",
                                 "a REPLACE 1 Drafts", "a REPLACE 1 Drafts {1}\r\nx {1}\r\ny"}) {
        EXPECT_FALSE(parse(bad)) << bad;
    }
}

TEST(ImapParser, ParseCommandText) {
    auto r = parse_command_text("a LOGIN {3}\r\nbob pw");
    ASSERT_TRUE(r) << reason_of(r);
    EXPECT_EQ(std::get<Login>(r->args).user, "bob");
    r = parse_command_text("a NOOP\r\nb NOOP\r\n");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().reason, "Not exactly one command");
    ReceiverOptions small;
    small.limits.max_line = 4;
    r = parse_command_text("abc NOOP", {}, small);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().reason, "Command line too long");
}

}  // namespace
}  // namespace postern::proto::imap
