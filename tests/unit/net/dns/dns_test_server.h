// Runs tests/e2e/dns_server.py as a child process on a free loopback port, so the resolver is
// tested against a real DNS server over real sockets; plus small helpers for the tests.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <sys/types.h>

#include "net/dns/caching_resolver.h"

namespace postern::net::dns::testing {

class DnsTestServer {
  public:
    // Starts the server on `zone_file` and returns once it answers a query. Aborts the test
    // binary (with a message) if it cannot be started: every test needs it.
    explicit DnsTestServer(const std::string& zone_file);
    ~DnsTestServer();
    DnsTestServer(const DnsTestServer&) = delete;
    DnsTestServer& operator=(const DnsTestServer&) = delete;

    std::uint16_t port() const { return port_; }
    Nameserver nameserver() const;

    // Queries the server received for (name, type), over UDP and TCP / over TCP only.
    int count(const std::string& name, const std::string& type = "A");
    int tcp_count(const std::string& name, const std::string& type = "A");
    void release(const std::string& name);  // lets held answers for `name` go
    void reset();                           // every count to zero

    // Options for a resolver talking to this server only; short timeout, one try.
    ResolverOptions options() const;

  private:
    std::string control(const std::string& name);

    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    std::unique_ptr<CachingResolver> control_;  // TTL-0 control answers are never cached
};

// The shared server of the test binary (started on first use, stopped at exit).
DnsTestServer& server();

// A clock the test moves by hand.
class ManualClock {
  public:
    SteadyTime now() const { return SteadyTime(std::chrono::milliseconds(ms_.load())); }
    void advance(std::chrono::milliseconds d) { ms_ += d.count(); }

  private:
    std::atomic<std::int64_t> ms_{1'000'000};
};

// Runs `start(callback)` and waits for the callback's value. A callback that never comes
// aborts the binary after a generous bound: a hang would hide the bug, a crash shows it.
template <class T, class Start>
DnsResult<T> wait_result(Start start) {
    auto promise = std::make_shared<std::promise<DnsResult<T>>>();
    auto future = promise->get_future();
    start([promise](DnsResult<T> r) { promise->set_value(std::move(r)); });
    if (future.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
        std::fprintf(stderr, "DNS callback never called\n");
        std::abort();
    }
    return future.get();
}

}  // namespace postern::net::dns::testing
