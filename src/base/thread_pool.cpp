// Growable worker pool: a job starts a new thread only when no worker is idle.
#include "base/thread_pool.h"

#include <pthread.h>

namespace postern {

ThreadPool::ThreadPool(std::string name, unsigned max_threads, std::chrono::milliseconds idle_exit)
    : name_(std::move(name)), max_threads_(max_threads ? max_threads : 1), idle_exit_(idle_exit) {}

ThreadPool::~ThreadPool() {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    wake_.notify_all();
    exited_.wait(lock, [&] { return threads_ == 0; });
}

void ThreadPool::post(std::function<void()> job) {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
    if (idle_ > jobs_.size() - 1) {
        wake_.notify_one();
        return;
    }
    if (threads_ < max_threads_) {
        ++threads_;
        std::thread(&ThreadPool::worker, this).detach();
    }
}

void ThreadPool::set_max_threads(unsigned max_threads) {
    std::lock_guard lock(mutex_);
    max_threads_ = max_threads ? max_threads : 1;
}

unsigned ThreadPool::threads() const {
    std::lock_guard lock(mutex_);
    return threads_;
}

std::size_t ThreadPool::queued() const {
    std::lock_guard lock(mutex_);
    return jobs_.size();
}

void ThreadPool::worker() {
    pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
    std::unique_lock lock(mutex_);
    while (true) {
        if (jobs_.empty()) {
            if (stopping_)
                break;
            ++idle_;
            bool woke =
                wake_.wait_for(lock, idle_exit_, [&] { return !jobs_.empty() || stopping_; });
            --idle_;
            if (!woke && jobs_.empty())
                break;  // idle too long: give the thread back
            continue;
        }
        auto job = std::move(jobs_.front());
        jobs_.pop_front();
        lock.unlock();
        job();
        lock.lock();
    }
    --threads_;
    exited_.notify_all();
}

}  // namespace postern
