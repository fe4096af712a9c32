// Directory lookup costs on a database of 10,000 accounts: resolve() as SMTP calls it at
// RCPT time (account, alias via domain alias, sub-address, unknown user, foreign domain),
// find_credentials() as auth calls it, account_settings() and a group expansion.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>

#include <benchmark/benchmark.h>

#include "base/random.h"
#include "directory/directory.h"

namespace {

using namespace postern;
using namespace postern::directory;

constexpr int kAccounts = 10000;

// One database for the whole run, removed at exit.
struct Fixture {
    Fixture() {
        path = std::filesystem::temp_directory_path() / ("postern-dirbench-" + random_token(8));
        std::filesystem::create_directories(path);
        DirectoryOptions options;
        options.max_readers = 4;
        dir = std::move(*Directory::open(path, options));
        (void)dir->add_domain("example.com");
        (void)dir->add_domain_alias("example.net", "example.com");
        (void)dir->add_class("example.com", "staff");
        (void)dir->set_setting(SettingTarget::for_class("example.com", "staff"), "quota", "2G");
        std::string csv = "address,password,class\n";
        for (int i = 0; i < kAccounts; ++i) {
            csv += "user" + std::to_string(i) + "@example.com,{PLAIN}pw" + std::to_string(i) + "," +
                   (i % 2 ? "staff" : "") + "\n";
        }
        std::istringstream in(csv);
        auto report = dir->import_accounts(in, {});
        if (!report || report->imported != kAccounts)
            std::abort();
        (void)dir->add_alias("alias@example.com", "user5000@example.com");
        std::vector<std::string> members;
        for (int i = 0; i < 100; ++i)
            members.push_back("user" + std::to_string(i * 7) + "@example.com");
        (void)dir->add_group("team@example.com", members);
        account_id = dir->get_account("user1234@example.com")->id;
    }
    ~Fixture() {
        dir.reset();
        std::filesystem::remove_all(path);
    }
    std::filesystem::path path;
    std::unique_ptr<Directory> dir;
    std::int64_t account_id = 0;
};

Fixture& fixture() {
    static Fixture f;
    return f;
}

void resolve(benchmark::State& state, const char* address, AddressKind expected) {
    auto& dir = *fixture().dir;
    for (auto _ : state) {
        auto r = dir.resolve(address);
        if (!r || r->kind != expected)
            state.SkipWithError("unexpected resolution");
        benchmark::DoNotOptimize(r);
    }
}

void BM_ResolveAccount(benchmark::State& s) {
    resolve(s, "user1234@example.com", AddressKind::account);
}
void BM_ResolveAliasViaDomainAlias(benchmark::State& s) {
    resolve(s, "Alias@Example.NET", AddressKind::alias);
}
void BM_ResolveSubaddress(benchmark::State& s) {
    resolve(s, "user77+lists@example.com", AddressKind::account);
}
void BM_ResolveUnknownUser(benchmark::State& s) {
    resolve(s, "nobody@example.com", AddressKind::unknown_user);
}
void BM_ResolveNotLocal(benchmark::State& s) {
    resolve(s, "someone@gmail.com", AddressKind::not_local);
}
BENCHMARK(BM_ResolveAccount)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_ResolveAliasViaDomainAlias);
BENCHMARK(BM_ResolveSubaddress);
BENCHMARK(BM_ResolveUnknownUser);
BENCHMARK(BM_ResolveNotLocal);

void BM_FindCredentials(benchmark::State& state) {
    auto& dir = *fixture().dir;
    for (auto _ : state) {
        auto r = dir.find_credentials("user4321@example.com");
        if (!r || !*r)
            state.SkipWithError("not found");
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(BM_FindCredentials)->Threads(1)->Threads(2)->UseRealTime();

void BM_AccountSettings(benchmark::State& state) {
    auto& f = fixture();
    for (auto _ : state) {
        auto r = f.dir->account_settings(f.account_id);
        if (!r)
            state.SkipWithError("failed");
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(BM_AccountSettings);

void BM_ExpandGroupOf100(benchmark::State& state) {
    auto& dir = *fixture().dir;
    for (auto _ : state) {
        auto r = dir.expand("team@example.com");
        if (!r || r->recipients.size() != 100)
            state.SkipWithError("bad expansion");
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(BM_ExpandGroupOf100);

void BM_ListDomainAccounts(benchmark::State& state) {
    auto& dir = *fixture().dir;
    for (auto _ : state) {
        auto r = dir.list_accounts({.domain = "example.com", .pattern = "user12*"});
        if (!r)
            state.SkipWithError("failed");
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(BM_ListDomainAccounts)->Unit(benchmark::kMillisecond);

}  // namespace
