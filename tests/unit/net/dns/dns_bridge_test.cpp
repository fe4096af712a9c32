// The coroutine bridge (src/services/dns_bridge.cpp): results arrive in the coroutine, on its
// own io_context thread, for answers from the network and from the cache alike.
#include "services/dns_bridge.h"

#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "dns_test_server.h"

namespace postern::services {
namespace {

namespace asio = boost::asio;
namespace dns = net::dns;

struct Seen {
    std::thread::id network_thread;
    std::thread::id cache_thread;
    std::string address;
    std::string cached_address;
    std::string mx_first;
    std::string txt;
    std::string ptr;
    dns::DnsErrc nx = dns::DnsErrc::cancelled;
    std::vector<std::string> confirmed;
    std::size_t v6 = 0;
    bool done = false;
};

asio::awaitable<void> exercise(dns::Resolver& resolver, Seen& seen) {
    std::string name = "example.test";
    auto a = co_await dns_lookup_a(resolver, name);
    seen.network_thread = std::this_thread::get_id();
    if (a && !a->records.empty())
        seen.address = a->records.front().to_string();

    auto again = co_await dns_lookup_a(resolver, name);  // answered inline from the cache
    seen.cache_thread = std::this_thread::get_id();
    if (again && !again->records.empty())
        seen.cached_address = again->records.front().to_string();

    auto six = co_await dns_lookup_aaaa(resolver, name);
    if (six)
        seen.v6 = six->records.size();

    auto hosts = co_await dns_resolve_mx_hosts(resolver, name);
    if (hosts && !hosts->hosts.empty())
        seen.mx_first = hosts->hosts.front().name;

    auto mx = co_await dns_lookup_mx(resolver, name);
    if (!mx)
        seen.mx_first += "!";

    auto txt = co_await dns_lookup_txt(resolver, name);
    if (txt && txt->records.size() == 2)
        seen.txt = txt->records[1].joined();

    auto ip = *IpAddress::parse("192.0.2.10");
    auto ptr = co_await dns_lookup_ptr(resolver, ip);
    if (ptr && !ptr->records.empty())
        seen.ptr = ptr->records.front();

    std::string missing = "nx.example.test";
    auto nx = co_await dns_lookup_a(resolver, missing);
    if (!nx)
        seen.nx = nx.error().code;

    auto self = *IpAddress::parse("192.0.2.1");
    auto confirmed = co_await dns_forward_confirmed_names(resolver, self);
    if (confirmed)
        seen.confirmed = confirmed->names;
    seen.done = true;
}

asio::awaitable<void> wait_dead(dns::Resolver& resolver, dns::DnsErrc& code, bool& resumed) {
    std::string name = "dead.example.test";
    auto result = co_await dns_lookup_a(resolver, name);
    if (!result)
        code = result.error().code;
    resumed = true;
}

TEST(DnsBridge, ResumesOnTheCallersExecutor) {
    auto& server = dns::testing::server();
    auto resolver = dns::CachingResolver::create(server.options());
    ASSERT_TRUE(resolver);
    asio::io_context io;
    Seen seen;
    asio::co_spawn(io, exercise(**resolver, seen), asio::detached);
    // Nothing else keeps this io_context busy: run() returns only when the coroutine is done,
    // which shows that a pending lookup counts as work.
    std::thread runner([&] { io.run(); });
    auto runner_id = runner.get_id();
    runner.join();
    ASSERT_TRUE(seen.done);
    EXPECT_EQ(seen.network_thread, runner_id);
    EXPECT_EQ(seen.cache_thread, runner_id);
    EXPECT_EQ(seen.address, "192.0.2.1");
    EXPECT_EQ(seen.cached_address, "192.0.2.1");
    EXPECT_EQ(seen.v6, 1u);
    EXPECT_EQ(seen.mx_first, "mx1.example.test");
    EXPECT_EQ(seen.txt, "hello world");
    EXPECT_EQ(seen.ptr, "mx1.example.test");
    EXPECT_EQ(seen.nx, dns::DnsErrc::nxdomain);
    EXPECT_EQ(seen.confirmed, std::vector<std::string>{"example.test"});
}

TEST(DnsBridge, ManyCoroutinesOnSeveralThreads) {
    auto& server = dns::testing::server();
    auto resolver = dns::CachingResolver::create(server.options());
    ASSERT_TRUE(resolver);
    asio::io_context io;
    std::vector<Seen> seen(50);
    for (auto& s : seen)
        asio::co_spawn(io, exercise(**resolver, s), asio::detached);
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i)
        threads.emplace_back([&] { io.run(); });
    for (auto& t : threads)
        t.join();
    for (const auto& s : seen) {
        EXPECT_TRUE(s.done);
        EXPECT_EQ(s.address, "192.0.2.1");
        EXPECT_EQ(s.nx, dns::DnsErrc::nxdomain);
    }
}

TEST(DnsBridge, ShutdownResumesWithCancelled) {
    auto& server = dns::testing::server();
    auto options = server.options();
    options.timeout = std::chrono::seconds(20);
    auto resolver = dns::CachingResolver::create(options);
    ASSERT_TRUE(resolver);
    asio::io_context io;
    dns::DnsErrc code = dns::DnsErrc::nxdomain;
    bool resumed = false;
    server.reset();
    asio::co_spawn(io, wait_dead(**resolver, code, resumed), asio::detached);
    std::thread runner([&] { io.run(); });
    // The lookup is pending (the server drops it); shutting down must resume the coroutine.
    while (server.count("dead.example.test") < 1)
        std::this_thread::yield();
    (*resolver)->shutdown();
    runner.join();
    EXPECT_TRUE(resumed);
    EXPECT_EQ(code, dns::DnsErrc::cancelled);
}

}  // namespace
}  // namespace postern::services
