// Inspection and administrator actions: list with filters, show, counts, retry, delete,
// bounce, hold and release.
#include <gtest/gtest.h>

#include "queue_fixture.h"

namespace postern::queue::testing {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

class AdminTest : public QueueTest {
  protected:
    void SetUp() override {
        QueueTest::SetUp();
        options_.delivery_retry.first_retry = seconds(600);
        options_.dsn.delay_after = seconds(0);
        open();
        a_ =
            enqueue_ok(make_envelope("alice@example.org", {"bob@example.net"}), make_body(1000, 1));
        advance(minutes(10));
        b_ = enqueue_ok(
            make_envelope("carol@sales.example.org", {"dave@example.com", "erin@example.net"}),
            make_body(50000, 2));
        advance(minutes(10));
        c_ = enqueue_ok(make_envelope("", {"frank@example.org"}), make_body(3000, 3));
        process(a_);
        auto jobs = queue_->take_deliveries(Lane::remote, now(), 10);
        EXPECT_EQ(jobs.size(), 1u);
        EXPECT_TRUE(
            queue_->report_delivery(a_, {true,
                                         {},
                                         {{0, Outcome::temporary, "4.2.2",
                                           "smtp; 452 4.2.2 mailbox full", "mx.example.net"}}}));
    }
    std::vector<QueueId> ids(const ListFilter& f) {
        std::vector<QueueId> out;
        for (const auto& s : queue_->list(f))
            out.push_back(s.id);
        return out;
    }
    QueueId a_, b_, c_;
};

TEST_F(AdminTest, ListFilters) {
    ListFilter all;
    EXPECT_EQ(ids(all), (std::vector<QueueId>{a_, b_, c_}));
    ListFilter f;
    f.sender = "*@sales.example.org";
    EXPECT_EQ(ids(f), (std::vector<QueueId>{b_}));
    f = {};
    f.sender = "<>";
    EXPECT_EQ(ids(f), (std::vector<QueueId>{c_}));
    f = {};
    f.recipient = "*@example.net";
    EXPECT_EQ(ids(f), (std::vector<QueueId>{a_, b_}));
    f = {};
    f.min_size = 2000;
    f.max_size = 10000;
    EXPECT_EQ(ids(f), (std::vector<QueueId>{c_}));
    f = {};
    f.state = MessageState::send_failure;
    EXPECT_EQ(ids(f), (std::vector<QueueId>{a_}));
    f = {};
    f.reason = "MAILBOX FULL";
    EXPECT_EQ(ids(f), (std::vector<QueueId>{a_}));
    f = {};
    f.older_than = now() - minutes(15);
    EXPECT_EQ(ids(f), (std::vector<QueueId>{a_}));
    f = {};
    f.newer_than = now() - minutes(15);
    EXPECT_EQ(ids(f), (std::vector<QueueId>{b_, c_}));
    f = {};
    f.offset = 1;
    f.limit = 1;
    EXPECT_EQ(ids(f), (std::vector<QueueId>{b_}));

    auto w = queue_->begin_message();
    f = {};
    f.state = MessageState::incoming;
    auto incoming = queue_->list(f);
    ASSERT_EQ(incoming.size(), 1u);
    EXPECT_EQ(incoming[0].id, w->id());
    w->abort();

    auto s = queue_->list(all);
    EXPECT_EQ(s[0].state, MessageState::send_failure);
    EXPECT_EQ(s[0].attempts, 1u);
    EXPECT_EQ(s[0].last_error, "smtp; 452 4.2.2 mailbox full");
    ASSERT_TRUE(s[0].next_attempt);
    EXPECT_EQ(*s[0].next_attempt, now() + seconds(600));
    EXPECT_EQ(s[1].recipients, (std::vector<std::string>{"dave@example.com", "erin@example.net"}));
    EXPECT_EQ(s[1].size, 50000u);
}

TEST_F(AdminTest, ShowAndCounts) {
    auto d = queue_->show(a_);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->state, MessageState::send_failure);
    ASSERT_EQ(d->record.recipients.size(), 1u);
    const auto& r = d->record.recipients[0];
    EXPECT_EQ(r.state, RecipientState::deferred);
    EXPECT_EQ(r.destination, "example.net");
    EXPECT_EQ(r.remote_mta, "mx.example.net");
    EXPECT_EQ(r.status, "4.2.2");
    EXPECT_EQ(r.attempts, 1u);
    EXPECT_TRUE(std::filesystem::exists(d->body_path));
    EXPECT_TRUE(std::filesystem::exists(d->status_path));
    EXPECT_FALSE(queue_->show(*QueueId::parse("00000000000000")));

