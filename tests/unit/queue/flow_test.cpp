// A message's way through the queue: receive, durable commit, processing (routing, filters,
// expansion), local and remote delivery with retries, notifications, and removal.
#include <filesystem>

#include <gtest/gtest.h>

#include "queue/retry.h"
#include "queue_fixture.h"

namespace postern::queue::testing {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

std::size_t count_files(const std::filesystem::path& dir, std::string_view suffix) {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
        if (e.path().string().ends_with(suffix))
            ++n;
    return n;
}

// The notifications queued so far (messages from <> flagged as ours), with their bodies.
std::vector<std::string> notices(Queue& q) {
    ListFilter f;
    f.sender = "<>";
    std::vector<std::string> out;
    for (const auto& s : q.list(f)) {
        auto body = q.read_body(s.id);
        EXPECT_TRUE(body);
        if (body)
            out.push_back(*body);
    }
    return out;
}

TEST_F(QueueTest, CommitIsDurableAndSurvivesReopen) {
    open();
    auto body = make_body(10240, 1);
    auto env = make_envelope("alice@example.org", {"bob@example.net", "carol@example.com"});
    env.envid = "ENV1";
    env.ret = Ret::headers;
    env.smtputf8 = true;
    env.body_type = BodyType::eight_bit_mime;
    env.client.auth_user = "alice";
    env.client.tls = "TLSv1.3";
    env.recipients[0].orcpt = "rfc822;Bob@Example.NET";
    env.recipients[0].notify = notify::success | notify::failure;
    auto id = enqueue_ok(env, body);
    EXPECT_EQ(count_files(dir_, ".body"), 1u);
    EXPECT_EQ(count_files(dir_, ".status"), 1u);
    EXPECT_EQ(count_files(dir_, ".tmp"), 0u);
    EXPECT_TRUE(sink_->contains(id.str() + ": queued from=<alice@example.org> size=10240 nrcpt=2"));

    open();  // reopen
    EXPECT_EQ(queue_->recovery().messages, 1u);
    auto d = queue_->show(id);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->state, MessageState::received);
    const auto& r = d->record;
    EXPECT_EQ(r.sender, "alice@example.org");
    EXPECT_EQ(r.envid, "ENV1");
    EXPECT_EQ(r.ret, Ret::headers);
    EXPECT_TRUE(r.smtputf8);
    EXPECT_EQ(r.body_type, BodyType::eight_bit_mime);
    EXPECT_EQ(r.client.ip, "192.0.2.7");
    EXPECT_EQ(r.client.auth_user, "alice");
    EXPECT_EQ(r.client.session, "0000001A");
    EXPECT_EQ(r.size, body.size());
    EXPECT_EQ(r.received_at, now_ms_.load());
    ASSERT_EQ(r.recipients.size(), 2u);
    EXPECT_EQ(r.recipients[0].orcpt, "rfc822;Bob@Example.NET");
    EXPECT_EQ(r.recipients[0].notify, notify::success | notify::failure);
    EXPECT_EQ(r.recipients[1].state, RecipientState::pending);
    auto back = queue_->read_body(id);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, body);
}

TEST_F(QueueTest, LargeBodiesSpillToDiskWhileStreaming) {
    options_.buffer_bytes = 4096;
    open();
    auto body = make_body(300 * 1024, 2);
    auto w = queue_->begin_message();
    EXPECT_FALSE(w->will_write(100));
    for (std::size_t pos = 0; pos < body.size(); pos += 1000)
        ASSERT_TRUE(w->append(std::string_view(body).substr(pos, 1000)));
    EXPECT_TRUE(w->will_write(1));
    EXPECT_EQ(w->size(), body.size());
    EXPECT_EQ(queue_->counts().by_state[static_cast<std::size_t>(MessageState::incoming)], 1u);
    std::promise<Result<QueueId>> done;
    w->commit(make_envelope("a@example.org", {"b@example.net"}),
              [&](Result<QueueId> r) { done.set_value(r); });
    auto id = done.get_future().get();
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, w->id());
    EXPECT_EQ(*queue_->read_body(*id), body);
    EXPECT_EQ(queue_->counts().by_state[static_cast<std::size_t>(MessageState::incoming)], 0u);
}

