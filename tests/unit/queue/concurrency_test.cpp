// Many producers and consumers at once: concurrent commits all land intact with unique ids,
// group commit batches them, and status updates from several threads keep their order.
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "queue_fixture.h"

namespace postern::queue::testing {
namespace {

TEST_F(QueueTest, ConcurrentWritersAllLandIntact) {
    options_.sync_threads = 4;
    open();
    constexpr int kThreads = 16, kEach = 40;
    std::vector<std::vector<std::pair<QueueId, unsigned>>> got(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                unsigned seed = static_cast<unsigned>(t * 1000 + i);
                // Stream in odd-sized chunks, as a session would.
                auto body = make_body(2000 + (seed % 7) * 1000, seed);
                auto w = queue_->begin_message();
                for (std::size_t p = 0; p < body.size(); p += 333)
                    ASSERT_TRUE(w->append(std::string_view(body).substr(p, 333)));
                std::promise<Result<QueueId>> done;
                w->commit(
                    make_envelope("t" + std::to_string(t) + "@example.org", {"r@example.net"}),
                    [&done](Result<QueueId> r) { done.set_value(std::move(r)); });
                auto id = done.get_future().get();
                ASSERT_TRUE(id);
                got[t].emplace_back(*id, seed);
            }
        });
    for (auto& th : threads)
        th.join();
    std::set<QueueId> unique;
    for (const auto& v : got)
        for (const auto& [id, seed] : v)
            unique.insert(id);
    EXPECT_EQ(unique.size(), static_cast<std::size_t>(kThreads * kEach));
    auto stats = queue_->commit_stats();
    EXPECT_EQ(stats.messages, static_cast<std::uint64_t>(kThreads * kEach));
    open();
    EXPECT_EQ(queue_->recovery().messages, static_cast<std::size_t>(kThreads * kEach));
    for (const auto& v : got)
        for (const auto& [id, seed] : v) {
            auto body = queue_->read_body(id);
            ASSERT_TRUE(body) << id.str();
            EXPECT_EQ(*body, make_body(2000 + (seed % 7) * 1000, seed));
        }
}

TEST_F(QueueTest, ConcurrentConsumersAndAdminsKeepStateConsistent) {
    options_.delivery_retry.first_retry = std::chrono::seconds(0);
    options_.delivery_retry.max_retry_interval = std::chrono::seconds(0);
    options_.delivery_retry.max_age = std::chrono::seconds(0);
    options_.compact_after = 3;
    open();
    std::vector<QueueId> ids;
    for (int i = 0; i < 30; ++i) {
        ids.push_back(
            enqueue_ok(make_envelope("a@example.org", {"b@d" + std::to_string(i % 3) + ".test"}),
                       make_body(300, i)));
        process(ids.back());
    }
    std::atomic<bool> stop{false};
    std::atomic<int> reports{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < 4; ++w)
        workers.emplace_back([&] {
            while (!stop) {
                for (const auto& j : queue_->take_deliveries(Lane::remote, now(), 5)) {
                    DeliveryReport rep{true, {}, {}};
                    for (const auto& r : j.recipients)
                        rep.results.push_back({r.index, Outcome::temporary, "4.0.0", "busy", "mx"});
                    EXPECT_TRUE(queue_->report_delivery(j.id, rep));
                    ++reports;
                }
            }
        });
    std::thread admin([&] {
        for (int round = 0; round < 50; ++round)
            for (std::size_t i = 0; i < ids.size(); i += 5) {
                queue_->hold(ids[i], now() + std::chrono::hours(1));
                queue_->release(ids[i]);
                queue_->list({});
                queue_->counts();
            }
    });
    admin.join();
    while (reports < 300)
        std::this_thread::yield();
    stop = true;
    for (auto& t : workers)
        t.join();
    queue_->sync();
    std::map<QueueId, std::uint32_t> attempts;
    for (auto id : ids)
        attempts[id] = queue_->show(id)->record.recipients[0].attempts;
    open();
    EXPECT_EQ(queue_->recovery().messages, ids.size());
    EXPECT_EQ(queue_->recovery().quarantined, 0u);
    std::uint32_t total = 0;
    for (auto id : ids) {
        auto d = queue_->show(id);
        ASSERT_TRUE(d);
        EXPECT_EQ(d->record.recipients[0].attempts, attempts[id]);
        EXPECT_EQ(d->record.hold_until, 0);
        total += attempts[id];
    }
    EXPECT_GE(total, 300u);
}

}  // namespace
}  // namespace postern::queue::testing
