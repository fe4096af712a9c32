// IMAP FETCH, STORE, COPY and MOVE parsing (RFC 9051 §6.4.5-§6.4.8, RFC 3516, RFC 7162, RFC 8474,
// RFC 8514, RFC 8970, RFC 6851), with the RFC examples.
#include <gtest/gtest.h>

#include "proto/imap/parser.h"
#include "proto/imap/test_util.h"

namespace postern::proto::imap {
namespace {

using testing::args_of;
using testing::parse;
using testing::reason_of;

std::vector<FetchItem> items_of(const std::string& command) {
    auto r = parse(command);
    const Fetch* f = args_of<Fetch>(r);
    return f ? f->items : std::vector<FetchItem>{};
}

std::vector<FetchAttr> attrs_of(const std::vector<FetchItem>& items) {
    std::vector<FetchAttr> out;
    for (const auto& i : items)
        out.push_back(i.attr);
    return out;
}

TEST(ImapFetch, Macros) {
    auto r = parse("a FETCH 1 ALL");
    const Fetch* f = args_of<Fetch>(r);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->macro, FetchMacro::all);
    EXPECT_EQ(attrs_of(f->items),
              (std::vector<FetchAttr>{FetchAttr::flags, FetchAttr::internaldate,
                                      FetchAttr::rfc822_size, FetchAttr::envelope}));
    EXPECT_EQ(attrs_of(items_of("a FETCH 1 fast")),
              (std::vector<FetchAttr>{FetchAttr::flags, FetchAttr::internaldate,
                                      FetchAttr::rfc822_size}));
    EXPECT_EQ(items_of("a FETCH 1 FULL").size(), 5u);
    EXPECT_EQ(items_of("a FETCH 1 FULL").back().attr, FetchAttr::body);
    EXPECT_FALSE(parse("a FETCH 1 (ALL)"));  // macros are not attributes
    EXPECT_FALSE(parse("a FETCH 1 (FLAGS FAST)"));
}

TEST(ImapFetch, SimpleAttributes) {
    auto items = items_of(
        "a FETCH 1:* (ENVELOPE FLAGS INTERNALDATE RFC822 RFC822.HEADER RFC822.SIZE RFC822.TEXT "
        "BODY BODYSTRUCTURE UID MODSEQ EMAILID THREADID SAVEDATE PREVIEW)");
    EXPECT_EQ(
        attrs_of(items),
        (std::vector<FetchAttr>{FetchAttr::envelope, FetchAttr::flags, FetchAttr::internaldate,
                                FetchAttr::rfc822, FetchAttr::rfc822_header, FetchAttr::rfc822_size,
                                FetchAttr::rfc822_text, FetchAttr::body, FetchAttr::bodystructure,
                                FetchAttr::uid, FetchAttr::modseq, FetchAttr::emailid,
                                FetchAttr::threadid, FetchAttr::savedate, FetchAttr::preview}));
    EXPECT_TRUE(items[4].peek);  // RFC822.HEADER does not set \Seen
    EXPECT_FALSE(items[3].peek);
    EXPECT_EQ(attrs_of(items_of("a FETCH 2 uid")), (std::vector<FetchAttr>{FetchAttr::uid}));
    EXPECT_EQ(reason_of(parse("a FETCH 1 (FLAGS FOO)")), "Unknown FETCH attribute FOO");
    EXPECT_EQ(reason_of(parse("a FETCH 1 BODY.FOO")), "Unknown FETCH attribute BODY.FOO");
}

TEST(ImapFetch, BodySections) {
    // RFC 9051 §6.4.5 examples.
    auto items = items_of("A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])");
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[1].attr, FetchAttr::body_section);
    EXPECT_FALSE(items[1].peek);
    EXPECT_EQ(items[1].section.text, SectionText::header_fields);
    EXPECT_EQ(items[1].section.fields, (std::vector<std::string>{"DATE", "FROM"}));
    EXPECT_TRUE(items[1].section.part.empty());

    items = items_of(
        "a FETCH 1 (BODY[] BODY.PEEK[1.2.MIME] BODY[4.2.2.1] BODY[HEADER] "
        "BODY[TEXT]<0.2048> body.peek[3.TEXT] BODY[1.HEADER.FIELDS.NOT "
        "(received {3}\r\nX-A)])");
    ASSERT_EQ(items.size(), 7u);
    EXPECT_EQ(items[0].section, Section{});
    EXPECT_FALSE(items[0].partial);
    EXPECT_TRUE(items[1].peek);
    EXPECT_EQ(items[1].section.part, (std::vector<std::uint32_t>{1, 2}));
    EXPECT_EQ(items[1].section.text, SectionText::mime);
    EXPECT_EQ(items[2].section.part, (std::vector<std::uint32_t>{4, 2, 2, 1}));
    EXPECT_EQ(items[2].section.text, SectionText::none);
    EXPECT_EQ(items[3].section.text, SectionText::header);
    EXPECT_EQ(items[4].section.text, SectionText::text);
    EXPECT_EQ(items[4].partial, (Partial{0, 2048}));
    EXPECT_EQ(items[5].section.part, (std::vector<std::uint32_t>{3}));
    EXPECT_EQ(items[5].section.text, SectionText::text);
    EXPECT_EQ(items[6].section.text, SectionText::header_fields_not);
    EXPECT_EQ(items[6].section.fields, (std::vector<std::string>{"RECEIVED", "X-A"}));

