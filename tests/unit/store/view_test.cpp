// Shared mailbox views and the change bus: two sessions on one mailbox see each other's
// changes only at sync points; deliveries reach subscribers on the bus thread.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "store_fixture.h"

namespace postern::store::testing {
namespace {

TEST_F(StoreTest, TwoSessionsSeeChangesAtSyncPoints) {
    open();
    auto box = mailbox("bob@x.org");
    for (unsigned i = 0; i < 5; ++i)
        ASSERT_TRUE(box->append(make_message(300, i)));
    auto s1 = box->open_session().value();
    auto s2 = box->open_session().value();
    EXPECT_EQ(s1->view().get(), s2->view().get());  // one shared view
    EXPECT_EQ(s1->exists(), 5u);
    EXPECT_EQ(s1->uid_at(3), 3u);

    // Session 2 marks and expunges 2 and 4; session 1 keeps its numbering until it syncs.
    ASSERT_TRUE(box->store_flags(UidSet::of({2, 4}), FlagOp::add, {kDeleted, {}}));
    ASSERT_TRUE(box->expunge());
    EXPECT_EQ(s1->exists(), 5u);
    EXPECT_EQ(s1->uid_at(4), 4u);
    ASSERT_TRUE(box->append(make_message(300, 9)));
    ASSERT_TRUE(box->store_flags(UidSet::of({1}), FlagOp::add, {kSeen, {}}));

    auto sync = s1->sync();
    // Highest first: EXPUNGE 4 then EXPUNGE 2 is valid in order.
    EXPECT_EQ(sync.expunged_seqs, (std::vector<std::uint32_t>{4, 2}));
    EXPECT_EQ(sync.expunged_uids, (std::vector<Uid>{2, 4}));
    EXPECT_EQ(sync.new_uids, std::vector<Uid>{6});
    ASSERT_EQ(sync.flag_changes.size(), 1u);  // uid 1 (2 and 4 were expunged)
    EXPECT_EQ(sync.flag_changes[0].uid, 1u);
    EXPECT_EQ(sync.flag_changes[0].flags, static_cast<std::uint32_t>(kSeen));
    EXPECT_EQ(sync.exists, 4u);
    EXPECT_EQ(s1->uids(), (std::vector<Uid>{1, 3, 5, 6}));
    EXPECT_EQ(s1->seq_of(5).value(), 3u);
    EXPECT_FALSE(s1->seq_of(2));
    EXPECT_EQ(sync.state.uidnext, 7u);
    // Nothing new: an empty sync.
    auto again = s1->sync();
    EXPECT_TRUE(again.expunged_seqs.empty() && again.new_uids.empty() &&
                again.flag_changes.empty());
    // Session 2 catches up the same way.
    EXPECT_EQ(s2->sync().exists, 4u);
    EXPECT_EQ(s2->uids(), s1->uids());
}

TEST_F(StoreTest, MessageAppendedAndExpungedBetweenSyncsIsInvisible) {
    open();
    auto box = mailbox("bob@x.org");
    auto s = box->open_session().value();
    ASSERT_TRUE(box->append(make_message(300, 1)));
    ASSERT_TRUE(box->store_flags(UidSet::all(), FlagOp::add, {kDeleted, {}}));
    ASSERT_TRUE(box->expunge());
    auto sync = s->sync();
    EXPECT_TRUE(sync.new_uids.empty());
    EXPECT_TRUE(sync.expunged_seqs.empty());
    EXPECT_EQ(sync.exists, 0u);
}

TEST_F(StoreTest, LaggingSessionFallsBackToFullDiff) {
    options_.view_change_log = 16;  // tiny log to force the fallback
    open();
    auto box = mailbox("bob@x.org");
    for (unsigned i = 0; i < 4; ++i)
        ASSERT_TRUE(box->append(make_message(200, i)));
    auto s = box->open_session().value();
    for (unsigned i = 0; i < 40; ++i)
        ASSERT_TRUE(box->append(make_message(200, 100 + i)));
    ASSERT_TRUE(box->store_flags(UidSet::of({1}), FlagOp::add, {kDeleted, {}}));
    ASSERT_TRUE(box->expunge());
    auto sync = s->sync();
    EXPECT_EQ(sync.expunged_uids, std::vector<Uid>{1});
    EXPECT_EQ(sync.new_uids.size(), 40u);
    EXPECT_EQ(sync.exists, 43u);
    EXPECT_EQ(s->uids(), box->open_session().value()->uids());
}

TEST_F(StoreTest, HeldExpungesKeepTheirNumbersUntilASendSync) {
    // RFC 9051 §7.5.2: after FETCH/STORE/SEARCH flag changes and new messages are reported,
    // expunges wait for a later command.
    open();
    auto box = mailbox("bob@x.org");
    for (unsigned i = 0; i < 4; ++i)
        ASSERT_TRUE(box->append(make_message(300, i)));
    auto s = box->open_session().value();
    const ModSeq before = s->reportable_highestmodseq();
    EXPECT_EQ(before, s->view()->state().highestmodseq);

    ASSERT_TRUE(box->store_flags(UidSet::of({2}), FlagOp::add, {kDeleted, {}}));
    ASSERT_TRUE(box->expunge());
    ASSERT_TRUE(box->store_flags(UidSet::of({3}), FlagOp::add, {kFlagged, {}}));
    ASSERT_TRUE(box->append(make_message(300, 7)));

    auto held = s->sync(ExpungeReport::hold);
    EXPECT_TRUE(held.expunged_seqs.empty());
    EXPECT_TRUE(held.expunged_uids.empty());
    ASSERT_EQ(held.flag_changes.size(), 1u);
    EXPECT_EQ(held.flag_changes[0].uid, 3u);
    EXPECT_EQ(held.new_uids, std::vector<Uid>{5});
    // EXISTS counts the held message: the client still numbers it.
    EXPECT_EQ(held.exists, 5u);
    EXPECT_EQ(s->uids(), (std::vector<Uid>{1, 2, 3, 4, 5}));
    EXPECT_EQ(s->seq_of(5).value(), 5u);
    EXPECT_EQ(s->held_expunges(), std::vector<Uid>{2});
    // HIGHESTMODSEQ may not pass the unreported expunge (RFC 7162 §3.1.2.1).
    EXPECT_EQ(s->reportable_highestmodseq(), before);

    // A second held sync with nothing new keeps holding and reports nothing.
    auto again = s->sync(ExpungeReport::hold);
    EXPECT_TRUE(again.expunged_seqs.empty() && again.new_uids.empty() &&
                again.flag_changes.empty());
    EXPECT_EQ(again.exists, 5u);

    // Another expunge arrives; the send sync reports both, highest sequence number first.
    ASSERT_TRUE(box->store_flags(UidSet::of({4}), FlagOp::add, {kDeleted, {}}));
    ASSERT_TRUE(box->expunge());
    auto sent = s->sync(ExpungeReport::send);
    EXPECT_EQ(sent.expunged_seqs, (std::vector<std::uint32_t>{4, 2}));
    EXPECT_EQ(sent.expunged_uids, (std::vector<Uid>{2, 4}));
    EXPECT_TRUE(sent.new_uids.empty());
    EXPECT_EQ(sent.exists, 3u);
    EXPECT_EQ(s->uids(), (std::vector<Uid>{1, 3, 5}));
    EXPECT_TRUE(s->held_expunges().empty());
    EXPECT_EQ(s->reportable_highestmodseq(), s->view()->state().highestmodseq);
    EXPECT_GT(s->reportable_highestmodseq(), before);
}

TEST_F(StoreTest, HeldExpungesSurviveALaggingFullDiff) {
    options_.view_change_log = 16;  // tiny log to force the fallback
    open();
    auto box = mailbox("bob@x.org");
    for (unsigned i = 0; i < 3; ++i)
        ASSERT_TRUE(box->append(make_message(200, i)));
    auto s = box->open_session().value();
    ASSERT_TRUE(box->store_flags(UidSet::of({1}), FlagOp::add, {kDeleted, {}}));
    ASSERT_TRUE(box->expunge());
    EXPECT_EQ(s->sync(ExpungeReport::hold).exists, 3u);
    for (unsigned i = 0; i < 40; ++i)
        ASSERT_TRUE(box->append(make_message(200, 100 + i)));
    auto held = s->sync(ExpungeReport::hold);
    EXPECT_EQ(held.new_uids.size(), 40u);
    EXPECT_EQ(held.exists, 43u);
    EXPECT_EQ(s->held_expunges(), std::vector<Uid>{1});
    auto sent = s->sync(ExpungeReport::send);
    EXPECT_EQ(sent.expunged_seqs, std::vector<std::uint32_t>{1});
    EXPECT_EQ(sent.exists, 42u);
    EXPECT_EQ(s->uids(), box->open_session().value()->uids());
}

TEST_F(StoreTest, ViewIsKeptForGraceThenDropped) {
    options_.view_grace = std::chrono::milliseconds(0);
    open();
    std::weak_ptr<MailboxView> weak;
    {
        // Handles never outlive their Store (contract in store.h), hence this scope.
        auto acc = account("bob@x.org");
        auto box = mailbox("bob@x.org");
        ASSERT_TRUE(box->append(make_message(200, 1)));
        {
            auto s = box->open_session().value();
            weak = s->view();
            EXPECT_GT(acc->view_memory_bytes(), 0u);
        }
        // Grace 0: the next activity purges it.
        auto s2 = mailbox("bob@x.org", "Other")->open_session().value();
        EXPECT_TRUE(weak.expired());
    }

    options_.view_grace = std::chrono::hours(1);
    open();
    auto box2 = mailbox("bob@x.org");
    {
        auto s = box2->open_session().value();
        weak = s->view();
    }
    auto s3 = mailbox("bob@x.org", "Other")->open_session().value();
    EXPECT_FALSE(weak.expired());  // still warm for the next SELECT
    auto s4 = box2->open_session().value();
    EXPECT_EQ(s4->view().get(), weak.lock().get());
}

TEST_F(StoreTest, DeletedMailboxIsReportedToOpenSessions) {
    open();
    auto acc = account("bob@x.org");
    auto box = mailbox("bob@x.org", "Temp");
    auto s = box->open_session().value();
    ASSERT_TRUE(acc->delete_mailbox("Temp"));
    EXPECT_TRUE(s->sync().mailbox_deleted);
}

TEST_F(StoreTest, ChangeBusDeliversMailboxAndAccountEvents) {
    open();
    auto box = mailbox("bob@x.org");
    std::mutex mu;
    std::vector<ChangeEvent> mailbox_events, account_events;
    std::thread::id bus_thread;
    auto sub1 =
        store_->changes().subscribe_mailbox("bob@x.org", box->id(), [&](const ChangeEvent& e) {
            std::lock_guard lock(mu);
            bus_thread = std::this_thread::get_id();
            mailbox_events.push_back(e);
        });
    auto sub2 = store_->changes().subscribe_account("bob@x.org", [&](const ChangeEvent& e) {
        std::lock_guard lock(mu);
        account_events.push_back(e);
    });
    auto other = store_->changes().subscribe_account("someone@else.org", [&](const ChangeEvent&) {
        ADD_FAILURE() << "event leaked to another account";
    });
    ASSERT_TRUE(store_->deliver(make_message(500, 1), {{"bob@x.org"}}));
    ASSERT_TRUE(box->store_flags(UidSet::all(), FlagOp::add, {kDeleted, {}}));
    ASSERT_TRUE(box->expunge());
    ASSERT_TRUE(account("bob@x.org")->create_mailbox("New"));
    store_->changes().drain();
    {
        std::lock_guard lock(mu);
        ASSERT_EQ(mailbox_events.size(), 3u);
        EXPECT_EQ(mailbox_events[0].kind, ChangeEvent::Kind::appended);
        EXPECT_EQ(mailbox_events[0].uids, std::vector<Uid>{1});
        EXPECT_EQ(mailbox_events[0].messages, 1u);
        EXPECT_EQ(mailbox_events[1].kind, ChangeEvent::Kind::flags_changed);
        EXPECT_EQ(mailbox_events[2].kind, ChangeEvent::Kind::expunged);
        EXPECT_GT(mailbox_events[2].modseq, mailbox_events[1].modseq);
        EXPECT_NE(bus_thread, std::this_thread::get_id());  // off the writer's thread
        ASSERT_EQ(account_events.size(), 4u);
        EXPECT_EQ(account_events[3].kind, ChangeEvent::Kind::mailbox_created);
        EXPECT_EQ(account_events[3].mailbox, "New");
    }
    // After unsubscribing, nothing more arrives.
    sub1.reset();
    ASSERT_TRUE(box->append(make_message(500, 2)));
    store_->changes().drain();
    std::lock_guard lock(mu);
    EXPECT_EQ(mailbox_events.size(), 3u);
    EXPECT_EQ(account_events.size(), 5u);
}

TEST_F(StoreTest, ConcurrentWritersAndSessionsStayConsistent) {
    open();
    auto box = mailbox("bob@x.org");
    auto s = box->open_session().value();
    constexpr int kThreads = 6, kEach = 40;
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            auto b = mailbox("bob@x.org");
            for (int i = 0; i < kEach; ++i) {
                auto r = b->append(make_message(1000, static_cast<unsigned>(t * 1000 + i)));
                if (!r)
                    ++failures;
                if (i % 5 == 0 && r)
                    (void)b->store_flags(UidSet::of({r->uid}), FlagOp::add, {kSeen, {}});
            }
        });
    }
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(failures.load(), 0);
    auto sync = s->sync();
    EXPECT_EQ(sync.exists, static_cast<std::uint32_t>(kThreads * kEach));
    // UIDs are unique and dense.
    auto uids = s->uids();
    for (std::size_t i = 0; i < uids.size(); ++i)
        EXPECT_EQ(uids[i], i + 1);
    // The view agrees with the index on every flag.
    auto all_msgs = box->messages(UidSet::all()).value();
    for (auto& m : all_msgs) {
        auto e = s->view()->find(m.uid);
        ASSERT_TRUE(e);
        EXPECT_EQ(e->flags, m.flags.system);
        EXPECT_EQ(e->modseq, m.modseq);
    }
}

}  // namespace
}  // namespace postern::store::testing

