#include "auth/worker_pool.h"

#include <atomic>
#include <future>
#include <latch>
#include <thread>

#include <gtest/gtest.h>

namespace postern::auth {
namespace {

using Lane = WorkerPool::Lane;

// A job that holds its worker until released.
struct Gate {
    std::promise<void> entered;
    std::promise<void> release;
    std::shared_future<void> released{release.get_future().share()};

    WorkerPool::Job job() {
        return [this](bool) {
            entered.set_value();
            released.wait();
        };
    }
};

TEST(WorkerPool, FastLaneIsServedFirst) {
    WorkerPool pool(1, 100);
    Gate gate;
    ASSERT_TRUE(pool.post(Lane::fast, gate.job()));
    gate.entered.get_future().wait();
    std::mutex m;
    std::vector<std::string> order;
    std::latch all(4);
    auto record = [&](std::string name) {
        return [&, name](bool run) {
            EXPECT_TRUE(run);
            {
                std::lock_guard lock(m);
                order.push_back(name);
            }
            all.count_down();
        };
    };
    pool.post(Lane::slow, record("slow1"));
    pool.post(Lane::fast, record("fast1"));
    pool.post(Lane::slow, record("slow2"));
    pool.post(Lane::fast, record("fast2"));
    EXPECT_EQ(pool.queued(), 4u);
    gate.release.set_value();
    all.wait();
    EXPECT_EQ(order, (std::vector<std::string>{"fast1", "fast2", "slow1", "slow2"}));
}

TEST(WorkerPool, QueueIsBounded) {
    WorkerPool pool(1, 2);
    Gate gate;
    pool.post(Lane::fast, gate.job());
    gate.entered.get_future().wait();
    std::atomic<int> ran{0};
    auto count = [&](bool run) { ran += run ? 1 : 0; };
    EXPECT_TRUE(pool.post(Lane::slow, count));
    EXPECT_TRUE(pool.post(Lane::fast, count));
    EXPECT_FALSE(pool.post(Lane::fast, count));  // full: refused, never called
    gate.release.set_value();
    while (pool.queued() > 0)
        std::this_thread::yield();
    EXPECT_TRUE(pool.post(Lane::slow, count));
}

TEST(WorkerPool, ShutdownCancelsQueuedJobsAndWaitsForRunningOnes) {
    std::atomic<int> cancelled{0}, completed{0}, added{0};
    std::promise<void> running;
    auto count = [&](bool run) { ++(run ? completed : cancelled); };
    {
        WorkerPool pool(1, 100'000);
        pool.post(Lane::fast, [&](bool) {
            running.set_value();
            // Keep the only worker busy until the destructor has begun: from then on post()
            // refuses. Every job added meanwhile must be cancelled too.
            while (pool.post(Lane::slow, count)) {
                ++added;
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
            ++completed;
        });
        running.get_future().wait();
        for (int i = 0; i < 3; ++i)
            pool.post(Lane::slow, count);
    }
    EXPECT_EQ(completed, 1);
    EXPECT_EQ(cancelled, 3 + added);
}

TEST(WorkerPool, ResizeKeepsServing) {
    WorkerPool pool(1, 1000);
    EXPECT_EQ(pool.threads(), 1u);
    pool.resize(4);
    EXPECT_EQ(pool.threads(), 4u);
    std::atomic<int> ran{0};
    for (int i = 0; i < 200; ++i)
        pool.post(i % 2 ? Lane::fast : Lane::slow, [&](bool) { ++ran; });
    pool.resize(1);
    EXPECT_EQ(pool.threads(), 1u);
    for (int i = 0; i < 200; ++i)
        pool.post(Lane::fast, [&](bool) { ++ran; });
    pool.resize(0);  // at least one thread stays
    EXPECT_EQ(pool.threads(), 1u);
    while (ran < 400)
        std::this_thread::yield();
    EXPECT_EQ(ran, 400);
}

TEST(WorkerPool, JobsMayPostMoreJobs) {
    WorkerPool pool(2, 10);
    std::promise<int> result;
    pool.post(Lane::fast, [&](bool) {
        pool.post(Lane::slow, [&](bool run) { result.set_value(run ? 42 : -1); });
    });
    EXPECT_EQ(result.get_future().get(), 42);
}

}  // namespace
}  // namespace postern::auth
