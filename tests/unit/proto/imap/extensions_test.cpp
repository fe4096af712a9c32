// IMAP extension commands: QUOTA (RFC 9208), ACL (RFC 4314), METADATA (RFC 5464) and NOTIFY
// (RFC 5465), with the RFC examples; and the command table (RFC 9051 §6 states).
#include <gtest/gtest.h>

#include "proto/imap/command_table.h"
#include "proto/imap/parser.h"
#include "proto/imap/test_util.h"

namespace postern::proto::imap {
namespace {

using namespace std::string_literals;
using testing::args_of;
using testing::parse;
using testing::reason_of;

TEST(ImapQuota, Commands) {
    auto r = parse("G0001 GETQUOTA \"!partition/sda4\"");
    const GetQuota* g = args_of<GetQuota>(r);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->root, "!partition/sda4");
    r = parse("G0002 GETQUOTAROOT INBOX");
    const GetQuotaRoot* gr = args_of<GetQuotaRoot>(r);
    ASSERT_NE(gr, nullptr);
    EXPECT_TRUE(gr->mailbox.is_inbox());
    r = parse("S0000 SETQUOTA \"#user/alice\" (STORAGE 510 message 1000)");
    const SetQuota* s = args_of<SetQuota>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->root, "#user/alice");
    EXPECT_EQ(s->limits, (std::vector<QuotaLimit>{{"STORAGE", 510}, {"MESSAGE", 1000}}));
    r = parse("S0001 SETQUOTA \"\" ()");
    s = args_of<SetQuota>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_TRUE(s->limits.empty());
    for (const char* bad : {"a GETQUOTA", "a GETQUOTA a b", "a GETQUOTAROOT", "a SETQUOTA x",
                            "a SETQUOTA x STORAGE 5", "a SETQUOTA x (STORAGE)",
                            "a SETQUOTA x (STORAGE -1)", "a SETQUOTA x (STORAGE 5 MESSAGE)"}) {
        EXPECT_FALSE(parse(bad)) << bad;
    }
}

TEST(ImapAcl, Commands) {
    // RFC 4314 §3 examples.
    auto r = parse("A001 GETACL INBOX");
    ASSERT_NE(args_of<GetAcl>(r), nullptr);
    r = parse("A002 SETACL INBOX/Drafts John lrQswicda");
    EXPECT_FALSE(r);  // "Q" is not a right
    r = parse("A002 SETACL INBOX/Drafts John lrswicda");
    const SetAcl* s = args_of<SetAcl>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->mailbox.raw, "INBOX/Drafts");
    EXPECT_EQ(s->identifier, "John");
    EXPECT_EQ(s->change, RightsChange::replace);
    EXPECT_EQ(s->rights, "lrswicda");
    r = parse("A003 SETACL INBOX/Drafts Fred +w");
    s = args_of<SetAcl>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->change, RightsChange::add);
    EXPECT_EQ(s->rights, "w");
    r = parse("A035 SETACL INBOX/Drafts -Fred \"-rwx\"");
    s = args_of<SetAcl>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->identifier, "-Fred");
    EXPECT_EQ(s->change, RightsChange::remove);
    EXPECT_EQ(s->rights, "rwx");
    r = parse("A004 SETACL x y \"\"");
    s = args_of<SetAcl>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->rights, "");
    r = parse("A005 DELETEACL INBOX/Drafts Fred");
    const DeleteAcl* d = args_of<DeleteAcl>(r);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->identifier, "Fred");
    r = parse("a LISTRIGHTS ~/Mail/saved smith");
    const ListRights* l = args_of<ListRights>(r);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->mailbox.raw, "~/Mail/saved");
    EXPECT_EQ(l->identifier, "smith");
    r = parse("a MYRIGHTS INBOX");
    ASSERT_NE(args_of<MyRights>(r), nullptr);
    EXPECT_EQ(reason_of(parse("a SETACL x y l r")), "Unexpected extra arguments");
    for (const char* bad : {"a GETACL", "a GETACL a b", "a SETACL x y", "a SETACL x y L",
                            "a DELETEACL x", "a LISTRIGHTS x", "a MYRIGHTS x y"}) {
        EXPECT_FALSE(parse(bad)) << bad;
    }
}

