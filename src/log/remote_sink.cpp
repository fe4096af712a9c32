// Remote log sink: one non-blocking UDP datagram per record.
#include "log/remote_sink.h"

#include <cerrno>
#include <cstring>

#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include "base/fs.h"

namespace postern::log {

Result<std::shared_ptr<RemoteSink>> RemoteSink::open(const HostPort& target,
                                                     std::size_t max_datagram) {
    if (target.host.empty() || target.host == "*" || target.port == 0) {
        return fail(Errc::invalid_argument,
                    "remote log target needs a host and a port: " + target.to_string());
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* found = nullptr;
    auto port = std::to_string(target.port);
    // Numeric first: no resolver round trip (and no AI_ADDRCONFIG surprises) for addresses.
    hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
    int rc = ::getaddrinfo(target.host.c_str(), port.c_str(), &hints, &found);
    if (rc == EAI_NONAME) {
        hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
        rc = ::getaddrinfo(target.host.c_str(), port.c_str(), &hints, &found);
    }
    if (rc != 0 || !found) {
        return fail(Errc::unavailable,
                    "cannot resolve remote log host " + target.host + ": " + ::gai_strerror(rc));
    }
    sockaddr_storage addr{};
    std::memcpy(&addr, found->ai_addr, found->ai_addrlen);
    auto addr_len = found->ai_addrlen;
    int family = found->ai_family;
    ::freeaddrinfo(found);

    int fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail(Errc::io_error, "remote log socket: " + errno_text(errno));
    return std::shared_ptr<RemoteSink>(new RemoteSink(target, fd, addr, addr_len, max_datagram));
}

RemoteSink::RemoteSink(HostPort target, int fd, const sockaddr_storage& addr, socklen_t addr_len,
                       std::size_t max_datagram)
    : target_(std::move(target)),
      fd_(fd),
      addr_(addr),
      addr_len_(addr_len),
      max_datagram_(max_datagram) {}

RemoteSink::~RemoteSink() {
    ::close(fd_);
}

void RemoteSink::write(Record record) {
    bool cut = false;
    auto datagram = encode_datagram(record, max_datagram_, &cut);
    if (cut)
        truncated_.fetch_add(1, std::memory_order_relaxed);
    // Unconnected sendto: a connected UDP socket would report an earlier ICMP "port
    // unreachable" on the next send and drop that datagram instead of sending it.
    auto n = ::sendto(fd_, datagram.data(), datagram.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                      reinterpret_cast<const sockaddr*>(&addr_), addr_len_);
    if (n == static_cast<ssize_t>(datagram.size())) {
        sent_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    int err = n < 0 ? errno : EMSGSIZE;
    failed_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(error_mutex_);
    last_error_ = "sendto " + target_.to_string() + ": " + errno_text(err);
}

RemoteStats RemoteSink::stats() const {
    RemoteStats s;
    s.target = target_.to_string();
    s.sent = sent_.load(std::memory_order_relaxed);
    s.failed = failed_.load(std::memory_order_relaxed);
    s.truncated = truncated_.load(std::memory_order_relaxed);
    std::lock_guard lock(error_mutex_);
    s.last_error = last_error_;
    return s;
}

}  // namespace postern::log