TEST_F(QueueTest, AbortAndRefusedCommitsLeaveNothing) {
    options_.buffer_bytes = 10;
    options_.max_message_size = 1000;
    open();
    {
        auto w = queue_->begin_message();
        ASSERT_TRUE(w->append(make_body(500, 3)));  // spilled to disk already
        EXPECT_EQ(count_files(dir_, ".body"), 1u);
        w->abort();
    }
    { auto dropped = queue_->begin_message(); }  // destroyed without commit
    {
        auto w = queue_->begin_message();
        ASSERT_TRUE(w->append("x"));
        std::promise<Result<QueueId>> done;
        w->commit(make_envelope("a@b", {}), [&](Result<QueueId> r) { done.set_value(r); });
        auto r = done.get_future().get();
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, Errc::invalid_argument);
    }
    {
        auto w = queue_->begin_message();
        auto s = w->append(std::string(1001, 'x'));
        ASSERT_FALSE(s);
        EXPECT_EQ(s.error().code, Errc::limit_exceeded);
        std::promise<Result<QueueId>> done;
        w->commit(make_envelope("a@b", {"c@d"}), [&](Result<QueueId> r) { done.set_value(r); });
        EXPECT_FALSE(done.get_future().get());
    }
    queue_->sync();
    EXPECT_EQ(count_files(dir_, ".body"), 0u);
    EXPECT_EQ(count_files(dir_, ".status"), 0u);
    EXPECT_EQ(queue_->counts().messages, 0u);
    EXPECT_EQ(queue_->counts().by_state[static_cast<std::size_t>(MessageState::incoming)], 0u);
}

TEST_F(QueueTest, ProcessingRoutesRejectsDiscardsAndNotifies) {
    open();
    std::vector<Lane> woken;
    queue_->set_due_listener([&](Lane l) { woken.push_back(l); });
    auto id =
        enqueue_ok(make_envelope("alice@example.org", {"local@example.org", "far@example.net",
                                                       "spam@example.org", "quiet@example.org"}),
                   make_body(2000, 4, "Hello there"));
    ASSERT_FALSE(woken.empty());
    EXPECT_EQ(woken.back(), Lane::processing);
    EXPECT_EQ(state(id), MessageState::received);

    auto jobs = queue_->take_processing(now(), 10);
    ASSERT_EQ(jobs.size(), 1u);
    EXPECT_EQ(jobs[0].id, id);
    EXPECT_EQ(jobs[0].attempt, 1u);
    EXPECT_EQ(jobs[0].recipients.size(), 4u);
    EXPECT_EQ(state(id), MessageState::processing);
    EXPECT_TRUE(queue_->take_processing(now(), 10).empty());  // leased

    ProcessingResult pr;
    pr.decisions = {{0, Disposition::local, {}, {}, {}, {}, "Junk"},
                    {1, Disposition::remote, {}, {}, {}, {}, "ignored for remote"},
                    {2, Disposition::reject, {}, {}, "5.7.1", "spam detected"},
                    {3, Disposition::discard, {}, {}, {}, "sieve discard"}};
    pr.header_prefix = "X-Spam-Status: No\r\n";
    pr.remove_headers = {"X-Spam-Status"};
    // Missing decisions are refused without changing anything.
    ProcessingResult partial;
    partial.decisions = {pr.decisions[0]};
    EXPECT_EQ(queue_->complete_processing(id, partial).error().code, Errc::invalid_argument);
    ASSERT_TRUE(queue_->complete_processing(id, pr));
    EXPECT_EQ(state(id), MessageState::processed);

    auto local = queue_->take_deliveries(Lane::local, now(), 10);
    ASSERT_EQ(local.size(), 1u);
    EXPECT_EQ(local[0].recipients.size(), 1u);
    EXPECT_EQ(local[0].header_prefix, "X-Spam-Status: No\r\n");
    EXPECT_EQ(local[0].remove_headers, std::vector<std::string>{"X-Spam-Status"});
    EXPECT_EQ(local[0].recipients[0].mailbox, "Junk");
    EXPECT_TRUE(std::filesystem::exists(local[0].body_path));
    auto remote = queue_->take_deliveries(Lane::remote, now(), 10);
    ASSERT_EQ(remote.size(), 1u);
    EXPECT_EQ(remote[0].destination, "example.net");
    EXPECT_EQ(remote[0].recipients[0].mailbox, "");
    EXPECT_EQ(remote[0].remove_headers, std::vector<std::string>{"X-Spam-Status"});
    EXPECT_FALSE(remote[0].probe);
    EXPECT_EQ(state(id), MessageState::sending);

    ASSERT_TRUE(queue_->report_delivery(
        id,
        {true, {}, {{local[0].recipients[0].index, Outcome::delivered, "2.0.0", "stored", {}}}}));
    ASSERT_TRUE(queue_->report_delivery(id, {true,
                                             {},
                                             {{remote[0].recipients[0].index, Outcome::delivered,
                                               "2.0.0", "smtp; 250 ok", "mx.example.net"}}}));
    // Finished, but the rejected recipient's NDR is still to be sent.
    EXPECT_EQ(state(id), MessageState::filter_reject);
    queue_->run_maintenance();
    EXPECT_EQ(state(id), MessageState::removed);  // gone from the queue
    auto sent = notices(*queue_);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_NE(sent[0].find("Final-Recipient: rfc822; spam@example.org"), std::string::npos);
    EXPECT_NE(sent[0].find("Status: 5.7.1"), std::string::npos);
    EXPECT_EQ(sent[0].find("quiet@example.org"), std::string::npos);     // discarded silently
    EXPECT_NE(sent[0].find("Subject: Hello there"), std::string::npos);  // returned headers
    EXPECT_NE(sent[0].find("To: <alice@example.org>"), std::string::npos);
    EXPECT_TRUE(sink_->contains(id.str() + ": to=<spam@example.org> rejected by filter"));
    EXPECT_TRUE(sink_->contains(id.str() + ": removed from queue (filter_reject)"));

    // The notification is itself a queued message from <> that PROCESSING sees as one.
    auto dsn_jobs = queue_->take_processing(now(), 10);
    ASSERT_EQ(dsn_jobs.size(), 1u);
    EXPECT_TRUE(dsn_jobs[0].is_notification);
    EXPECT_EQ(dsn_jobs[0].sender, "");
    EXPECT_EQ(dsn_jobs[0].recipients[0].address, "alice@example.org");
    EXPECT_EQ(dsn_jobs[0].client.session, id.str());  // ties it to the original in the log
}

