// Accepts connections on one listening socket: PROXY protocol (trusted peers only), admission
// by rules and flow control, implicit TLS, then hands the connection to the protocol session.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "log/log.h"
#include "net/access_control.h"
#include "net/connection.h"

namespace boost::asio {
class io_context;
}

namespace postern::net {

using SessionHandler = std::function<boost::asio::awaitable<void>(Connection)>;

// Open streams of one service, so a stop can close them all after the grace period.
class SessionRegistry {
  public:
    void add(const std::weak_ptr<Stream::Impl>& stream);
    void request_stop();  // sessions idle between commands end now, the others when done
    void close_all();
    std::size_t active();

  private:
    std::mutex mutex_;
    std::vector<std::weak_ptr<Stream::Impl>> streams_;
};

struct ListenerOptions {
    std::shared_ptr<const config::ListenerConfig> config;
    std::shared_ptr<TlsContext> tls;  // required for implicit TLS; used for STARTTLS
    std::shared_ptr<AccessController> access;
    std::string refusal;  // line sent to refused clients, e.g. "421 4.7.0 ... \r\n"
    log::Logger logger;   // the service's channel; session ids are set per connection
    std::shared_ptr<std::atomic<std::uint64_t>> session_counter;
    std::shared_ptr<const std::atomic<bool>> stopping;
    std::shared_ptr<SessionRegistry> sessions;
    SessionHandler handler;
};

class TcpListener {
  public:
    // Takes ownership of `fd`, a listening socket. Call start() to accept.
    TcpListener(boost::asio::io_context& io, int fd, ListenerOptions options);
    ~TcpListener();

    void start();
    void stop();  // closes the listening socket; open sessions are not touched
    // Reload: new limits, TLS context and refusal apply to connections accepted from now on.
    void update(std::shared_ptr<const config::ListenerConfig> config,
                std::shared_ptr<TlsContext> tls);
    const config::ListenerConfig& config() const;

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace postern::net
