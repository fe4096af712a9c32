// Messages through the public API: append/fetch, single instance across accounts, flags with
// UNCHANGEDSINCE, MODSEQ, change log, expunge, copy/move, search, sort, quota, full stores.
#include <algorithm>
#include <set>

#include "store/engine/catalog.h"
#include "store/engine/message_store.h"
#include "store_fixture.h"

namespace postern::store::testing {
namespace {

// Bodies and their refcounts in every message store, straight from the catalogs.
std::vector<engine::BodyRow> bodies(Store& s) {
    std::vector<engine::BodyRow> out;
    for (auto* ms : s.message_stores()) {
        auto lease = ms->reader();
        auto rows = engine::catalog_bodies(**lease);
        out.insert(out.end(), rows->begin(), rows->end());
    }
    return out;
}

TEST_F(StoreTest, AppendAndFetch) {
    open();
    auto box = mailbox("bob@example.com");
    auto raw = make_message(3000, 1, "Quarterly numbers");
    AppendOptions opt;
    opt.flags.system = kSeen | kFlagged;
    opt.flags.keywords = {"$Important", "Work"};
    opt.internal_date = 1700000000;
    auto r = box->append(raw, opt);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->uid, 1u);
    EXPECT_EQ(r->uidvalidity, box->info().value().uidvalidity);
    EXPECT_EQ(r->guid.size(), 32u);
    auto raw2 = make_message(800, 2);
    auto r2 = box->append(raw2);
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->uid, 2u);
    EXPECT_GT(r2->modseq, r->modseq);

    EXPECT_EQ(box->fetch_body(1).value(), raw);
    auto header = box->fetch_header(1).value();
    EXPECT_TRUE(raw.starts_with(header));
    EXPECT_TRUE(header.ends_with("\r\n\r\n"));
    EXPECT_EQ(box->fetch_range(1, 10, 20).value(), raw.substr(10, 20));
    EXPECT_EQ(box->fetch_range(1, raw.size() - 5, 100).value(), raw.substr(raw.size() - 5));
    EXPECT_EQ(box->fetch_range(1, raw.size() + 10, 5).value(), "");
    EXPECT_EQ(box->fetch_part(1, "", PartRegion::body).value(), raw.substr(header.size()));

    auto meta = box->message(1).value();
    EXPECT_EQ(meta.size, raw.size());
    EXPECT_EQ(meta.internal_date, 1700000000);
    EXPECT_EQ(meta.flags.system, static_cast<std::uint32_t>(kSeen | kFlagged));
    EXPECT_EQ(meta.flags.keywords, (std::vector<std::string>{"$Important", "Work"}));
    EXPECT_EQ(meta.envelope, "(envelope Quarterly numbers)");
    EXPECT_EQ(meta.guid, r->guid);

    auto st = box->status().value();
    EXPECT_EQ(st.messages, 2u);
    EXPECT_EQ(st.unseen, 1u);
    EXPECT_EQ(st.uidnext, 3u);
    EXPECT_EQ(st.size, raw.size() + raw2.size());
    EXPECT_EQ(st.recent, 2u);
    EXPECT_EQ(box->recent().value().to_string(), "1:2");  // looking does not claim
    EXPECT_EQ(box->claim_recent().value().to_string(), "1:2");
    EXPECT_TRUE(box->recent().value().empty());
    EXPECT_EQ(box->status().value().recent, 0u);
    EXPECT_TRUE(box->claim_recent().value().empty());

    EXPECT_EQ(box->fetch_body(99).error().code, StoreErrc::expunged);
    EXPECT_EQ(box->append("").error().code, StoreErrc::too_large);
}

TEST_F(StoreTest, FetchMimePartBySection) {
    open();
    auto box = mailbox("bob@example.com");
    std::string raw =
        "From: a@b\r\nSubject: parts\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n"
        "preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n"
        "--b1\r\nContent-Type: text/html\r\n\r\n<p>second</p>\r\n--b1--\r\n";
    ASSERT_TRUE(box->append(raw));
    auto parts = box->parts(1).value();
    ASSERT_EQ(parts.size(), 3u);
    EXPECT_EQ(box->fetch_part(1, "1", PartRegion::body).value(), "first part");
    EXPECT_EQ(box->fetch_part(1, "2", PartRegion::body).value(), "<p>second</p>");
    EXPECT_EQ(box->fetch_part(1, "2", PartRegion::header).value(),
              "Content-Type: text/html\r\n\r\n");
    EXPECT_EQ(box->fetch_part(1, "3", PartRegion::body).error().code, StoreErrc::invalid_argument);
}