TEST_F(QueueTest, FiltersChangeTheSenderAndAddRecipientsDurably) {
    open();
    auto id = enqueue_ok(make_envelope("a@example.org", {"b@example.org"}, notify::failure),
                         make_body(500, 5));
    auto jobs = queue_->take_processing(now(), 10);
    ASSERT_EQ(jobs.size(), 1u);
    ProcessingResult pr;
    pr.decisions = {{0, Disposition::local, {}, {}, {}, {}}};
    pr.sender = "changed@example.org";
    pr.added = {{0, Disposition::remote, "added@example.net", "example.net", {}, {}}};
    // An added recipient needs a route that delivers.
    ProcessingResult bad = pr;
    bad.added[0].disposition = Disposition::reject;
    EXPECT_EQ(queue_->complete_processing(id, bad).error().code, Errc::invalid_argument);
    ASSERT_TRUE(queue_->complete_processing(id, pr));
    for (int round = 0; round < 2; ++round) {
        auto d = queue_->show(id);
        ASSERT_TRUE(d);
        EXPECT_EQ(d->record.sender, "changed@example.org");
        const auto& rs = d->record.recipients;
        ASSERT_EQ(rs.size(), 2u);
        EXPECT_EQ(rs[1].address, "added@example.net");
        EXPECT_EQ(rs[1].lane, Lane::remote);
        EXPECT_EQ(rs[1].parent, kNoParent);
        EXPECT_EQ(rs[1].orcpt, "");
        EXPECT_EQ(rs[1].notify, 0u);
        open();  // the changes are durable, also through later updates
    }
    auto remote = queue_->take_deliveries(Lane::remote, now(), 10);
    ASSERT_EQ(remote.size(), 1u);
    EXPECT_EQ(remote[0].sender, "changed@example.org");
    EXPECT_EQ(remote[0].recipients[0].address, "added@example.net");
    ASSERT_TRUE(queue_->report_delivery(
        id,
        {true, {}, {{remote[0].recipients[0].index, Outcome::temporary, "4.0.0", "later", {}}}}));
    open();
    EXPECT_EQ(queue_->show(id)->record.sender, "changed@example.org");
    EXPECT_TRUE(sink_->contains(id.str() + ": sender <a@example.org> changed to "
                                           "<changed@example.org> by a filter"));
}