TEST(ImapMetadata, GetMetadata) {
    // RFC 5464 §4.2 examples.
    auto r = parse("a GETMETADATA \"\" /shared/comment");
    const GetMetadata* g = args_of<GetMetadata>(r);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->mailbox.raw, "");
    EXPECT_EQ(g->entries, (std::vector<std::string>{"/shared/comment"}));
    EXPECT_FALSE(g->max_size);
    EXPECT_EQ(g->depth, MetadataDepth::zero);
    r = parse("a GETMETADATA INBOX (/shared/comment /private/comment)");
    g = args_of<GetMetadata>(r);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->entries.size(), 2u);
    r = parse("a GETMETADATA (MAXSIZE 1024) INBOX /shared/comment");
    g = args_of<GetMetadata>(r);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->max_size, 1024u);
    r = parse("a GETMETADATA (DEPTH infinity MAXSIZE 5) \"\" /shared");
    g = args_of<GetMetadata>(r);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->depth, MetadataDepth::infinity);
    EXPECT_EQ(g->max_size, 5u);
    r = parse("a GETMETADATA (DEPTH 1) INBOX \"/private/vendor/x\"");
    g = args_of<GetMetadata>(r);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->depth, MetadataDepth::one);
    EXPECT_EQ(reason_of(parse("a GETMETADATA (FOO 1) INBOX /a")), "Unknown GETMETADATA option FOO");
    for (const char* bad :
         {"a GETMETADATA", "a GETMETADATA INBOX", "a GETMETADATA INBOX comment",
          "a GETMETADATA INBOX ()", "a GETMETADATA (DEPTH 2) INBOX /a", "a GETMETADATA () INBOX /a",
          "a GETMETADATA (MAXSIZE) INBOX /a", "a GETMETADATA (DEPTH 0 DEPTH 1) INBOX /a"}) {
        EXPECT_FALSE(parse(bad)) << bad;
    }
}

TEST(ImapMetadata, SetMetadata) {
    // RFC 5464 §4.3 examples.
    auto r =
        parse("a SETMETADATA INBOX (/private/comment {33}\r\nMy new comment across\r\ntwo lines.)");
    const SetMetadata* s = args_of<SetMetadata>(r);
    ASSERT_NE(s, nullptr);
    ASSERT_EQ(s->entries.size(), 1u);
    EXPECT_EQ(s->entries[0].name, "/private/comment");
    EXPECT_EQ(s->entries[0].value, "My new comment across\r\ntwo lines.");
    r = parse("a SETMETADATA INBOX (/private/comment NIL /shared/x \"y\" /shared/b ~{3}\r\na\0b)"s);
    s = args_of<SetMetadata>(r);
    ASSERT_NE(s, nullptr);
    ASSERT_EQ(s->entries.size(), 3u);
    EXPECT_EQ(s->entries[0].value, std::nullopt);
    EXPECT_EQ(s->entries[1].value, "y");
    EXPECT_EQ(s->entries[2].value, std::string("a\0b", 3));
    for (const char* bad : {"a SETMETADATA INBOX", "a SETMETADATA INBOX ()",
                            "a SETMETADATA INBOX (/a)", "a SETMETADATA INBOX (/a b)",
                            "a SETMETADATA INBOX /a \"b\"", "a SETMETADATA INBOX (a \"b\")"}) {
        EXPECT_FALSE(parse(bad)) << bad;
    }
}

