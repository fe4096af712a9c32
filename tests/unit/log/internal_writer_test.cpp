// Tests of the threaded internal writer: delivery, periodic flush, overflow accounting with
// the notice line, ordering and completeness across reconfigure, stop.
#include "log/internal_writer.h"

#include <condition_variable>

#include <gtest/gtest.h>

#include "log_test_util.h"

namespace postern::log {
namespace {

using test::read_lines;
using test::TempDir;

config::LogRule all_to(std::string file) {
    config::LogRule r;
    r.file = std::move(file);
    r.rotation = config::Rotation::none;
    return r;
}

WriterOptions options() {
    WriterOptions o;
    o.host = "mx1";
    return o;
}

TEST(InternalWriter, WritesAndFlushes) {
    TempDir dir;
    auto writer = InternalWriter::start({dir / "logs", {all_to("p.log")}}, options()).value();
    EXPECT_TRUE(std::filesystem::is_directory(dir / "logs"));
    for (int i = 0; i < 100; ++i)
        writer->write(test::make_record(kInfo, "SMTP-IN", std::to_string(i)));
    writer->flush();
    auto lines = read_lines(dir / "logs" / "p.log");
    ASSERT_EQ(lines.size(), 100u);
    for (int i = 0; i < 100; ++i)
        EXPECT_TRUE(lines[i].ends_with(": " + std::to_string(i))) << lines[i];
    auto s = writer->stats();
    EXPECT_EQ(s.written, 100u);
    EXPECT_EQ(s.dropped_queue_full, 0u);
    EXPECT_EQ(s.unmatched, 0u);
}

TEST(InternalWriter, BufferedLinesReachTheFileWithinTheFlushInterval) {
    TempDir dir;
    auto o = options();
    o.flush_interval = std::chrono::milliseconds(20);
    o.buffer_bytes = 1 << 20;
    auto writer = InternalWriter::start({dir.path(), {all_to("p.log")}}, o).value();
    writer->write(test::make_record(kInfo, "M", "soon"));
    EXPECT_TRUE(test::wait_for([&] { return read_lines(dir / "p.log").size() == 1; }));
}

// Blocks the writer thread inside its clock until released, so the queue fills up.
class GateClock {
  public:
    TimePoint now() {
        std::unique_lock lock(mutex_);
        entered_ = true;
        entered_cv_.notify_all();
        open_cv_.wait(lock, [&] { return open_; });
        return std::chrono::system_clock::now();
    }
    void wait_entered() {
        std::unique_lock lock(mutex_);
        entered_cv_.wait(lock, [&] { return entered_; });
    }
    void open() {
        std::lock_guard lock(mutex_);
        open_ = true;
        open_cv_.notify_all();
    }

