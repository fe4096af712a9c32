// Where listening sockets come from. Under the supervisor, the worker (which may have dropped
// root) asks the supervisor to bind them; without it they are bound directly.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "base/ip_address.h"
#include "base/result.h"

namespace postern::net {

enum class SocketKind { tcp, udp };

class ListenSockets {
  public:
    virtual ~ListenSockets() = default;
    // A listening (TCP) or bound (UDP) socket for `address`; the caller owns the returned fd.
    // Asking twice for the same address gives descriptors of the same socket.
    virtual Result<int> acquire(SocketKind kind, const HostPort& address) = 0;
    // The address is no longer served: the source may close its own copy so that clients get
    // "connection refused" instead of waiting in a backlog nobody accepts from.
    virtual void release(SocketKind kind, const HostPort& address) = 0;
};

// Binds and listens in this process; keeps one descriptor per address and hands out dup()s.
class DirectListenSockets : public ListenSockets {
  public:
    ~DirectListenSockets() override;
    Result<int> acquire(SocketKind kind, const HostPort& address) override;
    void release(SocketKind kind, const HostPort& address) override;

  private:
    std::mutex mutex_;
    std::map<std::string, int> bound_;
};

// Creates a bound socket (TCP: listening, backlog 1024; SO_REUSEADDR; IPv6 sockets are
// v6-only so "[::]:25" and "0.0.0.0:25" can coexist). "*" means all IPv4 and IPv6 addresses.
Result<int> bind_socket(SocketKind kind, const HostPort& address);

std::string socket_key(SocketKind kind, const HostPort& address);

}  // namespace postern::net
