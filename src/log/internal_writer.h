// The internal log writer: a Sink that queues records and writes them to rule-selected files
// on its own thread, so no event-loop thread ever waits for the disk.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "base/result.h"
#include "log/file_router.h"
#include "log/record_queue.h"
#include "log/stats.h"

namespace postern::log {

struct WriterOptions {
    QueueLimits queue;
    std::chrono::milliseconds flush_interval{1000};  // buffered lines reach the file this soon
    std::size_t buffer_bytes = 64 * 1024;            // per file; written early when exceeded
    WallClock clock;                                 // rotation's "now"; default system clock
    std::string host;                                // host of the writer's own notices
};

// Thread-safe. write() costs a lock and a move; when the queue is full the record is dropped
// and counted, and a warning line saying how many were dropped precedes the next line that
// fits. Records, reconfigure() and reopen() take effect in the order they were called, so a
// line queued before a reconfigure goes where the old rules said, and no line is lost.
class InternalWriter final : public Sink {
  public:
    // Creates the log directory (0750) if missing and starts the writer thread.
    static Result<std::shared_ptr<InternalWriter>> start(WriterConfig config,
                                                         WriterOptions options);
    ~InternalWriter() override;

    void write(Record record) override;
    // Returns once every line queued before the call is in its file (written to the kernel).
    void flush() override;
    // New rules/directory; fails (and changes nothing) when the directory cannot be created.
    Status reconfigure(WriterConfig config);
    // Closes every file so the next line reopens it by name (after an external logrotate).
    void reopen();
    // Writes what is queued, fdatasyncs and closes the files, ends the thread. Idempotent.
    // Lines written afterwards are dropped and counted (`dropped_after_stop`).
    void stop();

    WriterStats stats() const;

  private:
    InternalWriter(WriterOptions options);

    FileRouter router_;  // used only on the worker thread (counters from anywhere)
    std::unique_ptr<QueueWorker> worker_;  // last: its thread uses router_
};

}  // namespace postern::log
