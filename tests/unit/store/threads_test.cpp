// Object ids (RFC 8474) through the public API with the real MIME analyzer: a reply joins its
// parent's THREADID, copies and moves keep theirs and their EMAILID (also into another account),
// a schema v4 index gets thread ids when it is upgraded, a v5 index gets EMAILIDs.
#include <chrono>
#include <cstdio>

#include "store/analysis/mime_analyzer.h"
#include "store/engine/account_index.h"
#include "store/engine/sqlite.h"
#include "store_fixture.h"

namespace postern::store::testing {
namespace {

std::string message(std::string_view id, std::string_view extra_headers, std::string_view subject) {
    std::string m = "From: Alice <alice@example.org>\r\nTo: bob@example.com\r\nSubject: ";
    m += subject;
    m += "\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n";
    if (!id.empty())
        m += "Message-ID: <" + std::string(id) + ">\r\n";
    m += extra_headers;
    m += "\r\nHello.\r\n";
    return m;
}

class ThreadTest : public StoreTest {
  protected:
    void SetUp() override {
        StoreTest::SetUp();
        options_.analyzer = std::make_shared<MimeAnalyzer>();
    }
    Uid append(Mailbox& box, const std::string& raw) {
        auto r = box.append(raw);
        EXPECT_TRUE(r) << (r ? "" : r.error().to_string());
        return r ? r->uid : 0;
    }
    std::string thread(Mailbox& box, Uid uid) {
        auto m = box.message(uid);
        EXPECT_TRUE(m) << (m ? "" : m.error().to_string());
        return m ? m->thread_id : std::string("?");
    }
};

TEST_F(ThreadTest, RepliesJoinTheirParentsThreadAndCopiesKeepIt) {
    open();
    auto inbox = mailbox("bob@example.com");
    const Uid parent = append(*inbox, message("p@x", "", "Plans"));
    const Uid unrelated = append(*inbox, message("u@x", "", "Other"));
    const Uid reply =
        append(*inbox, message("r@x", "In-Reply-To: <p@x>\r\nReferences: <p@x>\r\n", "Re: Plans"));
    // Nearest parent first: the last References id that is known decides.
    const Uid deep =
        append(*inbox, message("d@x", "References: <missing@x> <p@x> <r@x>\r\n", "Re: Re: Plans"));
    // In-Reply-To alone links too.
    const Uid irt = append(*inbox, message("i@x", "In-Reply-To: <u@x>\r\n", "Re: Other"));
    const Uid none = append(*inbox, message("", "", "No id"));
    // A reply that comes before its parent starts its own thread (no re-threading later).
    const Uid early = append(*inbox, message("e@x", "In-Reply-To: <late@x>\r\n", "Re: Late"));
    const Uid late = append(*inbox, message("late@x", "", "Late"));

    const std::string t = thread(*inbox, parent);
    EXPECT_EQ(t, inbox->message(parent)->guid);  // a new thread is named by its first message
    EXPECT_EQ(thread(*inbox, reply), t);
    EXPECT_EQ(thread(*inbox, deep), t);
    EXPECT_NE(thread(*inbox, unrelated), t);
    EXPECT_EQ(thread(*inbox, irt), thread(*inbox, unrelated));
    EXPECT_FALSE(thread(*inbox, none).empty());
    EXPECT_NE(thread(*inbox, none), t);
    EXPECT_NE(thread(*inbox, early), thread(*inbox, late));
    // The same message again (a copy in Sent, a second delivery) shares the thread.
    const Uid again = append(*inbox, message("p@x", "", "Plans"));
    EXPECT_EQ(thread(*inbox, again), t);

    // COPY and MOVE within the account, and COPY into another account, keep the thread.
    auto archive = mailbox("bob@example.com", "Archive");
    auto copied = inbox->copy(UidSet::of({reply}), *archive);
    ASSERT_TRUE(copied);
    EXPECT_EQ(thread(*archive, copied->uids.at(0).dest), t);
    auto moved = inbox->move(UidSet::of({deep}), *archive);
    ASSERT_TRUE(moved);
    EXPECT_EQ(thread(*archive, moved->uids.at(0).dest), t);
    auto other = mailbox("carol@example.com");
    auto across = inbox->copy(UidSet::of({parent}), *other);
    ASSERT_TRUE(across);
    EXPECT_EQ(thread(*other, across->uids.at(0).dest), t);
}

TEST_F(ThreadTest, CopiesKeepTheEmailIdOfTheirOriginal) {
    open();
    auto inbox = mailbox("bob@example.com");
    const Uid first = append(*inbox, message("p@x", "", "Plans"));
    const Uid second = append(*inbox, message("p@x", "", "Plans"));  // delivered twice
    auto original = inbox->message(first).value();
    EXPECT_EQ(original.email_id, original.guid);
    EXPECT_NE(inbox->message(second)->email_id, original.email_id);

    auto archive = mailbox("bob@example.com", "Archive");
    auto copied = inbox->copy(UidSet::of({first}), *archive);
    ASSERT_TRUE(copied);
    auto copy = archive->message(copied->uids.at(0).dest).value();
    EXPECT_NE(copy.guid, original.guid);
    EXPECT_EQ(copy.email_id, original.email_id);
    // A copy of the copy, a move, and a move into another account: still the original's.
    auto sent = mailbox("bob@example.com", "Sent");
    auto again = archive->copy(UidSet::of({copy.uid}), *sent);
    ASSERT_TRUE(again);
    EXPECT_EQ(sent->message(again->uids.at(0).dest)->email_id, original.email_id);
    auto moved = archive->move(UidSet::of({copy.uid}), *sent);
    ASSERT_TRUE(moved);
    EXPECT_EQ(sent->message(moved->uids.at(0).dest)->email_id, original.email_id);
    auto other = mailbox("carol@example.com");
    auto across = sent->move(UidSet::of({moved->uids.at(0).dest}), *other);
    ASSERT_TRUE(across);
    EXPECT_EQ(other->message(across->uids.at(0).dest)->email_id, original.email_id);
}

TEST_F(ThreadTest, Version5IndexKeepsEmailIdsOnUpgrade) {
    open();
    auto inbox = mailbox("bob@example.com");
    const Uid uid = append(*inbox, message("p@x", "", "Plans"));
    const std::string guid = inbox->message(uid)->guid;
    const auto path = store_->index_path("bob@example.com");
    inbox.reset();
    store_.reset();
    {
        auto db = engine::Db::open(path, false, false);
        ASSERT_TRUE(db);
        ASSERT_TRUE(
            (*db)->exec("ALTER TABLE messages DROP COLUMN email_id;"
                        "UPDATE meta SET value='5' WHERE key='schema_version';"));
    }
    open();
    inbox = mailbox("bob@example.com");
    EXPECT_EQ(inbox->message(uid)->email_id, guid);
    auto archive = mailbox("bob@example.com", "Archive");
    auto copied = inbox->copy(UidSet::of({uid}), *archive);
    ASSERT_TRUE(copied);
    EXPECT_EQ(archive->message(copied->uids.at(0).dest)->email_id, guid);
    auto lease = engine::Db::open(path, false, false);
    ASSERT_TRUE(lease);
    EXPECT_EQ(engine::index_meta(**lease, "schema_version").value(),
              std::to_string(engine::kIndexSchemaVersion));
}

TEST_F(ThreadTest, Version4IndexGetsThreadIdsOnUpgrade) {
    open();
    auto inbox = mailbox("bob@example.com");
    const Uid parent = append(*inbox, message("p@x", "", "Plans"));
    const Uid unrelated = append(*inbox, message("u@x", "", "Other"));
    const Uid reply = append(*inbox, message("r@x", "In-Reply-To: <p@x>\r\n", "Re: Plans"));
    const Uid grandchild = append(*inbox, message("g@x", "In-Reply-To: <r@x>\r\n", "Re: Plans"));
    const auto path = store_->index_path("bob@example.com");
    inbox.reset();
    store_.reset();
    {
        // Make it a v4 index again: no thread columns, no Message-ID index.
        auto db = engine::Db::open(path, false, false);
        ASSERT_TRUE(db);
        ASSERT_TRUE(
            (*db)->exec("DROP INDEX messages_msgid;"
                        "ALTER TABLE messages DROP COLUMN thread_id;"
                        "ALTER TABLE messages DROP COLUMN message_id;"
                        "UPDATE meta SET value='4' WHERE key='schema_version';"));
    }
    open();
    inbox = mailbox("bob@example.com");
    const std::string t = thread(*inbox, parent);
    EXPECT_FALSE(t.empty());
    EXPECT_EQ(thread(*inbox, reply), t);
    EXPECT_EQ(thread(*inbox, grandchild), t);
    EXPECT_FALSE(thread(*inbox, unrelated).empty());
    EXPECT_NE(thread(*inbox, unrelated), t);
    // New mail after the upgrade finds the upgraded messages as parents.
    const Uid later = append(*inbox, message("l@x", "In-Reply-To: <g@x>\r\n", "Re: Plans"));
    EXPECT_EQ(thread(*inbox, later), t);
    auto lease = engine::Db::open(path, false, false);
    ASSERT_TRUE(lease);
    EXPECT_EQ(engine::index_meta(**lease, "schema_version").value(),
              std::to_string(engine::kIndexSchemaVersion));
}

// Measurement, not a check (run with --gtest_also_run_disabled_tests): how long the v4 -> v5
// upgrade takes for an account of kCount messages, half of them replies (docs/performance.md).
TEST_F(ThreadTest, DISABLED_UpgradeCost) {
    constexpr int kCount = 20000;
    open();
    auto inbox = mailbox("bob@example.com");
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kCount; ++i) {
        std::string extra;
        if (i % 2)
            extra = "In-Reply-To: <m" + std::to_string(i - 1) + "@x>\r\n";
        ASSERT_TRUE(inbox->append(message("m" + std::to_string(i) + "@x", extra, "Subject")));
    }
    auto t1 = std::chrono::steady_clock::now();
    const auto path = store_->index_path("bob@example.com");
    inbox.reset();
    store_.reset();
    {
        auto db = engine::Db::open(path, false, false);
        ASSERT_TRUE(db);
        ASSERT_TRUE(
            (*db)->exec("DROP INDEX messages_msgid;"
                        "ALTER TABLE messages DROP COLUMN thread_id;"
                        "ALTER TABLE messages DROP COLUMN message_id;"
                        "UPDATE meta SET value='4' WHERE key='schema_version';"));
    }
    auto t2 = std::chrono::steady_clock::now();
    {
        auto idx = engine::AccountIndex::open(path, "bob@example.com", false, false);
        ASSERT_TRUE(idx) << idx.error().to_string();
    }
    auto t3 = std::chrono::steady_clock::now();
    auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
    std::printf("%d appends with thread ids: %.0f ms (%.1f us each); v4->v5 upgrade: %.0f ms\n",
                kCount, ms(t1 - t0), ms(t1 - t0) * 1000 / kCount, ms(t3 - t2));
}

}  // namespace
}  // namespace postern::store::testing