namespace postern::store::testing {
namespace {

TEST(ChangeBusTest, UnsubscribeFromInsideACallbackAndOrdering) {
    ChangeBus bus;
    std::vector<Uid> seen;
    ChangeBus::Subscription sub;
    sub = bus.subscribe_account("a@x.org", [&](const ChangeEvent& e) {
        seen.push_back(e.uids.front());
        if (e.uids.front() == 3)
            sub.reset();  // allowed: no deadlock, no later calls
    });
    for (Uid u = 1; u <= 6; ++u) {
        ChangeEvent e;
        e.account = "a@x.org";
        e.uids = {u};
        bus.publish(e);
    }
    bus.drain();
    EXPECT_EQ(seen, (std::vector<Uid>{1, 2, 3}));
    EXPECT_FALSE(sub.active());
}

}  // namespace
}  // namespace postern::store::testing

namespace postern::store::testing {
namespace {

TEST_F(StoreTest, ViewSaysWhetherAnyMessageIsDeleted) {
    open();
    auto box = mailbox("del@x.org");
    for (unsigned i = 0; i < 4; ++i)
        ASSERT_TRUE(box->append(make_message(300, i)));
    auto s = box->open_session().value();
    const auto& view = *s->view();
    EXPECT_FALSE(view.any_flagged(kDeleted));
    ASSERT_TRUE(box->store_flags(UidSet::of({3}), FlagOp::add, {kDeleted, {}}));
    EXPECT_TRUE(view.any_flagged(kDeleted));  // the commit updated the shared view
    const std::vector<Uid> one_two{1, 2}, two_three{2, 3};
    EXPECT_FALSE(view.any_flagged(kDeleted, &one_two));
    EXPECT_TRUE(view.any_flagged(kDeleted, &two_three));
    ASSERT_TRUE(box->expunge());
    EXPECT_FALSE(view.any_flagged(kDeleted));
}

}  // namespace
}  // namespace postern::store::testing
