// Crash safety (kill -9 at random moments, 50 times each, fsync on): a child commits in a loop
// and reports every id it was told is durable over a pipe; after each kill the spool reopens,
// every reported message is there with the right body, and nothing half-written is visible.
// A second child changes states in a loop, reporting each change once durable; after each
// kill every reported change is there and no status file is damaged.
#include <map>
#include <random>
#include <sstream>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "queue_fixture.h"

namespace postern::queue::testing {
namespace {

std::string read_pipe(int fd) {
    std::string all;
    char buf[4096];
    for (;;) {
        auto n = ::read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        all.append(buf, static_cast<std::size_t>(n));
    }
    return all;
}

[[noreturn]] void enqueue_loop(QueueOptions options, int fd, unsigned first_seed) {
    auto q = Queue::open(options, log::Logger(), {});
    if (!q)
        _exit(3);
    for (unsigned seed = first_seed;; ++seed) {
        auto w = (*q)->begin_message();
        auto body = make_body(500 + (seed * 37) % 20000, seed);
        // Several chunks so that kills land between appends too.
        for (std::size_t p = 0; p < body.size(); p += 4096)
            if (!w->append(std::string_view(body).substr(p, 4096)))
                _exit(4);
        std::promise<Result<QueueId>> done;
        w->commit(make_envelope("s" + std::to_string(seed) + "@example.org", {"r@example.net"}),
                  [&done](Result<QueueId> r) { done.set_value(std::move(r)); });
        auto id = done.get_future().get();
        if (!id)
            _exit(5);
        std::string line = id->str() + " " + std::to_string(seed) + "\n";
        if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
            _exit(6);
    }
}

class CrashTest : public QueueTest {
  protected:
    void SetUp() override {
        QueueTest::SetUp();
        options_.fsync = true;
        options_.sync_threads = 4;
    }
    // Forks `child`, kills it after a random delay, returns what it wrote to the pipe.
    template <class F>
    std::string run_and_kill(std::mt19937& rng, F child) {
        queue_.reset();  // no threads of ours across fork(), and the spool lock free
        int fds[2];
        EXPECT_EQ(::pipe(fds), 0);
        pid_t pid = ::fork();
        if (pid == 0) {
            ::close(fds[0]);
            child(fds[1]);
        }
        ::close(fds[1]);
        ::usleep(static_cast<useconds_t>(std::uniform_int_distribution<int>(20, 200)(rng) * 1000));
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        EXPECT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
        auto out = read_pipe(fds[0]);
        ::close(fds[0]);
        return out;
    }
};

TEST_F(CrashTest, KillNineDuringCommitsNeverLosesAnAcknowledgedMessage) {
    std::mt19937 rng(20261122);
    std::map<QueueId, unsigned> acknowledged;
    unsigned next_seed = 1;
    std::size_t collected = 0;
    for (int round = 0; round < 50; ++round) {
        auto out = run_and_kill(rng, [&](int fd) { enqueue_loop(options_, fd, next_seed); });
        std::istringstream lines(out);
        std::string id_text;
        unsigned seed = 0;
        while (lines >> id_text >> seed) {
            auto id = QueueId::parse(id_text);
            ASSERT_TRUE(id) << id_text;
            acknowledged[*id] = seed;
            next_seed = std::max(next_seed, seed + 1);
        }
        next_seed += 1000;  // seeds of unacknowledged messages are never reused
        open();
        const auto& rep = queue_->recovery();
        ASSERT_EQ(rep.quarantined, 0u) << (rep.problems.empty() ? "" : rep.problems[0]);
        collected += rep.incomplete_removed + rep.orphans_removed;
        for (const auto& [id, s] : acknowledged)
            ASSERT_TRUE(queue_->show(id)) << "lost " << id.str() << " in round " << round;
        // Every message that is visible is whole, acknowledged or not (a commit can become
        // durable just before the kill, without its id reaching the pipe).
        std::size_t visible = 0;
        for (const auto& s : queue_->list({.limit = 1'000'000})) {
            ++visible;
            auto from =
                static_cast<unsigned>(std::stoul(s.sender.substr(1, s.sender.find('@') - 1)));
            auto body = queue_->read_body(s.id);
            ASSERT_TRUE(body) << s.id.str() << ": " << body.error().to_string();
            ASSERT_EQ(*body, make_body(500 + (from * 37) % 20000, from)) << s.id.str();
            acknowledged[s.id] = from;  // durable now: later rounds must keep it
        }
        ASSERT_EQ(visible, acknowledged.size());
    }
    EXPECT_GT(acknowledged.size(), 50u);
    RecordProperty("acknowledged", static_cast<int>(acknowledged.size()));
    RecordProperty("collected_unacknowledged", static_cast<int>(collected));
}

[[noreturn]] void update_loop(QueueOptions options, int fd) {
    std::atomic<UnixMs> clock{1'800'000'000'000};
    auto q = Queue::open(options, log::Logger(), [&clock] { return from_unix_ms(clock.load()); });
    if (!q)
        _exit(3);
    auto& queue = **q;
    for (std::uint64_t n = 0;; ++n) {
        clock += 1000;
        auto jobs = queue.take_deliveries(Lane::remote, from_unix_ms(clock.load()), 8);
        for (const auto& j : jobs) {
            std::promise<void> durable;
            auto attempts = j.recipients[0].attempts + 1;
            auto s = queue.report_delivery(j.id,
                                           {true,
                                            {},
                                            {{j.recipients[0].index, Outcome::temporary, "4.0.0",
                                              "try " + std::to_string(attempts), "mx"}}},
                                           [&durable](Status st) {
                                               if (!st)
                                                   _exit(7);
                                               durable.set_value();
                                           });
            if (!s)
                _exit(8);
            durable.get_future().wait();
            std::string line = j.id.str() + " " + std::to_string(attempts) + "\n";
            if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
                _exit(6);
        }
        if (n % 3 == 0 && !jobs.empty()) {
            // Message-level updates (hold/release) between the recipient ones.
            (void)queue.hold(jobs[0].id, from_unix_ms(clock.load() + 1));
            (void)queue.release(jobs[0].id);
        }
    }
}

TEST_F(CrashTest, KillNineDuringStatusUpdatesIsAllOrNothing) {
    options_.delivery_retry.first_retry = std::chrono::seconds(0);
    options_.delivery_retry.max_retry_interval = std::chrono::seconds(0);
    options_.delivery_retry.max_age = std::chrono::seconds(0);
    options_.compact_after = 5;  // so that kills also land in rewrites
    options_.fsync = false;      // the setup below only; the children sync
    open();
    std::vector<QueueId> ids;
    for (int i = 0; i < 12; ++i) {
        ids.push_back(
            enqueue_ok(make_envelope("a@example.org", {"b@d" + std::to_string(i) + ".test"}),
                       make_body(400, i)));
        process(ids.back());
    }
    queue_->sync();
    options_.fsync = true;
    std::mt19937 rng(4242);
    std::map<QueueId, std::uint32_t> reported;
    std::size_t repaired = 0;
    for (int round = 0; round < 50; ++round) {
        auto out = run_and_kill(rng, [&](int fd) { update_loop(options_, fd); });
        std::istringstream lines(out);
        std::string id_text;
        std::uint32_t attempts = 0;
        while (lines >> id_text >> attempts) {
            auto id = *QueueId::parse(id_text);
            reported[id] = std::max(reported[id], attempts);
        }
        open();
        const auto& rep = queue_->recovery();
        ASSERT_EQ(rep.quarantined, 0u) << (rep.problems.empty() ? "" : rep.problems[0]);
        ASSERT_EQ(rep.messages, ids.size());
        repaired += rep.repaired;
        for (auto id : ids) {
            auto d = queue_->show(id);
            ASSERT_TRUE(d);
            const auto& r = d->record.recipients[0];
            // Everything reported durable is there; one more change may be there too (durable
            // just before the kill, not reported yet), but only whole: its attempts and its
            // diagnostic always agree.
            ASSERT_GE(r.attempts, reported[id]) << id.str();
            ASSERT_LE(r.attempts, reported[id] + 1) << id.str();
            reported[id] = r.attempts;  // what the next child starts from
            if (r.attempts) {
                ASSERT_EQ(r.diagnostic, "try " + std::to_string(r.attempts));
            }
            // A hold may have become durable without its release; its fields came together.
            if (d->record.hold_until != 0) {
                ASSERT_EQ(d->record.hold_reason, "admin");
                ASSERT_TRUE(queue_->release(id));
            }
        }
    }
    std::uint32_t total = 0;
    for (const auto& [id, a] : reported)
        total += a;
    EXPECT_GT(total, 50u);
    RecordProperty("updates_reported", static_cast<int>(total));
    RecordProperty("torn_tails_repaired", static_cast<int>(repaired));
}

}  // namespace
}  // namespace postern::queue::testing
