// Virtual queues: a destination that keeps failing is marked unavailable, its messages wait
// without being tried one by one, one probe at a time tests it with a doubling back-off, and
// once it answers every waiting message is flushed. Other destinations are not affected.
#include <gtest/gtest.h>

#include "queue_fixture.h"

namespace postern::queue::testing {
namespace {

using std::chrono::seconds;

class DestinationTest : public QueueTest {
  protected:
    void SetUp() override {
        QueueTest::SetUp();
        options_.destinations.failure_threshold = 3;
        options_.destinations.first_retry = seconds(60);
        options_.destinations.max_retry_interval = seconds(240);
        options_.delivery_retry.first_retry = seconds(30);
        options_.dsn.delay_after = seconds(0);
    }
    QueueId routed(const std::string& rcpt, unsigned seed) {
        auto id = enqueue_ok(make_envelope("a@example.org", {rcpt}), make_body(300, seed));
        process(id);
        return id;
    }
    void unreachable(const DeliveryJob& job) {
        DeliveryReport rep{false, "connect to mx.dead.test: refused", {}};
        for (const auto& r : job.recipients)
            rep.results.push_back({r.index, Outcome::temporary, "4.4.1", "connect refused", ""});
        ASSERT_TRUE(queue_->report_delivery(job.id, rep));
    }
    std::size_t jobs_for(const std::vector<DeliveryJob>& jobs, const std::string& dest) {
        std::size_t n = 0;
        for (const auto& j : jobs)
            n += j.destination == dest;
        return n;
    }
};

TEST_F(DestinationTest, DeadDestinationParksItsMessagesAndFlushesWhenBack) {
    open();
    std::vector<QueueId> dead;
    for (unsigned i = 0; i < 3; ++i)
        dead.push_back(routed("u" + std::to_string(i) + "@dead.test", i));
    auto other = routed("x@alive.test", 99);

    auto jobs = queue_->take_deliveries(Lane::remote, now(), 10);
    ASSERT_EQ(jobs.size(), 4u);
    for (const auto& j : jobs) {
        if (j.destination == "dead.test") {
            unreachable(j);
        } else {
            ASSERT_TRUE(queue_->report_delivery(
                j.id, {true, {}, {{0, Outcome::delivered, "", "250", "mx.alive.test"}}}));
        }
    }
    EXPECT_FALSE(queue_->show(other));  // delivered and gone
    auto ds = queue_->destinations();
    ASSERT_EQ(ds.size(), 1u);
    EXPECT_EQ(ds[0].name, "dead.test");
    EXPECT_FALSE(ds[0].available);
    EXPECT_EQ(ds[0].failures, 3u);
    EXPECT_EQ(ds[0].waiting, 3u);
    EXPECT_EQ(ds[0].last_error, "connect to mx.dead.test: refused");
    ASSERT_TRUE(ds[0].retry_at);
    EXPECT_EQ(*ds[0].retry_at, now() + seconds(60));

    // New mail for it waits too, without an attempt of its own; mail elsewhere flows.
    auto newcomer = routed("late@dead.test", 50);
    auto elsewhere = routed("y@alive.test", 51);
    advance(seconds(30));  // the messages' own retry time: still nothing for dead.test
    jobs = queue_->take_deliveries(Lane::remote, now(), 10);
    ASSERT_EQ(jobs.size(), 1u);
    EXPECT_EQ(jobs[0].id, elsewhere);
    EXPECT_EQ(queue_->show(newcomer)->record.recipients[0].attempts, 0u);
    EXPECT_EQ(queue_->show(newcomer)->record.recipients[0].state, RecipientState::deferred);
    EXPECT_EQ(queue_->destinations()[0].waiting, 4u);

    // Its back-off ran out: exactly one probe (the oldest message), and it fails again.
    advance(seconds(30));
    ASSERT_EQ(queue_->next_due(Lane::remote), now());
    jobs = queue_->take_deliveries(Lane::remote, now(), 10);
    ASSERT_EQ(jobs_for(jobs, "dead.test"), 1u);
    EXPECT_TRUE(jobs[0].probe);
    EXPECT_EQ(jobs[0].id, dead[0]);
    EXPECT_TRUE(queue_->take_deliveries(Lane::remote, now(), 10).empty());
    unreachable(jobs[0]);
    EXPECT_EQ(*queue_->destinations()[0].retry_at, now() + seconds(120));  // doubled

    // The next probe gets through: everything waiting is flushed at once.
    advance(seconds(120));
    jobs = queue_->take_deliveries(Lane::remote, now(), 10);
    ASSERT_EQ(jobs.size(), 1u);
    ASSERT_TRUE(jobs[0].probe);
    ASSERT_TRUE(queue_->report_delivery(
        jobs[0].id, {true, {}, {{0, Outcome::delivered, "", "250", "mx.dead.test"}}}));
    EXPECT_TRUE(queue_->destinations().empty() || queue_->destinations()[0].available);
    jobs = queue_->take_deliveries(Lane::remote, now(), 10);
    EXPECT_EQ(jobs_for(jobs, "dead.test"), 3u);  // dead[1], dead[2], newcomer
    for (const auto& j : jobs)
        EXPECT_FALSE(j.probe);
}

TEST_F(DestinationTest, UnreachableReportWithoutResultsDefersTheJob) {
    open();
    auto id = routed("u@dead.test", 1);
    auto jobs = queue_->take_deliveries(Lane::remote, now(), 10);
    ASSERT_EQ(jobs.size(), 1u);
    // A report that says it reached the server must say what happened to each recipient.
    EXPECT_FALSE(queue_->report_delivery(id, {true, {}, {}}));
    // SMTP-OUT when no MX answered: no results, only the reason.
    ASSERT_TRUE(
        queue_->report_delivery(id, {false, "mx.dead.test [192.0.2.1]: Connection refused", {}}));
    auto d = queue_->show(id);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->state, MessageState::send_failure);
    const auto& r = d->record.recipients.at(0);
    EXPECT_EQ(r.state, RecipientState::deferred);
    EXPECT_EQ(r.attempts, 1u);
    EXPECT_EQ(r.status, "4.4.1");
    EXPECT_EQ(r.diagnostic, "X-Postern; mx.dead.test [192.0.2.1]: Connection refused");
    EXPECT_EQ(r.next_attempt, to_unix_ms(now() + seconds(30)));
    auto ds = queue_->destinations();
    ASSERT_EQ(ds.size(), 1u);
    EXPECT_EQ(ds[0].failures, 1u);
    // A late duplicate finds nothing in flight: no change.
    ASSERT_TRUE(queue_->report_delivery(id, {false, "again", {}}));
    EXPECT_EQ(queue_->show(id)->record.recipients.at(0).attempts, 1u);
}

TEST_F(DestinationTest, UntriedReportLeavesTheDestinationAsItWas) {
    open();
    routed("u0@dead.test", 1);
    routed("u1@dead.test", 2);
    routed("u2@dead.test", 3);
    for (const auto& j : queue_->take_deliveries(Lane::remote, now(), 10))
        unreachable(j);
    ASSERT_FALSE(queue_->destinations().at(0).available);

    // The probe is deferred by onRelay before any host was contacted: that says nothing about
    // the destination, which stays unavailable with its failures, and nothing is flushed.
    advance(seconds(60));
    auto jobs = queue_->take_deliveries(Lane::remote, now(), 10);
    ASSERT_EQ(jobs.size(), 1u);
    ASSERT_TRUE(jobs[0].probe);
    const auto probe = jobs[0].id;
    DeliveryReport deferred{true, {}, {{0, Outcome::temporary, "4.7.1", "policy; 451 later", ""}}};
    deferred.tried = false;
    ASSERT_TRUE(queue_->report_delivery(probe, deferred));
    auto ds = queue_->destinations();
    ASSERT_EQ(ds.size(), 1u);
    EXPECT_FALSE(ds[0].available);
    EXPECT_EQ(ds[0].failures, 3u);
    auto shown = queue_->show(probe);
    ASSERT_TRUE(shown);
    const auto& r = shown->record.recipients.at(0);
    EXPECT_EQ(r.state, RecipientState::deferred);
    EXPECT_EQ(r.status, "4.7.1");
    ASSERT_TRUE(ds[0].retry_at);
    EXPECT_EQ(*ds[0].retry_at, now() + seconds(60));  // the same back-off, not doubled
    EXPECT_TRUE(queue_->take_deliveries(Lane::remote, now(), 10).empty());
    advance(seconds(60));
    jobs = queue_->take_deliveries(Lane::remote, now(), 10);
    ASSERT_EQ(jobs.size(), 1u);
    EXPECT_TRUE(jobs[0].probe);
}

TEST_F(DestinationTest, ReportWithoutResultsMustNameOneDestination) {
    open();
    auto id = enqueue_ok(make_envelope("a@example.org", {"u@dead.test", "v@other.test"}),
                         make_body(300, 7));
    process(id);
    auto jobs = queue_->take_deliveries(Lane::remote, now(), 10);
    ASSERT_EQ(jobs.size(), 2u);
    auto st = queue_->report_delivery(id, {false, "refused", {}});
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, Errc::invalid_argument);
    // With results the destination is known, and the other job is still in flight.
    for (const auto& j : jobs)
        unreachable(j);
    auto d = queue_->show(id);
    ASSERT_TRUE(d);
    for (const auto& r : d->record.recipients)
        EXPECT_EQ(r.state, RecipientState::deferred) << r.address;
}

