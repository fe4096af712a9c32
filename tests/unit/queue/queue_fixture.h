// Shared fixture for queue tests: a fresh spool per test, fsync off (tests check behaviour;
// the crash test turns it on), no background thread, a clock the test moves by hand, and a
// log sink that keeps every line so tests can check what a message's lines say.
#pragma once

#include <atomic>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/random.h"
#include "log/log.h"
#include "queue/message_writer.h"
#include "queue/queue.h"

namespace postern::queue::testing {

class CaptureSink : public log::Sink {
  public:
    void write(log::Record record) override {
        std::lock_guard lock(mutex_);
        lines_.push_back(record.session + ": " + record.text);
    }
    std::vector<std::string> lines() const {
        std::lock_guard lock(mutex_);
        return lines_;
    }
    bool contains(std::string_view needle) const {
        for (const auto& l : lines())
            if (l.find(needle) != std::string::npos)
                return true;
        return false;
    }

  private:
    mutable std::mutex mutex_;
    std::vector<std::string> lines_;
};

inline std::string make_body(std::size_t size, unsigned seed, std::string_view subject = "test") {
    std::string b =
        "From: <a@example.org>\r\nTo: <b@example.net>\r\nSubject: " + std::string(subject) +
        "\r\nMessage-ID: <" + std::to_string(seed) + "@example.org>\r\n\r\n";
    std::uint32_t x = seed * 2654435761u + 1;
    while (b.size() + 2 < size) {
        for (int i = 0; i < 70 && b.size() + 2 < size; ++i) {
            x = x * 1103515245u + 12345u;
            b += static_cast<char>('a' + (x >> 16) % 26);
        }
        b += "\r\n";
    }
    return b;
}

inline Envelope make_envelope(std::string sender, std::vector<std::string> rcpts,
                              std::uint8_t notify_bits = 0) {
    Envelope e;
    e.sender = std::move(sender);
    e.client.ip = "192.0.2.7";
    e.client.helo = "client.example.org";
    e.client.protocol = "ESMTP";
    e.client.session = "0000001A";
    for (auto& r : rcpts)
        e.recipients.push_back(NewRecipient{std::move(r), {}, notify_bits});
    return e;
}

class QueueTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("postern-queue-" + random_token(10));
        options_.directory = dir_;
        options_.fsync = false;
        options_.background = false;
        options_.sync_threads = 2;
        options_.dsn.reporting_mta = "mx.test";
        sink_ = std::make_shared<CaptureSink>();
        channel_ = std::make_shared<log::Channel>("QUEUE", "mx", 0x1f, sink_);
    }
    void TearDown() override {
        queue_.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    Queue& open() {
        queue_.reset();
        auto q = Queue::open(options_, log::Logger(channel_, ""), [this] { return now(); });
        EXPECT_TRUE(q) << (q ? "" : q.error().to_string());
        queue_ = std::move(*q);
        return *queue_;
    }
    TimePoint now() const { return from_unix_ms(now_ms_.load()); }
    void advance(std::chrono::milliseconds d) { now_ms_ += d.count(); }

    Result<QueueId> enqueue(Envelope env, std::string_view body) {
        auto w = queue_->begin_message("0000001A");
        if (auto s = w->append(body); !s)
            return std::unexpected(s.error());
        std::promise<Result<QueueId>> done;
        w->commit(std::move(env), [&done](Result<QueueId> r) { done.set_value(std::move(r)); });
        return done.get_future().get();
    }
    QueueId enqueue_ok(Envelope env, std::string_view body) {
        auto r = enqueue(std::move(env), body);
        EXPECT_TRUE(r) << (r ? "" : r.error().to_string());
        return r ? *r : QueueId();
    }

    // Takes the message through PROCESSING (it must be the next one due), routing every
    // pending recipient as `how` says (remote: to its domain).
    void process(const QueueId& id, Disposition how = Disposition::remote) {
        auto jobs = queue_->take_processing(now(), 1);
        ProcessingResult result;
        bool found = false;
        for (const auto& j : jobs) {
            if (j.id != id)
                continue;
            found = true;
            for (const auto& r : j.recipients)
                result.decisions.push_back(RouteDecision{r.index, how, {}, {}, {}, {}});
        }
        ASSERT_TRUE(found) << "message " << id.str() << " was not due for processing";
        ASSERT_TRUE(queue_->complete_processing(id, std::move(result)));
    }

    MessageState state(const QueueId& id) {
        auto d = queue_->show(id);
        return d ? d->state : MessageState::removed;
    }

    std::filesystem::path dir_;
    QueueOptions options_;
    std::atomic<UnixMs> now_ms_{1'800'000'000'000};  // 2027-01-15
    std::shared_ptr<CaptureSink> sink_;
    std::shared_ptr<log::Channel> channel_;
    std::unique_ptr<Queue> queue_;
};

}  // namespace postern::queue::testing
