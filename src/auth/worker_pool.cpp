// Fixed-size worker pool with a fast and a slow lane and a bounded queue.
#include "auth/worker_pool.h"

#include <algorithm>
#include <string>

#include <pthread.h>

namespace postern::auth {

WorkerPool::WorkerPool(unsigned threads, std::size_t max_queued) : max_queued_(max_queued) {
    resize(threads);
}

WorkerPool::~WorkerPool() {
    shutdown();
}

void WorkerPool::shutdown() {
    std::lock_guard serial(resize_mutex_);
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        threads.swap(threads_);
    }
    wake_.notify_all();
    for (auto& t : threads)
        t.join();
    std::deque<Job> fast, slow;
    {
        std::lock_guard lock(mutex_);
        fast.swap(fast_);
        slow.swap(slow_);
    }
    for (auto* queue : {&fast, &slow}) {
        for (auto& job : *queue)
            job(false);
    }
}

bool WorkerPool::post(Lane lane, Job job, Admission admission) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_)
            return false;
        bool full = fast_.size() + slow_.size() >= max_queued_;
        if (full && admission == Admission::new_request)
            return false;
        (lane == Lane::fast ? fast_ : slow_).push_back(std::move(job));
    }
    wake_.notify_one();
    return true;
}

void WorkerPool::resize(unsigned threads) {
    std::lock_guard serial(resize_mutex_);
    threads = std::max(threads, 1u);
    std::vector<std::thread> leaving;
    {
        std::lock_guard lock(mutex_);
        if (stopping_)
            return;
        target_ = threads;
        if (threads < threads_.size()) {
            std::move(threads_.begin() + threads, threads_.end(), std::back_inserter(leaving));
            threads_.resize(threads);
        } else {
            for (auto i = static_cast<unsigned>(threads_.size()); i < threads; ++i) {
                threads_.emplace_back(&WorkerPool::run, this, i);
            }
        }
    }
    wake_.notify_all();
    for (auto& t : leaving)
        t.join();
}

unsigned WorkerPool::threads() const {
    std::lock_guard lock(mutex_);
    return static_cast<unsigned>(threads_.size());
}

std::size_t WorkerPool::queued() const {
    std::lock_guard lock(mutex_);
    return fast_.size() + slow_.size();
}

void WorkerPool::run(unsigned index) {
    auto name = "auth-" + std::to_string(index);
    pthread_setname_np(pthread_self(), name.c_str());
    std::unique_lock lock(mutex_);
    while (true) {
        wake_.wait(lock, [&] {
            return stopping_ || index >= target_ || !fast_.empty() || !slow_.empty();
        });
        if (stopping_)
            return;
        if (index >= target_) {
            // A post() may have woken this leaving thread instead of a staying one: pass it on.
            if (!fast_.empty() || !slow_.empty())
                wake_.notify_one();
            return;
        }
        auto& queue = fast_.empty() ? slow_ : fast_;
        auto job = std::move(queue.front());
        queue.pop_front();
        lock.unlock();
        job(true);
        job = nullptr;  // release captured state before taking the lock again
        lock.lock();
    }
}

}  // namespace postern::auth