TEST_F(QueueTest, ExpansionKeepsOriginalRecipientAndNotify) {
    open();
    auto env =
        make_envelope("a@example.org", {"list@example.org"}, notify::failure | notify::delay);
    auto id = enqueue_ok(env, make_body(500, 5));
    auto jobs = queue_->take_processing(now(), 10);
    ASSERT_EQ(jobs.size(), 1u);
    ProcessingResult pr;
    pr.decisions = {{0, Disposition::local, "u1@example.org", {}, {}, {}},
                    {0, Disposition::remote, "u2@example.net", "[relay.example]", {}, {}}};
    ASSERT_TRUE(queue_->complete_processing(id, pr));
    open();  // the expansion is durable
    auto d = queue_->show(id);
    ASSERT_TRUE(d);
    const auto& rs = d->record.recipients;
    ASSERT_EQ(rs.size(), 3u);
    EXPECT_EQ(rs[0].state, RecipientState::expanded);
    EXPECT_EQ(rs[1].address, "u1@example.org");
    EXPECT_EQ(rs[1].lane, Lane::local);
    EXPECT_EQ(rs[1].orcpt, "rfc822;list@example.org");
    EXPECT_EQ(rs[1].notify, notify::failure | notify::delay);
    EXPECT_EQ(rs[1].parent, 0u);
    EXPECT_EQ(rs[2].destination, "[relay.example]");
    EXPECT_EQ(rs[2].state, RecipientState::queued);
    auto remote = queue_->take_deliveries(Lane::remote, now(), 10);
    ASSERT_EQ(remote.size(), 1u);
    EXPECT_EQ(remote[0].destination, "[relay.example]");
    EXPECT_EQ(remote[0].recipients[0].orcpt, "rfc822;list@example.org");
}

TEST_F(QueueTest, TemporaryFailuresBackOffThenGiveUpWithAnNdr) {
    options_.delivery_retry.first_retry = seconds(60);
    options_.delivery_retry.max_retry_interval = seconds(300);
    options_.delivery_retry.max_attempts = 4;
    options_.dsn.delay_after = seconds(0);
    open();
    auto id = enqueue_ok(make_envelope("a@example.org", {"b@example.net"}), make_body(800, 6));
    process(id);
    std::vector<std::int64_t> waits;
    for (int attempt = 1; attempt <= 4; ++attempt) {
        auto jobs = queue_->take_deliveries(Lane::remote, now(), 10);
        ASSERT_EQ(jobs.size(), 1u) << attempt;
        EXPECT_EQ(jobs[0].recipients[0].attempts, static_cast<std::uint32_t>(attempt - 1));
        ASSERT_TRUE(
            queue_->report_delivery(id, {true,
                                         {},
                                         {{jobs[0].recipients[0].index, Outcome::temporary, "4.4.1",
                                           "smtp; 451 4.4.1 try later", "mx.example.net"}}}));
        if (attempt == 4)
            break;
        EXPECT_EQ(state(id), MessageState::send_failure);
        auto next = queue_->next_due(Lane::remote);
        ASSERT_TRUE(next);
        waits.push_back(std::chrono::duration_cast<seconds>(*next - now()).count());
        EXPECT_TRUE(queue_->take_deliveries(Lane::remote, now(), 10).empty());  // not yet
        now_ms_ = to_unix_ms(*next);
    }
    EXPECT_EQ(waits, (std::vector<std::int64_t>{60, 120, 240}));
    EXPECT_EQ(state(id), MessageState::relay_error);
    queue_->run_maintenance();
    auto sent = notices(*queue_);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_NE(sent[0].find("Action: failed"), std::string::npos);
    EXPECT_NE(sent[0].find("Status: 4.4.1"), std::string::npos);
    EXPECT_NE(sent[0].find("Diagnostic-Code: smtp; 451 4.4.1 try later"), std::string::npos);
    EXPECT_NE(sent[0].find("Remote-MTA: dns; mx.example.net"), std::string::npos);
    EXPECT_FALSE(queue_->show(id));
}