  private:
    std::mutex mutex_;
    std::condition_variable entered_cv_, open_cv_;
    bool entered_ = false, open_ = false;
};

TEST(InternalWriter, FullQueueDropsCountsAndWritesANotice) {
    TempDir dir;
    GateClock gate;
    auto o = options();
    o.queue = QueueLimits{4, 1 << 20};
    o.clock = [&] { return gate.now(); };
    o.flush_interval = std::chrono::hours(1);  // no tick may reach the gate before "first"
    auto writer = InternalWriter::start({dir.path(), {all_to("p.log")}}, o).value();

    writer->write(test::make_record(kInfo, "M", "first"));
    gate.wait_entered();  // the writer holds "first" and waits in the clock: queue is empty
    for (int i = 0; i < 4; ++i)
        writer->write(test::make_record(kInfo, "M", "queued"));
    for (int i = 0; i < 3; ++i)
        writer->write(test::make_record(kInfo, "M", "lost"));
    EXPECT_EQ(writer->stats().dropped_queue_full, 3u);
    gate.open();
    // Space returns once the writer has taken the queued lines.
    ASSERT_TRUE(test::wait_for([&] { return writer->stats().queued == 0; }));
    writer->write(test::make_record(kInfo, "M", "after"));
    writer->flush();

    auto lines = read_lines(dir / "p.log");
    ASSERT_EQ(lines.size(), 7u) << test::read_text(dir / "p.log");
    EXPECT_TRUE(lines[0].ends_with("M:0000001A: first"));
    for (int i = 1; i <= 4; ++i)
        EXPECT_TRUE(lines[i].ends_with("M:0000001A: queued"));
    EXPECT_TRUE(lines[5].ends_with(" 04 mx1 LOG:00000000: log queue full: 3 line(s) dropped"))
        << lines[5];
    EXPECT_TRUE(lines[6].ends_with("M:0000001A: after"));
    for (auto& l : lines)
        EXPECT_EQ(l.find("lost"), std::string::npos);
    auto s = writer->stats();
    EXPECT_EQ(s.written, 7u);
    EXPECT_EQ(s.dropped_queue_full, 3u);
}

TEST(InternalWriter, NoLineLostOrReorderedAcrossReconfigure) {
    TempDir dir;
    auto o = options();
    o.queue = QueueLimits{1 << 20, 1u << 30};
    auto writer = InternalWriter::start({dir.path(), {all_to("a.log")}}, o).value();
    constexpr int kProducers = 4, kEach = 5000;
    std::atomic<int> running{kProducers};
    std::vector<std::thread> producers;
    for (int p = 0; p < kProducers; ++p) {
        producers.emplace_back([&, p] {
            for (int i = 0; i < kEach; ++i) {
                writer->write(test::make_record(kInfo, "P" + std::to_string(p), std::to_string(i)));
            }
            --running;
        });
    }
    int reconfigs = 0;
    while (running.load() > 0 || reconfigs < 4) {
        ASSERT_TRUE(writer->reconfigure({dir.path(), {all_to(reconfigs % 2 ? "a.log" : "b.log")}}));
        ++reconfigs;
        std::this_thread::yield();
    }
    for (auto& t : producers)
        t.join();
    writer->flush();

    // Every line is in exactly one file, and each producer's lines are in order in each file.
    std::vector<std::vector<bool>> seen(kProducers, std::vector<bool>(kEach, false));
    for (auto file : {"a.log", "b.log"}) {
        std::vector<int> last(kProducers, -1);
        for (auto& line : read_lines(dir / file)) {
            auto colon = line.rfind(": ");
            auto module = line.rfind(" P", colon);
            int p = std::stoi(line.substr(module + 2));
            int i = std::stoi(line.substr(colon + 2));
            EXPECT_GT(i, last[p]) << file;
            last[p] = i;
            EXPECT_FALSE(seen[p][i]);
            seen[p][i] = true;
        }
    }
    for (int p = 0; p < kProducers; ++p) {
        EXPECT_EQ(std::count(seen[p].begin(), seen[p].end(), true), kEach) << "producer " << p;
    }
    EXPECT_EQ(writer->stats().written, std::uint64_t{kProducers * kEach});
    EXPECT_GE(reconfigs, 4);
}

TEST(InternalWriter, ReconfigureFailsWithoutChangeWhenDirectoryCannotBeMade) {
    TempDir dir;
    std::ofstream(dir / "plainfile") << "x";
    auto writer = InternalWriter::start({dir.path(), {all_to("p.log")}}, options()).value();
    EXPECT_FALSE(writer->reconfigure({dir / "plainfile" / "sub", {all_to("p.log")}}));
    writer->write(test::make_record(kInfo, "M", "still here"));
    writer->flush();
    EXPECT_EQ(read_lines(dir / "p.log").size(), 1u);
    EXPECT_FALSE(InternalWriter::start({dir / "plainfile", {all_to("p.log")}}, options()));
}

TEST(InternalWriter, StopWritesEverythingAndCountsLaterLines) {
    TempDir dir;
    auto writer = InternalWriter::start({dir.path(), {all_to("p.log")}}, options()).value();
    for (int i = 0; i < 1000; ++i)
        writer->write(test::make_record(kInfo, "M", "x"));
    writer->stop();
    EXPECT_EQ(read_lines(dir / "p.log").size(), 1000u);
    writer->write(test::make_record(kInfo, "M", "late"));
    writer->flush();  // returns at once
    writer->stop();
    auto s = writer->stats();
    EXPECT_EQ(s.dropped_after_stop, 1u);
    EXPECT_EQ(s.written, 1000u);
}

TEST(InternalWriter, ReopenStartsANewFileAfterExternalRotation) {
    TempDir dir;
    auto writer = InternalWriter::start({dir.path(), {all_to("p.log")}}, options()).value();
    writer->write(test::make_record(kInfo, "M", "one"));
    writer->flush();
    std::filesystem::rename(dir / "p.log", dir / "p.log.1");
    writer->write(test::make_record(kInfo, "M", "two"));
    writer->reopen();
    writer->write(test::make_record(kInfo, "M", "three"));
    writer->flush();
    EXPECT_EQ(read_lines(dir / "p.log.1").size(), 2u);
    ASSERT_EQ(read_lines(dir / "p.log").size(), 1u);
    EXPECT_TRUE(read_lines(dir / "p.log")[0].ends_with("three"));
}

}  // namespace
}  // namespace postern::log
