// Queue benchmarks: durable enqueue of 10 KiB messages with 1, 16 and 64 concurrent writers
// (each waits for its commit, as an SMTP session waits before its 250), the same without
// fsync (CPU cost alone), a create+fsync+rename+directory-fsync baseline measured at the same
// moment (the disk is shared), durable status updates, the startup scan of 100,000 queued
// messages, and index memory per queued message.
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include "base/random.h"
#include "queue/message_writer.h"
#include "queue/queue.h"
#include "queue/spool.h"
#include "queue/status_file.h"

namespace postern::queue::bench {
namespace {

namespace fs = std::filesystem;

// The bench directory: next to the build by default (same disk as the spool would be), or
// POSTERN_BENCH_DIR.
fs::path bench_root() {
    const char* env = std::getenv("POSTERN_BENCH_DIR");
    fs::path base = env ? fs::path(env) : fs::current_path();
    auto p = base / ("queue-bench-" + random_token(8));
    fs::create_directories(p);
    return p;
}

struct TempDir {
    fs::path path = bench_root();
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::string message(std::size_t size, unsigned seed) {
    std::string m =
        "Received: from client.example.org ([192.0.2.7]) by mx.example.org\r\n"
        "From: Sender " +
        std::to_string(seed) +
        " <s@example.org>\r\nTo: <r@example.net>\r\n"
        "Subject: benchmark message " +
        std::to_string(seed) +
        "\r\n"
        "Message-ID: <" +
        std::to_string(seed) + "@example.org>\r\n\r\n";
    std::uint32_t x = seed * 2654435761u + 7;
    while (m.size() + 2 < size) {
        for (int i = 0; i < 72 && m.size() + 2 < size; ++i) {
            x = x * 1103515245u + 12345u;
            m += static_cast<char>('a' + (x >> 16) % 26);
        }
        m += "\r\n";
    }
    return m;
}

Envelope envelope(unsigned seed) {
    Envelope e;
    e.sender = "sender" + std::to_string(seed) + "@example.org";
    e.client.ip = "192.0.2.7";
    e.client.helo = "client.example.org";
    e.client.protocol = "ESMTP";
    e.client.session = "0000001A";
    e.recipients.push_back(
        NewRecipient{"user" + std::to_string(seed % 100) + "@bench.test", {}, notify::unspecified});
    return e;
}

QueueOptions options(const fs::path& dir, bool fsync) {
    QueueOptions o;
    o.directory = dir;
    o.fsync = fsync;
    o.background = false;
    return o;
}

struct SharedQueue {
    TempDir dir;
    std::unique_ptr<Queue> queue;
};

SharedQueue& shared(bool fsync) {
    static std::mutex mu;
    static std::unique_ptr<SharedQueue> with, without;
    std::lock_guard lock(mu);
    auto& slot = fsync ? with : without;
    if (!slot) {
        slot = std::make_unique<SharedQueue>();
        slot->queue = std::move(*Queue::open(options(slot->dir.path, fsync), log::Logger()));
    }
    return *slot;
}

// ---- Durable enqueue: each writer streams 10 KiB and waits for the commit ----
void enqueue_loop(benchmark::State& state, bool fsync) {
    auto& q = *shared(fsync).queue;
    std::vector<std::string> bodies;
    for (unsigned i = 0; i < 16; ++i)
        bodies.push_back(
            message(10 * 1024, static_cast<unsigned>(state.thread_index() * 1000 + i)));
    unsigned n = 0;
    for (auto _ : state) {
        auto w = q.begin_message();
        const auto& body = bodies[n % bodies.size()];
        for (std::size_t p = 0; p < body.size(); p += 4096)
            (void)w->append(std::string_view(body).substr(p, 4096));
        std::promise<Result<QueueId>> done;
        w->commit(envelope(n++), [&done](Result<QueueId> r) { done.set_value(std::move(r)); });
        if (!done.get_future().get())
            state.SkipWithError("commit failed");
    }
    state.SetItemsProcessed(state.iterations());
    if (state.thread_index() == 0)
        state.SetBytesProcessed(state.iterations() * 10 * 1024);
}

void BM_EnqueueDurable(benchmark::State& state) {
    enqueue_loop(state, true);
}
BENCHMARK(BM_EnqueueDurable)->Threads(1)->Threads(16)->Threads(64)->UseRealTime()->MinTime(5);

void BM_EnqueueNoFsync(benchmark::State& state) {
    enqueue_loop(state, false);
}
BENCHMARK(BM_EnqueueNoFsync)->Threads(1)->Threads(16)->UseRealTime()->MinTime(3);

// The floor one durable file costs on this disk right now: what fsync_rate.py calls "create".
void BM_BaselineCreateFsync(benchmark::State& state) {
    TempDir dir;
    std::string data(10 * 1024, 'x');
    int dfd = ::open(dir.path.c_str(), O_RDONLY | O_DIRECTORY);
    unsigned n = 0;
    for (auto _ : state) {
        auto tmp = dir.path / ("f" + std::to_string(n) + ".tmp");
        auto fin = dir.path / ("f" + std::to_string(n++));
        int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (::write(fd, data.data(), data.size()) < 0)
            state.SkipWithError("write");
        ::fsync(fd);
        ::close(fd);
        ::rename(tmp.c_str(), fin.c_str());
        ::fsync(dfd);
    }
    ::close(dfd);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BaselineCreateFsync)->UseRealTime()->MinTime(3);

// ---- Durable status updates: report a temporary failure and wait until it is on disk ----
struct UpdateQueue {
    TempDir dir;
    std::unique_ptr<Queue> queue;
};

UpdateQueue& update_queue() {
    static UpdateQueue u = [] {
        UpdateQueue x;
        auto o = options(x.dir.path, false);
        o.delivery_retry.first_retry = std::chrono::seconds(0);
        o.delivery_retry.max_retry_interval = std::chrono::seconds(0);
        o.delivery_retry.max_age = std::chrono::seconds(0);
        o.dsn.delay_after = std::chrono::seconds(0);
        {
            auto q = std::move(*Queue::open(o, log::Logger()));
            for (unsigned i = 0; i < 2000; ++i) {
                auto w = q->begin_message();
                (void)w->append(message(2048, i));
                std::promise<Result<QueueId>> done;
                w->commit(envelope(i),
                          [&done](Result<QueueId> r) { done.set_value(std::move(r)); });
                done.get_future().get();
            }
            for (auto& job : q->take_processing(Clock::now(), 100000)) {
                ProcessingResult r;
                for (auto& rc : job.recipients)
                    r.decisions.push_back({rc.index, Disposition::remote, {}, {}, {}, {}});
                (void)q->complete_processing(job.id, std::move(r));
            }
            q->sync();
        }
        o.fsync = true;
        x.queue = std::move(*Queue::open(o, log::Logger()));
        return x;
    }();
    return u;
}

void BM_StatusUpdateDurable(benchmark::State& state) {
    auto& q = *update_queue().queue;
    std::vector<DeliveryJob> mine;
    for (auto _ : state) {
        if (mine.empty())
            mine = q.take_deliveries(Lane::remote, Clock::now(), 8);
        if (mine.empty()) {
            state.SkipWithError("no jobs");
            break;
        }
        auto job = std::move(mine.back());
        mine.pop_back();
        std::promise<Status> durable;
        DeliveryReport rep{true,
                           {},
                           {{job.recipients[0].index, Outcome::temporary, "4.2.0", "smtp; 452 busy",
                             "mx.bench.test"}}};
        (void)q.report_delivery(job.id, std::move(rep),
                                [&durable](Status s) { durable.set_value(std::move(s)); });
        durable.get_future().wait();
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StatusUpdateDurable)->Threads(1)->Threads(16)->UseRealTime()->MinTime(5);

// ---- Startup scan and memory: 100,000 messages written straight into a spool ----
struct BigSpool {
    TempDir dir;
    std::size_t messages = 100000;
};

BigSpool& big_spool() {
    static BigSpool b = [] {
        BigSpool x;
        auto spool = std::move(*Spool::open(x.dir.path, 64, false));
        QueueIdGenerator ids;
        auto body = message(2048, 1);
        std::uint64_t t = 1'800'000'000'000'000ull;
        for (std::size_t i = 0; i < x.messages; ++i) {
            MessageRecord m;
            m.id = ids.next(t + i);
            auto e = envelope(static_cast<unsigned>(i));
            m.sender = e.sender;
            m.client = e.client;
            m.size = body.size();
            m.received_at = static_cast<UnixMs>((t + i) / 1000);
            RecipientRecord r;
            r.address = e.recipients[0].address;
            if (i % 2) {  // half of them routed and deferred once, like a real backlog
                m.stage = Stage::processed;
                r.state = RecipientState::deferred;
                r.lane = Lane::remote;
                r.destination = "bench.test";
                r.attempts = 1;
                r.next_attempt = m.received_at + 3'600'000;
                r.status = "4.4.1";
                r.diagnostic = "smtp; 451 4.4.1 try again later";
                r.remote_mta = "mx.bench.test";
            }
            m.recipients.push_back(r);
            auto bucket = spool->bucket_for(m.id);
            auto write = [](const fs::path& p, std::string_view d) {
                int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
                if (::write(fd, d.data(), d.size()) < 0)
                    std::abort();
                ::close(fd);
            };
            write(spool->body_path(bucket, m.id), body);
            write(spool->status_path(bucket, m.id), encode_status(m));
        }
        return x;
    }();
    return b;
}

std::size_t heap_in_use() {
    return mallinfo2().uordblks;
}

void BM_StartupScan100k(benchmark::State& state) {
    auto& b = big_spool();
    for (auto _ : state) {
        auto before = heap_in_use();
        auto q = Queue::open(options(b.dir.path, false), log::Logger());
        if (!q || (*q)->recovery().messages != b.messages) {
            state.SkipWithError("open failed or messages missing");
            break;
        }
        auto after = heap_in_use();
        state.counters["messages"] = static_cast<double>((*q)->recovery().messages);
        state.counters["index_bytes_per_msg"] =
            static_cast<double>(after - before) / static_cast<double>(b.messages);
        state.counters["index_MiB"] = static_cast<double>(after - before) / (1 << 20);
    }
}
BENCHMARK(BM_StartupScan100k)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

}  // namespace
}  // namespace postern::queue::bench

BENCHMARK_MAIN();
