// Tests of the bounded record queue and its worker: limits, drop accounting and the notice
// line, task ordering, barriers and draining at stop.
#include <gtest/gtest.h>

#include "base/strings.h"
#include "log/record_queue.h"
#include "log_test_util.h"

namespace postern::log {
namespace {

using std::chrono::steady_clock;

std::vector<std::string> texts(std::deque<RecordQueue::Item>& items) {
    std::vector<std::string> out;
    for (auto& item : items) {
        if (auto* r = std::get_if<Record>(&item)) {
            out.push_back(r->text);
        } else {
            out.push_back("<task>");
        }
    }
    return out;
}

TEST(RecordQueue, DropsWhenFullAndReportsTheGapBeforeTheNextLine) {
    RecordQueue q(QueueLimits{3, 1 << 20}, "mx1");
    for (int i = 0; i < 3; ++i)
        EXPECT_TRUE(q.push(test::make_record(kInfo, "M", std::to_string(i))));
    EXPECT_FALSE(q.push(test::make_record(kInfo, "M", "lost-1")));
    EXPECT_FALSE(q.push(test::make_record(kInfo, "M", "lost-2")));
    EXPECT_EQ(q.dropped_full(), 2u);

    std::deque<RecordQueue::Item> items;
    ASSERT_TRUE(q.pop_all(items, steady_clock::now()));
    EXPECT_EQ(texts(items), (std::vector<std::string>{"0", "1", "2"}));

    items.clear();
    EXPECT_TRUE(q.push(test::make_record(kInfo, "M", "3")));
    ASSERT_TRUE(q.pop_all(items, steady_clock::now()));
    ASSERT_EQ(items.size(), 2u);
    const auto& notice = std::get<Record>(items[0]);
    EXPECT_EQ(notice.text, "log queue full: 2 line(s) dropped");
    EXPECT_EQ(notice.level, kWarning);
    EXPECT_EQ(notice.module, "LOG");
    EXPECT_EQ(notice.host, "mx1");
    EXPECT_EQ(std::get<Record>(items[1]).text, "3");

    // Reported once: the next line has no notice.
    items.clear();
    EXPECT_TRUE(q.push(test::make_record(kInfo, "M", "4")));
    ASSERT_TRUE(q.pop_all(items, steady_clock::now()));
    EXPECT_EQ(texts(items), std::vector<std::string>{"4"});
    EXPECT_EQ(q.dropped_full(), 2u);
}

TEST(RecordQueue, ByteLimitCountsTextToo) {
    auto small = test::make_record(kInfo, "M", "x");
    QueueLimits limits{1000, 2 * record_bytes(small) + 10};
    RecordQueue q(limits, "h");
    EXPECT_TRUE(q.push(small));
    EXPECT_FALSE(q.push(test::make_record(kInfo, "M", std::string(100, 'y'))));
    EXPECT_TRUE(q.push(small));  // still room for a small one
    EXPECT_FALSE(q.push(small));
    EXPECT_EQ(q.dropped_full(), 2u);
}

TEST(RecordQueue, TasksAreNeverDroppedAndKeepTheirPlace) {
    RecordQueue q(QueueLimits{1, 1 << 20}, "h");
    int ran = 0;
    EXPECT_TRUE(q.push(test::make_record(kInfo, "M", "a")));
    EXPECT_TRUE(q.push_task([&] { ++ran; }));
    EXPECT_FALSE(q.push(test::make_record(kInfo, "M", "b")));
    EXPECT_TRUE(q.push_task([&] { ++ran; }));
    std::deque<RecordQueue::Item> items;
    ASSERT_TRUE(q.pop_all(items, steady_clock::now()));
    EXPECT_EQ(texts(items), (std::vector<std::string>{"a", "<task>", "<task>"}));
}

TEST(RecordQueue, ClosedQueueRefusesButDrains) {
    RecordQueue q(QueueLimits{}, "h");
    EXPECT_TRUE(q.push(test::make_record(kInfo, "M", "a")));
    q.close();
    EXPECT_FALSE(q.push(test::make_record(kInfo, "M", "b")));
    EXPECT_FALSE(q.push_task([] {}));
    EXPECT_EQ(q.dropped_closed(), 1u);
    EXPECT_EQ(q.dropped_full(), 0u);
    std::deque<RecordQueue::Item> items;
    EXPECT_TRUE(q.pop_all(items, steady_clock::now() + std::chrono::hours(1)));
    EXPECT_EQ(texts(items), std::vector<std::string>{"a"});
    items.clear();
    EXPECT_FALSE(q.pop_all(items, steady_clock::now() + std::chrono::hours(1)));
}

TEST(RecordQueue, EmptyPopReturnsAtDeadline) {
    RecordQueue q(QueueLimits{}, "h");
    std::deque<RecordQueue::Item> items;
    EXPECT_TRUE(q.pop_all(items, steady_clock::now() + std::chrono::milliseconds(1)));
    EXPECT_TRUE(items.empty());
}

TEST(RecordQueue, ManyProducersEveryRecordIsQueuedOrCounted) {
    RecordQueue q(QueueLimits{500, 1 << 30}, "h");
    constexpr int kThreads = 4, kEach = 2000;
    std::atomic<bool> done{false};
    std::uint64_t popped = 0, notices = 0;
    std::thread consumer([&] {
        std::deque<RecordQueue::Item> items;
        while (!done.load() || q.size() > 0) {
            q.pop_all(items, steady_clock::now() + std::chrono::milliseconds(1));
            for (auto& item : items) {
                auto& r = std::get<Record>(item);
                if (r.module == "LOG") {
                    notices += *postern::parse_uint(r.text.substr(16, r.text.find(' ', 16) - 16));
                } else {
                    ++popped;
                }
            }
            items.clear();
        }
    });
    std::vector<std::thread> producers;
    for (int t = 0; t < kThreads; ++t) {
        producers.emplace_back([&] {
            for (int i = 0; i < kEach; ++i)
                q.push(test::make_record(kInfo, "M", "x"));
        });
    }
    for (auto& p : producers)
        p.join();
    done = true;
    consumer.join();
    EXPECT_EQ(popped + q.dropped_full(), std::uint64_t{kThreads * kEach});
    // Every drop is reported by a notice, except those after the last successful push.
    EXPECT_LE(notices, q.dropped_full());
}

TEST(QueueWorker, RunsRecordsAndTasksInOrderAndDrainsAtStop) {
    std::vector<std::string> seen;  // touched only by the worker until stop() joins it
    std::atomic<int> ticks{0};
    int stops = 0;
    {
        QueueWorker worker(QueueLimits{}, "h", std::chrono::hours(1),
                           {.on_record = [&](Record& r) { seen.push_back(r.text); },
                            .on_tick = [&] { ++ticks; },
                            .on_stop = [&] { ++stops; }});
        worker.push(test::make_record(kInfo, "M", "a"));
        worker.post([&] { seen.push_back("task"); });
        worker.push(test::make_record(kInfo, "M", "b"));
        worker.barrier();
        EXPECT_EQ(seen, (std::vector<std::string>{"a", "task", "b"}));
        EXPECT_EQ(ticks.load(), 1);  // the barrier's flush
        for (int i = 0; i < 100; ++i)
            worker.push(test::make_record(kInfo, "M", "c"));
        worker.stop();
        EXPECT_EQ(seen.size(), 103u);
        EXPECT_EQ(stops, 1);
        worker.stop();     // idempotent
        worker.barrier();  // returns at once after stop
        EXPECT_FALSE(worker.push(test::make_record(kInfo, "M", "late")));
        EXPECT_FALSE(worker.post([] {}));
    }
    EXPECT_EQ(stops, 1);
}

TEST(QueueWorker, TicksWithoutTraffic) {
    std::atomic<int> ticks{0};
    QueueWorker worker(QueueLimits{}, "h", std::chrono::milliseconds(5),
                       {.on_record = {}, .on_tick = [&] { ++ticks; }, .on_stop = {}});
    EXPECT_TRUE(test::wait_for([&] { return ticks.load() >= 3; }));
}

}  // namespace
}  // namespace postern::log
