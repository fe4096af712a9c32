// Bounded multi-producer queue of log records plus the worker thread that drains it, so that
// event-loop threads hand a line over in O(1) and never wait for disk or syslogd.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <variant>

#include "log/log.h"

namespace postern::log {

// Module name of lines the log layer writes about itself (drop notices, remote failures).
inline constexpr std::string_view kLogModule = "LOG";

struct QueueLimits {
    std::size_t max_records = 65536;
    std::size_t max_bytes = 32u << 20;  // text + fields + per-record overhead
};

// Approximate memory a queued record holds; what max_bytes counts.
std::size_t record_bytes(const Record& r);

// The queue itself, without a thread: thread-safe, FIFO across records and tasks.
//
// Records beyond the limits are dropped and counted. The next record that fits is preceded
// by one warning record (module LOG, level warning, `notice_host`) saying how many were
// dropped, so a reader of the file sees the gap where it happened. Tasks (reconfigure,
// barriers) never count against the limits and are never dropped while the queue is open.
class RecordQueue {
  public:
    using Task = std::function<void()>;
    using Item = std::variant<Record, Task>;

    RecordQueue(QueueLimits limits, std::string notice_host);

    // Any thread. False when the record was dropped (queue full, or closed).
    bool push(Record record);
    // Any thread. False only when the queue is closed (the task is then not run).
    bool push_task(Task task);

    // Consumer thread: appends everything queued to `out`, waiting until there is something,
    // `deadline` passes or the queue is closed. False once the queue is closed and empty.
    bool pop_all(std::deque<Item>& out, std::chrono::steady_clock::time_point deadline);

    // Later pushes fail; what is queued can still be popped.
    void close();

    std::uint64_t dropped_full() const { return dropped_full_.load(std::memory_order_relaxed); }
    std::uint64_t dropped_closed() const { return dropped_closed_.load(std::memory_order_relaxed); }
    std::size_t size() const;

  private:
    const QueueLimits limits_;
    const std::string notice_host_;
    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<Item> items_;
    std::size_t records_ = 0;
    std::size_t bytes_ = 0;
    std::uint64_t pending_notice_ = 0;  // drops not yet reported by a notice record
    bool closed_ = false;
    std::atomic<std::uint64_t> dropped_full_{0};
    std::atomic<std::uint64_t> dropped_closed_{0};
};

// One thread that drains a RecordQueue: calls `on_record` for each record and runs tasks in
// queue order, calls `on_tick` (flush buffers, time-based housekeeping) about every `tick`
// and for each barrier(), and `on_stop` once after the queue is closed and drained. The callbacks
// run only on the worker thread. The owner must call stop() (or destroy this) before anything the
// callbacks use dies.
class QueueWorker {
  public:
    struct Callbacks {
        std::function<void(Record&)> on_record;
        std::function<void()> on_tick;
        std::function<void()> on_stop;
    };

    QueueWorker(QueueLimits limits, std::string notice_host, std::chrono::milliseconds tick,
                Callbacks callbacks);
    ~QueueWorker();
    QueueWorker(const QueueWorker&) = delete;
    QueueWorker& operator=(const QueueWorker&) = delete;

    bool push(Record record) { return queue_.push(std::move(record)); }
    // Runs `task` on the worker after everything queued before it. False after stop().
    bool post(RecordQueue::Task task) { return queue_.push_task(std::move(task)); }
    // Blocks until everything queued before the call has been handled (and on_tick has run).
    // Returns at once after stop(). Must not be called from the worker thread.
    void barrier();
    // Drains what is queued, runs on_stop, joins. Idempotent; any thread but the worker.
    void stop();

    const RecordQueue& queue() const { return queue_; }

  private:
    void run();

    RecordQueue queue_;
    const std::chrono::milliseconds tick_;
    Callbacks callbacks_;
    std::once_flag stopped_;
    std::thread thread_;
};

}  // namespace postern::log
