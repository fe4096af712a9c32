// MessageWriter: how SMTP-IN (and the queue's own notifications) put one message into the
// queue. The body streams in with append() as it arrives; commit() makes the body and then
// its status durable in the next group-commit rounds and calls back, which is the moment to
// answer 250 (RFC 5321 §4.2.5, §6.1: we take responsibility only once it is safe on disk).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"
#include "queue/queue.h"

namespace postern::queue {

// Not thread-safe: one session uses it at a time. Must not outlive its Queue. Destroying it
// without commit() aborts the message.
class MessageWriter {
  public:
    ~MessageWriter();
    MessageWriter(const MessageWriter&) = delete;
    MessageWriter& operator=(const MessageWriter&) = delete;

    // The queue id, fixed from the start: log it and use it in the Received field.
    const QueueId& id() const { return id_; }

    // Adds body bytes exactly as they should be stored (CRLF line ends, dot-unstuffed). The
    // first QueueOptions::buffer_bytes stay in memory (no system call); beyond that each call
    // writes to the body file on the calling thread (a page-cache write, never an fsync):
    // call it from a blocking pool once will_write() is true if the event loop must not wait.
    // Errc::limit_exceeded past max_message_size; an I/O error sticks until abort().
    Status append(std::string_view bytes);
    bool will_write(std::size_t more) const {
        return fd_ >= 0 || buffer_.size() + more > buffer_limit_;
    }
    std::uint64_t size() const { return size_; }

    // Queues the message. `done` gets the id once body and status are durable, or an error
    // (nothing was queued); it runs on the queue's commit thread, or at once on this thread
    // for errors found here (no recipients, an earlier append error). Call once.
    void commit(Envelope envelope, CommitCallback done);
    // Drops the message; nothing of it stays on disk.
    void abort();

  private:
    friend class Queue;
    MessageWriter(Queue& queue, QueueId id, std::uint16_t bucket, std::filesystem::path body_path,
                  std::uint64_t buffer_limit, std::uint64_t max_size);
    Status spill(std::string_view more);

    Queue& queue_;
    QueueId id_;
    std::uint16_t bucket_;
    std::filesystem::path body_path_;
    std::uint64_t buffer_limit_;
    std::uint64_t max_size_;
    std::string buffer_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
    std::uint32_t crc_ = 0;
    std::uint32_t flags_ = 0;  // message_flag bits (the queue's own notifications)
    Status error_;
    bool finished_ = false;
};

}  // namespace postern::queue