TEST(ImapNotify, Commands) {
    auto r = parse("a NOTIFY NONE");
    const Notify* n = args_of<Notify>(r);
    ASSERT_NE(n, nullptr);
    EXPECT_TRUE(n->none);
    // RFC 5465 §5.10 / §6 examples.
    r = parse(
        "A02 NOTIFY SET STATUS (selected (MessageNew (uid body.peek[header.fields (from to "
        "subject)]) MessageExpunge)) (subtree Lists (MessageNew))");
    n = args_of<Notify>(r);
    ASSERT_NE(n, nullptr);
    EXPECT_FALSE(n->none);
    EXPECT_TRUE(n->status);
    ASSERT_EQ(n->groups.size(), 2u);
    EXPECT_EQ(n->groups[0].filter, NotifyFilter::selected);
    ASSERT_EQ(n->groups[0].events.size(), 2u);
    EXPECT_EQ(n->groups[0].events[0].kind, NotifyEventKind::message_new);
    ASSERT_EQ(n->groups[0].events[0].fetch.size(), 2u);
    EXPECT_EQ(n->groups[0].events[0].fetch[1].section.fields,
              (std::vector<std::string>{"FROM", "TO", "SUBJECT"}));
    EXPECT_EQ(n->groups[0].events[1].kind, NotifyEventKind::message_expunge);
    EXPECT_EQ(n->groups[1].filter, NotifyFilter::subtree);
    ASSERT_EQ(n->groups[1].mailboxes.size(), 1u);
    EXPECT_EQ(n->groups[1].mailboxes[0].raw, "Lists");

    r = parse(
        "a NOTIFY SET (selected-delayed (MessageNew FlagChange AnnotationChange)) (inboxes NONE) "
        "(personal (MailboxName SubscriptionChange MailboxMetadataChange ServerMetadataChange)) "
        "(subscribed (MessageExpunge)) (mailboxes (a \"b c\") (FlagChange))");
    n = args_of<Notify>(r);
    ASSERT_NE(n, nullptr);
    EXPECT_FALSE(n->status);
    ASSERT_EQ(n->groups.size(), 5u);
    EXPECT_EQ(n->groups[0].filter, NotifyFilter::selected_delayed);
    EXPECT_EQ(n->groups[0].events.size(), 3u);
    EXPECT_EQ(n->groups[1].filter, NotifyFilter::inboxes);
    EXPECT_TRUE(n->groups[1].events.empty());
    EXPECT_EQ(n->groups[2].events.size(), 4u);
    EXPECT_EQ(n->groups[2].events[3].kind, NotifyEventKind::server_metadata_change);
    EXPECT_EQ(n->groups[4].filter, NotifyFilter::mailboxes);
    EXPECT_EQ(n->groups[4].mailboxes.size(), 2u);
    EXPECT_EQ(n->groups[4].mailboxes[1].raw, "b c");

    EXPECT_EQ(reason_of(parse("a NOTIFY SET (foo (MessageNew))")),
              "Unknown NOTIFY mailbox filter FOO");
    EXPECT_EQ(reason_of(parse("a NOTIFY SET (selected (Foo))")), "Unknown NOTIFY event FOO");
    for (const char* bad :
         {"a NOTIFY", "a NOTIFY SET", "a NOTIFY NONE x", "a NOTIFY SET STATUS",
          "a NOTIFY SET (selected)", "a NOTIFY SET (selected ())",
          "a NOTIFY SET (subtree (MessageNew))", "a NOTIFY SET (mailboxes () (MessageNew))",
          "a NOTIFY SET selected (MessageNew)", "a NOTIFY SET (selected (MessageNew ()))",
          "a NOTIFY SET (selected (MessageNew (FOO)))", "a NOTIFY SET (selected NONE) ",
          "a NOTIFY GET (selected NONE)"}) {
        EXPECT_FALSE(parse(bad)) << bad;
    }
}

