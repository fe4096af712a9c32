// Bounded record queue with drop accounting and its draining worker thread.
#include "log/record_queue.h"

#include <future>

#include <fmt/format.h>

namespace postern::log {

std::size_t record_bytes(const Record& r) {
    return sizeof(Record) + r.host.size() + r.module.size() + r.session.size() + r.text.size();
}

RecordQueue::RecordQueue(QueueLimits limits, std::string notice_host)
    : limits_(limits), notice_host_(std::move(notice_host)) {}

bool RecordQueue::push(Record record) {
    const auto bytes = record_bytes(record);
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        if (closed_) {
            dropped_closed_.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
        if (records_ + 1 > limits_.max_records || bytes_ + bytes > limits_.max_bytes) {
            ++pending_notice_;
            dropped_full_.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
        wake = items_.empty();
        if (pending_notice_ > 0) {
            // The notice may overshoot the limits by one small record: it must not be lost, or
            // the gap it reports would be silent.
            Record notice{std::chrono::system_clock::now(),
                          kWarning,
                          notice_host_,
                          std::string(kLogModule),
                          {},
                          fmt::format("log queue full: {} line(s) dropped", pending_notice_)};
            pending_notice_ = 0;
            records_ += 1;
            bytes_ += record_bytes(notice);
            items_.emplace_back(std::move(notice));
        }
        records_ += 1;
        bytes_ += bytes;
        items_.emplace_back(std::move(record));
    }
    // Only an empty queue can have a sleeping consumer; skipping the wake otherwise keeps the
    // producer's cost to a lock and a move under load.
    if (wake)
        ready_.notify_one();
    return true;
}

bool RecordQueue::push_task(Task task) {
    {
        std::lock_guard lock(mutex_);
        if (closed_)
            return false;
        items_.emplace_back(std::move(task));
    }
    ready_.notify_one();
    return true;
}

bool RecordQueue::pop_all(std::deque<Item>& out, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    ready_.wait_until(lock, deadline, [&] { return !items_.empty() || closed_; });
    if (items_.empty())
        return !closed_;
    if (out.empty()) {
        out.swap(items_);
    } else {
        for (auto& item : items_)
            out.push_back(std::move(item));
        items_.clear();
    }
    records_ = 0;
    bytes_ = 0;
    return true;
}

void RecordQueue::close() {
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
    }
    ready_.notify_all();
}

std::size_t RecordQueue::size() const {
    std::lock_guard lock(mutex_);
    return items_.size();
}

QueueWorker::QueueWorker(QueueLimits limits, std::string notice_host,
                         std::chrono::milliseconds tick, Callbacks callbacks)
    : queue_(limits, std::move(notice_host)), tick_(tick), callbacks_(std::move(callbacks)) {
    thread_ = std::thread([this] { run(); });
}

QueueWorker::~QueueWorker() {
    stop();
}

void QueueWorker::barrier() {
    std::promise<void> done;
    auto future = done.get_future();
    bool posted = queue_.push_task([this, &done] {
        if (callbacks_.on_tick)
            callbacks_.on_tick();
        done.set_value();
    });
    if (posted)
        future.wait();
}

void QueueWorker::stop() {
    std::call_once(stopped_, [this] {
        queue_.close();
        if (thread_.joinable())
            thread_.join();
    });
}

void QueueWorker::run() {
    std::deque<RecordQueue::Item> batch;
    auto next_tick = std::chrono::steady_clock::now() + tick_;
    while (queue_.pop_all(batch, next_tick)) {
        for (auto& item : batch) {
            if (auto* record = std::get_if<Record>(&item)) {
                if (callbacks_.on_record)
                    callbacks_.on_record(*record);
            } else {
                std::get<RecordQueue::Task>(item)();
            }
        }
        batch.clear();
        auto now = std::chrono::steady_clock::now();
        if (now >= next_tick) {
            if (callbacks_.on_tick)
                callbacks_.on_tick();
            next_tick = now + tick_;
        }
    }
    if (callbacks_.on_stop)
        callbacks_.on_stop();
}

}  // namespace postern::log
