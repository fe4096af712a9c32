// A connected TCP stream, plain or TLS, with coroutine reads and writes, in-place STARTTLS,
// and idle/total deadlines enforced by a watchdog (an expired deadline closes the socket and
// the pending operation fails with Errc::timeout). One Stream per connection; all calls must
// come from the connection's strand (the session coroutine).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "base/ip_address.h"
#include "base/result.h"

namespace postern::net {

class TlsContext;

struct Endpoint {
    IpAddress ip;
    std::uint16_t port = 0;
    std::string to_string() const;  // "192.0.2.1:25", "[::1]:143"
};

class Stream {
  public:
    struct Impl;  // owns the socket (see stream.cpp); created by TcpServer or connect()
    explicit Stream(std::shared_ptr<Impl> impl);
    ~Stream();
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    // Reads at least one byte; 0 means the peer closed the connection. After a timeout, reads
    // fail with Errc::timeout but writes still work for a few seconds (to say goodbye).
    boost::asio::awaitable<Result<std::size_t>> read_some(std::span<char> buffer);
    boost::asio::awaitable<Status> write(std::string_view data);

    // Upgrades the connection in place (STARTTLS / implicit TLS). Nothing read before this
    // call is kept by the stream, so plaintext pipelined after STARTTLS cannot leak in.
    boost::asio::awaitable<Status> start_tls_server(std::shared_ptr<TlsContext> context);
    boost::asio::awaitable<Status> start_tls_client(std::shared_ptr<TlsContext> context,
                                                    std::string server_name);

    bool tls_active() const;
    std::string tls_summary() const;  // "TLSv1.3 TLS_AES_256_GCM_SHA384", "" when plain
    std::string peer_certificate_subject() const;  // "" when none was presented

    // Idle: closes after `timeout` without reads/writes completing. Deadline: closes at that
    // moment regardless of activity (total session time). Zero/max disables.
    void set_idle_timeout(std::chrono::milliseconds timeout);
    void set_deadline(std::chrono::steady_clock::time_point deadline);
    bool timed_out() const;

    // While true, a service stop cancels a pending read (Errc::cancelled, "server shutting
    // down"). Sessions set it while waiting for the next command, never mid-transaction.
    void set_interruptible(bool interruptible);

    // Closes the socket; pending operations complete with Errc::cancelled. Idempotent.
    void close();

    const Endpoint& local() const;
    const Endpoint& remote() const;

  private:
    std::shared_ptr<Impl> impl_;
};

// Outgoing TCP connection on the caller's executor (SMTP-out, proxies, tests).
boost::asio::awaitable<Result<std::unique_ptr<Stream>>> connect(const std::string& host,
                                                                std::uint16_t port,
                                                                std::chrono::milliseconds timeout);
// To one address, optionally from a given local address (outbound IP per sending domain).
boost::asio::awaitable<Result<std::unique_ptr<Stream>>> connect_to(
    const IpAddress& address, std::uint16_t port, const std::optional<IpAddress>& source,
    std::chrono::milliseconds timeout);

}  // namespace postern::net