TEST_F(DestinationTest, AdminAndConsumerCanMarkUpAndDown) {
    open();
    auto id = routed("u@slow.test", 1);
    queue_->destination_down(Lane::remote, "SLOW.test", "maintenance window");
    EXPECT_TRUE(queue_->take_deliveries(Lane::remote, now(), 10).empty());
    EXPECT_EQ(queue_->destinations()[0].waiting, 1u);
    queue_->destination_up(Lane::remote, "slow.test");
    auto jobs = queue_->take_deliveries(Lane::remote, now(), 10);
    ASSERT_EQ(jobs.size(), 1u);
    EXPECT_EQ(jobs[0].id, id);
}

TEST_F(DestinationTest, RetryNowProbesAParkedMessage) {
    open();
    auto id = routed("u@slow.test", 2);
    queue_->destination_down(Lane::remote, "slow.test", "down");
    EXPECT_TRUE(queue_->take_deliveries(Lane::remote, now(), 10).empty());
    ASSERT_TRUE(queue_->retry_now(id));
    auto jobs = queue_->take_deliveries(Lane::remote, now(), 10);
    ASSERT_EQ(jobs.size(), 1u);
    EXPECT_TRUE(jobs[0].probe);
}

TEST_F(DestinationTest, ParkedMessagesStillExpire) {
    options_.delivery_retry.max_age = std::chrono::hours(1);
    open();
    auto id = routed("u@dead.test", 3);
    queue_->destination_down(Lane::remote, "dead.test", "down");
    EXPECT_TRUE(queue_->take_deliveries(Lane::remote, now(), 10).empty());
    advance(std::chrono::hours(1));
    auto jobs = queue_->take_deliveries(Lane::remote, now(), 10);
    EXPECT_EQ(jobs_for(jobs, "dead.test"), 0u);
    queue_->run_maintenance();
    EXPECT_FALSE(queue_->show(id));
    EXPECT_TRUE(sink_->contains(id.str() + ": to=<u@dead.test> given up after 0 attempts"));
}

TEST_F(DestinationTest, LocalDeliveryHasAVirtualQueueToo) {
    open();
    auto id = enqueue_ok(make_envelope("a@example.org", {"me@example.org"}), make_body(300, 4));
    process(id, Disposition::local);
    for (int i = 0; i < 3; ++i) {
        auto jobs = queue_->take_deliveries(Lane::local, now(), 10);
        ASSERT_EQ(jobs.size(), 1u) << i;
        EXPECT_EQ(jobs[0].destination, "");
        ASSERT_TRUE(queue_->report_delivery(
            id,
            {false, "store unavailable", {{0, Outcome::temporary, "4.3.0", "store down", ""}}}));
        advance(seconds(30 << i));
    }
    auto ds = queue_->destinations();
    ASSERT_EQ(ds.size(), 1u);
    EXPECT_EQ(ds[0].lane, Lane::local);
    EXPECT_FALSE(ds[0].available);
}

}  // namespace
}  // namespace postern::queue::testing