TEST_F(QueueTest, MaxAgeExpiresAndDelayNoticeComesOnce) {
    options_.delivery_retry.first_retry = std::chrono::hours(1);
    options_.delivery_retry.max_age = std::chrono::hours(2);
    options_.dsn.delay_after = minutes(30);
    open();
    auto env = make_envelope("a@example.org", {"b@example.net"});
    env.envid = "ENV-42";
    auto id = enqueue_ok(env, make_body(800, 7));
    process(id);
    auto jobs = queue_->take_deliveries(Lane::remote, now(), 10);
    ASSERT_EQ(jobs.size(), 1u);
    ASSERT_TRUE(queue_->report_delivery(
        id, {true, {}, {{0, Outcome::temporary, "4.2.0", "smtp; 452 busy", "mx"}}}));
    // The delay notice is scheduled: next_due says when.
    advance(minutes(31));
    EXPECT_TRUE(queue_->take_deliveries(Lane::remote, now(), 10).empty());
    queue_->run_maintenance();
    auto sent = notices(*queue_);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_NE(sent[0].find("Action: delayed"), std::string::npos);
    EXPECT_NE(sent[0].find("Will-Retry-Until:"), std::string::npos);
    EXPECT_NE(sent[0].find("Original-Envelope-Id: ENV-42"), std::string::npos);
    for (int i = 0; i < 10; ++i) {
        advance(minutes(10));
        for (const auto& j : queue_->take_deliveries(Lane::remote, now(), 10))
            ASSERT_TRUE(queue_->report_delivery(id, {true,
                                                     {},
                                                     {{j.recipients[0].index, Outcome::temporary,
                                                       "4.2.0", "smtp; 452 busy", "mx"}}}));
        queue_->run_maintenance();
    }
    EXPECT_FALSE(queue_->show(id));  // expired after 2 hours
    sent = notices(*queue_);
    ASSERT_EQ(sent.size(), 2u);  // one delay notice, one failure: no more
    EXPECT_NE(sent[1].find("Action: failed"), std::string::npos);
}

TEST_F(QueueTest, NeverBounceABounceAndHonourNotifyNever) {
    open();
    auto bounce = enqueue_ok(make_envelope("", {"gone@example.net"}), make_body(400, 8));
    auto quiet = enqueue_ok(make_envelope("a@example.org", {"gone@example.net"}, notify::never),
                            make_body(400, 9));
    process(bounce);
    process(quiet);
    auto jobs = queue_->take_deliveries(Lane::remote, now(), 10);
    ASSERT_EQ(jobs.size(), 2u);
    for (const auto& j : jobs)
        ASSERT_TRUE(queue_->report_delivery(
            j.id, {true, {}, {{0, Outcome::permanent, "5.1.1", "smtp; 550 no", "mx"}}}));
    queue_->run_maintenance();
    EXPECT_TRUE(notices(*queue_).empty());
    EXPECT_FALSE(queue_->show(bounce));
    EXPECT_FALSE(queue_->show(quiet));
    EXPECT_TRUE(sink_->contains(
        bounce.str() +
        ": to=<gone@example.net> no notification: the message came from the null sender"));
}

TEST_F(QueueTest, SuccessNoticesForLocalDeliveryAndRelayed) {
    open();
    auto id = enqueue_ok(
        make_envelope("a@example.org", {"me@example.org", "you@example.net", "them@example.com"},
                      notify::success | notify::failure),
        make_body(400, 10));
    auto jobs = queue_->take_processing(now(), 10);
    ASSERT_EQ(jobs.size(), 1u);
    ProcessingResult pr;
    pr.decisions = {{0, Disposition::local, {}, {}, {}, {}},
                    {1, Disposition::remote, {}, {}, {}, {}},
                    {2, Disposition::remote, {}, {}, {}, {}}};
    ASSERT_TRUE(queue_->complete_processing(id, pr));
    ASSERT_TRUE(queue_->report_delivery(id, {true, {}, {{0, Outcome::delivered, "", "", {}}}}));
    auto remote = queue_->take_deliveries(Lane::remote, now(), 10);
    ASSERT_EQ(remote.size(), 2u);
    ASSERT_TRUE(queue_->report_delivery(
        id, {true, {}, {{1, Outcome::relayed, "2.0.0", "smtp; 250 ok", "mx.example.net"}}}));
    // Delivered to a DSN-capable next hop: it, not we, reports success.
    ASSERT_TRUE(queue_->report_delivery(
        id, {true, {}, {{2, Outcome::delivered, "2.0.0", "smtp; 250 ok", "mx.example.com"}}}));
    queue_->run_maintenance();
    auto sent = notices(*queue_);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_NE(sent[0].find("Final-Recipient: rfc822; me@example.org\r\nAction: delivered"),
              std::string::npos);
    EXPECT_NE(sent[0].find("Final-Recipient: rfc822; you@example.net\r\nAction: relayed"),
              std::string::npos);
    EXPECT_EQ(sent[0].find("them@example.com"), std::string::npos);
    EXPECT_NE(sent[0].find("Successful Mail Delivery Report"), std::string::npos);
}

