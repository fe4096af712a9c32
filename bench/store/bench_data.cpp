// Benchmark data generation and helpers (no measurement here).
#include "bench_data.h"

#include <cstdio>
#include <random>

#include <sys/resource.h>

#include "base/random.h"
#include "test_analyzer.h"

namespace postern::store::bench {
namespace {

const std::vector<std::string>& vocabulary() {
    static const std::vector<std::string> words = [] {
        static const char* syl[] = {"ka",  "lo",  "mer", "tin",  "ra",  "se",   "vo", "quan",
                                    "ter", "ly",  "bu",  "dget", "pro", "ject", "re", "port",
                                    "sta", "tus", "ne",  "xt",   "ca",  "fé",   "mü", "ller",
                                    "an",  "da",  "ri",  "on",   "el",  "ment"};
        std::vector<std::string> out;
        std::mt19937 rng(42);
        while (out.size() < 4000) {
            std::string w;
            int n = 1 + static_cast<int>(rng() % 3);
            for (int i = 0; i < n; ++i)
                w += syl[rng() % 30];
            out.push_back(w);
        }
        return out;
    }();
    return words;
}

}  // namespace

std::string realistic_message(std::size_t size, unsigned seed) {
    std::mt19937 rng(seed);
    auto& vocab = vocabulary();
    auto word = [&]() -> const std::string& {
        // Zipf-like: squaring a uniform variate favours the first words.
        double u = std::uniform_real_distribution<double>(0, 1)(rng);
        return vocab[static_cast<std::size_t>(u * u * u * static_cast<double>(vocab.size() - 1))];
    };
    std::string m;
    char buf[256];
    std::snprintf(
        buf, sizeof buf,
        "Return-Path: <sender%u@example.org>\r\nReceived: from mx%u.example.org (mx%u.example.org "
        "[192.0.2.%u]) by mail.example.com with ESMTPS id %08X; Mon, 3 Nov 2025 10:%02u:00 "
        "+0000\r\n",
        seed % 500, seed % 7, seed % 7, seed % 250, seed, seed % 60);
    m += buf;
    std::snprintf(buf, sizeof buf,
                  "Message-ID: <%08X.%u@example.org>\r\nFrom: Sender %u <sender%u@example.org>\r\n",
                  seed, seed * 31, seed % 500, seed % 500);
    m += buf;
    std::snprintf(buf, sizeof buf,
                  "To: User %u <user%u@example.com>\r\nDate: Mon, 3 Nov 2025 10:%02u:00 +0000\r\n",
                  seed % 100, seed % 100, seed % 60);
    m += buf;
    m += "Subject: " + word() + " " + word() + " " + word() + "\r\n";
    m += "MIME-Version: 1.0\r\nContent-Type: text/plain; "
         "charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n";
    std::size_t col = 0;
    while (m.size() + 2 < size) {
        const auto& w = word();
        m += w;
        col += w.size();
        if (col > 68) {
            m += "\r\n";
            col = 0;
        } else {
            m += ' ';
            ++col;
        }
    }
    m += "\r\n";
    return m;
}

TempRoot::TempRoot() {
    const char* base = std::getenv("TMPDIR");
    path_ = std::filesystem::path(base ? base : "/var/tmp") / ("postern-bench-" + random_token(8));
    std::filesystem::create_directories(path_);
}

TempRoot::~TempRoot() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::unique_ptr<Store> open_store(const std::filesystem::path& root, bool fsync, bool compression) {
    StoreOptions o;
    o.data_root = root;
    o.fsync = fsync;
    o.compression = compression;
    o.view_grace = std::chrono::milliseconds(0);
    auto s = Store::open(o);
    if (!s) {
        std::fprintf(stderr, "open store: %s\n", s.error().to_string().c_str());
        std::abort();
    }
    (*s)->set_analyzer(std::make_shared<testing::NaiveAnalyzer>());
    return std::move(*s);
}

std::uint64_t disk_bytes(const std::filesystem::path& dir) {
    std::uint64_t n = 0;
    std::error_code ec;
    for (auto& e : std::filesystem::recursive_directory_iterator(dir, ec))
        if (e.is_regular_file(ec))
            n += e.file_size(ec);
    return n;
}

double process_cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return secs(u.ru_utime) + secs(u.ru_stime);
}

}  // namespace postern::store::bench
