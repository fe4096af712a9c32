// Internal: the socket, optional TLS layer and watchdog behind Stream. Included only by the
// few net/*.cpp files that create streams (TcpServer, connect).
#pragma once

#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/stream.h"
#include "net/tls.h"

namespace postern::net {

struct Stream::Impl : std::enable_shared_from_this<Stream::Impl> {
    explicit Impl(boost::asio::ip::tcp::socket s);

    boost::asio::ip::tcp::socket socket;
    std::shared_ptr<TlsContext> tls_context;  // keeps the SSL_CTX alive as long as the stream
    std::optional<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls;
    boost::asio::steady_timer watchdog;
    std::chrono::milliseconds idle_timeout{0};
    std::chrono::steady_clock::time_point idle_deadline =
        std::chrono::steady_clock::time_point::max();
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
    bool watchdog_armed = false;
    bool timed_out = false;
    bool closed = false;
    bool interruptible = false;   // the session is waiting for its next command
    bool stop_requested = false;  // the service is stopping

    Endpoint local_endpoint;
    Endpoint remote_endpoint;

    void touch();  // activity: push the idle deadline forward
    void arm();    // (re)start the watchdog for the nearest deadline
    void close_socket();
    void request_stop();  // cancel a pending command read now, or the next one
};

Endpoint to_endpoint(const boost::asio::ip::tcp::endpoint& e);

}  // namespace postern::net