TEST(ImapCommandTable, RowsAndLookup) {
    auto table = command_table();
    ASSERT_EQ(table.size(), kCommandNameCount);
    for (std::size_t i = 0; i + 1 < table.size(); ++i) {
        EXPECT_EQ(static_cast<std::size_t>(table[i].name), i);
        EXPECT_FALSE(table[i].keyword.empty());
        EXPECT_NE(table[i].states, 0) << table[i].keyword;
        EXPECT_EQ(find_command(table[i].keyword), table[i].name);
        EXPECT_EQ(command_keyword(table[i].name), table[i].keyword);
    }
    EXPECT_EQ(find_command("uid"), CommandName::unknown);
    EXPECT_EQ(find_command(""), CommandName::unknown);
    EXPECT_EQ(find_command("examine"), CommandName::examine);
    EXPECT_EQ(rule_for(CommandName::login).states, state::not_authenticated);
    EXPECT_EQ(rule_for(CommandName::fetch).states, state::selected);
    EXPECT_TRUE(rule_for(CommandName::fetch).uid_prefix);
    EXPECT_FALSE(rule_for(CommandName::select).uid_prefix);
    EXPECT_EQ(rule_for(CommandName::noop).states, state::any);
    EXPECT_EQ(rule_for(CommandName::select).states, state::authenticated | state::selected);
}

TEST(ImapCommandTable, EveryCommandParses) {
    // One valid example per command, so a new CommandName cannot lack a parser.
    const char* examples[] = {"a CAPABILITY",
                              "a NOOP",
                              "a LOGOUT",
                              "a STARTTLS",
                              "a AUTHENTICATE PLAIN",
                              "a LOGIN u p",
                              "a ENABLE X",
                              "a SELECT x",
                              "a EXAMINE x",
                              "a CREATE x",
                              "a DELETE x",
                              "a RENAME x y",
                              "a SUBSCRIBE x",
                              "a UNSUBSCRIBE x",
                              "a LIST \"\" *",
                              "a LSUB \"\" *",
                              "a NAMESPACE",
                              "a STATUS x (MESSAGES)",
                              "a APPEND x {1+}\r\nm",
                              "a IDLE",
                              "a CHECK",
                              "a CLOSE",
                              "a UNSELECT",
                              "a EXPUNGE",
                              "a SEARCH ALL",
                              "a FETCH 1 FLAGS",
                              "a STORE 1 FLAGS (x)",
                              "a COPY 1 x",
                              "a MOVE 1 x",
                              "a SORT (DATE) UTF-8 ALL",
                              "a THREAD REFERENCES UTF-8 ALL",
                              "a GETQUOTA x",
                              "a GETQUOTAROOT x",
                              "a SETQUOTA x ()",
                              "a SETACL x y r",
                              "a DELETEACL x y",
                              "a GETACL x",
                              "a LISTRIGHTS x y",
                              "a MYRIGHTS x",
                              "a GETMETADATA x /a",
                              "a SETMETADATA x (/a NIL)",
                              "a NOTIFY NONE",
                              "a COMPRESS DEFLATE",
                              "a ID NIL",
                              "a REPLACE 1 x {1+}\r\nm",
                              "a UNAUTHENTICATE"};
    ASSERT_EQ(std::size(examples), kCommandNameCount - 1);
    for (std::size_t i = 0; i < std::size(examples); ++i) {
        auto r = parse(examples[i]);
        ASSERT_TRUE(r) << examples[i] << ": " << reason_of(r);
        EXPECT_EQ(static_cast<std::size_t>(r->name), i) << examples[i];
    }
}

TEST(ImapDates, UnixTime) {
    EXPECT_EQ(to_unix_day(Date{1970, 1, 1}), 0);
    EXPECT_EQ(to_unix_day(Date{2000, 3, 1}), 951868800);
    EXPECT_EQ(to_unix_day(Date{1969, 12, 31}), -86400);
    DateTime t{Date{1994, 2, 7}, 21, 52, 25, -480};  // "07-Feb-1994 21:52:25 -0800"
    EXPECT_EQ(to_unix_time(t), 760686745);
    t.zone_minutes = 90;
    EXPECT_EQ(to_unix_time(t), 760686745 - 8 * 3600 - 90 * 60);
}

}  // namespace
}  // namespace postern::proto::imap
