// Status responses, response codes, continuation requests and untagged data, compared with the
// examples of RFC 9051 §7 and the extension RFCs.
#include "proto/imap/responses.h"

#include <gtest/gtest.h>

namespace postern::proto::imap {
namespace {

const SessionMode kRev1{};
const SessionMode kRev2{.imap4rev2 = true};

template <class F>
std::string render(F&& f) {
    std::string out;
    f(out);
    return out;
}

using V = std::vector<std::string>;
using N = std::vector<std::uint32_t>;

TEST(ResponseCodes, Simple) {
    struct Case {
        ResponseCode code;
        const char* text;
    };
    const Case cases[] = {
        {codes::alert(), "ALERT"},
        {codes::already_exists(), "ALREADYEXISTS"},
        {codes::authentication_failed(), "AUTHENTICATIONFAILED"},
        {codes::authorization_failed(), "AUTHORIZATIONFAILED"},
        {codes::bad_charset(), "BADCHARSET"},
        {codes::cannot(), "CANNOT"},
        {codes::client_bug(), "CLIENTBUG"},
        {codes::closed(), "CLOSED"},
        {codes::contact_admin(), "CONTACTADMIN"},
        {codes::corruption(), "CORRUPTION"},
        {codes::expired(), "EXPIRED"},
        {codes::expunge_issued(), "EXPUNGEISSUED"},
        {codes::has_children(), "HASCHILDREN"},
        {codes::in_use(), "INUSE"},
        {codes::limit(), "LIMIT"},
        {codes::nonexistent(), "NONEXISTENT"},
        {codes::no_perm(), "NOPERM"},
        {codes::over_quota(), "OVERQUOTA"},
        {codes::parse(), "PARSE"},
        {codes::privacy_required(), "PRIVACYREQUIRED"},
        {codes::read_only(), "READ-ONLY"},
        {codes::read_write(), "READ-WRITE"},
        {codes::server_bug(), "SERVERBUG"},
        {codes::try_create(), "TRYCREATE"},
        {codes::uid_next(4392), "UIDNEXT 4392"},
        {codes::uid_not_sticky(), "UIDNOTSTICKY"},
        {codes::uid_validity(3857529045u), "UIDVALIDITY 3857529045"},
        {codes::unavailable(), "UNAVAILABLE"},
        {codes::unknown_cte(), "UNKNOWN-CTE"},
        {codes::unseen(12), "UNSEEN 12"},
        {codes::highest_modseq(715194045007ull), "HIGHESTMODSEQ 715194045007"},
        {codes::no_modseq(), "NOMODSEQ"},
        {codes::use_attr(), "USEATTR"},
        {codes::compression_active(), "COMPRESSIONACTIVE"},
        {codes::too_big(), "TOOBIG"},
        {codes::not_saved(), "NOTSAVED"},
        {codes::metadata_long_entries(2199), "METADATA LONGENTRIES 2199"},
        {codes::metadata_max_size(1024), "METADATA MAXSIZE 1024"},
        {codes::metadata_too_many(), "METADATA TOOMANY"},
        {codes::metadata_no_private(), "METADATA NOPRIVATE"},
        {codes::mailbox_id("F2212ea87-6097-4256-9d51-71338625"),
         "MAILBOXID (F2212ea87-6097-4256-9d51-71338625)"},
        {codes::no_update("B02"), "NOUPDATE \"B02\""},
        {codes::notification_overflow(), "NOTIFICATIONOVERFLOW"},
        {codes::bad_comparator(), "BADCOMPARATOR"},
        {codes::bad_url("imap://x/;UID=1]"), "BADURL imap://x/;UID=1 "},
        {codes::url_mech_internal(), "URLMECH INTERNAL"},
        {codes::referral("imap://h/INBOX"), "REFERRAL imap://h/INBOX"},
        {codes::other("X-FOO", "a]b\r\n\xc3\xa9"), "X-FOO a b  ??"},
        {codes::other("bad atom"), ""},
    };
    for (const auto& c : cases)
        EXPECT_EQ(c.code.text, c.text);
}

TEST(ResponseCodes, WithData) {
    EXPECT_EQ(codes::bad_charset(V{"UTF-8", "US-ASCII"}).text, "BADCHARSET (UTF-8 US-ASCII)");
    EXPECT_EQ(codes::capability(V{"IMAP4rev2", "IMAP4rev1", "AUTH=PLAIN", "x y"}).text,
              "CAPABILITY IMAP4rev2 IMAP4rev1 AUTH=PLAIN");
    EXPECT_EQ(codes::permanent_flags(V{"\\Deleted", "\\Seen"}, true).text,
              "PERMANENTFLAGS (\\Deleted \\Seen \\*)");
    EXPECT_EQ(codes::permanent_flags(V{}, false).text, "PERMANENTFLAGS ()");
    EXPECT_EQ(codes::append_uid(38505, N{3955}).text, "APPENDUID 38505 3955");
    EXPECT_EQ(codes::append_uid(38505, N{3955, 3956, 3957, 3960}).text,
              "APPENDUID 38505 3955:3957,3960");
    EXPECT_EQ(codes::modified(N{7, 9, 8, 12}).text, "MODIFIED 7:9,12");
    EXPECT_EQ(codes::bad_event(V{"MessageNew", "MessageExpunge", "FlagChange"}).text,
              "BADEVENT (MessageNew MessageExpunge FlagChange)");
}

// RFC 4315 §3 example: "COPYUID 38505 304,319:320 3956:3958". The n-th source maps to the n-th
// destination however the store numbered them.
TEST(ResponseCodes, CopyUidKeepsThePairing) {
    std::vector<UidPair> rfc = {{304, 3956}, {319, 3957}, {320, 3958}};
    EXPECT_EQ(codes::copy_uid(38505, rfc).text, "COPYUID 38505 304,319:320 3956:3958");
    std::vector<UidPair> shuffled = {{320, 3958}, {304, 3956}, {319, 3957}};
    EXPECT_EQ(codes::copy_uid(38505, shuffled).text, "COPYUID 38505 304,319:320 3956:3958");
    // Destinations in another order than the sources: no run may hide the mapping.
    std::vector<UidPair> crossed = {{1, 11}, {2, 10}, {3, 12}, {4, 13}};
    EXPECT_EQ(codes::copy_uid(7, crossed).text, "COPYUID 7 1:4 11,10,12:13");
    std::vector<UidPair> one = {{5, 100}};
    EXPECT_EQ(codes::copy_uid(7, one).text, "COPYUID 7 5 100");
}

TEST(StatusResponses, TaggedAndUntagged) {
    EXPECT_EQ(render([](std::string& o) {
                  append_tagged(o, "a001", ResponseCondition::ok, std::nullopt, "LOGIN completed",
                                kRev1);
              }),
              "a001 OK LOGIN completed\r\n");
    EXPECT_EQ(render([](std::string& o) {
                  append_tagged(o, "A142", ResponseCondition::ok, codes::read_write(),
                                "SELECT completed", kRev1);
              }),
              "A142 OK [READ-WRITE] SELECT completed\r\n");
    EXPECT_EQ(render([](std::string& o) {
                  append_tagged(o, "A003", ResponseCondition::no, codes::try_create(), "", kRev1);
              }),
              "A003 NO [TRYCREATE] Failed\r\n");
    EXPECT_EQ(render([](std::string& o) {
                  append_untagged(o, ResponseCondition::ok, codes::uid_validity(3857529045u),
                                  "UIDs valid", kRev1);
              }),
              "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n");
    EXPECT_EQ(render([](std::string& o) {
                  append_status_response(
                      o,
                      StatusResponse{"", ResponseCondition::bad, std::nullopt, "Line\r\ntoo long"},
                      kRev1);
              }),
              "* BAD Line  too long\r\n");
    EXPECT_EQ(render([](std::string& o) {
                  append_status_response(o, StatusResponse{"x1", ResponseCondition::bad}, kRev1);
              }),
              "x1 BAD Invalid command\r\n");
    // PREAUTH and BYE are untagged-only conditions.
    EXPECT_EQ(render([](std::string& o) {
                  append_tagged(o, "t", ResponseCondition::bye, std::nullopt, "x", kRev1);
              }),
              "t OK x\r\n");
    // An empty code is no code; a text that would read as a code is kept apart from it.
    EXPECT_EQ(render([](std::string& o) {
                  append_untagged(o, ResponseCondition::ok, ResponseCode{}, "[x] y", kRev1);
              }),
              "* OK - [x] y\r\n");
    // 8-bit text only in UTF-8 sessions.
    EXPECT_EQ(render([](std::string& o) {
                  append_untagged(o, ResponseCondition::no, std::nullopt, "\xc3\xa9t\xc3\xa9",
                                  kRev1);
              }),
              "* NO ??t??\r\n");
    EXPECT_EQ(render([](std::string& o) {
                  append_untagged(o, ResponseCondition::no, std::nullopt, "\xc3\xa9t\xc3\xa9",
                                  kRev2);
              }),
              "* NO \xc3\xa9t\xc3\xa9\r\n");
}

TEST(StatusResponses, GreetingByeContinuation) {
    EXPECT_EQ(render([](std::string& o) {
                  append_greeting(o, false, codes::capability(V{"IMAP4rev2", "AUTH=PLAIN"}),
                                  "Postern ready", kRev1);
              }),
              "* OK [CAPABILITY IMAP4rev2 AUTH=PLAIN] Postern ready\r\n");
    EXPECT_EQ(render([](std::string& o) {
                  append_greeting(o, true, std::nullopt, "IMAP4rev2 server logged in as Smith",
                                  kRev1);
              }),
              "* PREAUTH IMAP4rev2 server logged in as Smith\r\n");
    EXPECT_EQ(render([](std::string& o) { append_bye(o, "Autologout; idle too long", kRev1); }),
              "* BYE Autologout; idle too long\r\n");
    EXPECT_EQ(render([](std::string& o) { append_bye(o, "", kRev1, codes::unavailable()); }),
              "* BYE [UNAVAILABLE] Logging out\r\n");
    EXPECT_EQ(render([](std::string& o) { append_continuation(o, "Ready for literal", kRev1); }),
              "+ Ready for literal\r\n");
    EXPECT_EQ(render([](std::string& o) { append_continuation(o, "", kRev1); }), "+ Ready\r\n");
    EXPECT_EQ(render([](std::string& o) {
                  append_continuation_base64(o, "YGgGCSqGSIb3EgECAgIAb1kwV6ADAgEFoQMCAQ8=");
              }),
              "+ YGgGCSqGSIb3EgECAgIAb1kwV6ADAgEFoQMCAQ8=\r\n");
    EXPECT_EQ(render([](std::string& o) { append_continuation_base64(o, ""); }), "+ \r\n");
}

TEST(UntaggedData, MailboxState) {
    EXPECT_EQ(render([](std::string& o) {
                  append_capability(o, V{"IMAP4rev2", "STARTTLS"});
              }),
              "* CAPABILITY IMAP4rev2 STARTTLS\r\n");
    EXPECT_EQ(render([](std::string& o) {
                  append_enabled(o, V{"CONDSTORE", "QRESYNC"});
              }),
              "* ENABLED CONDSTORE QRESYNC\r\n");
    EXPECT_EQ(render([](std::string& o) { append_enabled(o, V{}); }), "* ENABLED\r\n");
    EXPECT_EQ(render([](std::string& o) {
                  append_flags(o, V{"\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"});
              }),
              "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n");
    EXPECT_EQ(render([](std::string& o) { append_exists(o, 23); }), "* 23 EXISTS\r\n");
    EXPECT_EQ(render([](std::string& o) { append_recent(o, 5); }), "* 5 RECENT\r\n");
    EXPECT_EQ(render([](std::string& o) { append_expunge(o, 44); }), "* 44 EXPUNGE\r\n");
}

// RFC 7162 §3.2.10: "* VANISHED (EARLIER) 41,43:116,118,120:211,214:540".
TEST(UntaggedData, Vanished) {
    std::vector<NumberRange> r = {{214, 540}, {41, 41}, {43, 116}, {118, 118}, {120, 211}};
    EXPECT_EQ(render([&](std::string& o) { append_vanished(o, r, true); }),
              "* VANISHED (EARLIER) 41,43:116,118,120:211,214:540\r\n");
    EXPECT_EQ(render([](std::string& o) {
                  append_vanished(o, N{405, 407, 406, 410}, false);
              }),
              "* VANISHED 405:407,410\r\n");
    EXPECT_EQ(render([](std::string& o) { append_vanished(o, N{}, false); }), "");
}

TEST(UntaggedData, List) {
    ListResponse inbox{.attributes = {"\\HasNoChildren"}, .delimiter = '/', .name = "INBOX"};
    EXPECT_EQ(render([&](std::string& o) { append_list(o, inbox, kRev1); }),
              "* LIST (\\HasNoChildren) \"/\" \"INBOX\"\r\n");
    ListResponse flat{.attributes = {"\\Noselect"}, .name = ""};
    EXPECT_EQ(render([&](std::string& o) { append_list(o, flat, kRev1); }),
              "* LIST (\\Noselect) NIL \"\"\r\n");
    ListResponse backslash{.delimiter = '\\', .name = "a"};
    EXPECT_EQ(render([&](std::string& o) { append_list(o, backslash, kRev1); }),
              "* LIST () \"\\\\\" \"a\"\r\n");
    // RFC 5258 §5 example 9 shape, with a non-ASCII name in both session modes.
    ListResponse foo{.attributes = {"\\NonExistent"},
                     .delimiter = '/',
                     .name = "F\xc3\xb6\xc3\xb6",
                     .child_info = {"SUBSCRIBED"}};
    EXPECT_EQ(render([&](std::string& o) { append_list(o, foo, kRev1); }),
              "* LIST (\\NonExistent) \"/\" \"F&APYA9g-\" (CHILDINFO (\"SUBSCRIBED\"))\r\n");
    EXPECT_EQ(
        render([&](std::string& o) { append_list(o, foo, kRev2); }),
        "* LIST (\\NonExistent) \"/\" \"F\xc3\xb6\xc3\xb6\" (CHILDINFO (\"SUBSCRIBED\"))\r\n");
    ListResponse renamed{.delimiter = '/', .name = "NewName", .old_name = "OldName"};
    EXPECT_EQ(render([&](std::string& o) { append_list(o, renamed, kRev1); }),
              "* LIST () \"/\" \"NewName\" (OLDNAME (\"OldName\"))\r\n");
    renamed.child_info = {"SUBSCRIBED"};
    EXPECT_EQ(render([&](std::string& o) { append_lsub(o, renamed, kRev1); }),
              "* LSUB () \"/\" \"NewName\" (CHILDINFO (\"SUBSCRIBED\") OLDNAME (\"OldName\"))\r\n");
}

TEST(UntaggedData, Status) {
    MailboxStatus s{.messages = 231, .uid_next = 44292};
    EXPECT_EQ(render([&](std::string& o) { append_mailbox_status(o, "blurdybloop", s, kRev1); }),
              "* STATUS \"blurdybloop\" (MESSAGES 231 UIDNEXT 44292)\r\n");
    MailboxStatus all{.messages = 1,
                      .recent = 2,
                      .uid_next = 3,
                      .uid_validity = 4,
                      .unseen = 5,
                      .deleted = 6,
                      .size = 7,
                      .highest_modseq = 8,
                      .has_append_limit = true,
                      .mailbox_id = "Mx1",
                      .deleted_storage = 9};
    EXPECT_EQ(render([&](std::string& o) { append_mailbox_status(o, "INBOX", all, kRev1); }),
              "* STATUS \"INBOX\" (MESSAGES 1 RECENT 2 UIDNEXT 3 UIDVALIDITY 4 UNSEEN 5 DELETED 6 "
              "SIZE 7 HIGHESTMODSEQ 8 APPENDLIMIT NIL MAILBOXID (Mx1) DELETED-STORAGE 9)\r\n");
    MailboxStatus limit{.has_append_limit = true, .append_limit = 257890};
    EXPECT_EQ(render([&](std::string& o) { append_mailbox_status(o, "x", limit, kRev1); }),
              "* STATUS \"x\" (APPENDLIMIT 257890)\r\n");
}

TEST(UntaggedData, SearchAndSort) {
    EXPECT_EQ(render([](std::string& o) { append_search(o, N{2, 3, 6}); }), "* SEARCH 2 3 6\r\n");
    EXPECT_EQ(render([](std::string& o) { append_search(o, N{}); }), "* SEARCH\r\n");
    EXPECT_EQ(render([](std::string& o) {
                  append_search(o, N{2, 5, 6, 7, 11, 12}, 917162500);
              }),
              "* SEARCH 2 5 6 7 11 12 (MODSEQ 917162500)\r\n");
    EXPECT_EQ(render([](std::string& o) { append_search(o, N{}, 917162500); }), "* SEARCH\r\n");
    EXPECT_EQ(render([](std::string& o) {
                  append_sort(o, N{5, 3, 4, 1, 2});
              }),
              "* SORT 5 3 4 1 2\r\n");
}

TEST(UntaggedData, Esearch) {
    // RFC 4731 §3.1 / RFC 9051 §7.3.4 examples.
    EsearchResponse r{.tag = "A282", .min = 2, .count = 3};
    EXPECT_EQ(render([&](std::string& o) { append_esearch(o, r, kRev1); }),
              "* ESEARCH (TAG \"A282\") MIN 2 COUNT 3\r\n");
    EsearchResponse all{.tag = "A283", .all = {2, 10, 11}};
    EXPECT_EQ(render([&](std::string& o) { append_esearch(o, all, kRev1); }),
              "* ESEARCH (TAG \"A283\") ALL 2,10:11\r\n");
    EsearchResponse uid{.tag = "A284", .uid = true, .min = 4, .max = 9, .modseq = 12};
    EXPECT_EQ(render([&](std::string& o) { append_esearch(o, uid, kRev1); }),
              "* ESEARCH (TAG \"A284\") UID MIN 4 MAX 9 MODSEQ 12\r\n");
    EsearchResponse none{.tag = "A285", .count = 0};
    EXPECT_EQ(render([&](std::string& o) { append_esearch(o, none, kRev1); }),
              "* ESEARCH (TAG \"A285\") COUNT 0\r\n");
    EsearchResponse bare;
    EXPECT_EQ(render([&](std::string& o) { append_esearch(o, bare, kRev1); }), "* ESEARCH\r\n");
    // ESORT keeps the sort order (RFC 5267 §3).
    EsearchResponse esort{.tag = "E1", .all = {23, 24, 25, 5, 10, 11}, .all_in_given_order = true};
    EXPECT_EQ(render([&](std::string& o) { append_esearch(o, esort, kRev1); }),
              "* ESEARCH (TAG \"E1\") ALL 23:25,5,10:11\r\n");
    // PARTIAL (RFC 9394 §3.1) and CONTEXT updates (RFC 5267 §4.3).
    EsearchResponse partial{.tag = "A01", .uid = true};
    partial.partial = EsearchResponse::PartialResult{-1, -100, {200, 201, 202, 250}};
    EXPECT_EQ(render([&](std::string& o) { append_esearch(o, partial, kRev1); }),
              "* ESEARCH (TAG \"A01\") UID PARTIAL (-1:-100 200:202,250)\r\n");
    partial.partial = EsearchResponse::PartialResult{23, 50, {}};
    EXPECT_EQ(render([&](std::string& o) { append_esearch(o, partial, kRev1); }),
              "* ESEARCH (TAG \"A01\") UID PARTIAL (23:50 NIL)\r\n");
    EsearchResponse updates{.tag = "B01", .uid = true};
    updates.updates = {{true, 1, {2733}}, {true, 2, {2734, 2735}}, {false, 0, {2731}}};
    EXPECT_EQ(render([&](std::string& o) { append_esearch(o, updates, kRev1); }),
              "* ESEARCH (TAG \"B01\") UID ADDTO (1 2733 2 2734:2735) REMOVETO (0 2731)\r\n");
}

TEST(UntaggedData, Thread) {
    // RFC 5256 §4: "* THREAD (2)(3 6 (4 23)(44 7 96))".
    std::vector<ThreadNode> roots = {
        {2, {}},
        {3, {{6, {{4, {{23, {}}}}, {44, {{7, {{96, {}}}}}}}}}},
    };
    EXPECT_EQ(render([&](std::string& o) { append_thread(o, roots); }),
              "* THREAD (2)(3 6 (4 23)(44 7 96))\r\n");
    // A dummy parent with two children: "((3)(5))".
    std::vector<ThreadNode> dummy = {{0, {{3, {}}, {5, {}}}}};
    EXPECT_EQ(render([&](std::string& o) { append_thread(o, dummy); }), "* THREAD ((3)(5))\r\n");
    // Nested branches close their parentheses in order.
    std::vector<ThreadNode> nested = {{1, {{2, {{3, {}}, {4, {}}}}, {5, {}}}}};
    EXPECT_EQ(render([&](std::string& o) { append_thread(o, nested); }),
              "* THREAD (1 (2 (3)(4))(5))\r\n");
    // Dummies with one child are skipped; dummy-only subtrees vanish.
    std::vector<ThreadNode> odd = {{0, {{0, {{7, {}}}}}}, {0, {{0, {}}}}, {8, {{0, {}}, {9, {}}}}};
    EXPECT_EQ(render([&](std::string& o) { append_thread(o, odd); }), "* THREAD (7)(8 9)\r\n");
    EXPECT_EQ(render([](std::string& o) { append_thread(o, {}); }), "* THREAD\r\n");
    std::vector<ThreadNode> empty = {{0, {}}};
    EXPECT_EQ(render([&](std::string& o) { append_thread(o, empty); }), "* THREAD\r\n");
}

TEST(UntaggedData, DeepThreadChainNeedsNoRecursion) {
    // A long chain of replies is written iteratively (the test tree's own destructor recurses,
    // so the chain stays moderate here).
    constexpr int kDepth = 2000;
    ThreadNode root{1, {}};
    ThreadNode* cur = &root;
    for (int i = 2; i <= kDepth; ++i) {
        cur->children.push_back({static_cast<std::uint32_t>(i), {}});
        cur = &cur->children.back();
    }
    std::string out;
    append_thread(out, std::span<const ThreadNode>(&root, 1));
    EXPECT_TRUE(out.starts_with("* THREAD (1 2 3 "));
    EXPECT_TRUE(out.ends_with(" 1999 2000)\r\n"));
}

TEST(UntaggedData, Namespace) {
    std::vector<NamespaceEntry> personal = {{"", '/', {}}};
    std::vector<NamespaceEntry> other = {{"~", '/', {}}};
    std::vector<NamespaceEntry> shared = {
        {"#shared/", '/', {}}, {"#public/", '/', {}}, {"#ftp/", '/', {}}, {"#news.", '.', {}}};
    EXPECT_EQ(render([&](std::string& o) { append_namespace(o, personal, {}, {}, kRev1); }),
              "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n");
    EXPECT_EQ(render([&](std::string& o) { append_namespace(o, personal, other, shared, kRev1); }),
              "* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) ((\"#shared/\" \"/\")(\"#public/\" "
              "\"/\")(\"#ftp/\" \"/\")(\"#news.\" \".\"))\r\n");
    std::vector<NamespaceEntry> ext = {
        {"Gem\xc3\xa4"
         "insam/",
         '/',
         {{"TRANSLATION", {"Shared"}}}}};
    EXPECT_EQ(render([&](std::string& o) { append_namespace(o, {}, {}, ext, kRev1); }),
              "* NAMESPACE NIL NIL ((\"Gem&AOQ-insam/\" \"/\" \"TRANSLATION\" (\"Shared\")))\r\n");
}

TEST(UntaggedData, QuotaAclMetadataId) {
    std::vector<QuotaResource> q = {{"STORAGE", 10, 512}, {"MESSAGE", 3, 100}};
    EXPECT_EQ(render([&](std::string& o) { append_quota(o, "", q, kRev1); }),
              "* QUOTA \"\" (STORAGE 10 512 MESSAGE 3 100)\r\n");
    EXPECT_EQ(render([&](std::string& o) { append_quota_root(o, "INBOX", V{""}, kRev1); }),
              "* QUOTAROOT \"INBOX\" \"\"\r\n");
    EXPECT_EQ(render([&](std::string& o) { append_quota_root(o, "comp.mail.mime", V{}, kRev1); }),
              "* QUOTAROOT \"comp.mail.mime\"\r\n");
    std::vector<AclEntry> acl = {{"Fred", "rwipslxetad"}, {"Chris Doe", "lrswi"}};
    EXPECT_EQ(render([&](std::string& o) { append_acl(o, "INBOX", acl, kRev1); }),
              "* ACL \"INBOX\" Fred rwipslxetad \"Chris Doe\" lrswi\r\n");
    EXPECT_EQ(render([&](std::string& o) {
                  append_list_rights(o, "~/Mail/saved", "smith", "la", V{"r", "swicdkxte"}, kRev1);
              }),
              "* LISTRIGHTS \"~/Mail/saved\" smith la r swicdkxte\r\n");
    EXPECT_EQ(render([&](std::string& o) {
                  append_list_rights(o, "x", "anyone", "", V{"l", "r"}, kRev1);
              }),
              "* LISTRIGHTS \"x\" anyone \"\" l r\r\n");
    EXPECT_EQ(render([&](std::string& o) { append_my_rights(o, "INBOX", "rwiptsldaex", kRev1); }),
              "* MYRIGHTS \"INBOX\" rwiptsldaex\r\n");
    std::vector<MetadataValue> md = {{"/shared/comment", "Shared comment"},
                                     {"/private/comment", std::nullopt},
                                     {"/private/blob", std::string("a\0b", 3)}};
    EXPECT_EQ(render([&](std::string& o) { append_metadata(o, "INBOX", md, kRev1); }),
              "* METADATA \"INBOX\" (/shared/comment \"Shared comment\" /private/comment NIL "
              "/private/blob ~{3}\r\na" +
                  std::string(1, '\0') + "b)\r\n");
    EXPECT_EQ(render([&](std::string& o) {
                  append_metadata_changed(o, "", V{"/shared/comment", "/private/comment"}, kRev1);
              }),
              "* METADATA \"\" /shared/comment /private/comment\r\n");
    std::vector<IdField> id = {{"name", "Postern"}, {"version", std::nullopt}};
    EXPECT_EQ(render([&](std::string& o) { append_id(o, id, kRev1); }),
              "* ID (\"name\" \"Postern\" \"version\" NIL)\r\n");
    EXPECT_EQ(render([](std::string& o) { append_id(o, {}, kRev1); }), "* ID NIL\r\n");
}

}  // namespace
}  // namespace postern::proto::imap
