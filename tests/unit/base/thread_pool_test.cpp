#include "base/thread_pool.h"

#include <atomic>
#include <future>

#include <gtest/gtest.h>

namespace postern {
namespace {

TEST(ThreadPool, RunsEveryJobWithinItsLimit) {
    std::atomic<int> done{0}, running{0}, peak{0};
    {
        ThreadPool pool("test", 3);
        for (int i = 0; i < 200; ++i) {
            pool.post([&] {
                int now = ++running;
                int p = peak.load();
                while (now > p && !peak.compare_exchange_weak(p, now)) {
                }
                std::this_thread::sleep_for(std::chrono::microseconds(200));
                --running;
                ++done;
            });
        }
        EXPECT_LE(pool.threads(), 3u);
    }  // destructor drains the queue
    EXPECT_EQ(done.load(), 200);
    EXPECT_LE(peak.load(), 3);
}

TEST(ThreadPool, IdleThreadsExit) {
    ThreadPool pool("test", 2, std::chrono::milliseconds(20));
    std::promise<void> ran;
    pool.post([&] { ran.set_value(); });
    ran.get_future().wait();
    for (int i = 0; i < 500 && pool.threads() > 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(pool.threads(), 0u);
    std::promise<void> again;
    pool.post([&] { again.set_value(); });  // a new thread starts on demand
    again.get_future().wait();
}

}  // namespace
}  // namespace postern
