// Costs of DNS resolution: a cache hit (one thread and several), MX resolution from cache,
// parsing an answer, and queries/s that miss the cache against the local test server.
#include <atomic>
#include <condition_variable>
#include <mutex>

#include <benchmark/benchmark.h>

#include "dns_test_server.h"
#include "net/dns/caching_resolver.h"
#include "net/dns/message.h"
#include "net/dns/mx.h"

namespace {

using namespace postern;
using namespace postern::net::dns;
namespace dns_testing = postern::net::dns::testing;

// One resolver for all benchmarks (threads of a multi-threaded run share it).
CachingResolver& resolver() {
    static auto instance = [] {
        auto options = dns_testing::server().options();
        options.timeout = std::chrono::seconds(2);
        options.tries = 3;
        return std::move(*CachingResolver::create(options));
    }();
    return *instance;
}

void warm(const std::string& name, RecordType type) {
    (void)dns_testing::wait_result<RecordSet>(
        [&](Callback<RecordSet> cb) { resolver().lookup(name, type, std::move(cb)); });
}

void BM_CacheHit(benchmark::State& state) {
    if (state.thread_index() == 0)
        warm("example.test", RecordType::a);
    std::size_t found = 0;
    for (auto _ : state) {
        // A hit calls back on this thread before lookup() returns.
        resolver().lookup_a("example.test",
                            [&found](DnsResult<AddressAnswer> r) { found += r->records.size(); });
    }
    benchmark::DoNotOptimize(found);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CacheHit)->Threads(1)->Threads(2)->Threads(4)->UseRealTime();

void BM_ResolveMxHostsFromCache(benchmark::State& state) {
    (void)dns_testing::wait_result<MxHosts>([](Callback<MxHosts> cb) {
        resolve_mx_hosts(resolver(), "equal.example.test", std::move(cb));
    });
    std::size_t hosts = 0;
    for (auto _ : state) {
        resolve_mx_hosts(resolver(), "equal.example.test",
                         [&hosts](DnsResult<MxHosts> r) { hosts += r->hosts.size(); });
    }
    benchmark::DoNotOptimize(hosts);
}
BENCHMARK(BM_ResolveMxHostsFromCache);

void BM_ParseMxAnswer(benchmark::State& state) {
    // example.test MX with two hosts and an SOA, as a server sends it (compressed names).
    const std::vector<std::uint8_t> message = {
        0x12, 0x34, 0x81, 0x80, 0,    1,    0,    2,   0,   1,   0,    0,   7, 'e', 'x',  'a',
        'm',  'p',  'l',  'e',  4,    't',  'e',  's', 't', 0,   0,    15,  0, 1,   0xC0, 12,
        0,    15,   0,    1,    0,    0,    1,    44,  0,   8,   0,    10,  3, 'm', 'x',  '1',
        0xC0, 12,   0xC0, 12,   0,    15,   0,    1,   0,   0,   1,    44,  0, 8,   0,    20,
        3,    'm',  'x',  '2',  0xC0, 12,   0xC0, 12,  0,   6,   0,    1,   0, 0,   14,   16,
        0,    30,   2,    'n',  's',  0xC0, 12,   2,   'h', 'm', 0xC0, 12,  0, 0,   0,    1,
        0,    0,    14,   16,   0,    0,    2,    88,  0,   1,   81,   128, 0, 0,   0,    60};
    for (auto _ : state) {
        auto m = parse_message(message);
        benchmark::DoNotOptimize(m);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * message.size()));
}
BENCHMARK(BM_ParseMxAnswer);

// Misses only: every name is new (NXDOMAIN from the server), `window` lookups in flight.
void BM_UpstreamQueries(benchmark::State& state) {
    static std::atomic<std::uint64_t> next{0};
    const auto window = static_cast<int>(state.range(0));
    std::mutex mutex;
    std::condition_variable cv;
    std::uint64_t errors = 0;
    for (auto _ : state) {
        int pending = window;
        for (int i = 0; i < window; ++i) {
            std::string name = "q" + std::to_string(next++) + ".bench.example.test";
            resolver().lookup_a(name, [&](DnsResult<AddressAnswer> r) {
                std::lock_guard lock(mutex);
                if (!r && r.error().code != DnsErrc::nxdomain)
                    ++errors;
                if (--pending == 0)
                    cv.notify_one();
            });
        }
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return pending == 0; });
    }
    state.counters["errors"] = static_cast<double>(errors);
    state.SetItemsProcessed(state.iterations() * window);
}
BENCHMARK(BM_UpstreamQueries)->Arg(1)->Arg(16)->Arg(64)->UseRealTime();

}  // namespace