    items = items_of("a FETCH 1 BODY[]<4294967295.4294967295>");
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].partial, (Partial{4294967295u, 4294967295u}));
    for (const char* bad :
         {"a FETCH 1 BODY[", "a FETCH 1 BODY[]<0>", "a FETCH 1 BODY[]<0.0>", "a FETCH 1 BODY[]<.5>",
          "a FETCH 1 BODY[]<1.2", "a FETCH 1 BODY[MIME]", "a FETCH 1 BODY[0]", "a FETCH 1 BODY[1.]",
          "a FETCH 1 BODY[1.2.FOO]", "a FETCH 1 BODY[HEADER.FIELDS]",
          "a FETCH 1 BODY[HEADER.FIELDS ()]", "a FETCH 1 BODY[TEXT ]", "a FETCH 1 BODY.PEEK",
          "a FETCH 1 BODY [TEXT]", "a FETCH 1 BODY[]<4294967296.1>", "a FETCH 1 (BODY[] )"}) {
        EXPECT_FALSE(parse(bad)) << bad;
    }
}

TEST(ImapFetch, Binary) {
    auto items = items_of("a FETCH 1 (BINARY[1.2]<0.100> BINARY.PEEK[] BINARY.SIZE[3])");
    ASSERT_EQ(items.size(), 3u);
    EXPECT_EQ(items[0].attr, FetchAttr::binary);
    EXPECT_FALSE(items[0].peek);
    EXPECT_EQ(items[0].section.part, (std::vector<std::uint32_t>{1, 2}));
    EXPECT_EQ(items[0].partial, (Partial{0, 100}));
    EXPECT_EQ(items[1].attr, FetchAttr::binary);
    EXPECT_TRUE(items[1].peek);
    EXPECT_EQ(items[2].attr, FetchAttr::binary_size);
    EXPECT_EQ(items[2].section.part, (std::vector<std::uint32_t>{3}));
    for (const char* bad :
         {"a FETCH 1 BINARY[HEADER]", "a FETCH 1 BINARY[1.TEXT]", "a FETCH 1 BINARY.SIZE[1]<0.5>",
          "a FETCH 1 BINARY", "a FETCH 1 BINARY.SIZE"}) {
        EXPECT_FALSE(parse(bad)) << bad;
    }
}

TEST(ImapFetch, Preview) {
    auto items = items_of("a FETCH 1 (PREVIEW (LAZY) UID)");  // RFC 8970 §3
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[0].attr, FetchAttr::preview);
    EXPECT_TRUE(items[0].lazy);
    items = items_of("a FETCH 1 PREVIEW (lazy)");
    ASSERT_EQ(items.size(), 1u);
    EXPECT_TRUE(items[0].lazy);
    // A lone PREVIEW followed by FETCH modifiers.
    auto r = parse("a FETCH 1 PREVIEW (CHANGEDSINCE 5)");
    const Fetch* f = args_of<Fetch>(r);
    ASSERT_NE(f, nullptr);
    EXPECT_FALSE(f->items.at(0).lazy);
    EXPECT_EQ(f->changed_since, 5u);
    EXPECT_FALSE(parse("a FETCH 1 (PREVIEW (LAZY FOO))"));
    EXPECT_FALSE(parse("a FETCH 1 (PREVIEW ())"));
}

TEST(ImapFetch, Modifiers) {
    // RFC 7162 §3.1.4.1 and §3.2.6 examples.
    auto r = parse("s100 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)");
    const Fetch* f = args_of<Fetch>(r);
    ASSERT_NE(f, nullptr);
    EXPECT_TRUE(r->uid);
    EXPECT_EQ(f->changed_since, 12345u);
    EXPECT_FALSE(f->vanished);
    EXPECT_EQ(f->set.ranges, (std::vector<SeqRange>{{1, kStar}}));
    r = parse("A04 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)");
    f = args_of<Fetch>(r);
    ASSERT_NE(f, nullptr);
    EXPECT_TRUE(f->vanished);
    EXPECT_EQ(reason_of(parse("a FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)")),
              "VANISHED needs UID FETCH with CHANGEDSINCE");
    EXPECT_FALSE(parse("a UID FETCH 1:* (FLAGS) (VANISHED)"));
    EXPECT_EQ(reason_of(parse("a FETCH 1 FLAGS (FOO)")), "Unknown FETCH modifier FOO");
    for (const char* bad :
         {"a FETCH 1 FLAGS ()", "a FETCH 1 FLAGS (CHANGEDSINCE)",
          "a FETCH 1 FLAGS (CHANGEDSINCE x)", "a FETCH 1 FLAGS (CHANGEDSINCE 1",
          "a FETCH 1 FLAGS (CHANGEDSINCE 1 CHANGEDSINCE 2)", "a FETCH 1 FLAGS CHANGEDSINCE 1"}) {
        EXPECT_FALSE(parse(bad)) << bad;
    }
}