    auto c = queue_->counts();
    EXPECT_EQ(c.messages, 3u);
    EXPECT_EQ(c.recipients, 4u);
    EXPECT_EQ(c.bytes, 54000u);
    EXPECT_EQ(c.by_state[static_cast<std::size_t>(MessageState::send_failure)], 1u);
    EXPECT_EQ(c.by_state[static_cast<std::size_t>(MessageState::received)], 2u);
}

TEST_F(AdminTest, RetryNowMakesDeferredDue) {
    EXPECT_TRUE(queue_->take_deliveries(Lane::remote, now(), 10).empty());
    ASSERT_TRUE(queue_->retry_now(a_));
    auto jobs = queue_->take_deliveries(Lane::remote, now(), 10);
    ASSERT_EQ(jobs.size(), 1u);
    EXPECT_EQ(jobs[0].id, a_);
    EXPECT_EQ(queue_->retry_now(*QueueId::parse("00000000000000")).error().code, Errc::not_found);
}

TEST_F(AdminTest, HoldAndReleaseSurviveRestart) {
    ASSERT_TRUE(queue_->hold(b_));
    EXPECT_EQ(state(b_), MessageState::held);
    open();
    EXPECT_EQ(state(b_), MessageState::held);
    auto jobs = queue_->take_processing(now(), 10);
    ASSERT_EQ(jobs.size(), 1u);
    EXPECT_EQ(jobs[0].id, c_);
    ASSERT_TRUE(queue_->release(b_));
    jobs = queue_->take_processing(now(), 10);
    ASSERT_EQ(jobs.size(), 1u);
    EXPECT_EQ(jobs[0].id, b_);
    ASSERT_TRUE(queue_->hold(a_, now() + minutes(5), "check with the customer"));
    EXPECT_EQ(queue_->show(a_)->record.hold_reason, "check with the customer");
    ListFilter f;
    f.reason = "customer";
    EXPECT_EQ(ids(f), (std::vector<QueueId>{a_}));
}

TEST_F(AdminTest, DeleteRemovesWithoutNotice) {
    ASSERT_TRUE(queue_->remove(a_));
    queue_->run_maintenance();
    EXPECT_FALSE(queue_->show(a_));
    ListFilter f;
    f.sender = "<>";
    EXPECT_EQ(ids(f), (std::vector<QueueId>{c_}));
    open();
    EXPECT_FALSE(queue_->show(a_));
}

TEST_F(AdminTest, BounceSendsAnNdrNowAndRemoves) {
    ASSERT_TRUE(queue_->bounce(b_, "spam run"));
    queue_->run_maintenance();
    EXPECT_FALSE(queue_->show(b_));
    ListFilter f;
    f.sender = "<>";
    f.recipient = "carol@sales.example.org";
    auto list = queue_->list(f);
    ASSERT_EQ(list.size(), 1u);
    auto body = queue_->read_body(list[0].id);
    ASSERT_TRUE(body);
    EXPECT_NE(body->find("returned by the administrator: spam run"), std::string::npos);
    EXPECT_NE(body->find("Final-Recipient: rfc822; dave@example.com"), std::string::npos);
    EXPECT_NE(body->find("Final-Recipient: rfc822; erin@example.net"), std::string::npos);
    // A bounce of a bounce is just a removal.
    ASSERT_TRUE(queue_->bounce(c_, "x"));
    queue_->run_maintenance();
    EXPECT_FALSE(queue_->show(c_));
    EXPECT_EQ(queue_->list(f).size(), 1u);
}

}  // namespace
}  // namespace postern::queue::testing
