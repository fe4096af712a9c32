// Storage engine benchmarks: durable append with group commit (1 and 8 writers), fetch,
// SELECT of a 100,000-message folder (cold and warm) and its memory, flag update on 10,000
// messages, full-text search over 100,000 messages, disk use per message, compaction rate.
#include <atomic>
#include <mutex>
#include <thread>

#include <benchmark/benchmark.h>

#include "bench_data.h"
#include "store/engine/account_index.h"
#include "store/engine/fts_term_cache.h"
#include "store/engine/message_store.h"
#include "store/tools/tools.h"
#include "test_analyzer.h"

namespace postern::store::bench {
namespace {

struct Shared {
    TempRoot root;
    std::unique_ptr<Store> store;
};

// ---- Append: 10 KiB messages, fsync on, group commit ----
Shared& append_store() {
    static Shared s = [] {
        Shared x;
        x.store = open_store(x.root.path(), /*fsync=*/true);
        return x;
    }();
    return s;
}

Shared& append_store_nosync() {
    static Shared s = [] {
        Shared x;
        x.store = open_store(x.root.path(), /*fsync=*/false);
        return x;
    }();
    return s;
}

void BM_Append(benchmark::State& state) {
    // Arg 0: each writer delivers to its own account; 1: all writers into one mailbox;
    // 2: like 0 without fsync (the CPU cost alone, for comparison).
    auto& s = state.range(0) == 2 ? append_store_nosync() : append_store();
    const bool same = state.range(0) == 1;
    std::string account = same ? "shared@bench.test"
                               : "writer" + std::to_string(state.thread_index()) + "@bench.test";
    auto box = (*s.store->account(account))->open_mailbox("INBOX").value();
    std::vector<std::string> msgs;
    for (unsigned i = 0; i < 64; ++i)
        msgs.push_back(
            realistic_message(10 * 1024, static_cast<unsigned>(state.thread_index() * 100000 + i)));
    std::size_t i = 0;
    unsigned salt = 0;
    const double cpu_start = process_cpu_seconds();
    for (auto _ : state) {
        // A unique body each time (a Received line differs), so dedup never helps.
        auto& m = msgs[i++ % msgs.size()];
        std::string raw = "X-Seq: " + std::to_string(++salt) + "-" +
                          std::to_string(state.thread_index()) + "\r\n" + m;
        auto r = box->append(raw);
        if (!r)
            state.SkipWithError(r.error().to_string().c_str());
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * 10 * 1024);
    // The full-text work these appends left for the indexer belongs to their cost too.
    (void)(*s.store->account(account))->flush_fts();
    // CPU of the whole process (the committer, container writer and FTS indexer included) per
    // append: on 2 shared cores this, not the wall time, says what a code change saved.
    if (state.thread_index() == 0)
        state.counters["cpu_us_per_append"] =
            (process_cpu_seconds() - cpu_start) * 1e6 /
            static_cast<double>(state.iterations() * static_cast<std::uint64_t>(state.threads()));
}
BENCHMARK(BM_Append)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Threads(1)
    ->Threads(8)
    ->Threads(32)
    ->UseRealTime()
    ->MinTime(3.0);
// A fixed amount of work (8 x 250 appends without fsync and the full-text work they leave)
// for instruction counts under callgrind, which timing-based iteration counts would skew:
//   valgrind --tool=callgrind store_bench --benchmark_filter=BM_AppendFixed
BENCHMARK(BM_Append)->Name("BM_AppendFixed")->Arg(2)->Threads(8)->Iterations(250)->UseRealTime();

// ---- Full-text flush: the indexer's batch size against CPU per message ----
void BM_FtsFlush(benchmark::State& state) {
    // Arg: texts per flush transaction. Each iteration indexes one batch of 10 KiB texts
    // into a fresh index without fsync, as the background indexer does after the commits.
    const auto batch = static_cast<std::size_t>(state.range(0));
    TempRoot root;
    auto index = engine::AccountIndex::open(root.path() / "fts.db", "fts@bench.test", true, false);
    if (!index) {
        state.SkipWithError(index.error().to_string().c_str());
        return;
    }
    testing::NaiveAnalyzer analyzer;
    std::vector<engine::FtsDoc> docs;
    for (unsigned i = 0; i < 256; ++i)
        docs.push_back(
            engine::fts_doc_of(analyzer.analyze(realistic_message(10 * 1024, 700000 + i))));
    engine::FtsTermCache terms;
    std::int64_t next_id = 1;
    const double cpu_start = process_cpu_seconds();
    for (auto _ : state) {
        auto s =
            (*index)->write({[&](engine::Db& db) -> StoreStatus {
                                 for (std::size_t k = 0; k < batch; ++k, ++next_id)
                                     STORE_CHECK(engine::index_fts_insert(
                                         db, next_id, docs[next_id % docs.size()], false, &terms));
                                 return {};
                             },
                             {},
                             engine::Durability::lazy,
                             nullptr});
        if (!s)
            state.SkipWithError(s.error().to_string().c_str());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
    state.counters["cpu_us_per_text"] =
        (process_cpu_seconds() - cpu_start) * 1e6 /
        static_cast<double>(state.iterations() * static_cast<std::uint64_t>(batch));
}
BENCHMARK(BM_FtsFlush)->Arg(1)->Arg(8)->Arg(64)->Arg(256)->MinTime(2.0);

// ---- Fetch: 10,000 messages of 10 KiB ----
struct FetchData {
    Shared s;
    std::shared_ptr<Mailbox> box;
};
FetchData& fetch_data() {
    static FetchData d = [] {
        FetchData x;
        x.s.store = open_store(x.s.root.path(), false);
        x.box = (*x.s.store->account("fetch@bench.test"))->open_mailbox("INBOX").value();
        for (unsigned i = 0; i < 10000; ++i)
            (void)x.box->append(realistic_message(10 * 1024, 500000 + i));
        return x;
    }();
    return d;
}

void BM_FetchBody(benchmark::State& state) {
    auto& d = fetch_data();
    std::uint32_t x = 12345 + static_cast<std::uint32_t>(state.thread_index());
    std::uint64_t bytes = 0;
    for (auto _ : state) {
        x = x * 1103515245u + 12345u;
        auto body = d.box->fetch_body(1 + (x >> 8) % 10000);
        if (!body)
            state.SkipWithError(body.error().to_string().c_str());
        else
            bytes += body->size();
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_FetchBody)->Threads(1)->Threads(2)->UseRealTime();

// ---- A 100,000-message folder (about 4 KiB each) ----
struct BigFolder {
    Shared s;
    std::shared_ptr<Mailbox> box;
};
BigFolder& big_folder() {
    static BigFolder d = [] {
        BigFolder x;
        x.s.store = open_store(x.s.root.path(), false);
        x.box = (*x.s.store->account("big@bench.test"))->open_mailbox("INBOX").value();
        std::atomic<unsigned> next{0};
        std::vector<std::thread> t;
        for (int k = 0; k < 2; ++k)
            t.emplace_back([&] {
                for (unsigned i; (i = next++) < 100000;) {
                    AppendOptions o;
                    if (i % 3 == 0)
                        o.flags.system = kSeen;
                    (void)x.box->append(realistic_message(2000 + (i * 7919) % 5000, 900000 + i), o);
                }
            });
        for (auto& th : t)
            th.join();
        return x;
    }();
    return d;
}

void BM_SelectCold(benchmark::State& state) {
    auto& d = big_folder();
    for (auto _ : state) {
        // view_grace is 0: with no session left, the next open reloads from the index.
        auto session = d.box->open_session().value();
        benchmark::DoNotOptimize(session->exists());
        state.PauseTiming();
        session.reset();
        state.ResumeTiming();
    }
    state.counters["messages"] = static_cast<double>(d.box->status().value().messages);
}
BENCHMARK(BM_SelectCold)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SelectWarm(benchmark::State& state) {
    auto& d = big_folder();
    auto holder = d.box->open_session().value();  // another session keeps the view in RAM
    for (auto _ : state) {
        auto session = d.box->open_session().value();
        auto sync = session->sync();
        benchmark::DoNotOptimize(sync.exists);
    }
    auto view_bytes = holder->view()->memory_bytes();
    state.counters["view_MiB"] = static_cast<double>(view_bytes) / (1 << 20);
    state.counters["session_KiB"] =
        static_cast<double>(holder->uids().capacity() * sizeof(Uid)) / 1024;
}
BENCHMARK(BM_SelectWarm)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_FlagUpdate10k(benchmark::State& state) {
    auto& d = big_folder();
    // Alternates across runs too: Google Benchmark calls this function several times.
    static bool add = true;
    for (auto _ : state) {
        auto r = d.box->store_flags(UidSet::range(20001, 30000), add ? FlagOp::add : FlagOp::remove,
                                    {kFlagged, {}});
        if (!r) {
            state.SkipWithError(r.error().to_string().c_str());
            break;
        }
        if (r->changed.size() != 10000) {
            state.SkipWithError(("changed " + std::to_string(r->changed.size())).c_str());
            break;
        }
        add = !add;
    }
    state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_FlagUpdate10k)->Unit(benchmark::kMillisecond)->UseRealTime();

void search_bench(benchmark::State& state, SearchKey key) {
    auto& d = big_folder();
    std::size_t hits = 0;
    for (auto _ : state) {
        auto r = d.box->search(key);
        if (!r)
            state.SkipWithError(r.error().to_string().c_str());
        else
            hits = r->size();
    }
    state.counters["hits"] = static_cast<double>(hits);
}

void BM_SearchBodyCommonWord(benchmark::State& state) {
    SearchKey k{SearchKey::Kind::body};
    k.text = "kalo";  // a frequent word prefix
    search_bench(state, k);
}
void BM_SearchBodyRareWord(benchmark::State& state) {
    SearchKey k{SearchKey::Kind::body};
    k.text = "mülllermentcafé";  // rarely (or never) generated: measures the index lookup
    search_bench(state, k);
}
void BM_SearchBodyInfix(benchmark::State& state) {
    SearchKey k{SearchKey::Kind::body};
    k.text = "dgetpro";  // inside words ("budgetproject"): found through the vocabulary
    search_bench(state, k);
}
void BM_SearchTextInfixShort(benchmark::State& state) {
    SearchKey k{SearchKey::Kind::text};
    k.text = "xq";  // two characters in no word: a scan of the vocabulary
    search_bench(state, k);
}
void BM_SearchTextPhrase(benchmark::State& state) {
    SearchKey k{SearchKey::Kind::text};
    k.text = "cafe muller";
    search_bench(state, k);
}
void BM_SearchFromSubstring(benchmark::State& state) {
    SearchKey k{SearchKey::Kind::from};
    k.text = "sender42@";
    search_bench(state, k);
}
void BM_SearchUnseenAndBody(benchmark::State& state) {
    SearchKey unseen{SearchKey::Kind::flags_unset};
    unseen.flags.system = kSeen;
    SearchKey body{SearchKey::Kind::body};
    body.text = "report";
    search_bench(state, SearchKey::all_of({unseen, body}));
}
BENCHMARK(BM_SearchBodyCommonWord)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SearchBodyRareWord)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SearchBodyInfix)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SearchTextInfixShort)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SearchTextPhrase)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SearchFromSubstring)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SearchUnseenAndBody)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---- Disk use per message against raw size ----
void BM_DiskUse(benchmark::State& state) {
    const bool compression = state.range(0) != 0;
    const int recipients = static_cast<int>(state.range(1));
    // Messages spread over this many accounts (small accounts pay SQLite's per-table pages).
    const unsigned accounts = static_cast<unsigned>(state.range(2));
    constexpr unsigned kMessages = 2000;
    double ratio = 0, per_message = 0, raw_total = 0;
    for (auto _ : state) {
        TempRoot root;
        std::uint64_t raw = 0, instances = 0;
        {
            auto store = open_store(root.path(), false, compression);
            for (unsigned i = 0; i < kMessages; ++i) {
                auto m = realistic_message(10 * 1024, 700000 + i);
                std::vector<DeliveryTarget> targets;
                for (int r = 0; r < recipients; ++r)
                    targets.push_back(
                        {"user" + std::to_string((i + r) % accounts) + "@bench.test"});
                (void)store->deliver(m, targets);
                raw += m.size() * static_cast<std::uint64_t>(recipients);
                instances += static_cast<std::uint64_t>(recipients);
            }
        }  // closing checkpoints the WAL files into the databases
        auto disk = disk_bytes(root.path());
        if (std::getenv("STORE_BENCH_DISK_DETAIL")) {
            for (auto& e : std::filesystem::recursive_directory_iterator(root.path()))
                if (e.is_regular_file())
                    std::fprintf(stderr, "%12ju %s\n", static_cast<std::uintmax_t>(e.file_size()),
                                 e.path().c_str());
        }
        ratio = static_cast<double>(disk) / static_cast<double>(raw);
        per_message = static_cast<double>(disk) / static_cast<double>(instances);
        raw_total = static_cast<double>(raw) / static_cast<double>(instances);
    }
    state.counters["disk_per_msg"] = per_message;
    state.counters["raw_per_msg"] = raw_total;
    state.counters["disk_over_raw"] = ratio;
}
BENCHMARK(BM_DiskUse)
    ->Args({1, 1, 4})
    ->Args({0, 1, 4})
    ->Args({1, 4, 4})
    ->Args({0, 4, 4})
    ->Args({1, 1, 50})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// ---- Compaction rate ----
void BM_Compaction(benchmark::State& state) {
    double mbps = 0, moved = 0;
    for (auto _ : state) {
        state.PauseTiming();
        TempRoot root;
        auto store = open_store(root.path(), /*fsync=*/true, /*compression=*/false);
        auto box = (*store->account("c@bench.test"))->open_mailbox("INBOX").value();
        for (unsigned i = 0; i < 6000; ++i)
            (void)box->append(realistic_message(10 * 1024, 800000 + i));
        UidSet del;
        for (Uid u = 1; u <= 6000; ++u)
            if (u % 3 != 0)
                del.add(u);
        (void)box->store_flags(del, FlagOp::add, {kDeleted, {}});
        (void)box->expunge();
        state.ResumeTiming();
        auto rep = tools::compact(*store, {.io_rate = 0, .max_bytes = 0});
        if (!rep)
            state.SkipWithError(rep.error().to_string().c_str());
        else {
            moved = static_cast<double>(rep->bytes_moved) / (1 << 20);
            mbps = moved / rep->seconds;
        }
    }
    state.counters["MiB_moved"] = moved;
    state.counters["MiB_per_s"] = mbps;
}
BENCHMARK(BM_Compaction)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace postern::store::bench

BENCHMARK_MAIN();
