// The queue's notice hook (Queue::set_notice_policy), through which the policy script's
// onDeliveryFailure / onTemporaryDeliveryFailure replace a notice's text or drop it.
#include "queue_fixture.h"

namespace postern::queue::testing {
namespace {

std::vector<std::string> notices(Queue& q) {
    ListFilter f;
    f.sender = "<>";
    std::vector<std::string> out;
    for (const auto& s : q.list(f)) {
        if (auto body = q.read_body(s.id))
            out.push_back(*body);
    }
    return out;
}

TEST_F(QueueTest, NoticePolicyReplacesTheFailureTextAndSeesTheFacts) {
    open();
    std::vector<NoticeFacts> seen;
    queue_->set_notice_policy([&seen](const QueueId&, const NoticeFacts& facts) {
        seen.push_back(facts);
        return NoticeVerdict{false, std::string("Custom text from the policy.\r\nSecond line.")};
    });
    auto id = enqueue_ok(make_envelope("a@example.org", {"b@example.net", "c@example.net"}),
                         make_body(500, 21));
    process(id);
    auto jobs = queue_->take_deliveries(Lane::remote, now(), 10);
    ASSERT_EQ(jobs.size(), 1u);
    ASSERT_TRUE(queue_->report_delivery(
        id,
        {true,
         {},
         {{0, Outcome::permanent, "5.1.1", "smtp; 550 5.1.1 no such user", "mx.example.net"},
          {1, Outcome::permanent, "5.1.1", "smtp; 550 5.1.1 no such user", "mx.example.net"}}}));
    queue_->run_maintenance();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_TRUE(seen[0].failure);
    EXPECT_EQ(seen[0].sender, "a@example.org");
    EXPECT_EQ(seen[0].recipients, (std::vector<std::string>{"b@example.net", "c@example.net"}));
    EXPECT_EQ(seen[0].domain, "example.net");
    EXPECT_EQ(seen[0].remote_mta, "mx.example.net");
    EXPECT_EQ(seen[0].diagnostic, "smtp; 550 5.1.1 no such user");
    EXPECT_EQ(seen[0].attempts, 1u);
    auto sent = notices(*queue_);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_NE(sent[0].find("Custom text from the policy.\r\nSecond line."), std::string::npos);
    EXPECT_NE(sent[0].find("Action: failed"), std::string::npos);  // the report part is unchanged
}

TEST_F(QueueTest, NoticePolicyDiscardSendsNothingAndFinishesTheMessage) {
    options_.delivery_retry.first_retry = std::chrono::hours(1);
    options_.dsn.delay_after = std::chrono::minutes(30);
    open();
    std::vector<bool> kinds;
    queue_->set_notice_policy([&kinds](const QueueId&, const NoticeFacts& facts) {
        kinds.push_back(facts.failure);
        return NoticeVerdict{true, std::nullopt};
    });
    auto id = enqueue_ok(make_envelope("a@example.org", {"b@example.net"}), make_body(500, 22));
    process(id);
    auto jobs = queue_->take_deliveries(Lane::remote, now(), 10);
    ASSERT_EQ(jobs.size(), 1u);
    ASSERT_TRUE(queue_->report_delivery(
        id, {true, {}, {{0, Outcome::temporary, "4.4.1", "smtp; 451 later", "mx"}}}));
    advance(std::chrono::minutes(31));
    EXPECT_TRUE(
        queue_->take_deliveries(Lane::remote, now(), 10).empty());  // marks the delay notice due
    queue_->run_maintenance();
    EXPECT_EQ(kinds, (std::vector<bool>{false}));  // the delay notice was asked about
    EXPECT_TRUE(notices(*queue_).empty());
    EXPECT_TRUE(sink_->contains("delay notification for <b@example.net> discarded by policy"));
    EXPECT_TRUE(queue_->show(id));  // still queued for its retry
}

}  // namespace
}  // namespace postern::queue::testing