TEST_F(QueueTest, DelayRulesHoldUntilTheirTime) {
    DelayRule undo;
    undo.name = "undo-send";
    undo.sender = "*@sales.example.org";
    undo.hold_for = minutes(10);
    options_.delay_rules.push_back(undo);
    open();
    auto held_id =
        enqueue_ok(make_envelope("bob@sales.example.org", {"x@example.net"}), make_body(300, 11));
    auto free_id =
        enqueue_ok(make_envelope("bob@example.org", {"x@example.net"}), make_body(300, 12));
    EXPECT_EQ(state(held_id), MessageState::held);
    auto jobs = queue_->take_processing(now(), 10);
    ASSERT_EQ(jobs.size(), 1u);
    EXPECT_EQ(jobs[0].id, free_id);
    auto d = queue_->show(held_id);
    EXPECT_EQ(d->record.hold_reason, "rule undo-send");
    EXPECT_EQ(d->record.hold_until, now_ms_.load() + 600'000);
    advance(minutes(9));
    EXPECT_TRUE(queue_->take_processing(now(), 10).empty());
    advance(minutes(1));
    jobs = queue_->take_processing(now(), 10);
    ASSERT_EQ(jobs.size(), 1u);
    EXPECT_EQ(jobs[0].id, held_id);
}

TEST_F(QueueTest, LeasesRunOutAndWorkComesBack) {
    options_.lease_timeout = seconds(300);
    open();
    auto id = enqueue_ok(make_envelope("a@example.org", {"b@example.net"}), make_body(300, 13));
    ASSERT_EQ(queue_->take_processing(now(), 10).size(), 1u);
    advance(seconds(299));
    EXPECT_TRUE(queue_->take_processing(now(), 10).empty());
    advance(seconds(1));
    auto again = queue_->take_processing(now(), 10);
    ASSERT_EQ(again.size(), 1u);
    ProcessingResult pr;
    pr.decisions = {{0, Disposition::remote, {}, {}, {}, {}}};
    ASSERT_TRUE(queue_->complete_processing(id, pr));
    ASSERT_EQ(queue_->take_deliveries(Lane::remote, now(), 10).size(), 1u);
    advance(seconds(300));
    auto retried = queue_->take_deliveries(Lane::remote, now(), 10);
    ASSERT_EQ(retried.size(), 1u);
    EXPECT_TRUE(sink_->contains("delivery lease expired without a report"));
    // A late report of the first try still counts once.
    ASSERT_TRUE(
        queue_->report_delivery(id, {true, {}, {{0, Outcome::delivered, "", "smtp; 250", "mx"}}}));
    ASSERT_TRUE(
        queue_->report_delivery(id, {true, {}, {{0, Outcome::delivered, "", "smtp; 250", "mx"}}})
            .error()
            .code == Errc::not_found);
}

TEST_F(QueueTest, ProcessingRetriesThenFails) {
    options_.processing_retry.first_retry = seconds(60);
    options_.processing_retry.max_attempts = 3;
    open();
    auto id = enqueue_ok(make_envelope("a@example.org", {"b@example.org"}), make_body(300, 14));
    for (int i = 0; i < 3; ++i) {
        auto jobs = queue_->take_processing(now(), 10);
        ASSERT_EQ(jobs.size(), 1u) << i;
        EXPECT_EQ(jobs[0].attempt, static_cast<std::uint32_t>(i + 1));
        ASSERT_TRUE(queue_->defer_processing(id, "antivirus did not answer"));
        advance(std::chrono::hours(1));
    }
    EXPECT_FALSE(queue_->show(id) && queue_->show(id)->state != MessageState::local_error);
    queue_->run_maintenance();
    auto sent = notices(*queue_);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_NE(sent[0].find("processing failed too often: antivirus"), std::string::npos);
}

TEST_F(QueueTest, ResumeProcessingWakesOnlyMessagesDeferredForThatFilter) {
    open();
    auto a = enqueue_ok(make_envelope("a@example.org", {"b@example.org"}), make_body(300, 21));
    auto b = enqueue_ok(make_envelope("a@example.org", {"c@example.org"}), make_body(300, 22));
    auto jobs = queue_->take_processing(now(), 10);
    ASSERT_EQ(jobs.size(), 2u);
    EXPECT_EQ(queue_->resume_processing("scanner av unavailable"), 0u);  // both leased
    ASSERT_TRUE(queue_->defer_processing(a, "filter server/av failed: scanner av unavailable: x",
                                         std::chrono::seconds(60)));
    ASSERT_TRUE(queue_->defer_processing(b, "directory: busy", std::chrono::seconds(60)));
    EXPECT_TRUE(queue_->take_processing(now(), 10).empty());
    std::vector<Lane> woken;
    queue_->set_due_listener([&](Lane l) { woken.push_back(l); });
    EXPECT_EQ(queue_->resume_processing("scanner av unavailable"), 1u);
    EXPECT_EQ(woken, std::vector<Lane>{Lane::processing});
    auto again = queue_->take_processing(now(), 10);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].id, a);
    EXPECT_EQ(queue_->resume_processing("scanner av unavailable"), 0u);  // leased again
}

