// Structured header fields: Content-Type/Disposition with RFC 2231, address lists, dates,
// message ids, base subjects.
#include <gtest/gtest.h>

#include "mime/address.h"
#include "mime/content_type.h"
#include "mime/date.h"
#include "mime/message_id.h"
#include "mime/subject.h"

namespace postern::mime {
namespace {

TEST(ContentType, BasicsAndLeniency) {
    auto ct = parse_content_type(" Text/HTML ; Charset=\"UTF-8\" (comment); format=flowed");
    ASSERT_TRUE(ct);
    EXPECT_EQ(ct->type, "text");
    EXPECT_EQ(ct->subtype, "html");
    ASSERT_EQ(ct->params.size(), 2u);
    EXPECT_EQ(ct->params[0], (Param{"charset", "UTF-8", true}));
    EXPECT_EQ(*ct->raw_param("CHARSET"), "UTF-8");
    EXPECT_TRUE(ct->is("TEXT", "html"));
    EXPECT_FALSE(parse_content_type(""));
    EXPECT_FALSE(parse_content_type("/plain"));
    EXPECT_FALSE(parse_content_type(" ; charset=x"));
    // A missing ';' between parameters, folds, an unterminated quote.
    auto ext = parse_content_type(
        "message/external-body;\n access-type=mail-server\n "
        "server=\"listserv@bogus.bitnet\"; x=\"open");
    ASSERT_TRUE(ext);
    ASSERT_EQ(ext->params.size(), 3u);
    EXPECT_EQ(ext->params[1].value, "listserv@bogus.bitnet");
    EXPECT_EQ(ext->params[2].value, "open");
    auto d = parse_content_disposition("attachment; filename=\"a b.pdf\"; size=12");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->type, "attachment");
    EXPECT_EQ(d->subtype, "");
    EXPECT_EQ(d->param("filename"), "a b.pdf");
}

TEST(ContentType, Rfc2231) {
    struct Case {
        std::string raw;
        std::string name, value, language;
    };
    const std::vector<Case> cases = {
        {"a/b; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A", "title",
         "This is ***fun***", "en-us"},
        {"a/b; title*0*=us-ascii'en'This%20is%20even%20more%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20; "
         "title*2=\"isn't it!\"",
         "title", "This is even more ***fun*** isn't it!", "en"},
        {"a/b; name*=\"iso-8859-1''Fr%F6sche.txt\"", "name", "Fr\xc3\xb6sche.txt", ""},
        {"a/b; name*1=b; name*0=a; name*2=c", "name", "abc", ""},  // sections in any order
        {"a/b; name*0=a; name*5=z", "name", "az", ""},             // gaps tolerated
        {"a/b; filename=\"plain.txt\"; filename*=utf-8''%C3%A9.txt", "filename", "\xc3\xa9.txt",
         ""},  // the RFC 2231 form wins
        {"a/b; name=\"=?utf-8?q?caf=C3=A9?=.txt\"", "name", "caf\xc3\xa9.txt", ""},
        {"a/b; name*=x-unknown''caf%E9", "name", "caf\xc3\xa9", ""},
        {"a/b; key*0*=us-ascii'en'xyz; key*1=plop%", "key", "xyzplop%", "en"},
    };
    for (const auto& c : cases) {
        auto ct = parse_content_type(c.raw);
        ASSERT_TRUE(ct) << c.raw;
        auto params = decode_params(ct->params);
        auto it = std::find_if(params.begin(), params.end(),
                               [&](const DecodedParam& p) { return p.name == c.name; });
        ASSERT_NE(it, params.end()) << c.raw;
        EXPECT_EQ(it->value, c.value) << c.raw;
        EXPECT_EQ(it->language, c.language) << c.raw;
    }
    // Names that do not follow "name*N*" are dropped, and nothing blows up on big numbers.
    auto bad = parse_content_type("a/b; *=x; n**=y; n*1x=z; n*99999999999999999999=w; ok=1");
    auto params = decode_params(bad->params);
    ASSERT_EQ(params.size(), 1u);
    EXPECT_EQ(params[0].name, "ok");
}

TEST(Address, Table) {
    struct Case {
        std::string raw;
        std::vector<std::pair<std::string, std::string>> mailboxes;  // name, addr-spec
    };
    const std::vector<Case> cases = {
        {"John Doe <jdoe@machine.example>", {{"John Doe", "jdoe@machine.example"}}},
        {"\"Joe Q. Public\" <john.q.public@example.com>",
         {{"Joe Q. Public", "john.q.public@example.com"}}},
        {"Joe Q. Public <john.q.public@example.com>",
         {{"Joe Q. Public", "john.q.public@example.com"}}},
        {"a@b, c@d", {{"", "a@b"}, {"", "c@d"}}},
        {"user@domain (Real Name)", {{"Real Name", "user@domain"}}},  // legacy form
        {"Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
         {{"Pete", "pete@silly.test"}}},
        {"<@node.test:mary@example.net>", {{"", "mary@example.net"}}},
        {"jdoe@test  . example", {{"", "jdoe@test.example"}}},
        {"\"john doe\"@example.com", {{"", "john doe@example.com"}}},
        {"=?utf-8?q?J=C3=BCrgen?= <j@example.de>", {{"J\xc3\xbcrgen", "j@example.de"}}},
        {"J\xc3\xbcrgen <j\xc3\xbc@\xc3\xa9xample.de>",
         {{"J\xc3\xbcrgen", "j\xc3\xbc@\xc3\xa9xample.de"}}},  // RFC 6532
        {"Whomever", {{"Whomever", ""}}},
        {"(only a comment)", {{"only a comment", ""}}},
        {"<a@b.com> =?utf-8?q?Doe?=", {{"Doe", "a@b.com"}}},
        {"phil@example.com <phil@example.com>", {{"phil@example.com", "phil@example.com"}}},
        {", ,, ", {}},
        {"<unterminated@x", {{"", "unterminated@x"}}},
        {"<mailto:list@host.com?subject=help> (Help)",
         {{"Help", "mailto:list@host.com?subject=help"}}},
    };
    for (const auto& c : cases) {
        auto list = flatten(parse_address_list(c.raw));
        ASSERT_EQ(list.size(), c.mailboxes.size()) << c.raw;
        for (std::size_t i = 0; i < list.size(); ++i) {
            EXPECT_EQ(list[i].name, c.mailboxes[i].first) << c.raw;
            EXPECT_EQ(list[i].addr_spec(), c.mailboxes[i].second) << c.raw;
        }
    }
}

TEST(Address, GroupsRoutesAndRawNames) {
    auto list = parse_address_list(
        "A Group:Ed Jones <c@a.test>,joe@where.test;, Undisclosed recipients:;, x@y");
    ASSERT_EQ(list.size(), 3u);
    const auto& g = std::get<Group>(list[0]);
    EXPECT_EQ(g.name, "A Group");
    ASSERT_EQ(g.members.size(), 2u);
    EXPECT_EQ(g.members[0].local_part, "c");
    EXPECT_EQ(g.members[0].domain, "a.test");
    EXPECT_TRUE(std::get<Group>(list[1]).members.empty());
    EXPECT_EQ(std::get<Mailbox>(list[2]).addr_spec(), "x@y");

    auto route = flatten(parse_address_list("Mary <@a.example,@b.example:mary@c.example>"));
    ASSERT_EQ(route.size(), 1u);
    EXPECT_EQ(route[0].route, "@a.example,@b.example");
    EXPECT_EQ(route[0].addr_spec(), "mary@c.example");

    auto raw = flatten(parse_address_list("=?utf-8?q?J=C3=BCrgen?= <j@x>", NameDecoding::raw));
    EXPECT_EQ(raw[0].name, "=?utf-8?q?J=C3=BCrgen?=");
}

TEST(Address, HostileInput) {
    std::string many;
    for (int i = 0; i < 50000; ++i)
        many += "u" + std::to_string(i) + "@d, ";
    EXPECT_EQ(flatten(parse_address_list(many)).size(), 50000u);
    EXPECT_NO_FATAL_FAILURE(parse_address_list(std::string(100000, '(')));
    EXPECT_NO_FATAL_FAILURE(parse_address_list(std::string(100000, '"')));
    EXPECT_NO_FATAL_FAILURE(parse_address_list(std::string(100000, '<')));
    EXPECT_NO_FATAL_FAILURE(parse_address_list(std::string(100000, ':')));
}

TEST(Date, Table) {
    struct Case {
        std::string raw;
        std::optional<std::int64_t> unix_time;
        bool zone_known = true;
    };
    const std::vector<Case> cases = {
        {"Tue, 1 Jul 2003 10:52:37 +0200", 1057049557},
        {"1 Jul 2003 10:52:37 +0200", 1057049557},
        {"Tue, 1 Jul 2003 (comment) 10:52:37 +0200", 1057049557},
        {"Tue,\n 1\n Jul\n 2003\n 10:52:37\n +0200", 1057049557},
        {"Tue, 1 Jul 03 10:52:37 +0200", 1057049557},   // two-digit year (RFC 5322 §4.3)
        {"Tue, 1 Jul 103 10:52:37 +0200", 1057049557},  // three-digit year
        {"Thu, 1 Jan 1970 00:00:00 +0000", 0},
        {"Thu, 1 Jan 1970 00:00:00 -0000", 0, false},  // "-0000": zone unknown
        {"Thu, 1 Jan 1970 00:00 GMT", 0},
        {"Wed, 31 Dec 1969 19:00:00 EST", 0},
        {"Wed, 31 Dec 1969 17:00:00 PDT", 0},
        {"Thu, 1 Jan 1970 00:00:00 A", 0, false},         // military zone: unknown
        {"Thu Jan  1 00:00:00 1970", 0, false},           // asctime order, no zone
        {"Sat, 29 Feb 2020 23:59:60 +0000", 1583020800},  // leap second accepted
        {"1 1 1970 00:00:00 +0000", 0},                   // numeric month
        {"by mx.example with SMTP id x; Thu, 1 Jan 1970 01:00:00 +0100", 0},
        {"Thu, 1 Jan 1970 00:00:00.123 +0000", 0},
        {"Thu, 1 Jan 1970 24:00:00 +0000", std::nullopt},
        {"Thu, 32 Jan 1970 00:00:00 +0000", std::nullopt},
        {"Thu, 1 Foo 1970 00:00:00 +0000", std::nullopt},
        {"Thu, 1 Jan 1970", std::nullopt},
        {"", std::nullopt},
        {"garbage 1 2 3", std::nullopt},
    };
    for (const auto& c : cases) {
        auto d = parse_date(c.raw);
        ASSERT_EQ(d.has_value(), c.unix_time.has_value()) << c.raw;
        if (!d)
            continue;
        EXPECT_EQ(d->to_unix(), *c.unix_time) << c.raw;
        EXPECT_EQ(d->zone_known, c.zone_known) << c.raw;
    }
    auto neg = parse_date("Tue, 30 Dec 1969 23:32:54 -0330");
    ASSERT_TRUE(neg);
    EXPECT_EQ(neg->zone_minutes, -210);
}

TEST(MessageId, Table) {
    struct Case {
        std::string raw;
        std::vector<std::string> ids;
    };
    const std::vector<Case> cases = {
        {"<a@b>", {"a@b"}},
        {" <a@b> <c@d>\n <e@f> ", {"a@b", "c@d", "e@f"}},
        {"<a @ b (comment) . c>", {"a@b.c"}},
        {"Your message of Mon <x@y> (sent)", {"x@y"}},
        {"bare@id other@id", {"bare@id", "other@id"}},
        {"<>", {}},
        {"", {}},
        {"<junk <real@id>", {"real@id"}},
        {"<\"quoted id\"@x>", {"\"quoted id\"@x"}},
        {"<unterminated@x", {"unterminated@x"}},
    };
    for (const auto& c : cases)
        EXPECT_EQ(parse_message_ids(c.raw), c.ids) << c.raw;
}

TEST(BaseSubject, Rfc5256Table) {
    struct Case {
        std::string raw, base;
        bool reply;
    };
    const std::vector<Case> cases = {
        {"Hello", "Hello", false},
        {"Re: Hello", "Hello", true},
        {"RE: re: Fwd: Hello", "Hello", true},
        {"Fw: Hello", "Hello", true},
        {"Re[2]: Hello", "Hello", true},
        {"[list] Re: Hello", "Hello", true},
        {"[list] Hello", "Hello", false},
        {"[list]", "[list]", false},  // a blob is kept when nothing else would remain
        {"Hello (fwd)", "Hello", true},
        {"[Fwd: Re: Hello]", "Hello", true},
        {"  Hello   \t  world  ", "Hello world", false},
        {"=?utf-8?q?Re:_caf=C3=A9?=", "caf\xc3\xa9", true},
        {"Re:", "", true},
        {"", "", false},
        {"Reply: not a prefix", "Reply: not a prefix", false},
    };
    for (const auto& c : cases) {
        BaseSubject b = base_subject(c.raw);
        EXPECT_EQ(b.text, c.base) << c.raw;
        EXPECT_EQ(b.reply_or_forward, c.reply) << c.raw;
    }
}

}  // namespace
}  // namespace postern::mime