TEST_F(StoreTest, AnalyzerOffsetsOutsideTheMessageAreRejected) {
    open();
    auto box = mailbox("bob@example.com");
    MessageAnalysis lying;
    lying.header_size = 4;
    lying.parts = {{"1", 0, 5, 1'000'000}};
    AppendOptions opt;
    opt.analysis = &lying;
    ASSERT_TRUE(box->append("tiny message", opt));
    EXPECT_EQ(box->fetch_part(1, "1", PartRegion::body).error().code, StoreErrc::corrupt);
}

TEST_F(StoreTest, SingleInstanceAcrossAccounts) {
    open();
    auto raw = make_message(20000, 7);
    std::vector<DeliveryTarget> targets{
        {"a@x.org"}, {"b@x.org"}, {"c@x.org", "INBOX", {kFlagged, {}}}};
    auto res = store_->deliver(raw, targets);
    ASSERT_TRUE(res) << res.error().to_string();
    for (auto& r : *res)
        ASSERT_TRUE(r) << r.error().to_string();
    auto b = bodies(*store_);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0].refcount, 3);
    EXPECT_EQ(mailbox("c@x.org")->message(1).value().flags.system,
              static_cast<std::uint32_t>(kFlagged));

    // Expunging in one account leaves the others intact.
    auto a = mailbox("a@x.org");
    ASSERT_TRUE(a->store_flags(UidSet::all(), FlagOp::add, {kDeleted, {}}));
    EXPECT_EQ(a->expunge().value(), std::vector<Uid>{1});
    EXPECT_EQ(bodies(*store_)[0].refcount, 2);
    EXPECT_EQ(mailbox("b@x.org")->fetch_body(1).value(), raw);

    // Copy within and across accounts adds references, never bytes.
    auto bbox = mailbox("b@x.org");
    auto other = mailbox("b@x.org", "Keep");
    auto copied = bbox->copy(UidSet::all(), *other);
    ASSERT_TRUE(copied) << copied.error().to_string();
    ASSERT_EQ(copied->uids.size(), 1u);
    EXPECT_EQ(copied->uids[0].source, 1u);
    EXPECT_EQ(copied->uids[0].dest, 1u);
    auto dbox = mailbox("d@x.org");
    ASSERT_TRUE(bbox->copy(UidSet::all(), *dbox));
    b = bodies(*store_);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0].refcount, 4);
    EXPECT_EQ(dbox->fetch_body(1).value(), raw);
    // FTS works in the destination account too (the text was re-indexed there).
    SearchKey k;
    k.kind = SearchKey::Kind::body;
    k.text = "quarterly";
    EXPECT_EQ(dbox->search(k).value(), bbox->search(k).value());

    // Move across accounts: the reference moves, the count stays.
    auto ebox = mailbox("e@x.org");
    ASSERT_TRUE(dbox->move(UidSet::all(), *ebox));
    EXPECT_EQ(dbox->status().value().messages, 0u);
    EXPECT_EQ(bodies(*store_)[0].refcount, 4);
    // Deleting everything frees the body.
    auto cbox = mailbox("c@x.org");
    for (auto* box : {bbox.get(), other.get(), ebox.get(), cbox.get()}) {
        ASSERT_TRUE(box->store_flags(UidSet::all(), FlagOp::add, {kDeleted, {}}));
        ASSERT_TRUE(box->expunge());
    }
    EXPECT_TRUE(bodies(*store_).empty());
}

TEST_F(StoreTest, DeliveryReportsPerTargetFailures) {
    open();
    account("full@x.org")->set_quota(100, 0);
    auto res = store_->deliver(make_message(2000, 3),
                               {{"ok@x.org"}, {"full@x.org"}, {"ok@x.org", "NoSuchBox"}});
    ASSERT_TRUE(res);
    ASSERT_EQ(res->size(), 3u);
    EXPECT_TRUE((*res)[0]);
    EXPECT_EQ((*res)[1].error().code, StoreErrc::over_quota);
    EXPECT_EQ((*res)[2].error().code, StoreErrc::not_found);
    auto b = bodies(*store_);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0].refcount, 1);
    EXPECT_EQ(store_->deliver("x", {}).error().code, StoreErrc::invalid_argument);
}

