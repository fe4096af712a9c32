// One message's FETCH response: the plan made from the items, item order, UID for UID FETCH,
// FLAGS after an implicit \Seen, large literals written from where they lie, BINARY literal8,
// UNKNOWN-CTE, and a message that vanished while it was read.
#include "services/imap/fetch/render.h"

#include <gtest/gtest.h>

#include "mime/structure_codec.h"
#include "services/imap/fetch/test_messages.h"

namespace postern::services::imap::fetch {
namespace {

using testing::kMixed;
using testing::kSimple;
using testing::structure_of;
using wire::FetchAttr;

wire::FetchItem item(FetchAttr attr, bool peek = false, std::vector<std::uint32_t> part = {},
                     std::optional<wire::Partial> partial = std::nullopt) {
    wire::FetchItem i;
    i.attr = attr;
    i.peek = peek;
    i.section.part = std::move(part);
    i.partial = partial;
    return i;
}

store::MessageMeta meta_of(const std::string& raw, store::Uid uid) {
    store::MessageMeta m;
    m.uid = uid;
    m.guid = "0123456789abcdef0123456789abcdef";
    m.email_id = m.guid;  // the store sets it (the guid unless the message is a copy)
    m.size = raw.size();
    m.internal_date = 1700000000;
    m.modseq = 42;
    auto st = structure_of(raw);
    m.header_size = st.parts.front().body_start;
    m.bodystructure = mime::encode_structure(st);
    mime::MessageStructure env;
    env.envelopes.push_back(st.envelopes.front());
    m.envelope = mime::encode_structure(env);
    return m;
}

struct Rendered {
    RenderResult result;
    std::string text;  // all pieces joined
    std::size_t refs = 0;
    int loads = 0;
};

Rendered render(const wire::Fetch& fetch, bool uid, const store::MessageMeta& meta,
                const std::string& raw, MessageInput in = {}, bool gone = false) {
    Rendered r;
    auto plan = make_plan(fetch, uid);
    in.meta = &meta;
    if (in.seq == 0)
        in.seq = 1;
    FetchOutput out;
    RawLoader loader = [&](bool& was_gone) -> const std::string* {
        ++r.loads;
        was_gone = gone;
        return gone ? nullptr : &raw;
    };
    r.result = render_message(plan, in, wire::SessionMode{}, loader, out);
    for (const auto& p : out.pieces) {
        if (p.ref.empty()) {
            r.text += p.text;
        } else {
            r.text += std::string(p.ref);
            ++r.refs;
        }
    }
    return r;
}

wire::Fetch fetch_of(std::vector<wire::FetchItem> items) {
    wire::Fetch f;
    f.items = std::move(items);
    return f;
}

TEST(MakePlan, WhatTheItemsNeed) {
    auto plan = make_plan(fetch_of({item(FetchAttr::flags), item(FetchAttr::flags),
                                    item(FetchAttr::body_section, true)}),
                          false);
    EXPECT_EQ(plan.items.size(), 2u);  // duplicates removed
    EXPECT_TRUE(plan.asks_flags);
    EXPECT_TRUE(plan.may_read_body);
    EXPECT_FALSE(plan.sets_seen);
    EXPECT_FALSE(plan.need_cached);
    EXPECT_TRUE(make_plan(fetch_of({item(FetchAttr::body_section, false, {2})}), false).sets_seen);
    EXPECT_TRUE(
        make_plan(fetch_of({item(FetchAttr::body_section, false, {2})}), false).need_cached);
    EXPECT_TRUE(make_plan(fetch_of({item(FetchAttr::rfc822)}), false).sets_seen);
    EXPECT_FALSE(make_plan(fetch_of({item(FetchAttr::rfc822_header, true)}), false).sets_seen);
    EXPECT_FALSE(make_plan(fetch_of({item(FetchAttr::binary, true)}), false).sets_seen);
    auto fast = make_plan(fetch_of({item(FetchAttr::flags), item(FetchAttr::rfc822_size)}), true);
    EXPECT_FALSE(fast.may_read_body);
    EXPECT_FALSE(fast.need_cached);
    wire::Fetch changed = fetch_of({item(FetchAttr::flags)});
    changed.changed_since = 5;
    EXPECT_TRUE(make_plan(changed, true).modseq);
    EXPECT_FALSE(make_plan(changed, true).asks_modseq);
}

TEST(RenderMessage, SimpleItemsInOrderWithUidFirstForUidFetch) {
    auto meta = meta_of(kSimple, 7);
    meta.flags.system = store::kSeen | store::kFlagged;
    meta.flags.keywords = {"$Important"};
    meta.save_date = 1700000100;
    auto r = render(
        fetch_of({item(FetchAttr::flags), item(FetchAttr::rfc822_size),
                  item(FetchAttr::internaldate), item(FetchAttr::emailid),
                  item(FetchAttr::threadid), item(FetchAttr::savedate), item(FetchAttr::modseq)}),
        true, meta, kSimple, {.seq = 3, .recent = true});
    ASSERT_EQ(r.result.status, RenderStatus::ok);
    EXPECT_EQ(r.text, "* 3 FETCH (UID 7 FLAGS (\\Seen \\Flagged \\Recent $Important) RFC822.SIZE " +
                          std::to_string(kSimple.size()) +
                          " INTERNALDATE \"14-Nov-2023 22:13:20 +0000\" EMAILID "
                          "(0123456789abcdef0123456789abcdef) THREADID NIL SAVEDATE "
                          "\"14-Nov-2023 22:15:00 +0000\" MODSEQ (42))\r\n");
    EXPECT_EQ(r.loads, 0);  // nothing needed the message itself
    // RFC 8474 §5.2: a message with a thread id answers THREADID (T<id>).
    meta.thread_id = "fedcba9876543210fedcba9876543210";
    r = render(fetch_of({item(FetchAttr::threadid)}), false, meta, kSimple, {.seq = 3});
    ASSERT_EQ(r.result.status, RenderStatus::ok);
    EXPECT_EQ(r.text, "* 3 FETCH (THREADID (Tfedcba9876543210fedcba9876543210))\r\n");
}

TEST(RenderMessage, BodySectionsAndSeenFlags) {
    auto meta = meta_of(kSimple, 7);
    meta.flags.system = store::kSeen;
    wire::FetchItem fields = item(FetchAttr::body_section, false);
    fields.section.text = wire::SectionText::header_fields;
    fields.section.fields = {"SUBJECT"};
    auto r =
        render(fetch_of({fields, item(FetchAttr::body_section, true, {}, wire::Partial{0, 2})}),
               false, meta, kSimple, {.seq = 1, .seen_changed = true, .condstore = true});
    ASSERT_EQ(r.result.status, RenderStatus::ok);
    EXPECT_EQ(r.text,
              "* 1 FETCH (UID 7 MODSEQ (42) BODY[HEADER.FIELDS (SUBJECT)] {27}\r\nSubject: "
              "Hello\r\n  world\r\n\r\n BODY[]<0> {2}\r\nFr FLAGS (\\Seen))\r\n");
    EXPECT_EQ(r.loads, 1);  // loaded once for both items
}

TEST(RenderMessage, StructureEnvelopeAndPreview) {
    auto meta = meta_of(kMixed, 9);
    auto r = render(fetch_of({item(FetchAttr::envelope), item(FetchAttr::bodystructure),
                              item(FetchAttr::body), item(FetchAttr::preview)}),
                    false, meta, kMixed);
    ASSERT_EQ(r.result.status, RenderStatus::ok);
    EXPECT_NE(r.text.find("ENVELOPE (NIL \"Mixed\" ((NIL NIL \"carol\" \"remote.test\"))"),
              std::string::npos);
    EXPECT_NE(r.text.find("BODYSTRUCTURE ((\"text\" \"plain\""), std::string::npos);
    EXPECT_NE(r.text.find("(\"message\" \"rfc822\""), std::string::npos);
    EXPECT_NE(r.text.find(" BODY ((\"text\" \"plain\""), std::string::npos);
    EXPECT_NE(r.text.find("PREVIEW {"), std::string::npos);  // 8-bit text is a literal
    EXPECT_NE(r.text.find("Caf\xc3\xa9 au lait"), std::string::npos);
}

TEST(RenderMessage, DamagedCachedStructureIsRebuiltFromTheMessage) {
    auto meta = meta_of(kMixed, 9);
    meta.bodystructure = "garbage";
    meta.envelope = "garbage";
    auto r =
        render(fetch_of({item(FetchAttr::envelope), item(FetchAttr::body_section, true, {3, 1})}),
               false, meta, kMixed);
    ASSERT_EQ(r.result.status, RenderStatus::ok);
    EXPECT_NE(r.text.find("\"Mixed\""), std::string::npos);
    EXPECT_NE(r.text.find("BODY[3.1] {11}\r\ninner plain"), std::string::npos);
}

TEST(RenderMessage, BinaryLiteral8SizeAndUnknownEncoding) {
    auto meta = meta_of(kMixed, 9);
    wire::FetchItem size = item(FetchAttr::binary_size, false, {2});
    auto r =
        render(fetch_of({item(FetchAttr::binary, true, {2}), size,
                         item(FetchAttr::binary_size, false, {1}),
                         item(FetchAttr::binary, true, {4}), item(FetchAttr::binary, true, {8})}),
               false, meta, kMixed);
    ASSERT_EQ(r.result.status, RenderStatus::ok);
    EXPECT_TRUE(r.result.unknown_cte);
    EXPECT_EQ(r.text, "* 1 FETCH (BINARY[2] ~{11}\r\n" + std::string("\0\1\2\3hello\0\xff", 11) +
                          " BINARY.SIZE[2] 11 BINARY.SIZE[1] 32 BINARY[8] NIL)\r\n");
}

TEST(RenderMessage, LargeLiteralsAreWrittenFromWhereTheyLie) {
    std::string raw = "Subject: big\r\n\r\n" + std::string(200000, 'a') + "\r\n";
    auto meta = meta_of(raw, 1);
    auto r = render(fetch_of({item(FetchAttr::body_section, true), item(FetchAttr::uid)}), false,
                    meta, raw);
    ASSERT_EQ(r.result.status, RenderStatus::ok);
    EXPECT_EQ(r.refs, 1u);
    EXPECT_EQ(r.text,
              "* 1 FETCH (BODY[] {" + std::to_string(raw.size()) + "}\r\n" + raw + " UID 1)\r\n");
    // NUL in a plain literal is sent as 0x80, so that one is copied.
    std::string nul = "Subject: nul\r\n\r\n" + std::string(100000, '\0');
    auto meta2 = meta_of(nul, 2);
    auto r2 = render(fetch_of({item(FetchAttr::body_section, true)}), false, meta2, nul);
    EXPECT_EQ(r2.refs, 0u);
    EXPECT_EQ(r2.text.find('\0'), std::string::npos);
}

TEST(RenderMessage, AMessageGoneMeanwhileProducesNothing) {
    auto meta = meta_of(kSimple, 7);
    auto r = render(fetch_of({item(FetchAttr::flags), item(FetchAttr::rfc822)}), false, meta,
                    kSimple, {}, true);
    EXPECT_EQ(r.result.status, RenderStatus::gone);
    EXPECT_EQ(r.text, "");
}

}  // namespace
}  // namespace postern::services::imap::fetch