TEST_F(QueueTest, ScheduleStaysBoundedUnderChurn) {
    options_.subdirectories = 1;
    open();
    for (unsigned i = 0; i < 1500; ++i) {
        auto id = enqueue_ok(make_envelope("a@example.org", {"b@example.net"}), make_body(100, i));
        process(id);
        auto jobs = queue_->take_deliveries(Lane::remote, now(), 10);
        ASSERT_EQ(jobs.size(), 1u);
        // Each finished message leaves superseded lease-end entries behind.
        ASSERT_TRUE(
            queue_->report_delivery(id, {true, {}, {{0, Outcome::delivered, "", "250", "mx"}}}));
    }
    auto c = queue_->counts();
    EXPECT_EQ(c.messages, 0u);
    EXPECT_LE(c.scheduled_entries, 2u * (2 * 1 + 1024));
    EXPECT_GT(c.scheduled_entries, 0u);
}

TEST_F(QueueTest, MessageStatesOnlyChangeAlongAllowedTransitions) {
    options_.delivery_retry.first_retry = seconds(10);
    open();
    auto id = enqueue_ok(make_envelope("a@example.org", {"b@example.net", "c@example.org"}),
                         make_body(300, 15));
    std::vector<MessageState> seen = {state(id)};
    auto look = [&] {
        auto s = state(id);
        if (s != seen.back())
            seen.push_back(s);
    };
    queue_->hold(id);
    look();
    queue_->release(id);
    look();
    auto jobs = queue_->take_processing(now(), 10);
    look();
    ProcessingResult pr;
    pr.decisions = {{0, Disposition::remote, {}, {}, {}, {}},
                    {1, Disposition::local, {}, {}, {}, {}}};
    ASSERT_TRUE(queue_->complete_processing(id, pr));
    look();
    auto r = queue_->take_deliveries(Lane::remote, now(), 10);
    look();
    ASSERT_TRUE(queue_->report_delivery(
        id, {false, "connect refused", {{0, Outcome::temporary, "4.4.1", "connect refused", ""}}}));
    look();
    advance(seconds(10));
    r = queue_->take_deliveries(Lane::remote, now(), 10);
    look();
    ASSERT_TRUE(
        queue_->report_delivery(id, {true, {}, {{0, Outcome::delivered, "2.0.0", "250", "mx"}}}));
    look();
    auto l = queue_->take_deliveries(Lane::local, now(), 10);
    look();
    ASSERT_TRUE(
        queue_->report_delivery(id, {true, {}, {{1, Outcome::delivered, "2.0.0", "stored", ""}}}));
    look();
    EXPECT_EQ(seen, (std::vector<MessageState>{
                        MessageState::received, MessageState::held, MessageState::received,
                        MessageState::processing, MessageState::processed, MessageState::sending,
                        MessageState::send_failure, MessageState::sending, MessageState::processed,
                        MessageState::sending, MessageState::removed}));
    for (std::size_t i = 1; i + 1 < seen.size(); ++i)
        EXPECT_TRUE(message_transition_allowed(seen[i - 1], seen[i]))
            << message_state_name(seen[i - 1]) << " -> " << message_state_name(seen[i]);
    EXPECT_FALSE(sink_->contains("unexpected state change"));
    EXPECT_TRUE(sink_->contains(id.str() + ": removed from queue (sent)"));
}

}  // namespace
}  // namespace postern::queue::testing
