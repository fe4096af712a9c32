// Micro-benchmarks of the log layer: line formatting, the producer's cost of one line, the
// writer's end-to-end throughput to a file, rule matching, and the datagram codec.
#include <filesystem>

#include <benchmark/benchmark.h>

#include "base/random.h"
#include "log/datagram.h"
#include "log/file_router.h"
#include "log/internal_writer.h"
#include "log/rule_table.h"

namespace postern::log {
namespace {

Record sample() {
    return Record{std::chrono::system_clock::now(),
                  kInfo,
                  "mx1.example.org",
                  "SMTP-IN",
                  "0000001A",
                  "connection accepted from [192.0.2.7]:51234 to [198.51.100.1]:25 (TLS)"};
}

class BenchDir {
  public:
    BenchDir()
        : path_(std::filesystem::temp_directory_path() / ("postern-logbench-" + random_token(8))) {}
    ~BenchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

std::vector<config::LogRule> ten_rules() {
    std::vector<config::LogRule> rules;
    const char* modules[] = {"IMAP",    "POP3", "SMTP-OUT", "PROCESSING", "CLI",
                             "WEBMAIL", "LOG",  "RPOP",     "REPORT"};
    int priority = 1;
    for (auto m : modules) {
        config::LogRule r;
        r.priority = priority++;
        r.module = m;
        r.file = std::string(m) + ".log";
        rules.push_back(r);
    }
    config::LogRule all;
    all.priority = 100;
    all.file = "postern.log";
    rules.push_back(all);
    return rules;
}

void BM_FormatLine(benchmark::State& state) {
    auto r = sample();
    for (auto _ : state)
        benchmark::DoNotOptimize(format_line(r));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FormatLine);

void BM_LoggerDisabledLevel(benchmark::State& state) {
    struct Null : Sink {
        void write(Record) override {}
    };
    Logger log(std::make_shared<Channel>("IMAP", "mx1", 15, std::make_shared<Null>()), "0000001A");
    int i = 0;
    for (auto _ : state)
        log.proto("C: A{} FETCH 1:* (FLAGS)", ++i);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LoggerDisabledLevel);

// One writer for every run and thread of the producer benchmark (threads must share it).
std::shared_ptr<InternalWriter> shared_writer() {
    static BenchDir dir;
    static auto writer = [] {
        WriterOptions options;
        options.host = "mx1";
        return InternalWriter::start({dir.path(), ten_rules()}, options).value();
    }();
    return writer;
}

// What an event-loop thread pays per line: format the text, build the record, enqueue.
// The writer drains to a real file meanwhile; drops (if the producers outrun it) are
// reported as a counter rather than hidden.
void BM_LoggerToInternalWriter(benchmark::State& state) {
    auto writer = shared_writer();
    Logger log(std::make_shared<Channel>("SMTP-IN", "mx1", 31, writer), "0000001A");
    int i = 0;
    for (auto _ : state)
        log.info("connection accepted from [192.0.2.7]:{} to [198.51.100.1]:25", ++i);
    if (state.thread_index() == 0) {
        writer->flush();
        state.counters["dropped_total"] = static_cast<double>(writer->stats().dropped_queue_full);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LoggerToInternalWriter)->Threads(1)->Threads(2)->UseRealTime();

// End to end: lines per second from write() until they are in the file.
void BM_WriterThroughput(benchmark::State& state) {
    BenchDir dir;
    WriterOptions options;
    options.host = "mx1";
    options.queue = QueueLimits{1 << 20, 1u << 30};
    auto writer = InternalWriter::start({dir.path(), ten_rules()}, options).value();
    const auto batch = static_cast<int>(state.range(0));
    auto r = sample();
    for (auto _ : state) {
        for (int i = 0; i < batch; ++i)
            writer->write(r);
        writer->flush();
    }
    state.counters["dropped"] = static_cast<double>(writer->stats().dropped_queue_full);
    state.SetItemsProcessed(state.iterations() * batch);
    state.SetBytesProcessed(state.iterations() * batch *
                            static_cast<std::int64_t>(format_line(r).size() + 1));
}
BENCHMARK(BM_WriterThroughput)->Arg(10000)->UseRealTime();

// The writer thread's own CPU cost per line (match, format, buffer, write(2) every 64 KiB),
// without a queue or thread: what bounds file throughput when a core is free.
void BM_FileRouterWrite(benchmark::State& state) {
    BenchDir dir;
    FileRouter router([] { return std::chrono::system_clock::now(); });
    router.configure({dir.path(), ten_rules()});
    auto r = sample();
    for (auto _ : state)
        router.write(r);
    router.flush();
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() *
                            static_cast<std::int64_t>(format_line(r).size() + 1));
}
BENCHMARK(BM_FileRouterWrite);

void BM_RuleMatchTenRules(benchmark::State& state) {
    RuleTable table(ten_rules());
    for (auto _ : state)
        benchmark::DoNotOptimize(table.match("mx1.example.org", "SMTP-IN", kInfo));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RuleMatchTenRules);

void BM_EncodeDatagram(benchmark::State& state) {
    auto r = sample();
    for (auto _ : state)
        benchmark::DoNotOptimize(encode_datagram(r));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeDatagram);

void BM_DecodeDatagram(benchmark::State& state) {
    auto d = encode_datagram(sample());
    for (auto _ : state)
        benchmark::DoNotOptimize(decode_datagram(d));
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(d.size()));
}
BENCHMARK(BM_DecodeDatagram);

}  // namespace
}  // namespace postern::log

BENCHMARK_MAIN();