TEST(ImapFetch, SequenceSetsAndErrors) {
    auto r = parse("a FETCH $ (FLAGS)");
    const Fetch* f = args_of<Fetch>(r);
    ASSERT_NE(f, nullptr);
    EXPECT_TRUE(f->set.saved);
    r = parse("a FETCH 5:2,*,7 FLAGS");
    f = args_of<Fetch>(r);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->set.ranges, (std::vector<SeqRange>{{5, 2}, {kStar, kStar}, {7, 7}}));
    for (const char* bad : {"a FETCH", "a FETCH 1", "a FETCH 1 ", "a FETCH 1 ()", "a FETCH x FLAGS",
                            "a FETCH 1 (FLAGS", "a FETCH 1 (FLAGS  UID)", "a FETCH 1 FLAGS UID",
                            "a FETCH \"1\" FLAGS"}) {
        EXPECT_FALSE(parse(bad)) << bad;
    }
}

TEST(ImapStore, Modes) {
    // RFC 9051 §6.4.6 example.
    auto r = parse("A003 STORE 2:4 +FLAGS (\\Deleted)");
    const Store* s = args_of<Store>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->mode, StoreMode::add);
    EXPECT_FALSE(s->silent);
    EXPECT_EQ(s->flags, (std::vector<std::string>{"\\Deleted"}));
    EXPECT_EQ(s->set.ranges, (std::vector<SeqRange>{{2, 4}}));
    r = parse("a UID STORE 1 -flags.silent \\seen $Junk");
    s = args_of<Store>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_TRUE(r->uid);
    EXPECT_EQ(s->mode, StoreMode::remove);
    EXPECT_TRUE(s->silent);
    EXPECT_EQ(s->flags, (std::vector<std::string>{"\\Seen", "$Junk"}));
    r = parse("a STORE 1 FLAGS ()");
    s = args_of<Store>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->mode, StoreMode::replace);
    EXPECT_TRUE(s->flags.empty());
    // RFC 7162 §3.1.3 example.
    r = parse("d105 STORE 7,5,9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted)");
    s = args_of<Store>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->unchanged_since, 320162338u);
    EXPECT_TRUE(s->silent);
    EXPECT_EQ(reason_of(parse("a STORE 1 +LABELS (x)")), "Unknown STORE item LABELS");
    EXPECT_EQ(reason_of(parse("a STORE 1 (FOO 1) FLAGS (x)")), "Unknown STORE modifier FOO");
    for (const char* bad :
         {"a STORE", "a STORE 1", "a STORE 1 FLAGS", "a STORE 1 FLAGS ", "a STORE 1 *FLAGS (x)",
          "a STORE 1 FLAGS.SILENTX (x)", "a STORE 1 FLAGS (\\)", "a STORE 1 FLAGS (a b",
          "a STORE 1 FLAGS a  b", "a STORE 1 () FLAGS (x)", "a STORE 1 (UNCHANGEDSINCE) FLAGS (x)",
          "a STORE 1 (UNCHANGEDSINCE 1 UNCHANGEDSINCE 2) FLAGS (x)", "a STORE 1 FLAGS (\"x\")",
          "a STORE 1 FLAGS (x%)"}) {
        EXPECT_FALSE(parse(bad)) << bad;
    }
}

TEST(ImapStore, CopyAndMove) {
    auto r = parse("A003 COPY 2:4 MEETING");
    const Copy* c = args_of<Copy>(r);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->set.ranges, (std::vector<SeqRange>{{2, 4}}));
    EXPECT_EQ(c->mailbox.raw, "MEETING");
    r = parse("a UID MOVE 42:69 \"Other Folder\"");  // RFC 6851 §4.2
    const Move* m = args_of<Move>(r);
    ASSERT_NE(m, nullptr);
    EXPECT_TRUE(r->uid);
    EXPECT_EQ(m->mailbox.raw, "Other Folder");
    r = parse("a MOVE $ {3}\r\nfoo");
    m = args_of<Move>(r);
    ASSERT_NE(m, nullptr);
    EXPECT_TRUE(m->set.saved);
    EXPECT_EQ(m->mailbox.form, StringForm::literal);
    for (const char* bad : {"a COPY", "a COPY 1", "a COPY 1 ", "a COPY x y", "a MOVE 1 a b"})
        EXPECT_FALSE(parse(bad)) << bad;
}

}  // namespace
}  // namespace postern::proto::imap