TEST_F(StoreTest, CompressionOnAndOff) {
    auto raw = make_message(50'000, 5);
    for (bool on : {true, false}) {
        options_.compression = on;
        open();
        auto box = mailbox(on ? "on@x.org" : "off@x.org");
        ASSERT_TRUE(box->append(raw + (on ? "a" : "b")));
        EXPECT_EQ(box->fetch_body(1).value(), raw + (on ? "a" : "b"));
        auto b = bodies(*store_);
        auto& last = b.back();
        if (on)
            EXPECT_LT(last.stored_size, raw.size() / 2);
        else
            EXPECT_EQ(last.stored_size, raw.size() + 1);
    }
}

TEST_F(StoreTest, StoreFullIsAClearErrorAndFreedSpaceIsReused) {
    MessageStoreOptions ms;
    ms.path = root_ / "small";
    ms.max_file_size = 64 * 1024;
    ms.max_files = 2;
    options_.message_stores = {ms};
    options_.compression = false;
    open();
    auto box = mailbox("bob@x.org");
    int stored = 0;
    StoreError last;
    for (unsigned i = 0; i < 100; ++i) {
        auto r = box->append(make_message(10'000, i));
        if (!r) {
            last = r.error();
            break;
        }
        ++stored;
    }
    EXPECT_EQ(last.code, StoreErrc::store_full);
    EXPECT_NE(last.message.find("full"), std::string::npos);
    EXPECT_EQ(stored, 12);  // 6 records of 10 KiB per 64 KiB container, 2 containers
    EXPECT_EQ(box->status().value().messages, static_cast<std::uint32_t>(stored));
    for (Uid u = 1; u <= static_cast<Uid>(stored); ++u)
        EXPECT_TRUE(box->fetch_body(u)) << u;
    ASSERT_TRUE(box->store_flags(UidSet::range(3, 4), FlagOp::add, {kDeleted, {}}));
    ASSERT_TRUE(box->expunge());
    EXPECT_TRUE(box->append(make_message(10'000, 1000)));
    EXPECT_TRUE(box->append(make_message(10'000, 1001)));
    EXPECT_EQ(box->append(make_message(10'000, 1002)).error().code, StoreErrc::store_full);
    auto all_msgs = box->messages(UidSet::all()).value();
    for (auto& m : all_msgs)
        EXPECT_TRUE(box->fetch_body(m.uid)) << m.uid;
    // A body larger than a container can never be stored: still a clean error.
    EXPECT_EQ(box->append(std::string(100'000, 'x')).error().code, StoreErrc::store_full);
}

TEST_F(StoreTest, ExpandableStoresSpreadWritesAndRespectDomains) {
    open();
    MessageStoreOptions second;
    second.path = root_ / "disk2";
    ASSERT_TRUE(store_->add_message_store(second));
    EXPECT_EQ(store_->add_message_store(second).error().code, StoreErrc::busy);
    auto box = mailbox("bob@x.org");
    for (unsigned i = 0; i < 20; ++i)
        ASSERT_TRUE(box->append(make_message(5000, i)));
    int used = 0;
    for (auto* ms : store_->message_stores()) {
        auto lease = ms->reader();
        used += engine::catalog_bodies(**lease)->empty() ? 0 : 1;
    }
    EXPECT_EQ(used, 2);
    // A store reserved for one domain takes only that domain's mail.
    box.reset();  // handles never outlive their Store
    MessageStoreOptions vip;
    vip.path = root_ / "vip";
    vip.domains = {"vip.org"};
    options_.message_stores = {vip};
    open();
    EXPECT_EQ(mailbox("x@other.org")->append(make_message(500, 1)).error().code,
              StoreErrc::store_full);
    EXPECT_TRUE(mailbox("x@vip.org")->append(make_message(500, 1)));
    // Accounts keyed by a numeric id carry no domain: the delivery names it.
    DeliveryTarget by_id{"42", "INBOX", {}, ""};
    EXPECT_EQ(store_->deliver(make_message(400, 2), {by_id}).error().code, StoreErrc::store_full);
    by_id.domain = "VIP.org";
    auto delivered = store_->deliver(make_message(400, 2), {by_id});
    ASSERT_TRUE(delivered);
    EXPECT_TRUE(delivered->at(0));
}

TEST_F(StoreTest, FlagsModseqAndUnchangedSince) {
    open();
    auto box = mailbox("bob@x.org");
    for (unsigned i = 0; i < 5; ++i)
        ASSERT_TRUE(box->append(make_message(300, i)));
    auto m0 = box->status().value().highestmodseq;
    auto r = box->store_flags(UidSet::range(1, 3), FlagOp::add, {kSeen, {"Work"}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->changed.size(), 3u);
    auto m1 = r->changed[0].second;
    EXPECT_GT(m1, m0);
    EXPECT_EQ(box->status().value().highestmodseq, m1);
    EXPECT_EQ(box->status().value().unseen, 2u);
    // No-op changes do not bump MODSEQ.
    auto same = box->store_flags(UidSet::range(1, 3), FlagOp::add, {kSeen, {}});
    EXPECT_TRUE(same->changed.empty());
    EXPECT_EQ(box->status().value().highestmodseq, m1);
    // UNCHANGEDSINCE: 1..3 were modified at m1 > m0, so they fail; 4..5 succeed.
    auto cond = box->store_flags(UidSet::all(), FlagOp::add, {kFlagged, {}}, m0);
    ASSERT_TRUE(cond);
    EXPECT_EQ(cond->modified, (std::vector<Uid>{1, 2, 3}));
    ASSERT_EQ(cond->changed.size(), 2u);
    EXPECT_GT(cond->changed[0].second, m1);
    auto m2 = cond->changed[0].second;
    // set replaces; remove removes keywords too.
    ASSERT_TRUE(box->store_flags(UidSet::of({1}), FlagOp::set, {kAnswered, {"Later"}}));
    auto meta = box->message(1).value();
    EXPECT_EQ(meta.flags.system, static_cast<std::uint32_t>(kAnswered));
    EXPECT_EQ(meta.flags.keywords, std::vector<std::string>{"Later"});
    ASSERT_TRUE(box->store_flags(UidSet::of({2}), FlagOp::remove, {kSeen, {"work"}}));
    meta = box->message(2).value();
    EXPECT_EQ(meta.flags.system, 0u);
    EXPECT_TRUE(meta.flags.keywords.empty());
    // MODSEQ never goes backwards, per message or per mailbox.
    EXPECT_GT(box->message(1).value().modseq, m2);
    // Bad keywords are refused; 64 distinct keywords is the limit.
    EXPECT_EQ(box->store_flags(UidSet::of({1}), FlagOp::add, {0, {"bad word"}}).error().code,
              StoreErrc::invalid_argument);
    for (int i = 0; i < 62; ++i)
        ASSERT_TRUE(box->store_flags(UidSet::of({3}), FlagOp::add, {0, {"k" + std::to_string(i)}}));
    EXPECT_EQ(box->store_flags(UidSet::of({3}), FlagOp::add, {0, {"one-too-many"}}).error().code,
              StoreErrc::limit);
}

TEST_F(StoreTest, ChangesSinceForQresync) {
    open();
    auto box = mailbox("bob@x.org");
    for (unsigned i = 0; i < 6; ++i)
        ASSERT_TRUE(box->append(make_message(300, i)));
    auto base = box->status().value().highestmodseq;
    ASSERT_TRUE(box->store_flags(UidSet::of({2}), FlagOp::add, {kSeen, {}}));
    ASSERT_TRUE(box->store_flags(UidSet::of({4, 5}), FlagOp::add, {kDeleted, {}}));
    ASSERT_EQ(box->expunge(UidSet::of({4})).value(), std::vector<Uid>{4});  // UID EXPUNGE
    auto ch = box->changes_since(base).value();
    EXPECT_EQ(ch.vanished, std::vector<Uid>{4});
    std::vector<Uid> changed;
    for (auto& c : ch.changed)
        changed.push_back(c.uid);
    EXPECT_EQ(changed, (std::vector<Uid>{2, 5}));
    EXPECT_EQ(ch.highestmodseq, box->status().value().highestmodseq);
    auto none = box->changes_since(ch.highestmodseq).value();
    EXPECT_TRUE(none.changed.empty());
    EXPECT_TRUE(none.vanished.empty());
    auto all = box->changes_since(0).value();
    EXPECT_EQ(all.changed.size(), 5u);
}

TEST_F(StoreTest, MoveWithinAccountKeepsGuidAndLogsExpunge) {
    open();
    auto inbox = mailbox("bob@x.org");
    auto arch = mailbox("bob@x.org", "Archive");
    for (unsigned i = 0; i < 4; ++i)
        ASSERT_TRUE(inbox->append(make_message(300, i)));
    ASSERT_TRUE(inbox->store_flags(UidSet::of({2}), FlagOp::add, {kSeen, {"Keep"}}));
    auto guid = inbox->message(2).value().guid;
    auto base = inbox->status().value().highestmodseq;
    auto mv = inbox->move(UidSet::range(2, 3), *arch);
    ASSERT_TRUE(mv) << mv.error().to_string();
    ASSERT_EQ(mv->uids.size(), 2u);
    EXPECT_EQ(mv->uids[0].source, 2u);
    EXPECT_EQ(mv->uids[0].dest, 1u);
    EXPECT_EQ(mv->dest_uidvalidity, arch->info().value().uidvalidity);
    auto moved = arch->message(1).value();
    EXPECT_EQ(moved.guid, guid);
    EXPECT_EQ(moved.flags.keywords, std::vector<std::string>{"Keep"});
    EXPECT_EQ(inbox->changes_since(base).value().vanished, (std::vector<Uid>{2, 3}));
    EXPECT_EQ(inbox->status().value().messages, 2u);
    EXPECT_EQ(arch->status().value().messages, 2u);
    EXPECT_EQ(arch->status().value().unseen, 1u);
    EXPECT_EQ(inbox->move(UidSet::all(), *inbox).error().code, StoreErrc::invalid_argument);
    // Empty sets are fine and change nothing.
    EXPECT_TRUE(inbox->move(UidSet::of({99}), *arch).value().uids.empty());
}

TEST_F(StoreTest, SearchKeys) {
    open();
    auto box = mailbox("bob@x.org");
    ASSERT_TRUE(box->append(make_message(1000, 1, "Café au lait", "Jürgen Müller <jm@example.de>",
                                         "Wir treffen uns im Café"),
                            {{kSeen, {}}, 1000, nullptr}));
    ASSERT_TRUE(box->append(make_message(5000, 2, "Budget review", "Alice <alice@example.org>",
                                         "naïve résumé attached"),
                            {{kFlagged, {"Work"}}, 2000, nullptr}));
    ASSERT_TRUE(
        box->append(make_message(3000, 3, "Lunch?", "Bob <bob@example.net>"), {{}, 3000, nullptr}));
    auto search = [&](SearchKey k) { return box->search(k).value(); };
    SearchKey k;
    k.kind = SearchKey::Kind::body;
    k.text = "cafe";
    EXPECT_EQ(search(k), std::vector<Uid>{1});
    k.text = "RESUME";
    EXPECT_EQ(search(k), std::vector<Uid>{2});
    k.text = "naive resu";  // phrase with a prefix last word
    EXPECT_EQ(search(k), std::vector<Uid>{2});
    k.kind = SearchKey::Kind::from;
    k.text = "muller";
    EXPECT_EQ(search(k), std::vector<Uid>{1});
    k.text = "example.org";  // substring inside an address
    EXPECT_EQ(search(k), std::vector<Uid>{2});
    k.kind = SearchKey::Kind::subject;
    k.text = "AU LAIT";
    EXPECT_EQ(search(k), std::vector<Uid>{1});
    k.kind = SearchKey::Kind::text;
    k.text = "Jürgen";
    EXPECT_EQ(search(k), std::vector<Uid>{1});
    k.text = "treffen";  // only in the body: TEXT covers the body too
    EXPECT_EQ(search(k), std::vector<Uid>{1});
    // Substrings inside words (RFC 3501 §6.4.4), folded as words are: "ESUM" is in "résumé",
    // "afe" in "Café"; two-character needles scan the vocabulary instead of its trigrams.
    k.text = "ESUM";
    EXPECT_EQ(search(k), std::vector<Uid>{2});
    k.text = "afe";
    EXPECT_EQ(search(k), std::vector<Uid>{1});
    k.text = "ef";
    EXPECT_EQ(search(k), std::vector<Uid>{1});
    k.text = "unc";
    EXPECT_EQ(search(k), std::vector<Uid>{3});
    k.kind = SearchKey::Kind::body;
    k.text = "reffe";
    EXPECT_EQ(search(k), std::vector<Uid>{1});
    k.text = "unc";  // only in the subject: not BODY
    EXPECT_TRUE(search(k).empty());
    k.kind = SearchKey::Kind::text;
    k.kind = SearchKey::Kind::header;
    k.field = "Message-ID";
    k.text = "2.";
    EXPECT_EQ(search(k), std::vector<Uid>{2});
    k.text = "";
    EXPECT_EQ(search(k).size(), 3u);
    k.field = "X-Missing";
    EXPECT_TRUE(search(k).empty());

    SearchKey seen{SearchKey::Kind::flags_set};
    seen.flags.system = kSeen;
    EXPECT_EQ(search(seen), std::vector<Uid>{1});
    SearchKey unseen{SearchKey::Kind::flags_unset};
    unseen.flags.system = kSeen;
    EXPECT_EQ(search(unseen), (std::vector<Uid>{2, 3}));
    SearchKey kw{SearchKey::Kind::flags_set};
    kw.flags.keywords = {"work"};
    EXPECT_EQ(search(kw), std::vector<Uid>{2});
    kw.flags.keywords = {"NeverSet"};
    EXPECT_TRUE(search(kw).empty());
    SearchKey larger{SearchKey::Kind::larger};
    larger.number = 2000;
    EXPECT_EQ(search(larger), (std::vector<Uid>{2, 3}));
    SearchKey before{SearchKey::Kind::before};
    before.date = 2500;
    EXPECT_EQ(search(before), (std::vector<Uid>{1, 2}));
    SearchKey either{SearchKey::Kind::or_};
    either.children = {seen, larger};
    EXPECT_EQ(search(either), (std::vector<Uid>{1, 2, 3}));
    SearchKey neg{SearchKey::Kind::not_};
    neg.children = {larger};
    EXPECT_EQ(search(SearchKey::all_of({neg, unseen})), std::vector<Uid>{});
    SearchKey uids{SearchKey::Kind::uids};
    uids.uid_set = UidSet::range(2, kUidStar);
    EXPECT_EQ(search(uids), (std::vector<Uid>{2, 3}));
    SearchKey ms{SearchKey::Kind::modseq_since};
    ms.number = box->message(3).value().modseq;
    EXPECT_EQ(search(ms), std::vector<Uid>{3});
    SearchKey bad{SearchKey::Kind::not_};
    EXPECT_EQ(box->search(bad).error().code, StoreErrc::invalid_argument);

    auto sorted = box->sort({{SortKey::size, true}}, SearchKey{}).value();
    EXPECT_EQ(sorted, (std::vector<Uid>{2, 3, 1}));
    sorted = box->sort({{SortKey::subject, false}}, SearchKey{}).value();
    EXPECT_EQ(sorted, (std::vector<Uid>{2, 1, 3}));  // budget, cafe, lunch
    sorted = box->sort({{SortKey::arrival, true}}, unseen).value();
    EXPECT_EQ(sorted, (std::vector<Uid>{3, 2}));
}

TEST_F(StoreTest, QuotaIsEnforced) {
    open();
    auto acc = account("bob@x.org");
    acc->set_quota(10'000, 3);
    auto box = mailbox("bob@x.org");
    ASSERT_TRUE(box->append(make_message(4000, 1)));
    ASSERT_TRUE(box->append(make_message(4000, 2)));
    auto over = box->append(make_message(4000, 3));
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error().code, StoreErrc::over_quota);
    auto q = acc->quota().value();
    EXPECT_EQ(q.messages_used, 2u);
    EXPECT_EQ(q.bytes_limit, 10'000u);
    ASSERT_TRUE(box->append(make_message(500, 4)));
    EXPECT_EQ(box->append(make_message(100, 5)).error().code,
              StoreErrc::over_quota);  // message count
    auto other = mailbox("bob@x.org", "Other");
    EXPECT_EQ(box->copy(UidSet::all(), *other).error().code, StoreErrc::over_quota);
    EXPECT_TRUE(box->move(UidSet::all(), *other));  // a move does not grow usage
    // Rejected appends leave no body behind.
    auto ms = store_->message_stores()[0];
    auto lease = ms->reader();
    EXPECT_EQ(engine::catalog_bodies(**lease)->size(), 3u);
}

}  // namespace
}  // namespace postern::store::testing
